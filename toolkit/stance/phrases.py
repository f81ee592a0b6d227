"""Tokens and codebook phrases: the matcher every lexicon rule uses."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# "doesn't" -> does + n't ; "China's" -> china + 's ; "cease-fire", "12-point", "U.S" stay whole
_TOKEN_RE = re.compile(
    r"[^\W_]+(?=n't\b)|n't\b|[^\W_]+(?:[-.][^\W_]+)*|'s\b|[^\w\s]", re.UNICODE
)
_CLAUSE_BREAK = frozenset(",;:.!?()—–[]") | {"but", "while", "although", "though", "whereas"}
_SENTENCE_BREAK = frozenset(";.!?") | {"but"}
_GAP = "..."


# quotation marks are neither words nor clause boundaries: dropping them keeps windows and gaps
# counting words ("blamed the crisis on "NATO expansion"" is blame + 3 words + NATO)
_QUOTE_MARKS = frozenset({'"', "'", "“", "”", "«", "»", "„"})


def _tokens(text: str) -> list[tuple[str, int, int]]:
    """Return ``(lowercased token, start, end)`` for each word or punctuation mark of ``text``
    (quotation marks left out)."""
    norm = text.replace("’", "'").replace("‘", "'")  # same length: offsets stay valid
    return [
        (m.group().lower(), m.start(), m.end()) for m in _TOKEN_RE.finditer(norm)
        if m.group() not in _QUOTE_MARKS
    ]


@dataclass(frozen=True)
class Phrase:
    """A codebook phrase compiled to word patterns: ``(word, is_prefix)`` or the gap marker."""

    text: str
    pattern: tuple[tuple[str, bool], ...]
    weight: float = 1.0


def _compile(text: str, weight: float = 1.0) -> Phrase:
    parts: list[tuple[str, bool]] = []
    for chunk in text.split():
        if chunk == _GAP:
            parts.append((_GAP, False))
            continue
        prefix = chunk.endswith("*")
        words = [t for t, _, _ in _tokens(chunk.rstrip("*"))]
        parts.extend((w, False) for w in words[:-1])
        if words:
            parts.append((words[-1], prefix))
    return Phrase(text=text, pattern=tuple(parts), weight=float(weight))


def _match_at(pattern: Sequence[tuple[str, bool]], toks: Sequence[str], i: int, gap: int) -> int:
    """Return the end index of ``pattern`` matched at token ``i`` (or -1)."""
    if sum(word == _GAP for word, _ in pattern) > 1:
        return _match_gaps(pattern, toks, i, gap)
    return _match_plain(pattern, toks, i, gap)


def _match_gaps(pattern: Sequence[tuple[str, bool]], toks: Sequence[str], i: int, gap: int) -> int:
    """Return what ``_match_plain`` returns, trying each (pattern word, token) pair once: with
    several ``...`` gaps the plain search retries the same tails exponentially often (12 gaps of
    60 words took minutes on one sentence); remembered, it is pattern length x gap x span."""
    memo: dict[tuple[int, int], int] = {}

    def at(k: int, i: int) -> int:
        if k == len(pattern):
            return i
        if (k, i) in memo:
            return memo[k, i]
        word, prefix = pattern[k]
        end = -1
        if word == _GAP:
            for skip in range(gap + 1):
                j = i + skip
                if skip and (j - 1 >= len(toks) or toks[j - 1] in _CLAUSE_BREAK):
                    break
                end = at(k + 1, j)
                if end >= 0:
                    break
        elif i < len(toks) and (toks[i] == word or (prefix and toks[i].startswith(word))):
            end = at(k + 1, i + 1)
        memo[k, i] = end
        return end

    return at(0, i)


def _match_plain(pattern: Sequence[tuple[str, bool]], toks: Sequence[str], i: int,
                 gap: int) -> int:
    if not pattern:
        return i
    word, prefix = pattern[0]
    if word == _GAP:
        for skip in range(gap + 1):
            j = i + skip
            if skip and (j - 1 >= len(toks) or toks[j - 1] in _CLAUSE_BREAK):
                break
            end = _match_plain(pattern[1:], toks, j, gap)
            if end >= 0:
                return end
        return -1
    if i >= len(toks):
        return -1
    tok = toks[i]
    if tok == word or (prefix and tok.startswith(word)):
        return _match_plain(pattern[1:], toks, i + 1, gap)
    return -1


_PREFIX_KEY = 3  # a prefix word ("mediat*") is indexed by its first letters


class _PhraseIndex:
    """The phrases of one list by the word they start with, so that ``_find`` tries at each
    token only the phrases that can start there (a codebook has hundreds of phrases)."""

    def __init__(self, phrases: Sequence[Phrase]) -> None:
        self.phrases = phrases  # kept so the id the index is cached under stays taken
        self.exact: dict[str, list[tuple[int, Phrase]]] = {}
        self.prefix: dict[str, list[tuple[int, Phrase]]] = {}
        self.anywhere: list[tuple[int, Phrase]] = []  # a gap first, or a short prefix
        for order, phrase in enumerate(phrases):
            if not phrase.pattern:
                continue  # matches nothing
            word, is_prefix = phrase.pattern[0]
            if word == _GAP or (is_prefix and len(word) < _PREFIX_KEY):
                self.anywhere.append((order, phrase))
            elif is_prefix:
                self.prefix.setdefault(word[:_PREFIX_KEY], []).append((order, phrase))
            else:
                self.exact.setdefault(word, []).append((order, phrase))

    def starting_at(self, tok: str) -> list[tuple[int, Phrase]]:
        return [*self.exact.get(tok, ()), *self.prefix.get(tok[:_PREFIX_KEY], ()), *self.anywhere]


_INDEXES: dict[int, _PhraseIndex] = {}


def _index(phrases: Sequence[Phrase]) -> _PhraseIndex:
    """Return the index of ``phrases``: built once for a codebook's tuples, each time for a
    list made on the fly (which caching by id would keep alive forever)."""
    if not isinstance(phrases, tuple):
        return _PhraseIndex(phrases)
    index = _INDEXES.get(id(phrases))
    if index is None or index.phrases is not phrases:
        index = _INDEXES[id(phrases)] = _PhraseIndex(phrases)
    return index


def _find(
    phrases: Sequence[Phrase], toks: Sequence[str], gap: int
) -> list[tuple[int, int, Phrase]]:
    """Return ``(start, end, phrase)`` for every match, in phrase order, then position."""
    index = _index(phrases)
    found = []
    for i, tok in enumerate(toks):
        for order, phrase in index.starting_at(tok):
            end = _match_at(phrase.pattern, toks, i, gap)
            if end > i:
                found.append((order, i, end, phrase))
    found.sort(key=lambda f: (f[0], f[1]))
    return [(i, end, phrase) for _, i, end, phrase in found]


# a sentence ends at . ! ? (plus closing quotes) before a capital, except after an initial
# ("S. Rajaratnam") or a title ("Mr."); blank lines always end one
_SENT_RE = re.compile(
    r"(?<=[.!?])(?<!\s[A-Z]\.)(?<!^[A-Z]\.)(?<!Mr\.)(?<!Ms\.)(?<!Dr\.)(?<!St\.)"
    r"[\"”’)]*\s+(?=[\"“‘(]?[A-Z0-9])|\n\s*\n"
)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return ``(start, end)`` of the sentences of ``text`` by a light rule (no model).

    Used to find a labelled span's context where no spaCy parse is at hand.

    >>> split_sentences("One here. Two there.\\n\\nThree.")
    [(0, 9), (10, 20), (22, 28)]
    """
    out, pos = [], 0
    for m in _SENT_RE.finditer(text):
        seg = text[pos : m.start()]
        if seg.strip():
            lead = len(seg) - len(seg.lstrip())
            out.append((pos + lead, pos + len(seg.rstrip())))
        pos = m.end()
    seg = text[pos:]
    if seg.strip():
        lead = len(seg) - len(seg.lstrip())
        out.append((pos + lead, pos + len(seg.rstrip())))
    return out
