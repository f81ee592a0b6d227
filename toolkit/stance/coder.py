"""The lexicon coder: code one unit of text from a codebook, with its evidence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from ..paths import DEFAULT_CODEBOOK
from .codebook import Codebook, StanceLabel, _codebook
from .phrases import (
    _CLAUSE_BREAK,
    _SENTENCE_BREAK,
    Phrase,
    _find,
    _tokens,
    split_sentences,
)


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

    >>> from toolkit.stance import load_codebook
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
