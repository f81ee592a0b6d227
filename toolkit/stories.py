"""Story groups: articles that are copies of one text (a wire story in several outlets).

``story_groups(articles)`` gives every article a ``story_id`` and, for every copy but one, the
``copy_of`` article it repeats. It is a pure function of the articles' cleaned bodies (titles,
outlets, datelines outside the body are ignored), computed once over the whole corpus when the
``articles`` table is built (``toolkit.tables.articles_frame``), so ``toolkit load``,
``toolkit annotate``, ``toolkit run`` and the notebooks all carry the same two columns.

Method:

1. Each body becomes a set of word shingles: every run of ``SHINGLE_WORDS`` consecutive words,
   lower-cased (Unicode case folding), punctuation and spacing dropped, each hashed with CRC-32
   per word (stable across processes and machines, unlike Python's ``hash``).
2. MinHash signatures (``NUM_PERM`` permutations) are cut into ``LSH_BANDS`` bands of
   ``LSH_ROWS`` rows (locality-sensitive hashing); two articles that agree on a whole band are
   a candidate pair: at Jaccard overlap 0.2 with probability 0.93, at 0.3 with 0.998. Both
   steps are the ``datasketch`` package's (``MinHash``, ``MinHashLSH``), imported on first use.
3. Each proposed pair is checked exactly on the shingle sets: it is a copy when at least
   ``CONTAINMENT`` of the shorter body's shingles occur in the longer one. Containment rather
   than Jaccard, because a copy with a trimmed end or an inserted paragraph keeps most of its
   own text while sharing only part of the other's: a copy cut to its first half has Jaccard 0.5
   but containment 1.0. Bodies of fewer than ``MIN_SHINGLES`` shingles (a one-line brief) are
   copies only of a body with the very same shingles, so a short item is not swallowed by every
   long article that quotes it.
4. Copies are joined transitively (A~B and B~C make one story); the group's ``story_id`` is its
   smallest article_id, its representative the earliest dated article (undated ones last), then
   the smallest id; every other member has ``copy_of`` = the representative's id.

Every step sorts by article_id first, so the result does not depend on input order, worker count
or engine. ``benchmarks/story_groups.py`` measures precision, recall and cost.

>>> from toolkit.article import Article
>>> body = ["MOSCOW - Talks between the two delegations ended on Friday without any agreement "
...         "on a ceasefire, officials on both sides said, after three days of meetings in a "
...         "guarded hotel outside the city.", "The next round is set for May."]
>>> wire = Article.build(article_id="a", path="a", paragraphs=body, published="2023-03-02")
>>> copy = Article.build(article_id="b", path="b", paragraphs=body[:1], published="2023-03-01")
>>> other = Article.build(article_id="c", path="c", paragraphs=["Something else entirely."])
>>> story_groups([wire, copy, other]).to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
[{'article_id': 'a', 'story_id': 'a', 'copy_of': 'b'},
 {'article_id': 'b', 'story_id': 'a', 'copy_of': ''},
 {'article_id': 'c', 'story_id': 'c', 'copy_of': ''}]
"""

from __future__ import annotations

import logging
import os
import re
import unicodedata
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .article import Article

log = logging.getLogger(__name__)

STORY_COLUMNS = ["story_id", "copy_of"]
SIGNATURE_FILE = "stories.npz"  # in the annotation cache folder, beside its segments
SHINGLE_WORDS = 5
CONTAINMENT = 0.7
MIN_SHINGLES = 20
NUM_PERM = 128
LSH_BANDS, LSH_ROWS = 64, 2
_SEED = 1  # MinHash permutations; fixed so signatures are the same in every run
_WORD = re.compile(r"\w+")
_MASK32 = np.uint64(0xFFFFFFFF)  # the shingle hash's low 32 bits go into MinHash
_SCHEME = "affine32"  # datasketch's permutation scheme (named: stored signatures depend on it)
_MULTIPLIER = np.uint64(1_000_003)  # combines the word hashes of a shingle (wraps mod 2**64)


def shingles(text: str) -> np.ndarray:
    """Return the sorted, distinct hashes of the text's ``SHINGLE_WORDS``-word shingles.

    Case, punctuation and spacing do not count; a text shorter than one shingle is one shingle
    of all its words, an empty text none.

    >>> bool((shingles("The cat sat on the mat.") == shingles("the CAT sat, on  the mat")).all())
    True
    >>> len(shingles("one two three four five six")), len(shingles("two words")), len(shingles(""))
    (2, 1, 0)
    """
    words = _WORD.findall(unicodedata.normalize("NFKC", text).casefold())
    hashes = np.fromiter((zlib.crc32(w.encode("utf-8", "surrogatepass")) for w in words),
                         dtype=np.uint64, count=len(words))
    width = min(SHINGLE_WORDS, len(hashes))
    if not width:
        return hashes
    n = len(hashes) - width + 1
    combined = np.zeros(n, dtype=np.uint64)
    for j in range(width):
        combined = combined * _MULTIPLIER + hashes[j:j + n]
    return np.unique(combined)


def containment(a: np.ndarray, b: np.ndarray) -> float:
    """Return the share of the smaller shingle set that is in the other (0.0 when one is empty).

    >>> containment(shingles("a b c d e f g h"), shingles("a b c d e f"))
    1.0
    """
    if not len(a) or not len(b):
        return 0.0
    shared = len(np.intersect1d(a, b, assume_unique=True))
    return shared / min(len(a), len(b))


def copy_pairs(articles: Sequence[Article], *,
               cache_dir: str | os.PathLike | None = None) -> list[tuple[str, str]]:
    """Return the pairs of article_ids (smaller id first, sorted) whose bodies are copies.

    With ``cache_dir``, the MinHash signatures are kept in ``cache_dir/stories.npz`` by
    ``Article.content_hash``: a re-run computes shingles only for new articles, short ones and
    the few in candidate pairs.
    """
    articles = sorted(articles, key=lambda a: a.article_id)
    if len(articles) < 2:  # nothing to pair: no signature, no datasketch import
        return []
    known = _load_signatures(cache_dir)
    sets: dict[int, np.ndarray] = {}

    def shingle_set(i: int) -> np.ndarray:
        if i not in sets:
            sets[i] = shingles(articles[i].text)
        return sets[i]

    sizes = np.zeros(len(articles), dtype=np.int64)
    sigs = np.zeros((len(articles), NUM_PERM), dtype=np.uint64)
    new: dict[str, tuple[int, np.ndarray]] = {}
    todo = [i for i, article in enumerate(articles) if article.content_hash not in known]
    for i, sig in zip(todo, signatures([shingle_set(i) for i in todo]), strict=True):
        new[articles[i].content_hash] = (len(shingle_set(i)), sig)
    for i, article in enumerate(articles):
        sizes[i], sigs[i] = known.get(article.content_hash) or new[article.content_hash]
    pairs: set[tuple[int, int]] = set()
    first: dict[bytes, int] = {}  # a short body is a copy only of the very same shingles
    for i in np.flatnonzero((sizes > 0) & (sizes < MIN_SHINGLES)).tolist():
        j = first.setdefault(shingle_set(i).tobytes(), i)
        if j != i:
            pairs.add((j, i))
    for i, j in sorted(_candidates(sigs, np.flatnonzero(sizes >= MIN_SHINGLES))):
        if containment(shingle_set(i), shingle_set(j)) >= CONTAINMENT:
            pairs.add((i, j))
    if cache_dir is not None and new:
        _save_signatures(cache_dir, {**known, **new})
    return sorted((articles[i].article_id, articles[j].article_id) for i, j in pairs)


def _load_signatures(cache_dir: str | os.PathLike | None) -> dict[str, tuple[int, np.ndarray]]:
    """Return the signatures kept in ``cache_dir`` ({} when none, or unreadable: recomputed)."""
    path = Path(cache_dir) / SIGNATURE_FILE if cache_dir is not None else None
    if path is None or not path.is_file():
        return {}
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["version"]) != _signature_version():
                return {}
            keys, sizes, sigs = data["keys"], data["sizes"], data["signatures"]
            if sigs.shape != (len(keys), NUM_PERM) or len(sizes) != len(keys):
                raise ValueError("arrays of different lengths")
            return {str(k): (int(n), sig) for k, n, sig in zip(keys, sizes, sigs, strict=True)}
    except Exception as err:  # a damaged file is never trusted; it is rewritten
        log.warning("%s: unreadable (%s); story signatures are computed again", path, err)
        return {}


def _save_signatures(cache_dir: str | os.PathLike,
                     entries: dict[str, tuple[int, np.ndarray]]) -> None:
    from .io import write_atomic

    keys = sorted(entries)
    arrays = {
        "version": np.array(_signature_version()),
        "keys": np.array(keys, dtype=str),
        "sizes": np.array([entries[k][0] for k in keys], dtype=np.int64),
        "signatures": np.array([entries[k][1] for k in keys], dtype=np.uint64).reshape(
            len(keys), NUM_PERM),
    }
    try:
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
        write_atomic(Path(cache_dir) / SIGNATURE_FILE, lambda fh: np.savez(fh, **arrays))
    except OSError as err:  # a read-only cache costs time on the next run, never the run
        log.warning("%s: story signatures not saved (%s)", cache_dir, err)


def _signature_version() -> str:
    return f"v2 datasketch {_SCHEME} words={SHINGLE_WORDS} perm={NUM_PERM} seed={_SEED}"


def signatures(sets: Sequence[np.ndarray]) -> np.ndarray:
    """Return the MinHash signature of each shingle set: ``NUM_PERM`` values per set.

    The ``datasketch`` package computes them (its permutations from ``_SEED``, so signatures
    are the same in every run), from the low 32 bits of each shingle hash. Two sets agree in
    one position with probability their Jaccard overlap. (Empty bodies are never indexed.)

    >>> s = signatures([shingles("a b c d e f g"), shingles("a b c d e f g")])
    >>> s.shape, bool((s[0] == s[1]).all())
    ((2, 128), True)
    """
    ds = _datasketch()
    sketches = ds.MinHash.bulk([s & _MASK32 for s in sets], num_perm=NUM_PERM, seed=_SEED,
                               hashfunc=int, scheme=_SCHEME)
    return np.array([m.hashvalues for m in sketches], dtype=np.uint64).reshape(len(sets),
                                                                                 NUM_PERM)


def _datasketch() -> Any:
    """Return the ``datasketch`` package (imported on first use: it brings scipy, which
    loading articles without grouping them never needs)."""
    import datasketch

    return datasketch


def _candidates(sigs: np.ndarray, indexed: np.ndarray) -> set[tuple[int, int]]:
    """Return the pairs (i < j) of rows in ``indexed`` whose signatures agree on all
    ``LSH_ROWS`` values of at least one of ``LSH_BANDS`` bands (datasketch's ``MinHashLSH``;
    probability ``1 - (1 - J**ROWS)**BANDS`` at Jaccard overlap J)."""
    found: set[tuple[int, int]] = set()
    if len(indexed) < 2:
        return found
    ds = _datasketch()
    lsh = ds.MinHashLSH(num_perm=NUM_PERM, params=(LSH_BANDS, LSH_ROWS))
    sketches = {int(i): ds.LeanMinHash(seed=_SEED, hashvalues=sigs[i], scheme=_SCHEME)
                for i in indexed}
    with lsh.insertion_session() as session:
        for i, sketch in sketches.items():
            session.insert(i, sketch, check_duplication=False)
    for i, sketch in sketches.items():
        found.update((j, i) for j in lsh.query(sketch) if j < i)
    return found


def story_groups(articles: Sequence[Article], *,
                 cache_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """Return one row per article, in the order given: article_id, story_id, copy_of.

    ``cache_dir`` keeps the MinHash signatures between runs (see :func:`copy_pairs`); the
    result is the same with or without it.

    ``story_id`` is the smallest article_id of the article's story (its own id when it has no
    copy); ``copy_of`` is "" for the story's representative (earliest ``published``, undated
    last, then smallest id) and the representative's id for every other copy.

    >>> story_groups([]).columns.tolist()
    ['article_id', 'story_id', 'copy_of']
    """
    articles = list(articles)
    ids = [a.article_id for a in articles]
    parent = {i: i for i in ids}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in copy_pairs(articles, cache_dir=cache_dir):
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    members: dict[str, list[Article]] = {}
    for article in articles:
        members.setdefault(root(article.article_id), []).append(article)
    story, copy_of = {}, {}
    for group in members.values():
        first = min(group, key=lambda a: (a.published == "", a.published, a.article_id))
        smallest = min(a.article_id for a in group)
        for a in group:
            story[a.article_id] = smallest
            copy_of[a.article_id] = "" if a.article_id == first.article_id else first.article_id
    return pd.DataFrame({"article_id": ids, "story_id": [story[i] for i in ids],
                         "copy_of": [copy_of[i] for i in ids]},
                        columns=["article_id", *STORY_COLUMNS], dtype=object)
