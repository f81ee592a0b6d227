"""Stance coding from a codebook: who judges a target how, with the words that decided it.

The method is the content analyst's, made explicit: a codebook (TOML, in
``toolkit/data/codebooks/``) says how to recognise text about a target and which cue words count
for and against it; every call carries its evidence, and a hand-coding sheet measures agreement
with human coders (Cohen's kappa). No model downloads, every decision traceable.

Codebook schema (every table and key; unknown ones are an error so typos do not pass silently)::

    [target]      name (str, required), label (str), description (str)
    [relevance]   actor (list of phrases, required), topic (list of phrases, required),
                  actor_entities (list of canonical entity names that count as an actor mention),
                  rule = "unit" | "unit+context" (default "unit+context"),
                  context_sentences (int, default 2: how many sentences before the unit)
    [scoring]     threshold (0.5), negation_window (4), reversal_window (8), hedge_window (10),
                  gap (3)
    [favor]       "phrase" = weight      cues presenting the target favourably (required)
    [against]     "phrase" = weight      cues presenting it unfavourably (required)
    [hedges]      "phrase" = factor      0 < factor <= 1, scales cues after it in the clause
    [aspirations] "phrase" = factor      like hedges, but scale favor cues only
    [reversers]   "phrase" = weight      deny / contradict / doubt ...: flip the next cue
    [lists]       negators = [...], affirmers = [...]

A *phrase* is a sequence of words matched case-insensitively on word tokens ("doesn't" is
``does`` + ``n't``, "China's" is ``china`` + ``'s``); ``word*`` matches any word beginning with
``word``; a ``...`` word skips 0 to ``gap`` words. Where phrases overlap, the longest wins
("help Russia" is an against cue, "help" alone a favor cue).

About the target (rule "unit"): an actor term and a topic term both occur in the unit. Rule
"unit+context" also accepts, with the context = the ``context_sentences`` sentences before the
unit (for a quote, also the sentence it sits in):

- a topic term in the unit and an actor term in the context ("he may try to end the war" after
  a sentence naming Xi: the pronoun points back), or
- an actor term in the unit and a context sentence that is itself about the target (actor and
  topic): the paragraph is still discussing the target.

A topic word written as part of a name is not a topic ("Carnegie Endowment for International
Peace"): every matched word capitalised and not the first word of the unit.

Scoring, the rules in order (all general, none keyed to a sentence):

1. *Double negation is affirmation.* A negator followed within ``negation_window`` words (same
   clause) by another negator or by a reverser cancels it and is used up: "hardly contradicts
   the narrative that Beijing endorses Moscow" keeps "endorses Moscow" as an against cue;
   "not without merit" is not negated.
2. *Negation flips.* A cue is flipped once for every active negator within ``negation_window``
   words before it, and once if any active reverser is within ``reversal_window`` words before
   it (stacked reversers do not cancel: "doubts about its supposed neutrality" stays against),
   with no clause boundary (, ; : . ! ? — ( ) but while although though whereas) in between:
   "doesn't help" is against, "doubts about China's neutrality" is against.
3. *A reverser that flips nothing* counts as a cue of its own weight ("doubts over the plan").
4. *Hedges scale down* every cue within ``hedge_window`` words after them (sentence part, not
   crossing ; . ! ? or "but"): "may", "reportedly"; and aspiration words, because an intention is
   weak evidence of the deed ("China's intention of playing an active role"). Aspiration words
   and demands ("seeks to", "portrays itself as", "pressing China to") scale *favor* cues only:
   an intention or a request is not an achievement, while imputing a bad intention ("seeking to
   exploit the crisis") is already the judgement.
5. score = sum of sign x weight x hedge factors; favor if score >= threshold, against if
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
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from .errors import CodebookError
from .paths import CODEBOOK_DIR

__all__ = [
    "Codebook",
    "StanceCall",
    "apply_human",
    "cohen_kappa",
    "code_text",
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


def _tokens(text: str) -> list[tuple[str, int, int]]:
    """Return ``(lowercased token, start, end)`` for each word or punctuation mark of ``text``."""
    norm = text.replace("’", "'").replace("‘", "'")  # same length: offsets stay valid
    return [(m.group().lower(), m.start(), m.end()) for m in _TOKEN_RE.finditer(norm)]


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
    if not pattern:
        return i
    word, prefix = pattern[0]
    if word == _GAP:
        for skip in range(gap + 1):
            j = i + skip
            if skip and (j - 1 >= len(toks) or toks[j - 1] in _CLAUSE_BREAK):
                break
            end = _match_at(pattern[1:], toks, j, gap)
            if end >= 0:
                return end
        return -1
    if i >= len(toks):
        return -1
    tok = toks[i]
    if tok == word or (prefix and tok.startswith(word)):
        return _match_at(pattern[1:], toks, i + 1, gap)
    return -1


def _find(phrases: Sequence[Phrase], toks: Sequence[str], gap: int) -> list[tuple[int, int, Phrase]]:
    found = []
    for phrase in phrases:
        for i in range(len(toks)):
            end = _match_at(phrase.pattern, toks, i, gap)
            if end > i:
                found.append((i, end, phrase))
    return found


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


_SCHEMA: dict[str, dict[str, type | tuple[type, ...]] | None] = {
    "target": {"name": str, "label": str, "description": str},
    "relevance": {
        "actor": list, "topic": list, "actor_entities": list, "rule": str,
        "context_sentences": int,
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
_REQUIRED = {"target": ("name",), "relevance": ("actor", "topic"), "favor": (), "against": ()}


def _resolve(name_or_path: str | Path) -> Path:
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.exists() or len(candidate.parts) > 1:
        return candidate
    return CODEBOOK_DIR / f"{name_or_path}.toml"


def load_codebook(name_or_path: str | Path = "china_mediation") -> Codebook:
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
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CodebookError(f"{path}: not valid TOML: {exc}") from exc

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
                if not isinstance(value, int | float) or isinstance(value, bool):
                    raise fail(table, f'"{key}" must have a number as weight, e.g. "{key}" = 1.0')
                if table in ("hedges", "aspirations") and not 0 < value <= 1:
                    raise fail(table, f'"{key}" = {value}: a hedge factor must be in (0, 1]')
                continue
            if key not in spec:
                raise fail(table, f"unknown key {key!r} (expected one of: {', '.join(spec)})")
            if not isinstance(value, spec[key]) or isinstance(value, bool):
                raise fail(table, f"{key} has the wrong type ({type(value).__name__})")
            if isinstance(value, list) and not all(isinstance(v, str) for v in value):
                raise fail(table, f"{key} must be a list of strings")
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
    # longest match first; at equal length the operator wins over the cue it could be part of
    candidates.sort(key=lambda h: (-(h.end - h.start), h.start, _PRIORITY[h.kind]))
    taken = [False] * len(toks)
    chosen = []
    for hit in candidates:
        if not any(taken[hit.start : hit.end]):
            chosen.append(hit)
            for i in range(hit.start, hit.end):
                taken[i] = True
    return sorted(chosen, key=lambda h: h.start)


def _reaches(toks: list[str], op: _Hit, target: _Hit, window: int, breaks: frozenset[str]) -> bool:
    """Return whether operator ``op`` scopes over ``target`` (after it, near, same clause)."""
    if target.start < op.end or target.start - op.start > window:
        return False
    return not any(t in breaks for t in toks[op.end : target.start])


def _terms(
    phrases: Sequence[Phrase], tok: list[tuple[str, int, int]], text: str, gap: int,
    *, names_too: bool,
) -> set[str]:
    """Return the phrases found; unless ``names_too``, not those written as part of a name."""
    toks = [t for t, _, _ in tok]
    found = set()
    for s, e, p in _find(phrases, toks, gap):
        words = [text[a:b] for _, a, b in tok[s:e] if text[a:b][:1].isalpha()]
        if not names_too and s > 0 and words and all(w[:1].isupper() for w in words):
            continue  # "Carnegie Endowment for International Peace"
        found.add(p.text)
    return found


_PRONOUNS = frozenset({"it", "its", "he", "his", "she", "her"})


def _anaphoric(tok: list[tuple[str, int, int]]) -> bool:
    """Return whether a sentence opens with a pronoun that points back ("It has ...", "He ...");
    expletive "It is / It was" does not count."""
    if not tok or tok[0][0] not in _PRONOUNS:
        return False
    return not (tok[0][0] == "it" and len(tok) > 1 and tok[1][0] in ("is", "was", "'s"))


def code_text(
    text: str,
    *,
    codebook: Codebook | str = "china_mediation",
    context: str | Sequence[str] = (),
    actor_in_unit: bool = False,
) -> StanceCall:
    """Return the StanceCall for one unit ``text``; ``context``: the sentences before it, as a
    list (a string is split into sentences).

    ``actor_in_unit`` says another layer (entities) already found an actor mention in the unit.

    >>> code_text("It hardly contradicts the view that China backs Moscow's peace plan.").stance
    'against'
    >>> code_text("China may be a neutral broker.").score
    0.7
    """
    cb = _codebook(codebook)
    tok = _tokens(text)
    toks = [t for t, _, _ in tok]
    actors = tuple(sorted(_terms(cb.actor, tok, text, cb.gap, names_too=True)))
    topics = tuple(sorted(_terms(cb.topic, tok, text, cb.gap, names_too=False)))
    has_actor = bool(actors) or actor_in_unit
    relevant = has_actor and bool(topics)
    if not relevant and cb.rule == "unit+context":
        if isinstance(context, str):
            context = [context[a:b] for a, b in split_sentences(context)]
        # walk the context in order so that a sentence opening with "It has ..." / "He ..."
        # inherits the actor of the sentence before it (a light anaphora rule)
        prev_actor, about = False, False
        for sentence in context:
            ctok = _tokens(sentence)
            c_actor = bool(_terms(cb.actor, ctok, sentence, cb.gap, names_too=True)) or (
                prev_actor and _anaphoric(ctok)
            )
            c_topic = bool(_terms(cb.topic, ctok, sentence, cb.gap, names_too=False))
            about = about or (c_actor and c_topic)
            prev_actor = c_actor
        has_actor = has_actor or (prev_actor and _anaphoric(tok))
        relevant = (has_actor and bool(topics)) or (bool(topics) and prev_actor) or (
            has_actor and about
        )

    def words(h: _Hit) -> str:
        return text[tok[h.start][1] : tok[h.end - 1][2]]

    hits = _hits(toks, cb)
    ops = [h for h in hits if h.kind in ("negator", "reverser")]
    cues = [h for h in hits if h.kind in ("favor", "against")]
    hedges = [h for h in hits if h.kind == "hedge"]
    aspirations = [h for h in hits if h.kind == "aspiration"]
    notes: dict[int, list[str]] = {}
    # 1. double negation: a negator scoping over another operator cancels it
    for n in ops:
        if n.kind != "negator" or not n.active:
            continue
        for other in ops:
            if other is n or not other.active or other.start < n.end:
                continue
            between = [c for c in cues if n.end <= c.start < other.start]
            if not between and _reaches(toks, n, other, cb.negation_window, _CLAUSE_BREAK):
                n.active = other.active = False
                for c in cues:
                    if _reaches(toks, other, c, cb.reversal_window, _CLAUSE_BREAK):
                        notes.setdefault(id(c), []).append(f"{words(n)} {words(other)} = affirmed")
                break
    items: list[tuple[float, str]] = []
    for c in cues:
        flips = []
        for op in ops:
            window = cb.negation_window if op.kind == "negator" else cb.reversal_window
            if op.active and _reaches(toks, op, c, window, _CLAUSE_BREAK):
                flips.append(op)
                op.used = True
        n_flips = sum(op.kind == "negator" for op in flips) + any(
            op.kind == "reverser" for op in flips
        )
        sign = (1.0 if c.kind == "favor" else -1.0) * (-1.0) ** n_flips
        factor = 1.0
        hedged = []
        for h in hedges + (aspirations if c.kind == "favor" else []):
            if _reaches(toks, h, c, cb.hedge_window, _SENTENCE_BREAK):
                factor *= h.phrase.weight
                hedged.append(words(h))
        label = words(c)
        if flips:
            label = "NOT " + label
            if any(op.kind == "reverser" for op in flips):
                label += " (" + ", ".join(words(op) for op in flips if op.kind == "reverser") + ")"
        if id(c) in notes:
            label += " (" + "; ".join(notes[id(c)]) + ")"
        if hedged:
            label += f" x{factor:.2g} (" + ", ".join(hedged) + ")"
        items.append((sign * c.phrase.weight * factor, label))
    # 3. a reverser that flipped nothing is a cue of its own (doubts, skepticism ...)
    for op in ops:
        if op.kind == "reverser" and op.active and not op.used and op.phrase.weight:
            factor = 1.0
            for h in hedges:
                if _reaches(toks, h, op, cb.hedge_window, _SENTENCE_BREAK):
                    factor *= h.phrase.weight
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
    return StanceCall(relevant, label, score, "; ".join(evidence), actors, topics)


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


def stance(corpus: Any, codebook: Codebook | str = "china_mediation") -> pd.DataFrame:
    """Return one stance row per quote and per non-quote sentence about the codebook's target.

    ``corpus`` has DataFrames ``articles``, ``sentences``, ``quotes`` and optionally ``entities``
    (attributes or mapping keys). Sentence units are coded on their narration only: quoted
    spans are cut out, and a sentence with fewer than four words left (a quote plus "said Li")
    gives no row, so no quote is counted twice. Columns: article_id, unit (quote|sentence),
    unit_id, speaker ("narration: <outlet>" for sentences), target, stance, score, evidence,
    polarity, text, start, end; sorted by article, position, unit.
    """
    cb = _codebook(codebook)
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
    rows = []
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

        def has_actor(s: int, e: int, outside: list[tuple[int, int]] = ()) -> bool:
            # for narration, a mention inside a quote is the quote's, not the narrator's
            return any(s <= a < e and not any(qs <= a < qe for qs, qe in outside)
                       for a, _ in spans)  # noqa: B023

        def context_before(s: int) -> list[str]:
            before = [r.text for r in s_rows if r.end <= s]  # noqa: B023
            own = [r.text for r in s_rows if r.start <= s < r.end]  # noqa: B023
            return before[-cb.context_sentences :] + own

        name = outlet.get(aid, aid)
        for q in q_rows:
            call = code_text(
                q.text, codebook=cb, context=context_before(int(q.start)),
                actor_in_unit=has_actor(int(q.start), int(q.end)),
            )
            if not call.relevant:
                continue
            pol = getattr(q, "polarity", None)
            rows.append({
                "article_id": aid, "unit": "quote", "unit_id": int(q.quote_id),
                "speaker": getattr(q, "speaker", "") or "(unknown)", "target": cb.name,
                "stance": call.stance, "score": call.score, "evidence": call.evidence,
                "polarity": float(pol) if pol is not None and pol == pol else _polarity(q.text),
                "text": q.text, "start": int(q.start), "end": int(q.end),
            })
        for i, s in enumerate(s_rows):
            inside = [(int(q.start), int(q.end)) for q in q_rows
                      if q.start < s.end and q.end > s.start]
            text = _narration(s.text, int(s.start), inside) if inside else s.text
            if len(re.findall(r"[^\W\d_]{2,}", text)) < 4:
                continue
            context = [r.text for r in s_rows[max(0, i - cb.context_sentences) : i]]
            call = code_text(text, codebook=cb, context=context,
                             actor_in_unit=has_actor(int(s.start), int(s.end), inside))
            if not call.relevant:
                continue
            rows.append({
                "article_id": aid, "unit": "sentence", "unit_id": int(s.sentence_id),
                "speaker": f"narration: {name}", "target": cb.name, "stance": call.stance,
                "score": call.score, "evidence": call.evidence, "polarity": _polarity(text),
                "text": text, "start": int(s.start), "end": int(s.end),
            })
    out = pd.DataFrame(rows, columns=STANCE_COLUMNS)
    return out.sort_values(["article_id", "start", "unit", "unit_id"], kind="stable").reset_index(
        drop=True
    )


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
        df["group"] = df["article_id"].map(dict(zip(articles["article_id"], articles["outlet"])))
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
    stance_df: pd.DataFrame, corpus: Any, *, show_machine: bool = False
) -> pd.DataFrame:
    """Return a hand-coding sheet: one row per unit with its context and an empty ``human``.

    ``context`` is the sentence before, the unit's own sentence(s) and the sentence after.
    ``machine`` is blank unless ``show_machine`` (coders should not see it when measuring).
    """
    sentences = _frame(corpus, "sentences")
    rows = []
    for r in stance_df.itertuples(index=False):
        context = ""
        if not sentences.empty:
            sents = sentences[sentences["article_id"] == r.article_id].sort_values("start")
            starts, ends = list(sents["start"]), list(sents["end"])
            idx = [i for i in range(len(sents)) if starts[i] < r.end and ends[i] > r.start]
            if idx:
                lo, hi = max(0, idx[0] - 1), min(len(sents), idx[-1] + 2)
                context = " ".join(sents["text"].iloc[lo:hi])
        rows.append({
            "unit_key": f"{r.article_id}:{r.unit}:{r.unit_id}", "article_id": r.article_id,
            "unit": r.unit, "unit_id": r.unit_id, "speaker": r.speaker, "text": r.text,
            "context": context, "machine": r.stance if show_machine else "", "human": "",
        })
    return pd.DataFrame(rows, columns=SHEET_COLUMNS)


def _read_sheet(sheet: pd.DataFrame | str | Path) -> pd.DataFrame:
    if isinstance(sheet, pd.DataFrame):
        return sheet.copy()
    return pd.read_csv(sheet, dtype=str, keep_default_na=False, comment="#")


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
        keys = stance_df["article_id"].astype(str) + ":" + stance_df["unit"] + ":" + \
            stance_df["unit_id"].astype(str)
        df["machine"] = df["unit_key"].map(dict(zip(keys, stance_df["stance"]))).fillna("none")
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
    human = dict(zip(sh["unit_key"], _clean(sh["human"])))
    keys = df["article_id"].astype(str) + ":" + df["unit"] + ":" + df["unit_id"].astype(str)
    labels = keys.map(human).fillna("")
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
    codebook: Codebook | str = "china_mediation",
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
    labels: pd.DataFrame, texts: Mapping[str, str], *, codebook: Codebook | str = "china_mediation"
) -> pd.DataFrame:
    """Return ``labels`` with ``text``, ``context`` and ``machine`` (favor|against|neutral|none).

    ``labels`` has article_id, unit, start, end (offsets into ``texts[article_id]``) and
    optionally sha1 (checked: a mismatch means the text changed and raises ValueError). The
    machine codes the span text with the ``context_sentences`` sentences before it (and, for a
    quote, the sentence it sits in) as context; "none" when not about the target.
    """
    cb = _codebook(codebook)
    out = labels.copy()
    cache: dict[str, list[tuple[int, int]]] = {}
    unit_texts, contexts, machine, scores, evidence = [], [], [], [], []
    for r in out.itertuples(index=False):
        full = texts[str(r.article_id)]
        s, e = int(r.start), int(r.end)
        unit_text = full[s:e]
        want = getattr(r, "sha1", "")
        if want and sha1(unit_text) != want:
            raise ValueError(
                f"{r.article_id} [{s}:{e}]: text changed (sha1 {sha1(unit_text)} != {want})"
            )
        sents = cache.setdefault(str(r.article_id), split_sentences(full))
        before = [full[a:b] for a, b in sents if b <= s][-cb.context_sentences :]
        own = [full[a:b] for a, b in sents if a < e and b > s and (a, b) != (s, e)]
        call = code_text(unit_text, codebook=cb, context=before + own)
        unit_texts.append(unit_text)
        contexts.append(" ".join(before + own))
        machine.append(call.stance if call.relevant else "none")
        scores.append(call.score)
        evidence.append(call.evidence)
    out["text"], out["context"], out["machine"] = unit_texts, contexts, machine
    out["score"], out["evidence"] = scores, evidence
    return out


def _main() -> None:  # pragma: no cover - a reproduction entry point: python -m toolkit.stance
    """Print agreement with the hand-coded labels in seeds/labels/ (seed, and cn_ru_ua if present)."""
    import json

    from .loader import load_articles
    from .paths import SEEDS_DIR, SHARED_DATA_DIR

    labels = SEEDS_DIR / "labels"
    seed = load_articles([str(SEEDS_DIR / "000_a1bbb6199e38b69c.txt")])[0]
    sheet = _read_sheet(labels / "seed_china_mediation.csv").drop(columns=["text"])
    runs = [("seed", label_agreement(sheet, {seed.article_id: seed.text}))]
    jsonl = SHARED_DATA_DIR / "articles_cn_ru_ua.jsonl"
    if jsonl.exists():
        with jsonl.open(encoding="utf-8") as f:
            raw = {r["id"]: r["text"] for r in map(json.loads, f)}
        runs.append(("cn_ru_ua", label_agreement(labels / "cn_ru_ua_china_mediation.csv", raw)))
    for name, result in runs:
        for split, agreement in result.items():
            if split != "rows":
                print(f"{name:9} {split:6} n={agreement['n']:3} kappa={agreement['cohen_kappa']:.3f} "
                      f"accuracy={agreement['accuracy']:.3f}")


if __name__ == "__main__":
    _main()
