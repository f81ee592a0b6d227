"""Stance coding from a codebook: who judges a target how, with the words that decided it.

The method is the content analyst's, made explicit: a codebook (TOML, in
``toolkit/data/codebooks/``) says how to recognise text about a target and which cue words count
for and against it; every call carries its evidence, and a hand-coding sheet measures agreement
with human coders (Cohen's kappa). No model downloads, every decision traceable.

Codebook schema (every table and key; unknown ones are an error so typos do not pass silently)::

    [target]      name (str, required), label (str), description (str)
    [relevance]   actor (list of phrases, required), topic (list of phrases, required),
                  actor_entities (list of canonical entity names that count as an actor mention),
                  not_actor (list of phrases in which an actor word is not the actor: "Chinese
                  exports", "Beijing Olympics"),
                  other_actors (list of phrases naming other parties whose own version of the
                  topic is off target: "India" in "India called for a ceasefire"),
                  rule = "unit" | "unit+context" (default "unit+context"),
                  context_sentences (int, default 2: how many sentences before the unit)
    [scoring]     threshold (0.5), negation_window (4), reversal_window (8), hedge_window (10),
                  gap (3)
    [favor]       "phrase" = weight      cues presenting the target favourably (required)
    [against]     "phrase" = weight      cues presenting it unfavourably (required)
    [hedges]      "phrase" = factor      0 < factor <= 1, scales cues after it in the clause
    [aspirations] "phrase" = factor      like hedges, but scale only cues that end up favourable
    [reversers]   "phrase" = weight      deny / contradict / doubt ...: flip the next cue; one
                                         with a weight flips the cue before it when nothing
                                         follows, else counts as a cue of that weight
    [lists]       negators = [...], affirmers = [...]

A *phrase* is a sequence of words matched case-insensitively on word tokens ("doesn't" is
``does`` + ``n't``, "China's" is ``china`` + ``'s``); ``word*`` matches any word beginning with
``word``; a ``...`` word skips 0 to ``gap`` words; quotation marks are not words. Where phrases
overlap, the longest wins ("help Russia" is an against cue, "help" alone a favor cue).

About the target (rule "unit"): an actor term and a topic term both occur in the unit. An actor
word inside a ``not_actor`` phrase does not count ("Chinese exports"). Rule "unit+context" also
accepts, with the context = the ``context_sentences`` sentences before the unit (for a quote,
also the sentence it sits in):

- a topic term in the unit and an actor by reference: a short form of a multi-word actor named
  in the context ("Hua" after "Hua Chunying"), or a unit opening with a pronoun ("He may try to
  end the war") right after a sentence naming an actor;
- a topic term in the unit, an actor in the sentence before, and a word in the unit that can
  point back to it (its, he, his, we, non-expletive "it", "the country", "the plan" ...): "It is
  not in their interest to take sides" after a sentence naming Beijing is about somebody else;
- an actor term in the unit and a context sentence that is itself about the target (actor and
  topic): the paragraph is still discussing the target. Such a unit counts only when it takes a
  side (a cue decides it): a unit that names neither the topic nor judges it is not part of the
  argument ("Xi also discussed trade" after a sentence on mediation).

A topic word written as part of a name is not a topic ("Carnegie Endowment for International
Peace"): every matched word capitalised and not the first word of the unit. A topic word owned by
another party is not the actor's (other parties' mediation or neutrality is off target): one
right after another named party's possessive ("Russia's envoy to Beijing"); one whose clause
names an ``other_actors`` party and no actor; or, when its clause names no party, one nearest to
an ``other_actors`` party ("despite its insistence on neutrality, South Africa hosted ... China").
A comparison shares the predicate ("Like China, Belarus is ready to mediate" counts).

Scoring, the rules in order (all general, none keyed to a sentence):

1. *Double negation is affirmation.* A negator followed within ``negation_window`` words (same
   clause) by another negator or by a reverser cancels it and is used up: "hardly contradicts
   the narrative that Beijing endorses Moscow" keeps "endorses Moscow" as an against cue;
   "not without merit" is not negated. Affirmers ("no doubt", "nothing more than") are not
   negators. Coordinated negators ("has not and will not profit") are one negation, said twice.
2. *Negation flips.* A cue is flipped once for every active negator within ``negation_window``
   words before it, and once if any active reverser is within ``reversal_window`` words before
   it (stacked reversers do not cancel: "doubts about its supposed neutrality" stays against),
   with no clause boundary (, ; : . ! ? — ( ) but while although though whereas) in between:
   "doesn't help" is against, "doubts about China's neutrality" is against.
3. *A judging reverser looks back* when nothing follows it to flip: "its neutrality is in
   doubt", "China's credibility has been undermined" flip the nearest favor cue before them in
   the same clause; otherwise it counts as a cue of its own weight ("doubts over the plan", "its
   claimed neutrality has been questioned" = two against cues).
4. *Hedges scale down* every cue within ``hedge_window`` words after them (sentence part, not
   crossing ; . ! ? or "but"): "may", "reportedly"; and aspiration words, because an intention is
   weak evidence of the deed ("China's intention of playing an active role"). Aspiration words
   and demands ("seeks to", "portrays itself as", "pressing China to") scale only cues that end
   up favourable: an intention or a request is not an achievement, while imputing a bad
   intention ("seeking to exploit the crisis") or doubting a claim ("its claimed neutrality has
   been questioned") is already the judgement. Hedges and aspirations may overlap a cue
   ("pressing Putin to talk": the cue "pressing Putin" stands).
5. *The main clause decides.* Cues in a leading concessive clause ("Though the document made no
   criticism of Russia, ...") or before a contrastive "but" count half (``SUBORDINATE_FACTOR``)
   when the main clause has cues of its own; alone they count in full.
6. *Reported self-praise is a claim* (narration only): a favor cue in the same sentence part as
   a reporting verb whose speaker is an actor ("China said it was impartial", "..., said Wang
   Wenbin") is scaled by ``SELF_REPORT_FACTOR``: the narrator reports the actor's words, it does
   not judge (rule 1 of the hand coding). A quote is its speaker's own voice and is not scaled;
   a third party's judgement ("analysts said China is a credible broker") is not scaled; an
   against cue in the actor's own words ("Hua blamed the crisis on NATO") stands.
7. score = sum of sign x weight x factors; favor if score >= threshold, against if
   score <= -threshold, else neutral (also when no cue at all).

>>> cb = load_codebook("china_mediation")
>>> call = code_text("The visit doesn't help China's bid to mediate.", codebook=cb)
>>> (call.relevant, call.stance, call.evidence)
(True, 'against', 'NOT help')
>>> code_text("Beijing is a credible mediator.", codebook=cb).stance
'favor'
>>> code_text("Beijing hosted the Belarusian leader.", codebook=cb).relevant
False
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from .errors import CodebookError
from .paths import CODEBOOK_DIR, DEFAULT_CODEBOOK

__all__ = [
    "Codebook",
    "StanceCall",
    "apply_human",
    "cohen_kappa",
    "code_text",
    "evaluate_stance",
    "load_codebook",
    "label_agreement",
    "score_spans",
    "split_sentences",
    "stance",
    "stance_agreement",
    "stance_by",
    "stance_sheet",
]

StanceLabel = Literal["favor", "against", "neutral"]
LABELS = ("favor", "against", "neutral", "none")  # "none": not about the target (sheets only)
STANCE_COLUMNS = [
    "article_id", "unit", "unit_id", "speaker", "target", "stance", "score", "evidence",
    "polarity", "text", "start", "end",
]
SHEET_COLUMNS = [
    "unit_key", "article_id", "unit", "unit_id", "speaker", "text", "context", "machine", "human",
]

# ---------------------------------------------------------------------------------------------
# tokens and phrases

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


# ---------------------------------------------------------------------------------------------
# the codebook


@dataclass(frozen=True)
class Codebook:
    """A stance target: how to recognise text about it, and the cues that code it."""

    name: str
    label: str
    description: str
    path: str
    actor: tuple[Phrase, ...]
    topic: tuple[Phrase, ...]
    actor_entities: tuple[str, ...]
    rule: Literal["unit", "unit+context"]
    context_sentences: int
    threshold: float
    negation_window: int
    reversal_window: int
    hedge_window: int
    gap: int
    favor: tuple[Phrase, ...]
    against: tuple[Phrase, ...]
    hedges: tuple[Phrase, ...]
    aspirations: tuple[Phrase, ...]
    reversers: tuple[Phrase, ...]
    negators: tuple[Phrase, ...]
    affirmers: tuple[Phrase, ...]
    not_actor: tuple[Phrase, ...] = ()
    other_actors: tuple[Phrase, ...] = ()


_SCHEMA: dict[str, dict[str, type | tuple[type, ...]] | None] = {
    "target": {"name": str, "label": str, "description": str},
    "relevance": {
        "actor": list, "topic": list, "actor_entities": list, "not_actor": list, "rule": str,
        "context_sentences": int, "other_actors": list,
    },
    "scoring": {
        "threshold": (int, float), "negation_window": int, "reversal_window": int,
        "hedge_window": int, "gap": int,
    },
    "favor": None,  # None: free keys (phrases) with numeric values
    "against": None,
    "hedges": None,
    "aspirations": None,
    "reversers": None,
    "lists": {"negators": list, "affirmers": list},
}
# The scoring numbers a codebook may set, each in the range where it means something (NaN, a
# negative window or a gap of hundreds of words would code every unit alike or never finish).
_BOUNDS: dict[str, tuple[float, float]] = {
    "threshold": (0.0, 1000.0), "negation_window": (0, 50), "reversal_window": (0, 50),
    "hedge_window": (0, 50), "gap": (0, 20), "context_sentences": (0, 20),
}
_MAX_GAPS = 4  # "..." gaps in one phrase
_REQUIRED = {"target": ("name",), "relevance": ("actor", "topic"), "favor": (), "against": ()}


def _resolve(name_or_path: str | Path) -> Path:
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.exists() or len(candidate.parts) > 1:
        return candidate
    return CODEBOOK_DIR / f"{name_or_path}.toml"


def load_codebook(name_or_path: str | Path = DEFAULT_CODEBOOK) -> Codebook:
    """Return the Codebook named (``toolkit/data/codebooks/NAME.toml``) or at a path.

    >>> load_codebook("western_sanctions").name
    'western_sanctions'
    >>> load_codebook("no_such_target")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    toolkit.errors.CodebookError: .../no_such_target.toml: no such codebook (...)
    """
    path = _resolve(name_or_path)
    return _load(str(path.resolve()) if path.exists() else str(path))


@functools.cache
def _load(path_str: str) -> Codebook:
    path = Path(path_str)
    if not path.exists():
        shipped = ", ".join(sorted(p.stem for p in CODEBOOK_DIR.glob("*.toml")))
        raise CodebookError(f"{path}: no such codebook (shipped: {shipped}; or give a path)")
    if not path.is_file():
        raise CodebookError(f"{path}: not a file: give a codebook's .toml file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CodebookError(f"{path}: not valid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise CodebookError(f"{path}: not UTF-8 (byte {exc.start}): re-save the codebook as "
                            "UTF-8") from None
    except OSError as exc:
        raise CodebookError(f"{path}: cannot read the codebook ({exc.strerror or exc})") from None

    def fail(where: str, problem: str) -> CodebookError:
        return CodebookError(f"{path}: [{where}]: {problem}")

    for table, keys in data.items():
        if table not in _SCHEMA:
            raise fail(table, f"unknown table (expected one of: {', '.join(_SCHEMA)})")
        if not isinstance(keys, dict):
            raise fail(table, "must be a table, e.g. [" + table + "]")
        spec = _SCHEMA[table]
        for key, value in keys.items():
            if spec is None:
                if not isinstance(value, int | float) or isinstance(value, bool) \
                        or not math.isfinite(value):
                    raise fail(table, f'"{key}" must have a number as weight, e.g. "{key}" = 1.0')
                if key.split().count(_GAP) > _MAX_GAPS:
                    raise fail(table, f'"{key}" has more than {_MAX_GAPS} "{_GAP}" gaps')
                if table in ("hedges", "aspirations") and not 0 < value <= 1:
                    raise fail(table, f'"{key}" = {value}: a hedge factor must be in (0, 1]')
                continue
            if key not in spec:
                raise fail(table, f"unknown key {key!r} (expected one of: {', '.join(spec)})")
            if not isinstance(value, spec[key]) or isinstance(value, bool):
                raise fail(table, f"{key} has the wrong type ({type(value).__name__})")
            if isinstance(value, list) and not all(isinstance(v, str) for v in value):
                raise fail(table, f"{key} must be a list of strings")
            if isinstance(value, list) and any(v.split().count(_GAP) > _MAX_GAPS for v in value):
                raise fail(table, f'{key}: a phrase has more than {_MAX_GAPS} "{_GAP}" gaps')
            if key in _BOUNDS:
                low, high = _BOUNDS[key]
                if not (isinstance(value, int | float) and low <= value <= high):  # not nan
                    raise fail(table, f"{key} = {value}: must be a number from {low} to {high}")
    for table, keys in _REQUIRED.items():
        if table not in data:
            raise fail(table, "missing table")
        for key in keys:
            if key not in data[table]:
                raise fail(table, f"missing key {key!r}")
    rel, sc, lists = data["relevance"], data.get("scoring", {}), data.get("lists", {})
    rule = rel.get("rule", "unit+context")
    if rule not in ("unit", "unit+context"):
        raise fail("relevance", f'rule = "{rule}" (expected "unit" or "unit+context")')
    if not rel["actor"] or not rel["topic"]:
        raise fail("relevance", "actor and topic need at least one phrase each")

    def table(name: str) -> tuple[Phrase, ...]:
        return tuple(_compile(k, v) for k, v in data.get(name, {}).items())

    target = data["target"]
    return Codebook(
        name=target["name"],
        label=target.get("label", target["name"]),
        description=target.get("description", "").strip(),
        path=str(path),
        actor=tuple(_compile(p) for p in rel["actor"]),
        topic=tuple(_compile(p) for p in rel["topic"]),
        actor_entities=tuple(rel.get("actor_entities", ())),
        rule=rule,
        context_sentences=rel.get("context_sentences", 2),
        threshold=float(sc.get("threshold", 0.5)),
        negation_window=sc.get("negation_window", 4),
        reversal_window=sc.get("reversal_window", 8),
        hedge_window=sc.get("hedge_window", 10),
        gap=sc.get("gap", 3),
        favor=table("favor"),
        against=table("against"),
        hedges=table("hedges"),
        aspirations=table("aspirations"),
        reversers=table("reversers"),
        negators=tuple(_compile(p) for p in lists.get("negators", ())),
        affirmers=tuple(_compile(p) for p in lists.get("affirmers", ())),
        not_actor=tuple(_compile(p) for p in rel.get("not_actor", ())),
        other_actors=tuple(_compile(p) for p in rel.get("other_actors", ())),
    )


def _codebook(codebook: Codebook | str | Path) -> Codebook:
    return codebook if isinstance(codebook, Codebook) else load_codebook(codebook)


# ---------------------------------------------------------------------------------------------
# coding one unit


@dataclass(frozen=True)
class StanceCall:
    """The stance of one unit of text toward a target, and why."""

    relevant: bool
    stance: StanceLabel
    score: float
    evidence: str
    actors: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    relevance: str = ""  # which relevance rule found the unit about the target ("" if none)


@dataclass
class _Hit:
    start: int
    end: int
    kind: str  # favor against hedge reverser negator affirmer
    phrase: Phrase
    active: bool = True
    used: bool = False


_PRIORITY = {
    "affirmer": 0, "negator": 1, "reverser": 2, "against": 3, "favor": 4, "hedge": 5,
    "aspiration": 6,
}


def _hits(toks: list[str], cb: Codebook) -> list[_Hit]:
    candidates = []
    for kind, phrases in (
        ("favor", cb.favor), ("against", cb.against), ("hedge", cb.hedges),
        ("aspiration", cb.aspirations),
        ("reverser", cb.reversers), ("negator", cb.negators), ("affirmer", cb.affirmers),
    ):
        candidates += [_Hit(s, e, kind, p) for s, e, p in _find(phrases, toks, cb.gap)]
    # longest match first; at equal length the operator wins over the cue it could be part of.
    # Hedges and aspirations only scale what follows them, so they are resolved among
    # themselves and may overlap a cue: in "pressing Putin to negotiate" the favor cue "pressing
    # Putin" and the demand "pressing ... to" (which scales what comes after) both stand
    candidates.sort(key=lambda h: (-(h.end - h.start), h.start, _PRIORITY[h.kind]))
    chosen = []
    for scaling in (False, True):
        taken = [False] * len(toks)
        for hit in candidates:
            if (hit.kind in ("hedge", "aspiration")) != scaling:
                continue
            if not any(taken[hit.start : hit.end]):
                chosen.append(hit)
                for i in range(hit.start, hit.end):
                    taken[i] = True
    return sorted(chosen, key=lambda h: h.start)


# a leading concessive clause ("Though the document made no criticism of Russia, ...") and the
# part before a contrastive "but" are subordinate: the main clause decides when it has cues
_CONCESSIVE = frozenset({"though", "although", "while", "whereas", "despite", "even"})
_CONCESSIVE_END = frozenset({",", "—", "–", "-", ";", ":"})
SUBORDINATE_FACTOR = 0.5


def _main_clause_start(toks: list[str], hits: Sequence[_Hit]) -> int:
    """Return the index of the first token of the unit's main clause (0 if the whole unit is).

    The main clause follows a contrastive "but" (not "but also", nor inside a phrase such as
    "anything but") or, when the unit opens with a concessive (though, although, while,
    whereas, despite, even though / even as / even if), the first comma or dash after it.
    """
    inside = {i for h in hits
              if h.kind in ("negator", "affirmer", "reverser") and h.end - h.start > 1
              for i in range(h.start, h.end)}
    start = 0
    for i, t in enumerate(toks):
        also = i + 1 < len(toks) and toks[i + 1] == "also"
        if t == "but" and i > 0 and i not in inside and not also:
            start = i + 1
    if start:
        return start
    if toks and toks[0] in _CONCESSIVE and (
        toks[0] != "even" or (len(toks) > 1 and toks[1] in ("though", "as", "if"))
    ):
        for i, t in enumerate(toks[1:], 1):
            if t in _CONCESSIVE_END:
                return i + 1
    return 0


def _reaches(toks: list[str], op: _Hit, target: _Hit, window: int, breaks: frozenset[str]) -> bool:
    """Return whether operator ``op`` scopes over ``target`` (after it, near, same clause)."""
    if target.start < op.end or target.start - op.start > window:
        return False
    return not any(t in breaks for t in toks[op.end : target.start])


def _term_spans(
    phrases: Sequence[Phrase], tok: list[tuple[str, int, int]], text: str, gap: int,
    *, names_too: bool, exclude: Sequence[Phrase] = (),
) -> list[tuple[int, int, Phrase]]:
    """Return ``(start, end, phrase)`` token spans of the phrases found; unless ``names_too``,
    not those written as part of a name; none that lies inside a match of an ``exclude``
    phrase."""
    toks = [t for t, _, _ in tok]
    blocked = {i for s, e, _ in _find(exclude, toks, gap) for i in range(s, e)}
    found = []
    for s, e, p in _find(phrases, toks, gap):
        if blocked and all(i in blocked for i in range(s, e)):
            continue  # "Chinese exports": the actor word names no actor here
        words = [text[a:b] for _, a, b in tok[s:e] if text[a:b][:1].isalpha()]
        if not names_too and s > 0 and words and all(w[:1].isupper() for w in words):
            continue  # "Carnegie Endowment for International Peace"
        found.append((s, e, p))
    return found


def _terms(
    phrases: Sequence[Phrase], tok: list[tuple[str, int, int]], text: str, gap: int,
    *, names_too: bool, exclude: Sequence[Phrase] = (),
) -> set[str]:
    """Return the phrases found (see ``_term_spans``)."""
    return {p.text for _, _, p in _term_spans(phrases, tok, text, gap, names_too=names_too,
                                               exclude=exclude)}


def _owner(
    tok: list[tuple[str, int, int]], text: str, s: int, e: int,
    parties: Sequence[tuple[int, int, bool]],
) -> bool | None:
    """Return who a topic term at tokens ``[s, e)`` belongs to: True the actor, False another
    party, None nobody named in the unit.

    In order: a possessive right before it ("Russia's envoy", "India's call for a ceasefire";
    up to two words between); the parties named in its own clause (any actor wins); the party
    named nearest to it in the unit ("despite its insistence on neutrality, South Africa
    hosted ..."). ``parties`` are ``(start, end, is_actor)`` token spans.
    """
    toks = [t for t, _, _ in tok]
    for j in range(s - 1, max(s - 4, 0), -1):
        if toks[j] in _CLAUSE_BREAK:
            break
        if toks[j] == "'s":
            for ps, pe, is_actor in parties:
                if ps <= j - 1 < pe:
                    return is_actor
            word = text[tok[j - 1][1] : tok[j - 1][2]]
            if word[:1].isupper():
                return False  # a named party that is not the actor owns it
            break
    outside = [(ps, pe, a) for ps, pe, a in parties if pe <= s or ps >= e]
    if not outside:
        return None
    lo, hi = s, e
    while lo > 0 and toks[lo - 1] not in _CLAUSE_BREAK:
        lo -= 1
    while hi < len(toks) and toks[hi] not in _CLAUSE_BREAK:
        hi += 1
    in_clause = [a for ps, pe, a in outside if ps >= lo and pe <= hi]
    if in_clause:
        return any(in_clause)
    distance = [(s - pe if pe <= s else ps - e, not a, a) for ps, pe, a in outside]
    return min(distance)[2]


def _topic_terms(
    tok: list[tuple[str, int, int]], text: str, cb: Codebook,
    names: set[str] | frozenset[str] = frozenset(),
) -> set[str]:
    """Return the topic terms of a unit that are the actor's: not part of a name ("Carnegie
    Endowment for International Peace") and not owned by another party ("Russia's envoy",
    "India called for a ceasefire": rule 2, other parties' mediation is off target)."""
    spans = _term_spans(cb.topic, tok, text, cb.gap, names_too=False)
    if not spans:
        return set()
    toks = [t for t, _, _ in tok]
    parties = [(s, e, True) for s, e, _ in _term_spans(
        cb.actor, tok, text, cb.gap, names_too=True, exclude=cb.not_actor)]
    parties += [(i, i + 1, True) for i, (t, a, b) in enumerate(tok)
                if t in names and text[a:b][:1].isupper()]
    if any(s > 0 and toks[s - 1] in ("like", "including") for s, _, _ in parties):
        # "But like China, Belarus is ready to mediate": a comparison shares the predicate
        return {p.text for _, _, p in spans}
    taken = {i for s, e, _ in parties for i in range(s, e)}
    parties += [(s, e, False) for s, e, _ in _find(cb.other_actors, toks, 0)
                if not any(i in taken for i in range(s, e))]
    return {p.text for s, e, p in spans if _owner(tok, text, s, e, parties) is not False}


_PRONOUNS = frozenset({"it", "its", "he", "his", "she", "her"})
# words that point back to an actor named before: pronouns (and "we"/"our" in a quote, where the
# speaker was named in the attribution) and definite descriptions of a state or its proposal
_BACK_REFERENCES = frozenset({"its", "he", "his", "him", "she", "her", "we", "our"})
_DEFINITE_BACK = frozenset({
    "country", "government", "leader", "leadership", "president", "plan", "proposal", "document",
    "paper", "initiative", "envoy", "side", "ministry", "administration", "nation",
})
_EXPLETIVE_NEXT = frozenset({"is", "was", "'s", "seems", "seemed", "appears", "appeared", "would",
                             "will", "remains", "may", "might", "could"})


def _anaphoric(tok: list[tuple[str, int, int]]) -> bool:
    """Return whether a sentence opens with a pronoun that points back ("It has ...", "He ...");
    expletive "It is / It was" does not count."""
    if not tok or tok[0][0] not in _PRONOUNS:
        return False
    return not (tok[0][0] == "it" and len(tok) > 1 and tok[1][0] in ("is", "was", "'s"))


def _refers_back(tok: list[tuple[str, int, int]]) -> bool:
    """Return whether a unit contains a word that can point back to an actor named before it:
    a singular or first-person pronoun, a non-expletive "it", or "the/this country|plan|...".

    A unit with a topic word but no such word ("It is not in their interest to take sides",
    after a sentence naming Beijing) is about somebody else.
    """
    words = [t for t, _, _ in tok]
    for i, w in enumerate(words):
        if w in _BACK_REFERENCES:
            return True
        if w == "it" and (i + 1 >= len(words) or words[i + 1] not in _EXPLETIVE_NEXT):
            return True
        if w in _DEFINITE_BACK and i > 0 and words[i - 1] in ("the", "this", "that", "its"):
            return True
    return False


def _short_forms(phrases: Sequence[Phrase], tok: list[tuple[str, int, int]], text: str) -> set[str]:
    """Return the single capitalised words of the multi-word actor names found in ``text``:
    once "Hua Chunying" is named, a later "Hua" is the same actor."""
    toks = [t for t, _, _ in tok]
    out = set()
    for s, e, _ in _find([p for p in phrases if len(p.pattern) > 1], toks, 0):
        for _, a, b in tok[s:e]:
            word = text[a:b]
            if word[:1].isupper() and len(word) > 1:
                out.add(word.lower())
    return out


_BY_CONTEXT = "actor in unit, context about the target"

# reporting and self-presentation verbs: with an actor as subject, what follows is the actor's
# own claim ("China said it was an impartial party", "Mao insisted Beijing was objective")
_REPORTING = frozenset({
    "said", "says", "say", "told", "tells", "stated", "states", "stressed", "stresses",
    "reiterated", "reiterates", "insisted", "insists", "claimed", "claims", "declared",
    "declares", "maintained", "maintains", "asserted", "asserts", "emphasized", "emphasised",
    "emphasizes", "emphasises", "repeated", "repeats", "added", "noted", "touted", "touts",
    "described", "describes", "called", "calls", "pledged", "vowed", "promised", "announced",
    "argued", "argues", "according",
})
SELF_REPORT_FACTOR = 0.0  # the coding convention: such narration is neutral, however warm


def _self_reports(tok: list[tuple[str, int, int]], text: str, cb: Codebook) -> list[int]:
    """Return the token indices of reporting verbs whose speaker is an actor: the actor within
    three words before the verb ("China has said", "Beijing's foreign ministry said") or, in an
    inverted attribution, right after it ("..., said Wang Wenbin"; "according to Beijing").

    >>> cb = load_codebook("china_mediation")
    >>> text = "Beijing is impartial, said Wang Wenbin, and China has said so before."
    >>> _self_reports(_tokens(text), text, cb)
    [4, 11]
    >>> text = "Analysts called China a credible partner."
    >>> _self_reports(_tokens(text), text, cb)
    []
    """
    toks = [t for t, _, _ in tok]
    actor_at = [(s, e) for s, e, _ in _term_spans(
        cb.actor, tok, text, cb.gap, names_too=True, exclude=cb.not_actor)]
    out = []
    for i, t in enumerate(toks):
        if t not in _REPORTING:
            continue
        before = any(0 <= i - e <= 3 and not any(w in _CLAUSE_BREAK for w in toks[e:i])
                     for s, e in actor_at)
        # inverted attribution only: ", said Wang" / "according to Beijing" (in "called China
        # a partner" the actor after the verb is its object)
        inverted = t == "according" or (t in ("said", "says") and i > 0 and toks[i - 1] in ",—–")
        after = inverted and any(
            0 <= s - i - 1 <= 2 and not any(w in _CLAUSE_BREAK for w in toks[i + 1 : s])
            for s, e in actor_at)
        if before or after:
            out.append(i)
    return out


def _same_part(toks: list[str], i: int, j: int) -> bool:
    """Return whether tokens ``i`` and ``j`` lie in the same sentence part (no ; . ! ? or
    "but" between them)."""
    lo, hi = sorted((i, j))
    return not any(t in _SENTENCE_BREAK for t in toks[lo + 1 : hi])


def _actor_terms(tok: list[tuple[str, int, int]], text: str, cb: Codebook) -> set[str]:
    """Return the codebook's actor terms found in ``text`` (not those inside a not_actor phrase)."""
    return _terms(cb.actor, tok, text, cb.gap, names_too=True, exclude=cb.not_actor)


def _relevance(
    tok: list[tuple[str, int, int]], text: str, cb: Codebook, context: Sequence[str],
    actor_in_unit: bool,
) -> tuple[bool, str, tuple[str, ...], tuple[str, ...]]:
    """Return (about the target?, which rule said so, actor terms, topic terms) for one unit."""
    actors = tuple(sorted(_actor_terms(tok, text, cb)))
    # short forms of multi-word actors named in the context ("Hua" after "Hua Chunying")
    names: set[str] = set()
    if cb.rule == "unit+context":
        for sentence in context:
            names |= _short_forms(cb.actor, _tokens(sentence), sentence)
    topics = tuple(sorted(_topic_terms(tok, text, cb, names)))
    has_actor = bool(actors) or actor_in_unit
    if has_actor and topics:
        return True, "actor+topic in unit", actors, topics
    if cb.rule != "unit+context" or not context:
        return False, "", actors, topics
    # walk the context in order so that a sentence opening with "It has ..." / "He ..." inherits
    # the actor of the sentence before it (a light anaphora rule)
    prev_actor, about = False, False
    for sentence in context:
        ctok = _tokens(sentence)
        c_actor = bool(_actor_terms(ctok, sentence, cb)) or (
            prev_actor and _anaphoric(ctok)
        )
        c_topic = bool(_topic_terms(ctok, sentence, cb, names))
        about = about or (c_actor and c_topic)
        prev_actor = c_actor
    if not has_actor:
        # a short form of an actor named in the context ("Hua" after "Hua Chunying")
        short = sorted({text[a:b] for t, a, b in tok if t in names and text[a:b][:1].isupper()})
        if short:
            has_actor, actors = True, tuple(short)
        elif prev_actor and _anaphoric(tok):
            has_actor = True
    if has_actor and topics:
        return True, "topic in unit, actor by reference", actors, topics
    if topics and prev_actor and _refers_back(tok):
        return True, "topic in unit, actor in the sentence before", actors, topics
    if has_actor and about:
        return True, _BY_CONTEXT, actors, topics
    return False, "", actors, topics


def code_text(
    text: str,
    *,
    codebook: Codebook | str = DEFAULT_CODEBOOK,
    context: str | Sequence[str] = (),
    actor_in_unit: bool = False,
    unit: Literal["sentence", "quote"] = "sentence",
) -> StanceCall:
    """Return the StanceCall for one unit ``text``; ``context``: the sentences before it, as a
    list (a string is split into sentences).

    ``actor_in_unit`` says another layer (entities) already found an actor mention in the unit.
    ``unit="quote"``: the text is a speaker's own words, so the reported-speech rule (6. in the
    module docstring) does not apply.

    >>> code_text("It hardly contradicts the view that China backs Moscow's peace plan.").stance
    'against'
    >>> code_text("China may be a neutral broker.").score
    0.7
    """
    cb = _codebook(codebook)
    tok = _tokens(text)
    toks = [t for t, _, _ in tok]
    if isinstance(context, str):
        context = [context[a:b] for a, b in split_sentences(context)]
    relevant, why, actors, topics = _relevance(tok, text, cb, context, actor_in_unit)

    def words(h: _Hit) -> str:
        return text[tok[h.start][1] : tok[h.end - 1][2]]

    hits = _hits(toks, cb)
    ops = [h for h in hits if h.kind in ("negator", "reverser")]
    cues = [h for h in hits if h.kind in ("favor", "against")]
    hedges = [h for h in hits if h.kind == "hedge"]
    aspirations = [h for h in hits if h.kind == "aspiration"]
    reports = _self_reports(tok, text, cb) if unit == "sentence" else []
    notes: dict[int, list[str]] = {}
    # 1. double negation: a negator scoping over another operator cancels it
    for n in ops:
        if n.kind != "negator" or not n.active:
            continue
        for other in ops:
            if other is n or not other.active or other.start < n.end:
                continue
            between = [c for c in cues if n.end <= c.start < other.start]
            # "have not and will not profit": coordinated negators each negate, none cancels
            coordinated = any(t in ("and", "or") for t in toks[n.end : other.start])
            if coordinated and other.kind == "negator" and not between and _reaches(
                toks, n, other, cb.negation_window, _CLAUSE_BREAK
            ):
                n.active = False  # the same negation said twice: the later one does the work
                break
            if not between and _reaches(toks, n, other, cb.negation_window, _CLAUSE_BREAK):
                n.active = other.active = False
                for c in cues:
                    if _reaches(toks, other, c, cb.reversal_window, _CLAUSE_BREAK):
                        notes.setdefault(id(c), []).append(f"{words(n)} {words(other)} = affirmed")
                break
    main = _main_clause_start(toks, hits)
    # the subordinate part only counts at full weight when the main clause has no cue of its own
    main_has_cue = main > 0 and (
        any(c.start >= main for c in cues)
        or any(op.kind == "reverser" and op.phrase.weight and op.start >= main for op in ops)
    )
    # 2. which operators flip each cue: negators and reversers before it ...
    flips: dict[int, list[_Hit]] = {}
    for c in cues:
        flips[id(c)] = []
        for op in ops:
            window = cb.negation_window if op.kind == "negator" else cb.reversal_window
            if op.active and _reaches(toks, op, c, window, _CLAUSE_BREAK):
                flips[id(c)].append(op)
                op.used = True
    # 3. ... and a judging reverser that flipped nothing after it looks back: "its neutrality
    # is in doubt", "China's credibility has been undermined" flip the nearest favor cue before
    # them in the same clause; otherwise it is a cue of its own ("doubts over the plan")
    back: set[int] = set()
    for op in ops:
        if op.kind != "reverser" or not op.active or op.used or not op.phrase.weight:
            continue
        # only a favourable quality is doubted back ("its neutrality is in doubt"); after an
        # against cue the doubt adds to it ("its claimed neutrality has been questioned")
        before = [c for c in cues if c.end <= op.start and id(c) not in back
                  and c.kind == "favor" and not flips[id(c)]
                  and op.start - c.start <= cb.reversal_window
                  and not any(t in _CLAUSE_BREAK for t in toks[c.end : op.start])]
        if before:
            flips[id(before[-1])].append(op)
            back.add(id(before[-1]))
            op.used = True
    items: list[tuple[float, str]] = []
    for c in cues:
        ops_c = flips[id(c)]
        reversed_by = [op for op in ops_c if op.kind == "reverser"]
        n_flips = sum(op.kind == "negator" for op in ops_c) + bool(reversed_by)
        sign = (1.0 if c.kind == "favor" else -1.0) * (-1.0) ** n_flips
        factor = 1.0
        hedged = []
        # 4. hedges scale every cue; aspirations only what ends up favourable (a claim of
        # neutrality is weak evidence of it, a doubted claim of neutrality is a plain doubt)
        for h in hedges + (aspirations if sign > 0 else []):
            if _reaches(toks, h, c, cb.hedge_window, _SENTENCE_BREAK):
                factor *= h.phrase.weight
                hedged.append(words(h))
        # 6. narration reporting the actor's own words: its self-praise is the actor's claim,
        # not the narrator's judgement (rule 1); an against cue in it (blaming NATO) stands
        if sign > 0 and any(_same_part(toks, v, c.start) for v in reports):
            factor *= SELF_REPORT_FACTOR
            hedged.append("reported claim of " + ", ".join(
                text[tok[v][1] : tok[v][2]] for v in reports if _same_part(toks, v, c.start)))
        label = words(c)
        if ops_c:
            label = "NOT " + label
            if reversed_by:
                label += " (" + ", ".join(words(op) for op in reversed_by) + ")"
        if id(c) in notes:
            label += " (" + "; ".join(notes[id(c)]) + ")"
        if main_has_cue and c.start < main:
            factor *= SUBORDINATE_FACTOR
            hedged.append("subordinate clause")
        if hedged:
            label += f" x{factor:.2g} (" + ", ".join(hedged) + ")"
        items.append((sign * c.phrase.weight * factor, label))
    for op in ops:
        if op.kind == "reverser" and op.active and not op.used and op.phrase.weight:
            factor = 1.0
            for h in hedges:
                if _reaches(toks, h, op, cb.hedge_window, _SENTENCE_BREAK):
                    factor *= h.phrase.weight
            if main_has_cue and op.start < main:
                factor *= SUBORDINATE_FACTOR
            items.append((op.phrase.weight * factor, words(op)))
    score = round(sum(v for v, _ in items), 3)
    if score >= cb.threshold:
        label: StanceLabel = "favor"
        evidence = [e for v, e in items if v > 0]
    elif score <= -cb.threshold:
        label = "against"
        evidence = [e for v, e in items if v < 0]
    else:
        label = "neutral"
        evidence = [e for _, e in items]
    if label == "neutral" and why == _BY_CONTEXT:
        # a unit that names neither the topic nor takes a side is not part of the paragraph's
        # argument about the target: without a judgement of its own it is not about it
        relevant, why = False, ""
    return StanceCall(relevant, label, score, "; ".join(evidence), actors, topics, why)


# ---------------------------------------------------------------------------------------------
# coding a corpus

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


def _frame(corpus: Any, name: str) -> pd.DataFrame:
    value = corpus.get(name) if isinstance(corpus, Mapping) else getattr(corpus, name, None)
    return value if isinstance(value, pd.DataFrame) else pd.DataFrame()


def _polarity(text: str) -> float:
    from .extract.sentiment import sentiment

    return sentiment(text)[0]


def _frame_sentences(unit: str, own: Sequence[str]) -> list[str]:
    """Return the sentences a quote ``unit`` sits in that say more than the quote itself.

    A quote that is a whole sentence would otherwise become its own last context sentence and
    hide the speaker named in the sentence before it ("Mao Ning said ... " then "“We have been
    promoting peace talks.”"); a sentence that adds an attribution ("..., Mao said") stays.
    """
    out = []
    for sentence in own:
        rest = sentence.replace(unit, " ") if unit in sentence else sentence
        if unit not in sentence or re.search(r"[^\W\d_]{2,}", rest):
            out.append(sentence)
    return out


def _narration(text: str, start: int, spans: list[tuple[int, int]]) -> str:
    """Return sentence ``text`` (at ``start``) with quoted spans replaced by ' … '."""
    pieces, pos = [], 0
    for s, e in sorted(spans):
        s, e = max(s - start, 0), min(e - start, len(text))
        if s > pos:
            pieces.append(text[pos:s])
        pos = max(pos, e)
    pieces.append(text[pos:])
    return " … ".join(p.strip() for p in pieces if p.strip())


def _units(corpus: Any, cb: Codebook) -> Iterator[dict[str, Any]]:
    """Yield every unit the coder reads, article by article: each quote, then each sentence's
    narration (quoted spans cut out, so no quote is coded twice; fewer than four words left gives
    no unit).

    Keys: article_id, unit, unit_id, speaker, text, start, end, context (the sentences read with
    the unit: the ``context_sentences`` before it, and for a quote the narration of its own
    sentence), actor_in_unit (the entities layer found an actor in the unit itself) and polarity
    (the quotes table's, or None).
    """
    articles, sentences = _frame(corpus, "articles"), _frame(corpus, "sentences")
    quotes, entities = _frame(corpus, "quotes"), _frame(corpus, "entities")
    outlet = {}
    if not articles.empty:
        for row in articles.itertuples(index=False):
            outlet[row.article_id] = getattr(row, "outlet", "") or row.article_id
    actor_spans: dict[str, list[tuple[int, int]]] = {}
    if not entities.empty and cb.actor_entities and "canonical" in entities:
        hit = entities[entities["canonical"].isin(cb.actor_entities)]
        for row in hit.itertuples(index=False):
            actor_spans.setdefault(row.article_id, []).append((int(row.start), int(row.end)))
    article_ids = sorted(set(sentences.get("article_id", [])) | set(quotes.get("article_id", [])))
    for aid in article_ids:
        sents = (
            sentences[sentences["article_id"] == aid].sort_values("start")
            if not sentences.empty else pd.DataFrame(columns=["start", "end", "text"])
        )
        s_rows = list(sents.itertuples(index=False))
        qs = quotes[quotes["article_id"] == aid] if not quotes.empty else pd.DataFrame()
        q_rows = list(qs.itertuples(index=False)) if not qs.empty else []
        spans = actor_spans.get(aid, [])

        def has_actor(s: int, e: int, outside: Sequence[tuple[int, int]] = (),
                      spans: list[tuple[int, int]] = spans) -> bool:
            # for narration, a mention inside a quote is the quote's, not the narrator's
            return any(s <= a < e and not any(qs <= a < qe for qs, qe in outside)
                       for a, _ in spans)

        for q in q_rows:
            before = [r.text for r in s_rows if r.end <= int(q.start)]
            own = [r.text for r in s_rows if r.start < int(q.end) and r.end > int(q.start)]
            pol = getattr(q, "polarity", None)
            yield {
                "article_id": aid, "unit": "quote", "unit_id": int(q.quote_id),
                "speaker": getattr(q, "speaker", "") or "(unknown)", "text": q.text,
                "start": int(q.start), "end": int(q.end),
                "context": before[-cb.context_sentences :] + _frame_sentences(q.text, own),
                "actor_in_unit": has_actor(int(q.start), int(q.end)),
                "polarity": float(pol) if pol is not None and pol == pol else None,
            }
        name = outlet.get(aid, aid)
        for i, s in enumerate(s_rows):
            inside = [(int(q.start), int(q.end)) for q in q_rows
                      if q.start < s.end and q.end > s.start]
            text = _narration(s.text, int(s.start), inside) if inside else s.text
            if len(re.findall(r"[^\W\d_]{2,}", text)) < 4:
                continue
            yield {
                "article_id": aid, "unit": "sentence", "unit_id": int(s.sentence_id),
                "speaker": f"narration: {name}", "text": text,
                "start": int(s.start), "end": int(s.end),
                "context": [r.text for r in s_rows[max(0, i - cb.context_sentences) : i]],
                "actor_in_unit": has_actor(int(s.start), int(s.end), inside),
                "polarity": None,
            }


def stance(corpus: Any, codebook: Codebook | str = DEFAULT_CODEBOOK) -> pd.DataFrame:
    """Return one stance row per quote and per non-quote sentence about the codebook's target.

    ``corpus`` has DataFrames ``articles``, ``sentences``, ``quotes`` and optionally ``entities``
    (attributes or mapping keys). Sentence units are coded on their narration only: quoted
    spans are cut out, and a sentence with fewer than four words left (a quote plus "said Li")
    gives no row, so no quote is counted twice. Columns: article_id, unit (quote|sentence),
    unit_id, speaker ("narration: <outlet>" for sentences), target, stance, score, evidence,
    polarity, text, start, end; sorted by article, position, unit.
    """
    cb = _codebook(codebook)
    rows = []
    for u in _units(corpus, cb):
        call = code_text(u["text"], codebook=cb, context=u["context"], unit=u["unit"],
                         actor_in_unit=u["actor_in_unit"])
        if not call.relevant:
            continue
        polarity = u["polarity"] if u["polarity"] is not None else _polarity(u["text"])
        rows.append(_stance_row(u, cb, call.stance, call.score, call.evidence, polarity))
    return _stance_frame(rows)


def _stance_row(u: dict[str, Any], cb: Codebook, stance: str, score: float, evidence: str,
                polarity: float | None) -> dict[str, Any]:
    """Return a stance-table row (STANCE_COLUMNS) for unit ``u`` of ``_units``."""
    return {
        "article_id": u["article_id"], "unit": u["unit"], "unit_id": u["unit_id"],
        "speaker": u["speaker"], "target": cb.name, "stance": stance, "score": score,
        "evidence": evidence, "polarity": polarity, "text": u["text"], "start": u["start"],
        "end": u["end"],
    }


def _stance_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Return the rows as a stance table, sorted by article, position, unit."""
    out = pd.DataFrame(rows, columns=STANCE_COLUMNS)
    return out.sort_values(["article_id", "start", "unit", "unit_id"], kind="stable").reset_index(
        drop=True
    )


def candidate_units(corpus: Any, codebook: Codebook | str = DEFAULT_CODEBOOK) -> pd.DataFrame:
    """Return every unit that names one of the codebook's actors, in itself or in the sentences
    read with it, whether or not the machine finds it about the target: the frame a hand-coding
    sheet should draw from, so that coders also see the units the relevance rule misses.

    Columns as ``stance`` (stance, score and evidence empty), same order.
    """
    cb = _codebook(codebook)
    rows = []
    for u in _units(corpus, cb):
        if not u["actor_in_unit"] and not any(
            _actor_terms(_tokens(text), text, cb) for text in [u["text"], *u["context"]]
        ):
            continue
        rows.append(_stance_row(u, cb, "", float("nan"), "", u["polarity"]))
    return _stance_frame(rows)


# ---------------------------------------------------------------------------------------------
# aggregates


def stance_by(
    stance_df: pd.DataFrame,
    by: Literal["speaker", "article", "outlet"] = "speaker",
    corpus: Any = None,
) -> pd.DataFrame:
    """Return a tidy table (group, stance, n, share, mean_score), one row per group and stance.

    ``by="outlet"`` needs ``corpus`` (its ``articles`` frame maps article_id to outlet).

    >>> df = pd.DataFrame({"article_id": ["a", "a", "b"], "speaker": ["Li", "Li", "Wan"],
    ...                    "stance": ["against", "favor", "against"], "score": [-1.0, 1.0, -2.0]})
    >>> stance_by(df, "speaker").to_dict("records")[0]
    {'group': 'Li', 'stance': 'against', 'n': 1, 'share': 0.5, 'mean_score': -1.0}
    """
    if by not in ("speaker", "article", "outlet"):
        raise ValueError(f"by={by!r}: expected 'speaker', 'article' or 'outlet'")
    df = stance_df.copy()
    if by == "speaker":
        df["group"] = df["speaker"]
    elif by == "article":
        df["group"] = df["article_id"]
    else:
        articles = _frame(corpus, "articles") if corpus is not None else pd.DataFrame()
        if articles.empty:
            raise ValueError("stance_by(by='outlet') needs corpus= with an articles frame")
        outlet = dict(zip(articles["article_id"], articles["outlet"], strict=True))
        df["group"] = df["article_id"].map(outlet)
    cols = ["group", "stance", "n", "share", "mean_score"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    g = df.groupby(["group", "stance"]).agg(n=("stance", "size"), mean_score=("score", "mean"))
    g = g.reset_index()
    g["share"] = (g["n"] / g.groupby("group")["n"].transform("sum")).round(4)
    g["mean_score"] = g["mean_score"].round(4)
    g["n"] = g["n"].astype(int)
    return g[cols].sort_values(["group", "stance"]).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# hand coding and agreement


def stance_sheet(
    stance_df: pd.DataFrame,
    corpus: Any,
    *,
    show_machine: bool = False,
    frame: Literal["actor", "machine"] = "actor",
    codebook: Codebook | str = DEFAULT_CODEBOOK,
    sample: int | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Return a hand-coding sheet: one row per unit with its context and an empty ``human``.

    ``frame="actor"`` (default) lists every unit that names one of the codebook's actors
    (``candidate_units``) as well as every unit in ``stance_df``, so coders also code the units
    the machine left out and agreement counts its misses; ``frame="machine"`` lists only the
    units in ``stance_df`` (agreement then says nothing about missed units). ``codebook`` must be
    the one ``stance_df`` was coded with. ``sample`` draws that many units at random
    (``random.Random(seed)``), kept in article order. ``context`` is the sentence before, the
    unit's own sentence(s) and the sentence after. ``machine`` is blank unless ``show_machine``
    (coders should not see it when measuring); a unit the machine left out is ``none``.
    """
    import random

    cb = _codebook(codebook)
    targets = set(stance_df["target"]) if "target" in stance_df else set()
    if targets - {cb.name}:
        raise ValueError(
            f"the stance table was coded with codebook {', '.join(sorted(targets))}, the sheet "
            f"was asked for {cb.name}: pass the same codebook to both"
        )
    units = stance_df
    if frame == "actor":
        units = pd.concat([stance_df, candidate_units(corpus, cb)], ignore_index=True)
        units = _stance_frame(units.drop_duplicates(["article_id", "unit", "unit_id"]))
    elif frame != "machine":
        raise ValueError(f"frame must be 'actor' or 'machine', not {frame!r}")
    if sample is not None and sample < len(units):
        keep = sorted(random.Random(seed).sample(range(len(units)), sample))
        units = units.iloc[keep]
    sentences = _frame(corpus, "sentences")
    by_article = {}  # article -> (starts, ends, texts) of its sentences, in order
    if not sentences.empty:
        for aid, sents in sentences.sort_values(["article_id", "start"]).groupby("article_id"):
            by_article[aid] = (list(sents["start"]), list(sents["end"]), list(sents["text"]))
    keys = _unit_keys(units)
    rows = []
    for key, r in zip(keys, units.itertuples(index=False), strict=True):
        context = ""
        starts, ends, texts = by_article.get(r.article_id, ([], [], []))
        idx = [i for i in range(len(starts)) if starts[i] < r.end and ends[i] > r.start]
        if idx:
            lo, hi = max(0, idx[0] - 1), min(len(starts), idx[-1] + 2)
            context = " ".join(texts[lo:hi])
        rows.append({
            "unit_key": key, "article_id": r.article_id,
            "unit": r.unit, "unit_id": r.unit_id, "speaker": r.speaker, "text": r.text,
            "context": context, "machine": (r.stance or "none") if show_machine else "",
            "human": "",
        })
    return pd.DataFrame(rows, columns=SHEET_COLUMNS)


def _unit_keys(df: pd.DataFrame) -> pd.Series:
    """Return the ``unit_key`` of each row ("article:unit:unit_id"), how a coding sheet names
    the units of a stance table."""
    return df["article_id"].astype(str) + ":" + df["unit"] + ":" + df["unit_id"].astype(str)


def _read_sheet(sheet: pd.DataFrame | str | Path) -> pd.DataFrame:
    if isinstance(sheet, pd.DataFrame):
        return sheet.copy()
    from .io import read_commented_csv

    return read_commented_csv(sheet, dtype=str, keep_default_na=False)


def _clean(values: pd.Series) -> pd.Series:
    return values.fillna("").astype(str).str.strip().str.lower()


def cohen_kappa(a: Sequence[str], b: Sequence[str]) -> float:
    """Return Cohen's kappa between two equally long label sequences.

    >>> cohen_kappa(["x", "x", "y", "y"], ["x", "y", "y", "y"])
    0.5
    """
    n = len(a)
    if n != len(b) or n == 0:
        raise ValueError("cohen_kappa needs two non-empty sequences of equal length")
    labels = sorted(set(a) | set(b))
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    expected = sum((list(a).count(k) / n) * (list(b).count(k) / n) for k in labels)
    if expected == 1.0:
        return 1.0 if observed == 1.0 else 0.0
    return round((observed - expected) / (1 - expected), 4)


def stance_agreement(
    sheet: pd.DataFrame | str | Path, *, stance_df: pd.DataFrame | None = None
) -> dict[str, Any]:
    """Return agreement between ``machine`` and ``human`` labels of a coding sheet.

    Keys: cohen_kappa, accuracy, n (rows with both labels), per_class {label: {precision,
    recall, support}}, confusion (DataFrame, machine rows x human columns). ``stance_df`` fills
    the machine column by ``unit_key`` when the sheet was exported with it hidden.

    >>> s = pd.DataFrame({"machine": ["favor", "against", "against"],
    ...                   "human": ["favor", "against", "neutral"]})
    >>> r = stance_agreement(s)
    >>> (r["n"], r["accuracy"], r["cohen_kappa"])
    (3, 0.6667, 0.5)
    """
    df = _read_sheet(sheet)
    if stance_df is not None:
        machine_by_key = dict(zip(_unit_keys(stance_df), stance_df["stance"], strict=True))
        df["machine"] = df["unit_key"].map(machine_by_key).fillna("none")
    for col in ("machine", "human"):
        if col not in df:
            raise ValueError(f"the sheet has no {col!r} column (columns: {', '.join(df.columns)})")
    machine, human = _clean(df["machine"]), _clean(df["human"])
    keep = (machine != "") & (human != "")
    machine, human = list(machine[keep]), list(human[keep])
    if not machine:
        raise ValueError("no row has both a machine and a human label")
    labels = [k for k in LABELS if k in set(machine) | set(human)]
    labels += sorted((set(machine) | set(human)) - set(labels))
    per_class = {}
    for k in labels:
        tp = sum(m == k and h == k for m, h in zip(machine, human, strict=True))
        pm, ph = machine.count(k), human.count(k)
        per_class[k] = {
            "precision": round(tp / pm, 4) if pm else 0.0,
            "recall": round(tp / ph, 4) if ph else 0.0,
            "support": ph,
        }
    confusion = pd.crosstab(
        pd.Categorical(machine, categories=labels), pd.Categorical(human, categories=labels),
        rownames=["machine"], colnames=["human"], dropna=False,
    )
    n = len(machine)
    return {
        "cohen_kappa": cohen_kappa(machine, human),
        "accuracy": round(sum(m == h for m, h in zip(machine, human, strict=True)) / n, 4),
        "n": n,
        "per_class": per_class,
        "confusion": confusion,
    }


def apply_human(stance_df: pd.DataFrame, sheet: pd.DataFrame | str | Path) -> pd.DataFrame:
    """Return ``stance_df`` with human labels overriding machine ones, and a ``coded_by`` column.

    A human label "none" (not about the target) drops the row.
    """
    df = stance_df.copy()
    sh = _read_sheet(sheet)
    human = dict(zip(sh["unit_key"], _clean(sh["human"]), strict=True))
    labels = _unit_keys(df).map(human).fillna("")
    df["coded_by"] = ["human" if h else "machine" for h in labels]
    df["stance"] = [h if h else m for h, m in zip(labels, df["stance"], strict=True)]
    return df[df["stance"] != "none"].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# scoring hand-labelled spans (independent of the quote extractor's exact spans)


def sha1(text: str) -> str:
    """Return the first 12 hex digits of the SHA-1 of ``text`` (labels store it, not the text).

    >>> sha1("abc")
    'a9993e364706'
    """
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def label_agreement(
    labels: pd.DataFrame | str | Path,
    texts: Mapping[str, str],
    *,
    codebook: Codebook | str = DEFAULT_CODEBOOK,
) -> dict[str, dict[str, Any]]:
    """Return agreement (see ``stance_agreement``) of the machine with a hand-labelled file,
    per ``split`` value ("all" for every row), plus the scored rows under key "rows".

    ``labels`` is a DataFrame or a CSV path (``#`` lines are comments) with article_id, unit,
    start, end, human and optionally sha1 and split.
    """
    df = _read_sheet(labels)
    scored = score_spans(df, texts, codebook=codebook)
    out: dict[str, Any] = {"all": stance_agreement(scored)}
    if "split" in scored:
        for split, part in scored.groupby("split"):
            out[str(split)] = stance_agreement(part)
    out["rows"] = scored
    return out


def score_spans(
    labels: pd.DataFrame, texts: Mapping[str, str], *, codebook: Codebook | str = DEFAULT_CODEBOOK
) -> pd.DataFrame:
    """Return ``labels`` with ``text``, ``context``, ``machine`` (favor|against|neutral|none),
    ``score``, ``evidence`` and ``relevance`` (the relevance rule that fired).

    ``labels`` has article_id, unit, start, end (offsets into ``texts[article_id]``) and
    optionally sha1 (checked: a mismatch means the text changed and raises ValueError). The
    machine codes the span text with the ``context_sentences`` sentences before it (and, for a
    quote, the sentence it sits in) as context; "none" when not about the target.
    """
    cb = _codebook(codebook)
    out = labels.copy()
    cache: dict[str, list[tuple[int, int]]] = {}
    unit_texts, contexts, machine, scores, evidence, why = [], [], [], [], [], []
    for r in out.itertuples(index=False):
        full = texts[str(r.article_id)]
        s, e = int(r.start), int(r.end)
        unit_text = full[s:e]
        want = getattr(r, "sha1", "")
        if want and sha1(unit_text) != want:
            raise ValueError(
                f"{r.article_id} [{s}:{e}]: text changed (sha1 {sha1(unit_text)} != {want})"
            )
        if str(r.article_id) not in cache:
            cache[str(r.article_id)] = split_sentences(full)
        sents = cache[str(r.article_id)]
        before = [full[a:b] for a, b in sents if b <= s][-cb.context_sentences :]
        own = [full[a:b] for a, b in sents if a < e and b > s and (a, b) != (s, e)]
        if r.unit == "quote":
            own = _frame_sentences(unit_text, own)
        call = code_text(unit_text, codebook=cb, context=before + own,
                         unit="quote" if r.unit == "quote" else "sentence")
        unit_texts.append(unit_text)
        contexts.append(" ".join(before + own))
        machine.append(call.stance if call.relevant else "none")
        scores.append(call.score)
        evidence.append(call.evidence)
        why.append(call.relevance)
    out["text"], out["context"], out["machine"] = unit_texts, contexts, machine
    out["score"], out["evidence"], out["relevance"] = scores, evidence, why
    return out


def evaluate_stance(
    *, codebook: Codebook | str = DEFAULT_CODEBOOK, splits: Sequence[str] | None = None,
) -> dict[str, dict[str, Any]]:
    """Return agreement of the machine with the hand-coded labels in ``seeds/labels/``.

    Keys: "seed" (the seed article's 29 units) and, when ``../shared/data`` is present, one per
    ``split`` of the cn_ru_ua labels ("tune", "score": development; "holdout": the fresh units
    coded blind, never used while writing the rules); each value has cohen_kappa, accuracy, n,
    per_class and confusion (see ``stance_agreement``). ``splits`` limits the cn_ru_ua splits
    reported (e.g. ``["tune"]`` while developing, so the scoring half stays unread).
    """
    import json

    from .loader import load_articles
    from .paths import SEEDS_DIR, SHARED_DATA_DIR

    labels = SEEDS_DIR / "labels"
    seed = load_articles([str(SEEDS_DIR / "000_a1bbb6199e38b69c.txt")])[0]
    sheet = _read_sheet(labels / "seed_china_mediation.csv").drop(columns=["text"])
    out: dict[str, dict[str, Any]] = {
        "seed": label_agreement(sheet, {seed.article_id: seed.text}, codebook=codebook)["all"]
    }
    jsonl = SHARED_DATA_DIR / "articles_cn_ru_ua.jsonl"
    if jsonl.exists():
        with jsonl.open(encoding="utf-8") as f:
            raw = {r["id"]: r["text"] for r in map(json.loads, f)}
        # the development file (splits tune, score) and the fresh blind-coded holdout file
        rows = pd.concat(
            [_read_sheet(path) for path in sorted(labels.glob("cn_ru_ua_china_mediation*.csv"))],
            ignore_index=True,
        )
        for split in sorted(set(rows["split"])):
            if splits is None or split in splits:
                part = rows[rows["split"] == split]
                out[split] = label_agreement(part, raw, codebook=codebook)["all"]
    return out


def main() -> None:  # pragma: no cover - a reproduction entry point
    """Print agreement with the hand-coded labels (``evaluate_stance``), one line per sheet."""
    for name, agreement in evaluate_stance().items():
        print(f"{name:6} n={agreement['n']:3} kappa={agreement['cohen_kappa']:.3f} "
              f"accuracy={agreement['accuracy']:.3f}")


if __name__ == "__main__":
    main()
