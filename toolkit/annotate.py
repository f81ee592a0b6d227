"""Annotate articles: one spaCy parse per article, every layer read from it, tables out.

``annotate(articles) -> Corpus``; the Corpus holds one pandas DataFrame per layer. Annotators are
pure functions of a parsed article (``toolkit.extract``); this module only orchestrates them,
streams articles through spaCy (no Doc is kept after its article is done) and assembles tables.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd

from .article import Article
from .io import TableFormat, write_datasets, write_table
from .nlp import Parsed, parse
from .records import Amount, Mention, Quote
from .tables import articles_frame, removed_frame

log = logging.getLogger(__name__)

SENTENCE_COLUMNS = ["article_id", "sentence_id", "paragraph", "start", "end", "text",
                    "polarity", "subjectivity"]
PROBLEM_COLUMNS = ["article_id", "stage", "error"]
TABLES = ("articles", "sentences", "entities", "quotes", "amounts", "removed", "problems")


def _columns(record_type: type) -> list[str]:
    return [f.name for f in dataclasses.fields(record_type)]


ENTITY_COLUMNS = _columns(Mention)
QUOTE_COLUMNS = _columns(Quote)
AMOUNT_COLUMNS = _columns(Amount)
LAYERS = ("sentences", "entities", "quotes", "amounts")
LAYER_COLUMNS = {"sentences": SENTENCE_COLUMNS, "entities": ENTITY_COLUMNS,
                 "quotes": QUOTE_COLUMNS, "amounts": AMOUNT_COLUMNS}
_FLOAT_COLUMNS = frozenset({"polarity", "subjectivity", "value"})
# What each integer column numbers within its article: an article over
# toolkit.nlp.WINDOW_CHARS is annotated window by window, and each window's records are moved
# into the whole article by what precedes the window (-1, "none", stays as it is).
POSITIONS = {"start": "chars", "end": "chars", "speaker_start": "chars", "speaker_end": "chars",
             "paragraph": "paragraphs", "sentence_id": "sentences",
             "quote_id": "quotes", "part_of": "quotes"}
_INT_COLUMNS = frozenset(POSITIONS)
# Articles per unit of work: enough paragraphs for spaCy to batch well, small enough to balance
# two workers and to stream results back.
CHUNK_ARTICLES = 8
Engine = Literal["local", "dask"]


@dataclass
class Corpus:
    """The annotation tables of a set of articles (one pandas DataFrame per layer).

    Every ``start``/``end`` pair indexes into the article's ``text``; ``stance`` is filled by
    ``toolkit.stance`` when a codebook is applied.
    """

    articles: pd.DataFrame
    sentences: pd.DataFrame
    entities: pd.DataFrame
    quotes: pd.DataFrame
    amounts: pd.DataFrame
    removed: pd.DataFrame
    problems: pd.DataFrame
    texts: dict[str, str] = field(default_factory=dict, repr=False)
    stance: pd.DataFrame | None = None

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return the tables by name (``stance`` included when it has been computed)."""
        out = {name: getattr(self, name) for name in TABLES}
        if self.stance is not None:
            out["stance"] = self.stance
        return out

    def save(
        self,
        out_dir: str | os.PathLike,
        *,
        fmt: TableFormat = "csv",
        partition_by_article: bool = False,
        scheduler: str | None = None,
    ) -> list[Path]:
        """Write every table into ``out_dir``, each atomically; return the files and folders.

        One file per table and format (``<name>.csv``, ``<name>.parquet``). With
        ``partition_by_article`` the Parquet output of each table is instead a dataset folder
        ``<name>/article=<name>/part-0.parquet`` (see ``toolkit.io``), written by the workers
        of the dask cluster at ``scheduler`` when one is given (``out_dir`` must then be a path
        every worker can write), else here. ``toolkit.read_table`` reads any layout back.
        """
        out_dir = Path(out_dir)
        tables = self.tables()
        datasets = partition_by_article and fmt in ("parquet", "both")
        single = ("csv" if fmt == "both" else None) if datasets else fmt
        written: list[Path] = []
        if single is not None:
            for name, table in tables.items():
                written += write_table(table, out_dir, name, fmt=single)
        if datasets:
            frames = {out_dir / name: table for name, table in tables.items()}
            if scheduler is not None:
                from .engine_dask import write_datasets_on_cluster

                written += write_datasets_on_cluster(frames, scheduler=scheduler)
            else:
                written += write_datasets(frames)
        return written


def annotate_parsed(parsed: Parsed, *, timings: dict[str, float] | None = None
                    ) -> dict[str, list]:
    """Return every layer's records for one parsed article (a pure function of the parse).

    With ``timings``, the seconds each layer took are added to it under the layer's name
    (``sentences`` includes TextBlob sentiment); ``benchmarks/annotate_speed.py --breakdown``
    reads them.
    """
    from .extract.amounts import extract_amounts
    from .extract.entities import extract_entities
    from .extract.quotes import extract_quotes
    from .extract.sentiment import sentiment

    article = parsed.article
    clock = _Clock(timings)
    sentences = []
    for s in parsed.sentences:
        text = article.text[s.start:s.end]
        polarity, subjectivity = sentiment(text)
        sentences.append((article.article_id, s.sentence_id, s.paragraph, s.start, s.end, text,
                          polarity, subjectivity))
    clock.lap("sentences")
    mentions = extract_entities(parsed)
    clock.lap("entities")
    quotes = extract_quotes(parsed, mentions)
    clock.lap("quotes")
    amounts = extract_amounts(parsed, mentions)
    clock.lap("amounts")
    return {"sentences": sentences, "entities": mentions, "quotes": quotes, "amounts": amounts}


class _Clock:
    """Adds the seconds since the previous lap to ``timings[name]``; does nothing without one."""

    def __init__(self, timings: dict[str, float] | None) -> None:
        import time

        self.timings, self.now = timings, time.perf_counter
        self.last = self.now() if timings is not None else 0.0

    def lap(self, name: str) -> None:
        if self.timings is not None:
            now = self.now()
            self.timings[name] = self.timings.get(name, 0.0) + now - self.last
            self.last = now


def resolve_across_articles(
    entities: pd.DataFrame, quotes: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the tables with one-word person names an article never introduced resolved to
    the one full name in the corpus that fits ("Biden" -> "Joe Biden"); see
    ``toolkit.extract.entities.corpus_short_forms``. Ambiguous short forms stay as they are."""
    from .extract.entities import corpus_short_forms

    people = entities["kind"] == "person"
    mapping = corpus_short_forms(entities.loc[people, "canonical"])
    if not mapping:
        return entities, quotes
    entities, quotes = entities.copy(), quotes.copy()
    hit = people & entities["canonical"].isin(mapping) & (entities["how"] != "ambiguous")
    entities.loc[hit, "canonical"] = entities.loc[hit, "canonical"].map(mapping)
    entities.loc[hit, "how"] = "corpus short-form"
    quotes["speaker"] = quotes["speaker"].map(lambda s: mapping.get(s, s))
    return entities, quotes


def annotate(
    articles: Iterable[Article],
    *,
    workers: int = 1,
    progress: bool = True,
    cache_dir: str | os.PathLike | None = None,
    engine: Engine = "local",
    scheduler: str | None = None,
) -> Corpus:
    """Return the annotation tables of ``articles`` (spaCy runs once per article).

    ``workers > 1`` annotates in that many processes (one spaCy model each; only records come
    back, never Docs). With ``cache_dir`` only articles not annotated before by the same
    pipeline are annotated; the others are read from the cache (``toolkit.cache``).
    ``engine="dask"`` runs on a dask.distributed cluster (``scheduler`` address, or a local
    cluster of ``workers`` processes when None). Tables are sorted by article_id, so they are
    the same whatever the input order, the worker count or the engine. One article whose
    annotation fails does not stop the run: it is listed in ``Corpus.problems`` with the error.
    """
    articles = sorted(articles, key=lambda a: a.article_id)
    keys = {}
    cache = None
    cached: dict[str, pd.DataFrame | None] = {}
    todo = articles
    if cache_dir is not None:
        from .cache import KEY_COLUMN as KEY
        from .cache import AnnotationCache, cache_key

        fingerprint = pipeline_fingerprint()
        keys = {a.article_id: cache_key(a.content_hash, a.published, fingerprint)
                for a in articles}
        cache = AnnotationCache(cache_dir, fingerprint=fingerprint, layers=LAYERS)
        cached, found = cache.load(set(keys.values()))
        todo = [a for a in articles if keys[a.article_id] not in found]
        log.info("annotation cache %s: %d of %d article(s) cached", cache_dir,
                 len(articles) - len(todo), len(articles))

    chunks = [todo[i:i + CHUNK_ARTICLES] for i in range(0, len(todo), CHUNK_ARTICLES)]
    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in LAYERS}
    problems: list[tuple[str, str, str]] = []
    if engine == "dask":
        from .engine_dask import run_chunks
        results = run_chunks(chunks, scheduler=scheduler, workers=workers)
    elif engine == "local":
        results = _run_local(chunks, workers=workers)
    else:
        raise ValueError(f"engine must be 'local' or 'dask', not {engine!r}")
    # closed on the way out too: an interrupted bar is not drawn again after the message
    with _progress(total=len(todo), enabled=progress) as bar:
        for result in results:
            for name in LAYERS:
                parts[name].append(result.frames[name])
            problems += result.problems
            bar.update(result.n_articles)
    new = {name: _concat(parts[name], name) for name in LAYERS}

    if cache is not None:
        failed = {p[0] for p in problems}
        first: dict[str, str] = {}  # key -> the one article whose rows are stored under it
        for a in todo:
            if a.article_id not in failed:
                first.setdefault(keys[a.article_id], a.article_id)
        stored = set(first.values())
        cache.add(list(first), {
            name: frame[frame["article_id"].isin(stored)].assign(
                **{KEY: lambda f: f["article_id"].map(keys)}) for name, frame in new.items()
        })
        # cached rows carry the id the article had when cached: give them today's id(s)
        ids = pd.DataFrame({"article_id": list(keys), KEY: list(keys.values())})
        for name in LAYERS:
            old = cached.get(name)
            if old is not None and len(old):
                old = old.drop(columns=["article_id"]).merge(ids, on=KEY, how="inner")
                new[name] = _concat([old, new[name]], name)

    new["entities"], new["quotes"] = resolve_across_articles(new["entities"], new["quotes"])
    return Corpus(
        articles=articles_frame(articles, stories_cache=cache_dir),
        sentences=_sorted(new["sentences"]),
        entities=_sorted(new["entities"]),
        quotes=_sorted(new["quotes"]),
        amounts=_sorted(new["amounts"]),
        removed=removed_frame(articles),
        problems=pd.DataFrame(sorted(problems), columns=PROBLEM_COLUMNS),
        texts={a.article_id: a.text for a in articles},
    )


@dataclass
class ChunkResult:
    """The layer tables of a few articles, as a worker sends them back (records, no Docs)."""

    n_articles: int
    frames: dict[str, pd.DataFrame]
    problems: list[tuple[str, str, str]]


def annotate_chunk(articles: list[Article]) -> ChunkResult:
    """Return the layer tables of ``articles``: parse them together, annotate each.

    This is the unit of work of every engine (in-process, process pool, dask worker). If spaCy
    fails on the chunk, each article is tried alone so that one bad article is isolated. An
    article over ``toolkit.nlp.WINDOW_CHARS`` is annotated window by window, each window's
    parse freed before the next is parsed.
    """
    rows: dict[str, list] = {name: [] for name in LAYERS}
    problems: list[tuple[str, str, str]] = []
    try:
        article = None
        for parsed in parse(articles):
            if parsed.window == 0:
                if article is not None:
                    article.add_to(rows)
                article = _ArticleRows()
            article.annotate(parsed, problems)
            del parsed  # the next window is parsed without this one's parse alive
        if article is not None:
            article.add_to(rows)
    except Exception as err:  # spaCy itself failed: isolate the article that caused it
        if len(articles) == 1:
            problems.append((articles[0].article_id, "parse", repr(err)))
        else:
            parts = [annotate_chunk([a]) for a in articles]
            return ChunkResult(
                n_articles=len(articles),
                frames={n: _concat([p.frames[n] for p in parts], n) for n in LAYERS},
                problems=[x for p in parts for x in p.problems],
            )
    frames = {name: pd.DataFrame(rows[name], columns=LAYER_COLUMNS[name]) for name in LAYERS}
    return ChunkResult(n_articles=len(articles), frames=frames, problems=problems)


class _ArticleRows:
    """One article's rows, gathered window by window and moved into the whole article's offsets
    and numbering (``POSITIONS``); none if a window failed (the article is then a problem)."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple]] = {name: [] for name in LAYERS}
        self.failed = False
        self.sentences = self.quotes = 0  # how many the windows so far had

    def annotate(self, parsed: Parsed, problems: list) -> None:
        if self.failed:
            return
        try:
            layers = annotate_parsed(parsed)
        except Exception as err:  # one bad article never sinks the run; it is reported
            log.warning("annotation failed for %s: %r", parsed.article.article_id, err)
            problems.append((parsed.article.article_id, "annotate", repr(err)))
            self.failed = True
            return
        by = {"chars": parsed.start, "paragraphs": parsed.paragraph,
              "sentences": self.sentences, "quotes": self.quotes}
        for name, records in layers.items():
            self.rows[name] += _moved(_as_rows(records, LAYER_COLUMNS[name]),
                                      LAYER_COLUMNS[name], by)
        self.sentences += len(parsed.sentences)
        self.quotes += len(layers["quotes"])

    def add_to(self, rows: dict[str, list]) -> None:
        if not self.failed:
            for name, records in self.rows.items():
                rows[name] += records


def _as_rows(records: list, columns: list[str]) -> list[tuple]:
    """Return records as row tuples in ``columns`` order (the sentence layer's already are)."""
    if not records or isinstance(records[0], tuple):
        return records
    # dataclasses.astuple deep-copies every value; reading the fields is several times faster
    return [tuple(getattr(r, c) for c in columns) for r in records]


def _moved(rows: list[tuple], columns: list[str], by: dict[str, int]) -> list[tuple]:
    """Return ``rows`` with each position column (``POSITIONS``) moved by ``by`` of what it
    numbers; -1 (none) stays."""
    shifts = [(i, by[POSITIONS[c]]) for i, c in enumerate(columns)
              if c in POSITIONS and by[POSITIONS[c]]]
    if not shifts:
        return rows
    out = []
    for row in rows:
        moved = list(row)
        for i, k in shifts:
            if moved[i] >= 0:
                moved[i] += k
        out.append(tuple(moved))
    return out


def _run_local(chunks: list[list[Article]], *, workers: int) -> Iterator[ChunkResult]:
    """Yield the result of each chunk, annotated here or in a pool of ``workers`` processes."""
    if workers <= 1 or len(chunks) <= 1:
        for chunk in chunks:
            yield annotate_chunk(chunk)
        return
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    # At most a few chunks in flight per worker: results stream back, memory stays flat.
    pool = ProcessPoolExecutor(max_workers=min(workers, len(chunks)), initializer=_start_worker)
    try:
        pending = iter(chunks)
        running = set()
        for chunk in pending:
            running.add(pool.submit(annotate_chunk, chunk))
            if len(running) >= 3 * workers:
                done, running = wait(running, return_when=FIRST_COMPLETED)
                yield from (f.result() for f in done)
        while running:
            done, running = wait(running, return_when=FIRST_COMPLETED)
            yield from (f.result() for f in done)
    except BaseException:  # Ctrl-C, an error, the caller gone: stop now, not after the queue
        _stop_workers(pool)
        raise
    pool.shutdown()


def _start_worker() -> None:
    """Set up a worker process: Ctrl-C is the parent's to answer, and the model is loaded once
    here (not inside the first chunk).

    A terminal sends Ctrl-C's SIGINT to every process of the job; a worker that took it would
    die with a traceback of its own before the parent's message. The parent stops the workers
    (``_stop_workers``) when it is interrupted.
    """
    import signal

    from .nlp import load_model

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    load_model()


def _stop_workers(pool) -> None:
    """Cancel the chunks not started and end the pool's worker processes at once."""
    pool.shutdown(wait=False, cancel_futures=True)
    # Python 3.14 has terminate_workers(); before it, the processes are only in _processes
    terminate = getattr(pool, "terminate_workers", None)
    if terminate is not None:
        terminate()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()


@functools.cache
def pipeline_fingerprint() -> str:
    """Return a hash of everything that decides annotation output: PIPELINE_VERSION, spaCy and
    the model, and the source of every layer and of the data tables they read.

    Editing a layer's code or a table in toolkit/data therefore invalidates the cache; the stance
    codebooks are left out (stance is recomputed from the tables on every run).
    """
    import hashlib
    import importlib.metadata

    from .nlp import PIPELINE_VERSION, model_name
    from .paths import DATA_DIR

    # from package metadata, so that a run whose articles are all cached loads no model at all
    spacy_version = importlib.metadata.version("spacy")
    digest = hashlib.sha256(f"{PIPELINE_VERSION}\x00{spacy_version}\x00{model_name()}"
                            .encode())
    here = Path(__file__).resolve().parent
    sources = [here / "annotate.py", here / "nlp.py", here / "article.py", here / "records.py",
               *sorted((here / "extract").glob("*.py")),
               *sorted(p for p in Path(DATA_DIR).glob("*") if p.is_file())]
    for path in sources:
        digest.update(path.name.encode() + b"\x00" + path.read_bytes())
    return digest.hexdigest()[:16]


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    """Return ``df`` with the same dtypes whether it was built here, read back from the Parquet
    cache, or is empty (so tables compare equal whatever path they took)."""
    for column in df.columns:
        if column == "year":
            df[column] = df[column].astype("Int64")
        elif column in _FLOAT_COLUMNS:
            df[column] = df[column].astype("float64")
        elif column in _INT_COLUMNS:
            df[column] = df[column].astype("int64")
        else:
            df[column] = df[column].astype(object)
    return df


def _concat(frames: list[pd.DataFrame], layer: str) -> pd.DataFrame:
    columns = LAYER_COLUMNS[layer]
    frames = [f for f in frames if len(f)]
    if not frames:
        return _typed(pd.DataFrame([], columns=columns))
    return _typed(pd.concat(frames, ignore_index=True)[columns])


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    """Return ``df`` ordered by article_id; within an article the layer's own order is kept
    (the sort is stable, and an article's rows always come from one worker or one segment)."""
    return df.sort_values("article_id", kind="stable").reset_index(drop=True)


def _progress(*, total: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="annotating", unit="article", disable=not enabled or total < 2)
