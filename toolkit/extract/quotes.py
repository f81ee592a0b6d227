"""Quotes and who said them: direct, partial and reported speech, with canonical speakers.

Three kinds of record come out, in text order:

- ``direct``: words inside quote marks that stand as a sentence (or several) of their own:
  ``“It’s difficult to imagine ...,” Li said.``
- ``partial``: quoted words embedded in the reporter's sentence:
  ``China has pursued an “independent foreign policy” ..., Wan said.``
- ``indirect``: reported speech without quote marks: ``X said (that) ...``,
  ``according to X, ...``, ``..., X said.``; a cue set off by commas inside the reported
  sentence (``The talks, X said, had collapsed.``) gives the whole reported clause, cue included.

Offsets of quoted speech are the quoted words *without* the quote marks; a trailing comma just
inside the closing mark (news style: ``“...,” he said``) is not part of the speaker's words and is
left out too. A quote running over several paragraphs (each continuing paragraph opens with a
quote mark and the previous one has no closing mark) is one record whose text spans the
paragraph break, including the re-opening mark. An unclosed quote never runs past the end of its
paragraph.

Quote marks: curly double (“ ”), straight double ("), doubled apostrophes ('') and, only in a
paragraph without double marks (British style), single marks that open and close at word
boundaries. Single marks inside a double-quoted passage are nested quotes and stay part of it;
apostrophes (’) never open a quote.

The speaker comes from the attribution next to the quote (the subject of a speech verb found by
the dependency parse, with token patterns as a fallback); the canonical name is that of the
entity mention overlapping the speaker words; short names, pronouns and descriptions are
resolved by the article's chains of people (``toolkit.extract.people``, shared with the entity
layer), and unattributed follow-on quotes take the previous quote's speaker.
"""

from __future__ import annotations

import functools
import itertools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from ..nlp import Parsed
from ..records import Mention, Quote, SpeakerKind
from .entities import ORG_NOUNS
from .lexicon import lookup_demonym, read_table
from .people import (
    OTHER_PRONOUNS,
    PERSON_PRONOUNS,
    ROLE_HEADS,
    SPOKESPERSONS,
    People,
    after_honorific,
    bare,
    gender_tables,
    names_a_person,
    strip_titles,
)
from .sentiment import sentiment

# Speech verbs, matched on word forms (no lemmatizer is loaded).
_SPEECH_STEMS = {
    "say": ("say", "says", "said", "saying"),
    "tell": ("tell", "tells", "told", "telling"),
    "add": ("add", "adds", "added", "adding"),
    "write": ("write", "writes", "wrote", "written", "writing"),
    "note": ("note", "notes", "noted", "noting"),
    "warn": ("warn", "warns", "warned", "warning"),
    "argue": ("argue", "argues", "argued", "arguing"),
    "state": ("state", "states", "stated", "stating"),
    "explain": ("explain", "explains", "explained", "explaining"),
    "insist": ("insist", "insists", "insisted", "insisting"),
    "claim": ("claim", "claims", "claimed", "claiming"),
    "ask": ("ask", "asks", "asked", "asking"),
    "reply": ("reply", "replies", "replied", "replying"),
    "respond": ("respond", "responds", "responded", "responding"),
    "recall": ("recall", "recalls", "recalled", "recalling"),
    "acknowledge": ("acknowledge", "acknowledges", "acknowledged", "acknowledging"),
    "admit": ("admit", "admits", "admitted", "admitting"),
    "announce": ("announce", "announces", "announced", "announcing"),
    "assert": ("assert", "asserts", "asserted", "asserting"),
    "contend": ("contend", "contends", "contended", "contending"),
    "declare": ("declare", "declares", "declared", "declaring"),
    "deny": ("deny", "denies", "denied", "denying"),
    "suggest": ("suggest", "suggests", "suggested"),
    "urge": ("urge", "urges", "urged"),
    "predict": ("predict", "predicts", "predicted", "predicting"),
    "stress": ("stress", "stresses", "stressed", "stressing"),
    "emphasize": ("emphasize", "emphasizes", "emphasized", "emphasise", "emphasises", "emphasised"),
    "maintain": ("maintain", "maintains", "maintained", "maintaining"),
    "caution": ("caution", "cautions", "cautioned", "cautioning"),
    "concede": ("concede", "concedes", "conceded", "conceding"),
    "confirm": ("confirm", "confirms", "confirmed", "confirming"),
    "counter": ("counter", "counters", "countered", "countering"),
    "demand": ("demand", "demands", "demanded", "demanding"),
    "observe": ("observe", "observes", "observed"),
    "remark": ("remark", "remarks", "remarked"),
    "report": ("report", "reports", "reported"),
    "tweet": ("tweet", "tweets", "tweeted", "tweeting"),
    "continue": ("continue", "continues", "continued"),
    "complain": ("complain", "complains", "complained", "complaining"),
    "joke": ("joke", "jokes", "joked", "joking"),
    "quip": ("quip", "quips", "quipped"),
    "promise": ("promise", "promises", "promised", "promising"),
    "vow": ("vow", "vows", "vowed", "vowing"),
    "boast": ("boast", "boasts", "boasted", "boasting"),
    "scold": ("scold", "scolds", "scolded"),
    "announce_": ("proclaim", "proclaims", "proclaimed"),
    "believe": ("believe", "believes", "believed"),
    "think": ("think", "thinks", "thought"),
    "allege": ("allege", "alleges", "alleged"),
    "estimate": ("estimate", "estimates", "estimated"),
    "indicate": ("indicate", "indicates", "indicated"),
    "testify": ("testify", "testifies", "testified", "testifying"),
    "point": ("point", "points", "pointed"),  # only with "out"
    "conclude": ("conclude", "concludes", "concluded", "concluding"),
    "comment": ("comment", "comments", "commented", "commenting"),
    "read": ("read", "reads"),  # "the letter reads"
    "sing": ("sing", "sings", "sang"),
    "shout": ("shout", "shouts", "shouted", "yelled", "yells"),
    "chant": ("chant", "chants", "chanted"),
    "whisper": ("whisper", "whispers", "whispered", "muttered"),
    "post": ("posted", "posts"),
    "begin": ("began", "begins"),
    "exclaim": ("exclaim", "exclaims", "exclaimed"),
    "tout": ("touted", "touts"),
    "greet": ("greeted",),
}
SPEECH_VERBS: frozenset[str] = frozenset(f for forms in _SPEECH_STEMS.values() for f in forms)
# Verbs that attribute quoted words but do not introduce reported clauses ("called it a “hoax”").
_LABEL_VERBS = frozenset(
    "call calls called calling describe describes described describing dub dubs dubbed label "
    "labels labeled labelled term terms termed hail hails hailed praise praises praised "
    "criticize criticized criticise criticised denounce denounces denounced accuse accuses "
    "accused accusing blame blames blamed condemn condemns condemned urging "
    "announcing".split()
)
# The only words at which _indirect can find reported speech (see _is_cue).
_INDIRECT_WORDS = SPEECH_VERBS | {"according", "point", "points", "pointed"}
# The only words that can attribute a quote next to them: cue words (among them ``according``)
# and, for partial quotes, label verbs.
_ATTRIBUTING_WORDS = _INDIRECT_WORDS | _LABEL_VERBS | {"put", "puts"}  # "as X put it, “...”"
# Verbs that take reported speech but are weak evidence of speech; used only with a ccomp.
_WEAK_INDIRECT = frozenset("believe believes believed think thinks thought estimate estimates "
                           "estimated indicate indicates indicated".split())
_QUOTED = frozenset("quoted quotes quoting quote cited cites citing".split())
# ORG_NOUNS are the head nouns of a speaker described as an organisation ("the UK's biggest
# mortgage lender"), not the place that modifies them. Which organisation "the company" is stays
# open: resolving it to the organisation an article names most was right 16 times in 21 on
# business news and once in 9 on politics and sport, too often wrong to name a speaker.

_OPEN_DOUBLE = "“„«"
_CLOSE_DOUBLE = "”»"
_STRAIGHT = '"'
_OPEN_SINGLE = "‘"
_CLOSE_SINGLE = "’"
_BOUNDARY_BEFORE = set(" \t\n([{—–-/")
_WORD_CHARS = re.compile(r"\w")
# a period after these does not end a sentence
_ABBREVIATION = re.compile(r"(^|[\s.])([A-Z]|Mr|Mrs|Ms|Dr|St|Sen|Rep|Gov|Gen|Jr|Sr|Lt|Col|No)\.$")


@dataclass
class _Span:
    """A quoted passage found by the mark scanner (offsets into Article.text)."""

    open: int  # offset of the opening mark
    start: int  # first character of the quoted words
    end: int  # one past the last character of the quoted words
    close: int  # offset just past the closing mark, or ``end`` when unclosed
    closed: bool


_DOUBLE_MARK = re.compile("[" + re.escape(_OPEN_DOUBLE + _CLOSE_DOUBLE + _STRAIGHT) + "]|''")
_SINGLE_MARK = re.compile("[‘’']")


def _is_word(ch: str) -> bool:
    return bool(ch) and bool(_WORD_CHARS.match(ch))


def _double_marks(para: str) -> list[tuple[int, int, str]]:
    """Return ``(offset, length, role)`` of double quote marks; role is open, close or either."""
    marks: list[tuple[int, int, str]] = []
    # the regex jumps from one candidate mark to the next (a doubled apostrophe is consumed
    # whole, as one mark), instead of stepping through every character
    for m in _DOUBLE_MARK.finditer(para):
        i, ch = m.start(), m.group()[0]
        if ch in _OPEN_DOUBLE:
            marks.append((i, 1, "open"))
        elif ch in _CLOSE_DOUBLE:
            marks.append((i, 1, "close"))
        else:
            length = 1 if ch == _STRAIGHT else 2
            before = para[i - 1] if i > 0 else " "
            after = para[i + length] if i + length < len(para) else " "
            can_open = before in _BOUNDARY_BEFORE or not before.strip()
            can_close = not after.strip() or not _is_word(after)
            if ch == _STRAIGHT and _is_word(before) and before.isdigit():
                continue  # an inch mark (6'2"), not a quote
            role = "open" if can_open and not can_close else "close" if can_close and not can_open \
                else "either"
            marks.append((i, length, role))
    return marks


def _single_marks(para: str) -> list[tuple[int, int, str]]:
    """Return single quote marks that sit at word boundaries (apostrophes inside words never)."""
    marks: list[tuple[int, int, str]] = []
    for m in _SINGLE_MARK.finditer(para):
        i, ch = m.start(), m.group()
        before = para[i - 1] if i > 0 else " "
        after = para[i + 1] if i + 1 < len(para) else " "
        if ch in "‘'" and (before in _BOUNDARY_BEFORE or not before.strip()) and _is_word(after):
            marks.append((i, 1, "open"))
        elif ch in "’'" and before.strip() and not _is_word(after):
            # "Russians’ tanks": a plural possessive looks like a close; accept it only before
            # punctuation, where a quotation usually ends.
            if before in "sS" and not after.strip():
                continue
            marks.append((i, 1, "close"))
    return marks


def _pair(
    marks: list[tuple[int, int, str]], para_len: int
) -> list[tuple[int, int, int, int, bool]]:
    """Return ``(open, start, end, close, closed)`` pairs, paragraph-relative; an open mark
    without a close runs to the paragraph end."""
    out: list[tuple[int, int, int, int, bool]] = []
    open_at: tuple[int, int] | None = None
    for pos, length, role in marks:
        if open_at is None:
            if role in ("open", "either"):
                open_at = (pos, length)
            continue  # a stray closing mark: ignored
        if role == "open":
            # a second opening mark: the first one was never closed; end it here
            out.append((open_at[0], open_at[0] + open_at[1], pos, pos, False))
            open_at = (pos, length)
        else:
            out.append((open_at[0], open_at[0] + open_at[1], pos, pos + length, True))
            open_at = None
    if open_at is not None:
        out.append((open_at[0], open_at[0] + open_at[1], para_len, para_len, False))
    return out


def find_quoted_spans(paragraphs: Sequence[str], offsets: Sequence[int]) -> list[_Span]:
    """Return the quoted passages of an article, joining quotes continued over paragraphs.

    >>> spans = find_quoted_spans(["He said “yes,” she said.", "“No"], [0, 26])
    >>> [(s.start, s.end, s.closed) for s in spans]
    [(9, 13, True), (27, 29, False)]
    """
    spans: list[_Span] = []
    carry: _Span | None = None  # an unclosed quote that the next paragraph may continue
    for p, (para, base) in enumerate(zip(paragraphs, offsets, strict=True)):
        marks = _double_marks(para)
        if not marks:
            marks = _single_marks(para)
        pairs = _pair(marks, len(para))
        lead = len(para) - len(para.lstrip())
        if carry is not None:
            if pairs and pairs[0][0] == lead and para[lead] in _OPEN_DOUBLE + _STRAIGHT + "'‘":
                # the news convention: the continuing paragraph re-opens the quote
                first = pairs.pop(0)
                carry.end, carry.close, carry.closed = base + first[2], base + first[3], first[4]
                if not carry.closed and first[2] == len(para) and p + 1 < len(paragraphs):
                    continue  # still open: the next paragraph may continue it again
            spans.append(carry)
            carry = None
        for k, (op, st, en, cl, closed) in enumerate(pairs):
            span = _Span(open=base + op, start=base + st, end=base + en, close=base + cl,
                         closed=closed)
            if not closed and en == len(para) and k == len(pairs) - 1:
                carry = span
            else:
                spans.append(span)
        if carry is not None and p + 1 == len(paragraphs):
            spans.append(carry)
            carry = None
    if carry is not None:
        spans.append(carry)
    return spans


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Return ``(start, end)`` without surrounding blanks and a trailing comma."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",;"):
        end -= 1
    return start, end


# --- the parse: tokens by character ---------------------------------------------------------


class _Tokens:
    """Every token of the article with its Article.text offset, for lookups by character.

    Tokens are numbered across the whole article, chunk after chunk, in text order.
    """

    def __init__(self, parsed: Parsed) -> None:
        import numpy as np
        from spacy.attrs import ENT_IOB, ENT_TYPE, IDX, LOWER

        # spaCy makes a new Token object on every access and most tokens are never looked at:
        # offsets and word forms come from arrays, and a Token is made only where a lookup lands.
        self.docs = [chunk.doc for chunk in parsed.chunks]
        attrs = [IDX, LOWER, ENT_IOB, ENT_TYPE]
        cols = np.concatenate([chunk.doc.to_array(attrs) for chunk in parsed.chunks] or
                              [np.zeros((0, len(attrs)), dtype=np.uint64)])
        lengths = [len(doc) for doc in self.docs]
        # the article-wide number of each chunk's first token, then one past the last token
        self.firsts: list[int] = [0, *itertools.accumulate(lengths)]
        # every token's Article.text offset, in text order
        self.starts = cols[:, 0].astype(np.int64) + np.repeat(
            [chunk.start for chunk in parsed.chunks], lengths).astype(np.int64)
        # every token's (ENT_IOB, ENT_TYPE): 3 begins an entity, 1 is inside one
        self._ents = cols[:, 2:]
        lowers = cols[:, 1]
        found, is_cue = _attributing_words(lowers)
        # the tokens that can attribute a quote next to them (cue words and label verbs)
        self._attributing: list[int] = found.tolist()
        self._attributing_starts: list[int] = self.starts[found].tolist()
        # (number, offset) of the tokens at which _indirect can find reported speech
        self.cues: list[tuple[int, int]] = list(zip(found[is_cue].tolist(),
                                                    self.starts[found[is_cue]].tolist(),
                                                    strict=True))
        self.offset_of = {id(chunk.doc): chunk.start for chunk in parsed.chunks}
        self._texts = {id(chunk.doc): chunk.text for chunk in parsed.chunks}

    def text_of(self, doc) -> str:
        """Return ``doc.text``: the chunk's text for this article's docs, which spaCy would
        rebuild by joining every token on each call."""
        text = self._texts.get(id(doc))
        return doc.text if text is None else text

    def token(self, n: int):
        """Return token number ``n`` of the article (a spaCy Token)."""
        k = bisect_right(self.firsts, n) - 1
        return self.docs[k][n - self.firsts[k]]

    def person_entities(self) -> list[tuple[int, int]]:
        """Return the ``(start, end)`` offsets of the PERSON entities, in text order.

        These are the PERSON spans of ``Doc.ents``: a token beginning an entity labelled
        PERSON and the tokens inside it that follow, read from the entity columns rather than
        from a Span built for every entity of every label.
        """
        import numpy as np

        iob, label = self._ents[:, 0], self._ents[:, 1]
        out = []
        for n in np.flatnonzero((iob == 3) & (label == _string_id("PERSON"))).tolist():
            chunk_end = self.firsts[bisect_right(self.firsts, n)]
            last = n
            while last + 1 < chunk_end and iob[last + 1] == 1:
                last += 1
            out.append((self.starts[n].item(), self.abs_end(self.token(last))))
        return out

    def abs(self, tok) -> int:
        return self.offset_of[id(tok.doc)] + tok.idx

    def abs_end(self, tok) -> int:
        return self.abs(tok) + len(tok.text)

    def within(self, start: int, end: int) -> list:
        """Return the tokens starting in ``[start, end)``."""
        lo, hi = self.starts.searchsorted([start, end]).tolist()
        return [self.token(n) for n in range(lo, hi)]

    def attributing_within(self, start: int, end: int, outside: _SpanList) -> list:
        """Return the tokens in ``_ATTRIBUTING_WORDS`` starting in ``[start, end)`` and not
        inside one of the ``outside`` spans, in text order."""
        lo = bisect_left(self._attributing_starts, start)
        hi = bisect_left(self._attributing_starts, end)
        return [self.token(self._attributing[k]) for k in range(lo, hi)
                if not outside.covers(self._attributing_starts[k])]


def _string_id(word: str) -> int:
    """Return spaCy's id of ``word``, as in a Doc's arrays (a symbol's number, else a hash)."""
    from spacy.strings import get_string_id

    return get_string_id(word)


@functools.cache
def _attributing_ids():  # -> (numpy array of uint64, numpy array of bool)
    """Return the sorted string ids of ``_ATTRIBUTING_WORDS`` and which of them are ids of
    ``_INDIRECT_WORDS``."""
    import numpy as np

    words = sorted(_ATTRIBUTING_WORDS, key=_string_id)
    return (np.array([_string_id(w) for w in words], dtype=np.uint64),
            np.array([w in _INDIRECT_WORDS for w in words], dtype=bool))


def _attributing_words(lowers) -> tuple:  # -> (numpy array of int, numpy array of bool)
    """Return the positions in ``lowers`` (a LOWER column of tokens) of ``_ATTRIBUTING_WORDS``,
    and for each whether it is one of ``_INDIRECT_WORDS``.

    LOWER is the id of a token's text lower-cased (spaCy: ``Token.text.lower()``), so comparing
    ids matches the word forms without building a string per token; a binary search in the
    sorted ids finds, for each token, the only id it can equal.
    """
    import numpy as np

    ids, indirect = _attributing_ids()
    nearest = np.minimum(np.searchsorted(ids, lowers), len(ids) - 1)
    found = np.flatnonzero(ids[nearest] == lowers)
    return found, indirect[nearest[found]]


class _SpanList(list):
    """The quoted spans (a list), plus the union of their ``[open, close)`` ranges, merged and
    sorted, so that ``_in_spans`` bisects instead of scanning every span."""

    def __init__(self, spans: Sequence[_Span]) -> None:
        super().__init__(spans)
        merged: list[list[int]] = []
        for s in sorted(self, key=lambda s: s.open):
            if s.close <= s.open:
                continue  # an empty range covers nothing
            if merged and s.open <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], s.close)
            else:
                merged.append([s.open, s.close])
        self.opens = [a for a, _ in merged]
        self.closes = [b for _, b in merged]

    def covers(self, pos: int) -> bool:
        k = bisect_right(self.opens, pos) - 1
        return k >= 0 and pos < self.closes[k]

    def next_covered(self, pos: int) -> int | None:
        """Return the first offset at or after ``pos`` inside a span, or None."""
        k = bisect_right(self.opens, pos) - 1
        if k >= 0 and pos < self.closes[k]:
            return pos
        return self.opens[k + 1] if k + 1 < len(self.opens) else None

    def last_covered(self, pos: int) -> int | None:
        """Return the last offset before ``pos`` inside a span, or None."""
        k = bisect_right(self.opens, pos - 1) - 1
        return min(pos - 1, self.closes[k] - 1) if k >= 0 else None


def _in_spans(pos: int, spans: Sequence[_Span]) -> bool:
    if isinstance(spans, _SpanList):
        return spans.covers(pos)
    return any(s.open <= pos < s.close for s in spans)


# --- speakers ---------------------------------------------------------------------------------


@dataclass
class _Attribution:
    cue: str
    mention: str
    start: int
    end: int
    role: str
    cue_start: int


def _is_cue(tok) -> bool:
    low = tok.text.lower()
    if low in ("point", "points", "pointed"):
        return any(c.dep_ == "prt" and c.text.lower() == "out" for c in tok.children)
    if low in ("put", "puts"):
        return any(c.dep_ == "dobj" and c.lower_ == "it" for c in tok.children)
    return low in SPEECH_VERBS and tok.pos_ in ("VERB", "AUX")


def _name_span(head, toks: _Tokens) -> tuple[int, int]:
    """Return the (start, end) offsets of the noun phrase naming a speaker headed by ``head``."""
    doc = head.doc
    if head.pos_ == "PROPN":
        # the contiguous proper nouns around the head: a name the parser split into compounds
        i = j = head.i
        while i - 1 >= 0 and doc[i - 1].pos_ == "PROPN" and doc[i - 1].dep_ != "appos":
            i -= 1
        while j + 1 < len(doc) and doc[j + 1].pos_ == "PROPN" and doc[j + 1].head.i in (
            head.i, j + 2
        ) and doc[j + 1].dep_ != "appos":
            j += 1
        if head.lower_ in ORG_NOUNS:
            # a public body or firm tagged as a proper noun keeps whose it is: "the Chinese
            # foreign ministry", "Russia's defence ministry" (a person's name stays bare)
            for c in head.lefts:
                if c.dep_ in ("amod", "poss") and c.i < i:
                    i = c.left_edge.i
        first, last = doc[i], doc[j]
    elif head.pos_ == "PRON":
        first = last = head
    else:
        keep = [c for c in head.lefts if c.dep_ in ("det", "compound", "amod", "poss", "nmod",
                                                    "nummod", "case")]
        first = min([head, *[c.left_edge for c in keep]], key=lambda t: t.i)
        last = head
        for c in head.rights:
            if c.dep_ == "prep" and c.text.lower() in ("for", "of", "at", "with"):
                last = c.right_edge
            break
    return toks.abs(first), toks.abs_end(last)


def _role_of(head, doc_text: str | None = None) -> str:
    """Return the appositive describing a speaker (``senior fellow at X``), or "".

    ``doc_text`` is ``head.doc.text`` when the caller has it (building it is not free).
    """
    for c in head.children:
        if c.dep_ == "appos" and c.i > head.i:
            left, right = c.left_edge, c.right_edge
            # an appositive may swallow a trailing ", in his blog"; cut at the first comma
            end_tok = right
            for t in c.doc[c.i: right.i + 1]:
                if t.text in (",", ";", "(") and t.i > c.i:
                    end_tok = t.doc[t.i - 1]
                    break
            if end_tok.i < left.i:
                return ""
            if doc_text is None:
                doc_text = c.doc.text
            return doc_text[left.idx: end_tok.idx + len(end_tok.text)].strip(" ,")
    return ""


def _attribution_from_cue(cue, toks: _Tokens, blocked: Sequence[_Span],
                          lo: int, hi: int, *, appositive: bool = False) -> _Attribution | None:
    """Return the speaker named by a speech verb's subject (or the ``said X`` inversion; with
    ``appositive``, next to a quote, also ``X, <role>, said`` where the parse lost the subject)."""
    text = toks.text_of(cue.doc)
    base = toks.offset_of[id(cue.doc)]
    ok = lambda t: lo <= toks.abs(t) < hi and not _in_spans(toks.abs(t), blocked)  # noqa: E731
    subj = [c for c in cue.children if c.dep_ in ("nsubj", "nsubjpass") and ok(c)]
    node = cue
    if not subj and cue.lower_ == "saying":
        # "the agency quoted X as saying", "X was quoted as saying": who is quoted speaks
        quoted = cue.head.head if cue.head.lower_ == "as" else cue.head
        if quoted.lower_ in _QUOTED:
            subj = [c for c in quoted.children if c.dep_ == "dobj" and ok(c)] or \
                [c for c in quoted.children if c.dep_ == "nsubjpass" and ok(c)]
            node = quoted
    while not subj and node.dep_ in ("conj", "xcomp", "advcl") and node.head is not node:
        node = node.head
        subj = [c for c in node.children if c.dep_ in ("nsubj", "nsubjpass") and ok(c)]
    if not subj:
        # token patterns: "X said" first, then "said X" (skipping adverbs, dates, "reportedly")
        doc = cue.doc
        k = cue.i - 1
        while k >= 0 and (doc[k].pos_ in ("ADV", "AUX", "PART") or doc[k].ent_type_ in (
                "DATE", "TIME")):
            k -= 1
        if k >= 0 and doc[k].pos_ in ("PROPN", "PRON", "NOUN") and ok(doc[k]) and \
                doc[k].ent_type_ not in ("DATE", "TIME"):
            subj = [doc[k]]
        elif appositive and (name := _before_appositive(doc, k)) is not None and ok(name):
            subj = [name]  # "Andrew Pendleton, Christian Aid's head of trade policy, said"
        else:
            k = cue.i + 1
            while k < len(doc) and (doc[k].pos_ in ("ADV", "PART") or doc[k].ent_type_ in (
                    "DATE", "TIME")):
                k += 1
            if k < len(doc) and doc[k].pos_ in ("PROPN", "PRON", "NOUN", "DET") and ok(doc[k]):
                cand = doc[k]
                if cand.pos_ == "DET" and k + 1 < len(doc):
                    cand = doc[k + 1]
                    while cand.i + 1 < len(doc) and doc[cand.i + 1].pos_ in (
                            "NOUN", "PROPN", "ADJ") and cand.pos_ != "NOUN":
                        cand = doc[cand.i + 1]
                # the head of a multi-word name is its last proper noun
                while cand.i + 1 < len(doc) and cand.pos_ == "PROPN" and \
                        doc[cand.i + 1].pos_ == "PROPN":
                    cand = doc[cand.i + 1]
                if cand.ent_type_ not in ("DATE", "TIME"):
                    subj = [cand]
    if not subj:
        return None
    head = _before_party_tag(subj[0])
    if head.pos_ not in ("PROPN", "PRON", "NOUN", "NUM", "X"):
        return None
    if head.text.lower() in ("who", "that", "which") and node.dep_ == "relcl":
        head = node.head  # "Stevie Wonder, who joked ...": the relative clause's antecedent
        if head.pos_ not in ("PROPN", "NOUN"):
            return None
    if head.pos_ == "PRON" and head.text.lower() not in PERSON_PRONOUNS | OTHER_PRONOUNS:
        return None  # "that said"
    # "the country's foreign minister, Sergei Lavrov, said": the appositive is the name
    if head.pos_ == "NOUN":
        for c in head.children:
            if c.dep_ == "appos" and c.pos_ == "PROPN" and _before_party_tag(c) is c:
                n_start, n_end = _name_span(c, toks)
                r_start, r_end = toks.abs(head.left_edge), toks.abs_end(head)
                role = text[r_start - base: r_end - base]
                cue_text = _cue_text(cue)
                return _Attribution(cue_text, text[n_start - base: n_end - base], n_start, n_end,
                                    role.strip(" ,"), toks.abs(cue))
    start, end = _name_span(head, toks)
    return _Attribution(_cue_text(cue), text[start - base: end - base], start, end,
                        _role_of(head, toks.text_of(head.doc)), toks.abs(cue))


def _before_party_tag(tok):  # -> spacy.tokens.Token
    """Return the name before the party and state tag holding ``tok`` ("Gov. John Kasich
    (R-OH) said": Kasich, not OH), else ``tok``."""
    doc = tok.doc
    for k in range(tok.i - 1, max(-1, tok.i - 5), -1):
        if doc[k].text == ")":
            return tok
        if doc[k].text == "(":
            name = doc[k - 1] if k >= 1 else None
            return name if name is not None and (name.pos_ == "PROPN" or name.is_title) and \
                name.pos_ != "PUNCT" else tok
    return tok


def _before_appositive(doc, k: int):  # -> spacy.tokens.Token | None
    """Return the name before an appositive that ends with the comma ``doc[k]``
    ("Andrew Pendleton, Christian Aid's head of trade policy," said), if there is one."""
    if k < 2 or doc[k].text != ",":
        return None
    for m in range(k - 1, max(0, k - 14), -1):
        if doc[m].text == ",":
            name = doc[m - 1]
            if m == k - 1 or name.pos_ != "PROPN":
                return None
            first = name.i
            while first > 0 and doc[first - 1].pos_ == "PROPN":
                first -= 1
            # the name opens the attribution: "...,” Andrew Pendleton, <role>, said" (not
            # "coach Bill Belichick, asked about Brady, said")
            lead = doc[first - 1] if first > 0 else None
            return name if lead is None or lead.is_quote or lead.text == "," else None
        if doc[m].pos_ in ("VERB", "AUX", "CCONJ") or doc[m].is_quote or doc[m].is_sent_start:
            return None
    return None


def _goes_on(item: dict, last: dict, parsed: Parsed, spans: Sequence[_Span],
             person_ents: Sequence[tuple[int, int]]) -> bool:
    """Return whether an unattributed quote opening its sentence goes on with the speaker of
    ``last``: it reads as a sentence (three words or more, ending in "." or "!": not a title,
    a slogan or a question), it comes in the sentence right after ``last``'s, and no other
    person is named, outside quotes, between the two or in the quote's own sentence (who could
    be the new speaker)."""
    body = parsed.article.text[item["start"]:item["end"]].rstrip()
    if body[-1:] not in ".!" or len(body.split()) < 3:
        return False
    here = parsed.sentence_at(item["start"])
    before = parsed.sentence_at(max(last["start"], last["end"] - 1))
    if here is None or before is None or here.sentence_id - before.sentence_id != 1:
        return False
    att = last["att"]
    return not any(
        (last["end"] <= a < item["start"] or here.start <= a < here.end) and
        not _in_spans(a, spans) and not (att.start <= a < att.end) for a, _ in person_ents)


# "WALLACE: Let's start ..." in a transcript; "Sanders: Clinton needs to ‘get away ...’" in a
# headline: a name and a colon open the words.
_TRANSCRIPT_NAME = re.compile(r"([A-Z][A-Z'’.-]+(?: [A-Z][A-Z'’.-]+){0,2}):\s")
_HEADLINE_NAME = re.compile(r"\s*((?:[A-Z][\w'’.-]*\s){0,3}[A-Z][\w'’.-]*):\s")


def _transcript_speaker(text: str, start: int, end: int,
                        resolver: _Resolver) -> _Attribution | None:
    """Return the speaker naming a transcript turn ("WALLACE: Let's start ..."), when the name
    in capitals is a person of the article (a full name ends with it, or the model says so)."""
    m = _TRANSCRIPT_NAME.match(text, start, end)
    if m is None:
        return None
    n_start, n_end = m.span(1)
    name = m.group(1).title()
    full = resolver.canonical(n_start, n_end, name)
    mention = resolver.mention_at(n_start, n_end)
    if len(full.split()) < 2 and (mention is None or mention.kind != "person"):
        return None
    return _Attribution(":", m.group(1), n_start, n_end, "", m.end(1))


def _headline_speaker(text: str, para_lo: int, open_at: int,
                      resolver: _Resolver) -> _Attribution | None:
    """Return the person or organisation a headline gives the words to ("Sanders: Clinton
    needs to ‘get away from ...’"): the name and colon opening the paragraph the quote is in."""
    m = _HEADLINE_NAME.match(text, para_lo, open_at)
    if m is None:
        return None
    n_start, n_end = m.span(1)
    mention = resolver.mention_at(n_start, n_end)
    if mention is None or mention.kind not in ("person", "organization") or \
            mention.start < n_start or mention.end > n_end:
        return None
    return _Attribution(":", text[mention.start:mention.end], mention.start, mention.end, "",
                        m.end(1))


def _lead_in_subject(toks: _Tokens, spans: Sequence[_Span], lo: int,
                     hi: int) -> _Attribution | None:
    """Return the subject of a lead-in that ends in a colon without a speech verb ("Sanders
    made the following comment:", "Obama is rolling out a new message:"), when it is a name or
    a personal pronoun; "Partial transcript as follows:" names no one."""
    colon = next((t for t in reversed(toks.within(lo, hi)) if t.text == ":"), None)
    if colon is None:
        return None
    root = colon.sent.root
    subj = [c for c in root.children if c.dep_ in ("nsubj", "nsubjpass")]
    if root.pos_ not in ("VERB", "AUX") or not subj or not (
            subj[0].pos_ == "PROPN" or subj[0].lower_ in PERSON_PRONOUNS):
        return None
    return _attribution_from_cue(root, toks, spans, lo, hi)


def _dash_attribution(tokens: list, toks: _Tokens) -> _Attribution | None:
    """Return the name signing a quote after a dash (“...” ― Jane Doe), if any."""
    run = []
    for t in tokens:
        if t.pos_ == "PROPN" or (run and t.text in (".",) and len(run[-1].text) == 1):
            run.append(t)
        else:
            break
    if not run:
        return None
    start, end = toks.abs(run[0]), toks.abs_end(run[-1])
    base = toks.offset_of[id(run[0].doc)]
    doc_text = toks.text_of(run[0].doc)
    return _Attribution("―", doc_text[start - base: end - base].rstrip("."), start,
                        end - (1 if run[-1].text == "." else 0), "", start)


def _cue_text(cue) -> str:
    words = [cue.text]
    for c in cue.children:
        if c.dep_ == "prt":
            words.append(c.text)
    return " ".join(words)


def _according_to(tokens: list, toks: _Tokens, blocked) -> tuple[_Attribution, object] | None:
    """Return the attribution of an ``according to X`` phrase among ``tokens``."""
    for t in tokens:
        if t.text.lower() == "according" and t.i + 1 < len(t.doc) and \
                t.doc[t.i + 1].text.lower() == "to":
            to = t.doc[t.i + 1]
            objs = [c for c in to.children if c.dep_ == "pobj"] or \
                [c for c in t.children if c.dep_ == "pobj"]
            if not objs and to.i + 1 < len(t.doc):
                objs = [t.doc[to.i + 1]]
            if not objs:
                continue
            head = objs[0]
            base = toks.offset_of[id(t.doc)]
            for c in head.children:
                if c.dep_ == "appos" and c.pos_ == "PROPN" and head.pos_ == "NOUN":
                    head = c
                    break
            start, end = _name_span(head, toks)
            doc_text = toks.text_of(t.doc)
            att = _Attribution("according to", doc_text[start - base: end - base], start, end,
                               _role_of(head, toks.text_of(head.doc)), toks.abs(t))
            return att, t
    return None


class _Resolver:
    """Canonical speaker names: entity mentions first, then the article's chains of people
    (``toolkit.extract.people``), which also give pronouns their antecedents."""

    def __init__(self, parsed: Parsed, mentions: Sequence[Mention], toks: _Tokens) -> None:
        self.parsed = parsed
        self.toks = toks
        self.person_ents = toks.person_entities()  # (start, end) of every PERSON entity
        self.people = People(parsed, mentions, person_spans=self.person_ents)
        self.mentions = self.people.mentions  # sorted by start, as the chains index them
        self._mention_starts = self.people.starts
        self._longest_mention = max([0, *(m.end - m.start for m in self.mentions)])

    def antecedent(self, pos: int, pronoun: str, history: Sequence[tuple[int, str, bool]],
                   spans: Sequence[_Span], *, anchor: int | None = None) -> str:
        """Return who a pronoun speaker at ``pos`` stands for, or "" (see
        ``People.antecedent``); words inside quotes are never antecedents."""
        return self.people.antecedent(pos, pronoun, history, anchor=anchor,
                                      inside_quote=lambda p: _in_spans(p, spans),
                                      is_speech_verb=_is_cue)

    def mention_at(self, start: int, end: int) -> Mention | None:
        """Return the longest mention overlapping ``[start, end)`` (the first of equals)."""
        # only mentions starting less than the longest mention's length before ``start`` can
        # reach it: the scan skips the others, which cannot overlap
        lo = bisect_right(self._mention_starts, start - self._longest_mention)
        hi = bisect_left(self._mention_starts, end)
        best = None
        for m in self.mentions[lo:hi]:
            if m.start < end and start < m.end:
                if best is None or (m.end - m.start) > (best.end - best.start):
                    best = m
        return best

    def is_person(self, start: int, end: int, text: str) -> bool:
        m = self.mention_at(start, end)
        if m is None and after_honorific(text):
            return True  # "Lord Browne", which the model did not tag (the entity layer makes
            # a tagged name after a title a person, unless a table says otherwise: "Dr Pepper")
        if m is not None:
            return m.kind == "person"
        if text.lower() in PERSON_PRONOUNS:
            return True
        return any(s < end and start < e for s, e in self.person_ents)

    def speaker_kind(self, start: int, end: int, mention: str, speaker: str, *,
                     person: bool) -> tuple[str, SpeakerKind]:
        """Return the speaker to show for a non-pronoun attribution and what kind it is.

        A description no name covers ("a spokesman", "Analysts", "the team", "the report")
        shows no speaker (the words stay in ``speaker_mention``); its head noun gives the kind.
        Data and documents ("government data", "the ad") and a demonym alone ("Chinese") are
        never speakers; an organisation a document is from is ("a Global Times report").
        """
        m = self.mention_at(start, end)
        # the head noun comes before what qualifies it: "a spokesman for the firm"
        head = re.split(r"\s(?:for|of|at|with|from)\s", bare(mention))[0].split()[-1:] or [""]
        noun = _describes(head[0])
        if noun == "person" and head[0].islower() and (m is None or m.start > start or
                                                       m.end < end) and not (
                m is not None and m.kind == "organization" and head[0] in SPOKESPERSONS):
            # a description of a person ("the Florida senator", "Top Trump aides", "the
            # Supreme Court justice"): the names modifying it are not the speaker; the one
            # person the article introduced with that title is. A spokesperson's words are the
            # organisation's ("a Foreign Ministry spokesman said": the ministry said)
            return self.people.by_description(bare(mention).split(), start), "person"
        if person:
            return speaker, "person"
        if m is not None and m.kind in ("group", "country", "place") and noun and (
                m.start > start or m.end < end):
            # a nationality or a place modifying a description: "Chinese state media" and
            # "Russia's defence ministry" name a body; "American officials" name no one
            if noun == "organization":
                return _strip_article(mention), "organization"
            return "", noun
        if m is not None and m.kind in ("organization", "country"):
            return speaker, "organization"
        if m is not None and m.kind == "group":
            # "Republicans", "the Saudis" speak as a group; "Chinese" alone is an adjective
            # the parse took for a subject
            word = _strip_article(mention)
            # "Cuban" after "Mark Cuban" is the man, not a nationality
            full = self.people.full_name_before(start, word)
            if full:
                return full, "person"
            if lookup_demonym(word) is not None and not word.endswith("s"):
                return "", "unknown"
            return speaker, "organization" if word.endswith("s") else "unknown"
        if noun == "document":
            # "according to a statement from the Bank of Canada", "a report by X": X's words
            text = self.parsed.article.text
            source = re.match(r"\s+(?:from|by|of)\s+(?:the\s+)?", text[end:end + 24])
            named = self.mention_at(end + source.end(), end + source.end() + 1) if source else None
            if named is not None and named.start >= end and named.kind in (
                    "person", "organization", "country"):
                return (named.canonical or named.text,
                        "person" if named.kind == "person" else "organization")
            # "Sanders’ fundraising email": the words of the person whose document it is, when
            # the article names that person in full (the model often misses a possessive name)
            owner = _POSSESSOR.match(mention)
            if owner is not None:
                full = self.people.full_name(start + owner.start(1), owner.group(1))
                chain = self.people.chains.get(full)
                if chain is not None and chain.kind == "person" and len(full.split()) >= 2:
                    return full, "person"
            return "", "document"
        sentence = self.parsed.sentence_at(start)
        opening = sentence is not None and sentence.start == start
        words = self.toks.within(start, end)
        if len(words) > 1 and words[0].pos_ in ("DET", "NUM"):
            # "One official", "Two officials", "That official": what follows the determiner
            # is the description, and its capitals mean something
            mention, opening = mention[self.toks.abs(words[1]) - start:], False
        if _is_description(mention, at_sentence_start=opening):
            # "the fund said" after "the International Monetary Fund": that organisation
            named = self._organisation_named(start, head[0]) if noun == "organization" else ""
            return (named, "organization") if named else ("", noun or "unknown")
        return speaker, noun or "unknown"

    def _organisation_named(self, start: int, head: str) -> str:
        """Return the latest organisation named before ``start`` whose name holds ``head``
        ("the fund" after "the International Monetary Fund"), or ""."""
        lo = bisect_left(self._mention_starts, start)
        for m in reversed(self.mentions[:lo]):
            if m.kind == "organization" and m.canonical and head.lower() in \
                    m.canonical.lower().split():
                return m.canonical
        return ""

    def canonical(self, start: int, end: int, text: str) -> str:
        m = self.mention_at(start, end)
        if _describes_organization(text) and (m is None or m.kind in ("country", "place",
                                                                      "group")):
            # "China's biggest jet fuel supplier said", "the German club said": the speaker is
            # the organisation described; the place or people named in it only modify it (the
            # description stays: which organisation it is, the article may not say). Only the
            # article goes: "foreign" in "the foreign ministry" is no title.
            return _strip_article(text)
        if m is not None and m.canonical and (len(m.canonical.split()) > 1 or m.kind != "person"):
            return m.canonical
        name = strip_titles(m.canonical if m is not None and m.canonical else text)
        return self.people.full_name(start, name) if name else ""


# a name and a possessive opening a description: "Sanders’ fundraising email", "Mr. Ryan's letter"
_POSSESSOR = re.compile(r"((?:[A-Z][\w.-]*\s){0,2}[A-Z][\w-]*)(?:[’']s?)\s")


@functools.cache
def _speaker_nouns() -> dict[str, SpeakerKind]:
    """Return the nouns describing an unnamed speaker with their kind (the table in
    ``toolkit/data/speaker_nouns.csv``, plus ORG_NOUNS and ROLE_HEADS)."""
    nouns: dict[str, SpeakerKind] = dict.fromkeys(ORG_NOUNS, "organization")
    nouns |= dict.fromkeys(ROLE_HEADS, "person")
    nouns |= {r["word"]: r["kind"] for r in read_table("speaker_nouns.csv")}  # type: ignore
    return nouns


def _speaker_noun(word: str) -> SpeakerKind | None:
    """Return the kind of speaker a head noun describes ("officials": person), or None.

    >>> _speaker_noun("Officials"), _speaker_noun("ministry"), _speaker_noun("data")
    ('person', 'organization', 'document')
    """
    nouns = _speaker_nouns()
    low = word.lower()
    return nouns.get(low) or (nouns.get(low[:-1]) if low.endswith("s") else None)


def _describes(word: str) -> SpeakerKind | None:
    """Return the kind of speaker a description ending on ``word`` names: a speaker noun's
    kind, or a person for a title that names one ("the senator") or a gendered noun for people
    ("his niece", ``toolkit/data/gender_words.csv``).

    >>> _describes("senator"), _describes("officials"), _describes("foreign")
    ('person', 'person', None)
    """
    low = word.lower()
    return _speaker_noun(word) or (
        "person" if names_a_person(word) or low in gender_tables()[1] else None)


def _is_description(text: str, *, at_sentence_start: bool) -> bool:
    """Return True when ``text`` names no one: no capitalised word after the article, the
    capital of a word opening the sentence aside ("Analysts", "a spokesman", "the team").

    >>> _is_description("Analysts", at_sentence_start=True)
    True
    >>> _is_description("the Chinese foreign ministry", at_sentence_start=True)
    False
    """
    words = bare(text).split()
    if words and words[0].lower() in ("the", "a", "an"):
        words, at_sentence_start = words[1:], False
    # a capital opening the sentence says nothing about a noun that describes speakers
    # ("Analysts said"), but a word outside the table is taken for a name ("Politifact said")
    opening = at_sentence_start and bool(words) and _describes(words[0]) is not None
    return not [w for i, w in enumerate(words) if w[:1].isupper() and not (i == 0 and opening)]


def _describes_organization(text: str) -> bool:
    """Return True when ``text`` is a description ending on an organisation noun ("the firm",
    "the UK's biggest mortgage lender"), not a name ("the Vestey Group").

    >>> _describes_organization("China's biggest jet fuel supplier")
    True
    >>> _describes_organization("the Vestey Group")
    False
    """
    words = text.split()
    return bool(words) and words[-1] in ORG_NOUNS


def _strip_article(text: str) -> str:
    """Return ``text`` without a leading article or a trailing possessive.

    >>> _strip_article("the Chinese foreign ministry's")
    'Chinese foreign ministry'
    """
    text = bare(text)
    first, _, rest = text.partition(" ")
    return rest if rest and first.lower() in ("the", "a", "an") else text


# --- the extractor ----------------------------------------------------------------------------


# No reporter's sentence is longer than this; the cap keeps a paragraph without sentence ends
# (100,000 characters of unbalanced quotes) linear instead of quadratic in its length.
MAX_SENTENCE_CHARS = 2_000
_SENTENCE_END = re.compile(r"[.?!]")
# the word before a period that does not end a sentence: an initial or a title
# ("U.N.": a capital after another capital's period; "??.A." ends at its last period)
_SHORT_WORD = re.compile(r"(^|\s|[A-Z]\.)[A-Z]$|\b(Mr|Mrs|Ms|Dr|St|Sen|Rep|Gov|Gen|Jr|Sr)$")
_INITIALISM_END = re.compile(r"[A-Z]\.[A-Z]$")


def _sentence_bounds(text: str, pos: int, para_lo: int, para_hi: int, *, forward: bool,
                     spans: Sequence[_Span]) -> int:
    """Return where the reporter's sentence around ``pos`` ends (forward) or begins.

    The sentence stops at a sentence end or at a quoted span, whichever comes first: the scan
    looks at the stretch up to the nearest span only, and there at ``.?!`` characters only.
    """
    if not isinstance(spans, _SpanList):
        spans = _SpanList(spans)
    para_lo = max(para_lo, pos - MAX_SENTENCE_CHARS)
    para_hi = min(para_hi, pos + MAX_SENTENCE_CHARS)
    if forward:
        stop = spans.next_covered(pos)
        limit = para_hi if stop is None else min(stop, para_hi)
        for m in _SENTENCE_END.finditer(text, pos, limit):
            i = m.start()
            if i + 1 >= para_hi or text[i + 1].isspace():
                # "U.S. officials" is not a sentence end: the next word is capitalised either
                # way, so accept a period only when the word before it is longer than a letter
                # ("U.S." counts only within two words of the quote: "”, U.N. Secretary-General
                # Antonio Guterres said", not "… allies of the U.S. Macron said")
                word = text[max(para_lo, i - 3): i]
                if text[i] != "." or not _SHORT_WORD.search(word) or (
                        _INITIALISM_END.search(word) and len(text[pos:i].split()) > 2):
                    return i
        return limit
    last = spans.last_covered(pos)
    floor = last + 1 if last is not None and last >= para_lo else para_lo
    for m in reversed(list(_SENTENCE_END.finditer(text, floor, pos))):
        i = m.start()
        # a colon does not end the lead-in: "He said: “...”"
        if i + 1 < len(text) and text[i + 1].isspace() and not (
                text[i] == "." and _ABBREVIATION.search(text[max(para_lo, i - 4): i + 1])):
            return i + 1
    return floor


def extract_quotes(parsed: Parsed, mentions: Sequence[Mention] = ()) -> list[Quote]:
    """Return the article's direct, partial and reported quotes, in text order, with speakers.

    ``mentions`` are the entity rows of the same article; a speaker's canonical name is the
    canonical of the mention overlapping the speaker words (else the words, titles stripped, or
    an earlier full name ending with them).
    """
    article = parsed.article
    text = article.text
    offsets = article.paragraph_offsets()
    para_bounds = [(o, o + len(p)) for o, p in zip(offsets, article.paragraphs, strict=True)]
    spans = _SpanList([s for s in find_quoted_spans(article.paragraphs, offsets)
                       if any(ch.isalnum() for ch in text[s.start:s.end])])
    toks = _Tokens(parsed)
    resolver = _Resolver(parsed, mentions, toks)

    def para_index(pos: int) -> int:
        """Return the index of the paragraph holding ``pos`` (its end included), or -1."""
        k = parsed.paragraph_at(pos)
        return k if k >= 0 and pos <= para_bounds[k][1] else -1

    def para_of(pos: int) -> tuple[int, int]:
        k = para_index(pos)
        return para_bounds[k] if k >= 0 else (0, len(text))

    raw: list[dict] = []

    # 1. quoted speech: direct or partial, with the attribution next to it
    prev: dict | None = None
    for span in spans:
        lo, hi = para_of(span.open)
        start, end = _trim(text, span.start, span.end)
        if end <= start:
            continue
        before = text[lo:span.open].rstrip()
        prev_char = before[-1:] if before else ""
        # an abbreviation is at most five characters long: the search looks at the end only
        # (``pos`` leaves ``^`` anchored at the real start of ``before``)
        if prev_char == "." and _ABBREVIATION.search(before, max(0, len(before) - 5)):
            prev_char = "a"  # "U.S. ‘hegemony’": an abbreviation, not a sentence end
        first = text[start]
        opens_sentence = prev_char in ("", ".", "?", "!", ":", ";", "”", '"') or (
            prev_char in ",—–-(" and (first.isupper() or first.isdigit() or first in "[….")
        )
        body = text[start:end]
        many_sentences = bool(re.search(r"[.?!]\s+[A-Z“\"]", body)) and len(body.split()) >= 8
        kind = "direct" if opens_sentence or (many_sentences and first.isupper()) else "partial"
        if kind == "partial":
            # the period of the reporter's sentence sits inside the closing mark, US style
            while end > start and text[end - 1] in ".,;:":
                end -= 1
        if kind == "partial" and first.isupper() and len(body.split()) >= 6 and \
                prev_char.isalpha() and re.search(r"\b(said|says|told|wrote|added|asked)$",
                                                  before):
            kind = "direct"  # 'he said "We will ..."' without the comma
        split = False
        if kind == "partial" and prev is not None and prev["closed_with"] == "," and \
                prev["close"] <= span.open and prev["para"] == lo:
            between = text[prev["close"]:span.open]
            if len(between.split()) <= 12 and not re.search(r"[.?!]\s", between) and \
                    between.rstrip().endswith(","):
                # “My hope,” he said, “is that ...”: one sentence split by its attribution
                kind, split = "direct", True
                start, end = _trim(text, span.start, span.end)  # keep the final period
        # the reporter's words around the quote, in the same sentence
        # a quote may end in a later paragraph than it opens in
        c_lo, c_hi = para_of(max(span.open, span.close - 1))
        after_hi = _sentence_bounds(text, span.close, c_lo, c_hi, forward=True, spans=spans)
        before_lo = _sentence_bounds(text, span.open, lo, hi, forward=False, spans=spans)
        attribution = None
        regions = [(before_lo, span.open)]
        last = text[span.start:span.end].rstrip()[-1:]
        if span.closed and (last in ",;—–-" or (last in "?!" and (
                after_hi >= c_hi or text[after_hi] in ".?!"))):
            # “...,” she said. The words after a quote that ends its own sentence (“...!”) are
            # its attribution only when they end the sentence: “...?” Miller added, “...” is
            # the next quote's lead-in; after a closing period they never are.
            regions.insert(0, (span.close, after_hi))
        elif span.closed and last not in ".…":
            regions.insert(0, (span.close, after_hi))
        if span.open == lo:
            # a quote opening its paragraph after a lead-in ending in a colon ("He said:")
            k = parsed.paragraph_at(lo)  # the paragraph lo opens; the one before ends before it
            if k >= 1 and text[slice(*para_bounds[k - 1])].rstrip().endswith(":"):
                p_lo, p_hi = para_bounds[k - 1]
                regions.append((_sentence_bounds(text, p_hi - 1, p_lo, p_hi, forward=False,
                                                 spans=spans), p_hi))
        if kind == "partial":
            # the whole sentence around a partial quote, quotes excluded
            sent_lo = _sentence_bounds(text, span.open, lo, hi, forward=False, spans=[])
            sent_hi = _sentence_bounds(text, span.close, c_lo, c_hi, forward=True, spans=[])
            regions = [(sent_lo, sent_hi)]
        dash = re.match(r"\s*[―—–]\s*(?=[A-Z])", text[span.close:c_hi])
        if span.closed and dash and kind == "direct":
            # “...” ― Name: a signed quote
            attribution = _dash_attribution(toks.within(span.close + dash.end(), after_hi), toks)
        if attribution is None and span.open > lo and kind == "partial":
            # "Name: ..." opening a headline gives Name the words quoted after the colon, even
            # past a speech verb ("Sanders: Clinton Asking Voters To ‘Look Away’"); a direct
            # quote keeps its cue, which then stays out of reported speech
            attribution = _headline_speaker(text, lo, span.open, resolver)
        for r_lo, r_hi in ([] if attribution else regions):
            # _according_to and the cues below look at no other words
            region = toks.attributing_within(r_lo, r_hi, outside=spans)
            acc = _according_to(region, toks, spans)
            if acc is not None:
                attribution = acc[0]
                break
            cues = [t for t in region if _is_cue(t) or (
                kind == "partial" and t.text.lower() in _LABEL_VERBS)]
            if r_hi <= span.open:
                cues.reverse()  # the cue nearest the quote: "When X noted ..., Y boasted, “...”"
            for cue in cues:
                attribution = _attribution_from_cue(cue, toks, spans, r_lo, r_hi,
                                                    appositive=True)
                if attribution is None and kind == "partial":
                    attribution = _attribution_from_cue(cue, toks, spans, lo, hi)
                if attribution is not None:
                    break
            if attribution is not None:
                break
        if attribution is None and kind == "direct":
            attribution = _transcript_speaker(text, start, end, resolver) or next(
                (a for r_lo, r_hi in regions if r_hi <= span.open and
                 text[r_lo:r_hi].rstrip().endswith(":") and
                 (a := _lead_in_subject(toks, spans, r_lo, r_hi)) is not None), None)
        if attribution is None and span.open > lo:
            attribution = _headline_speaker(text, lo, span.open, resolver)
        if split:
            attribution = None  # the attribution between the halves belongs to both
        item = {"start": start, "end": end, "kind": kind, "att": attribution,
                "follow": None, "close": span.close, "para": lo,
                "opens": not text[before_lo:span.open].strip(),  # its sentence
                "closed_with": text[span.start:span.end].rstrip()[-1:] if span.closed else ""}
        if attribution is None and kind == "direct" and prev is not None and \
                prev["kind"] == "direct" and \
                (a := para_index(prev["end"])) >= 0 and 0 <= para_index(span.open) - a <= 1:
            item["follow"] = prev  # an unattributed follow-on quote: same speaker
        raw.append(item)
        if kind == "direct":
            prev = item

    # 2. reported speech: speech verbs outside quotes with a reported clause
    # a cue introducing a direct quote is not also reported speech; a partial quote's cue is
    # (the reported clause around the quoted fragment)
    quoted_cues = {a["att"].cue_start for a in raw if a["att"] is not None and
                   a["kind"] == "direct"}
    # _indirect finds nothing at a word outside _INDIRECT_WORDS: only those are visited
    for n, pos in toks.cues:
        if _in_spans(pos, spans) or pos in quoted_cues:
            continue
        # the cue's sentence (a word lies between its sentence's stripped ends, so the
        # sentence_at lookup finds it), with the offsets of the whole spaCy span
        sent = parsed.sentence_at(pos)
        s_lo, s_hi = sent.span.start_char + sent.offset, sent.span.end_char + sent.offset
        found = _indirect(toks.token(n), toks, spans, s_lo, s_hi, text)
        if found is not None:
            raw.append(found)

    # 3. speakers: canonical names, pronouns and follow-on quotes resolved in text order
    raw.sort(key=lambda r: (r["start"], r["end"]))
    quotes: list[Quote] = []
    history: list[tuple[int, str, bool]] = []  # (position, canonical, is_person)
    reported: list[Quote] = []  # the reported-speech rows so far, for the fragments inside them
    last: dict | None = None  # the latest item with an attribution
    for item in raw:
        att: _Attribution | None = item["att"]
        follow = item.get("follow")
        if att is None and follow is None and item.get("opens") and last is not None \
                and last.get("person") and item["kind"] == "direct" and \
                _goes_on(item, last, parsed, spans, resolver.person_ents):
            follow = last  # “A.” opening a sentence after "X said (that) B": X goes on speaking
        while att is None and follow is not None:
            att = follow.get("att")
            if att is None:
                follow = follow.get("follow")
            else:
                item["speaker"] = follow.get("speaker", "")
                item["speaker_kind"] = follow.get("speaker_kind", "unknown")
        if item["att"] is not None:
            last = item
        speaker = item.get("speaker", "")
        if att is not None and not speaker:
            low = att.mention.lower()
            if low in PERSON_PRONOUNS or low in OTHER_PRONOUNS:
                speaker = resolver.antecedent(att.start, low, history, spans,
                                              anchor=min(item["start"], att.start))
                item["person"] = low in PERSON_PRONOUNS
                item["speaker_kind"] = "person" if item["person"] else \
                    "organization" if speaker and low == "it" else "unknown"
            else:
                speaker = resolver.canonical(att.start, att.end, att.mention)
                person = resolver.is_person(att.start, att.end, att.mention)
                speaker, item["speaker_kind"] = resolver.speaker_kind(
                    att.start, att.end, att.mention, speaker, person=person)
                if person:
                    resolver.people.learn(att.start, speaker)
                if speaker:
                    history.append((att.start, speaker, person))
                elif bare(att.mention).lower().endswith("s") and \
                        item["speaker_kind"] in ("person", "organization"):
                    history.append((att.start, "", person))  # "officials": they, unnamed
                item["person"] = person
        item["speaker"] = speaker
        start, end = item["start"], item["end"]
        sent = parsed.sentence_at(start)
        polarity, subjectivity = sentiment(text[start:end])
        # a quoted fragment inside reported speech ('X said the cuts “do nothing”') is part of
        # that row: it is marked, so that counts of quotes take the pair once
        holder = next((r for r in reversed(reported) if item["kind"] == "partial" and
                       r.start <= start and end <= r.end), None)
        quotes.append(Quote(
            article_id=article.article_id,
            quote_id=len(quotes),
            start=start,
            end=end,
            text=text[start:end],
            kind=item["kind"],
            speaker=speaker,
            speaker_mention=att.mention if att else "",
            speaker_role=att.role if att else "",
            cue=att.cue if att else "",
            polarity=polarity,
            subjectivity=subjectivity,
            sentence_id=sent.sentence_id if sent is not None else -1,
            speaker_start=att.start if att else -1,
            speaker_end=att.end if att else -1,
            speaker_kind=item.get("speaker_kind", "unknown") if att else "unknown",
            part_of=holder.quote_id if holder is not None else -1,
        ))
        if item["kind"] == "indirect":
            reported.append(quotes[-1])
    return quotes


def _indirect(tok, toks: _Tokens, spans: Sequence[_Span], s_lo: int, s_hi: int,
              text: str) -> dict | None:
    """Return a reported-speech item for a speech verb or ``according to``, if it has content."""
    low = tok.text.lower()
    if low == "according":
        acc = _according_to([tok], toks, spans)
        if acc is None:
            return None
        att, _ = acc
        phrase = tok.subtree if tok.dep_ != "ROOT" else [tok]
        phrase = list(phrase)
        p_lo = toks.abs(min(phrase, key=lambda t: t.i))
        p_hi = toks.abs_end(max(phrase, key=lambda t: t.i))
        p_hi = max(p_hi, att.end)
        if p_lo - s_lo <= 2:  # "According to X, content."
            c_lo, c_hi = p_hi, s_hi
        else:  # "content, according to X."
            c_lo, c_hi = s_lo, p_lo
    else:
        if not _is_cue(tok):
            return None
        comps = [c for c in tok.children if c.dep_ == "ccomp"]
        if comps and comps[0].left_edge.text.lower() in ("which", "who", "where", "when"):
            comps = []  # "..., Li said, which ...": a relative clause, the cue is parenthetical
            if tok.dep_ not in ("parataxis", "ccomp"):
                left = min(tok.subtree, key=lambda t: t.i)
                left = min([left, *[c for c in tok.children if c.dep_.startswith("nsubj")]],
                           key=lambda t: t.i)
                c_lo, c_hi = s_lo, toks.abs(left)
                comps = None
        if comps is None:
            pass  # content set above: the sentence before a parenthetical cue
        elif comps:
            comp = comps[0]
            c_lo, c_hi = toks.abs(comp.left_edge), toks.abs_end(comp.right_edge)
        elif tok.dep_ in ("parataxis", "ccomp", "ROOT") and (tok.dep_ != "ROOT" or any(
                c.dep_ == "ccomp" and c.i < tok.i for c in tok.children)) and low not in \
                _WEAK_INDIRECT:
            # "Content ..., X said." : the reported clause is the sentence before the cue;
            # "The talks, X said, had collapsed." : the cue interrupts the clause it reports
            # (its head comes after it), so the content is the whole clause, cue included;
            # not "..., X said, and ..." nor "..., X said, state media reported."
            subtree = list(tok.subtree)
            left = min(subtree, key=lambda t: t.i)
            right = max(subtree, key=lambda t: t.i)
            c_lo, c_hi = s_lo, toks.abs(left)
            if left.text == right.text == "," and tok.head.i > right.i and \
                    not _is_cue(tok.head):
                # to the end of the reported clause: not "..., Interfax reported."
                clause_end = max(tok.head.subtree, key=lambda t: t.i)
                if len(text[toks.abs_end(right):toks.abs_end(clause_end)].split()) >= 3:
                    c_hi = min(s_hi, toks.abs_end(clause_end))
        else:
            return None
        att = _attribution_from_cue(tok, toks, spans, s_lo, s_hi)
        if att is None:
            return None
    c_lo, c_hi = _trim(text, c_lo, c_hi)
    while c_lo < c_hi and text[c_lo] in ",;:—– ":
        c_lo += 1
    while c_hi > c_lo and text[c_hi - 1] in ".,;:—– ":
        c_hi -= 1
    m = re.match(r"(that|whether|if)\s+", text[c_lo:c_hi])
    if m:
        c_lo += m.end()
    if len(text[c_lo:c_hi].split()) < 4:
        return None
    # reported speech that is all quoted ("He said: “...”") is that quote's attribution; mixed
    # speech (He said the nation is “more interested in ...”) is reported speech
    unquoted = 0  # letters and digits outside quote marks: three are enough to know
    for i in range(c_lo, c_hi):
        if text[i].isalnum() and not _in_spans(i, spans):
            unquoted += 1
            if unquoted == 3:
                break
    if unquoted < 3:
        return None
    return {"start": c_lo, "end": c_hi, "kind": "indirect", "att": att, "follow": None}
