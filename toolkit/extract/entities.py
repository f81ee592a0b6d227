"""Entity mentions with one canonical name per real-world entity across an article.

Built on spaCy's named entities (read from the shared parse, never re-parsed), then corrected by
general rules for news text:

* spans: a leading "the", a trailing possessive "'s" and titles ("President", "Mr.") are cut from
  the span; titles and the nationality before a name are kept as the person's role.
* kinds: PERSON -> person; GPE/LOC/FAC -> country or place via the tables in ``toolkit/data``;
  ORG -> organization; NORP -> group (a demonym stays a group, it is never merged into the
  country); other named labels -> other.
* canonical names: variants ("U.S.", "America") through ``aliases.csv``; a short form ("Lukashenko",
  "Li") through the full name introduced in the article, minding family-name-first names; a role
  description ("the Belarusian leader") through the person introduced with that role and
  nationality, only when exactly one person fits. Who a short form or a description can be is
  decided by ``toolkit.extract.people``, the resolver of person chains the quote layer uses too.
* a capital used for its government ("Beijing denied", "Beijing's position") counts as the country
  (``how="metonymy"``); as a location ("arrived in Beijing") it stays a place with its country.
* a place inside an organisation's name ("East China Normal University") is part of the
  organisation, never a mention of its own.
* people the model missed are added: a surname repeated from a full name ("Fallon said"), the
  subject of a speech verb, a name in apposition to a role; their ``label`` is "" (no model label).
  Resolved role descriptions carry ``label="ROLE"``.
* datelines ("SEOUL 1996-12-06") and rows of results tables ("Nantes 21 7 9 5 41") are read by
  layout rules (``how`` = "dateline" / "table-row").
* sentences in capitals (headlines, datelines) are read by the model a second time in a
  case-restored copy of the same length, so the offsets stay those of the original text.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..nlp import Parsed
from ..records import Mention
from .lexicon import Tables, load_tables, lookup_demonym, lookup_place, norm
from .people import (
    ROLE_HEADS,
    SURNAME_PARTICLES,
    TITLE_WORDS,
    People,
    fits_short_form,
    is_honorific,
)

# Labels that name something; numbers, dates and money belong to other layers.
NAMED_LABELS = frozenset(
    {"PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW",
     "LANGUAGE"}
)
# Common nouns for a kind of organisation. One just before a name says the name is one ("oil
# giant Yukos", "water firm Aguas Argentinas", "budget airline Virgin Blue"); quotes reads a
# speaker described by one as that organisation ("the UK's biggest mortgage lender said").
ORG_NOUNS = frozenset(  # lower case: "Group" in "the Vestey Group" is part of a name
    "company firm group club bank carrier airline retailer maker giant broadcaster chain "
    "operator lender insurer manufacturer producer supplier drugmaker carmaker conglomerate "
    "bourse subsidiary "
    # public bodies: "the Chinese foreign ministry said", "Russia's defence ministry said"
    "ministry government embassy agency department office council commission committee "
    "parliament regulator authorities military army navy police court "
    # research, civil society and the press: "the Colorado centre has argued"
    "centre center institute university college foundation association union federation "
    "alliance coalition newspaper paper magazine network".split()
)
# Of those, the ones that say a name after them is an organisation ("film-maker Spike Lee",
# "producer Jon Thoday" and "Lakers center Anthony Davis" are people) ...
_ORG_CUES = ORG_NOUNS - {"maker", "producer", "operator", "paper", "center", "centre"}
# ... and those that also describe people, so only before a one-word name: "equipment supplier
# Ericsson", "oil giant Yukos", but "cocaine supplier Juan Perez", "broadcaster David Attenborough"
_ONE_WORD_CUES = frozenset({"giant", "supplier", "broadcaster"})
# Words that end an organisation name: a place before them is part of the name.
ORG_HEADS = frozenset(
    """university college institute institution school academy bank ministry council party
    company corp corp. corporation inc inc. ltd ltd. group association agency committee commission
    foundation fund center centre society union federation league club times post news journal
    airlines airways railways museum hospital exchange organization organisation authority
    office department service services press daily army navy force forces police court
    parliament assembly congress""".split()
)
# Prepositions after which a city is a location, not a government.
LOCATIVE_PREPS = frozenset(
    """in at to from near into onto outside inside across around through toward towards via within
    throughout beyond along past off of over under""".split()
)
# Verbs whose object is a place ("visit Beijing"), not a government ("urged Beijing").
PLACE_VERBS = frozenset(
    """visit visits visited visiting leave leaves left leaving reach reaches reached reaching
    enter enters entered entering tour tours toured touring flee fled fleeing shell shells shelled
    shelling bomb bombs bombed bombing attack attacks attacked attacking capture captured
    encircle encircled surround surrounded hit hits struck strike strikes seize seized
    take took taken flood flooded land landed host hosts hosted hosting""".split()
)
# Nouns a capital's name modifies as a place ("Beijing airport", "Moscow's streets").
PLACE_NOUNS = frozenset(
    """airport streets street city center centre outskirts suburbs suburb residents resident
    population mayor subway metro skyline air weather district districts region area
    neighbourhood neighborhood university hotel office offices embassy marathon""".split()
)
# Nouns that make a capital's name its government ("the Beijing government").
GOVERNMENT_NOUNS = frozenset(
    "government regime leadership officials authorities administration".split()
)
# Predicates that describe a city as a place ("Beijing is a city of ..."), not an actor.
PLACE_PREDICATES = frozenset(
    "city capital town home host cold hot sunny crowded located situated polluted".split()
)
# Function words lower-cased when a headline in capitals is restored for the model.
FUNCTION_WORDS = frozenset(
    """a an the and or but of in on at to for from by with as into over after before against
    about under up down out off is are was were be been has have had will would can could may
    not no its it his her their our we he she they this that these those than then vs v""".split()
)
_POSSESSIVE = ("'s", "’s", "'", "’")
_NUMBER = re.compile(r"^[+-]?\d[\d.,:/-]*$")
# Two adjacent characters that may be upper-case letters (A-Z, or not ASCII): every upper-case
# word (alphabetic, longer than one letter, no letter in a-z) holds such a pair.
_CAPITALS_PAIR = re.compile(r"[A-Z\x80-\U0010ffff]{2}")
_TWO_DIGITS = re.compile(r"\d\D*\d")
_DATE_FORMS = r"(?:\d{4}-\d\d-\d\d|\d{1,2}/\d{1,2}/\d{2,4})"  # 1996-12-06, 12/6/96
_DATE = re.compile(rf"^{_DATE_FORMS}$")  # a token
_DATE_AT = re.compile(rf"{_DATE_FORMS}\b")  # in raw text, where spaCy splits it at the hyphens
_MONTHS = frozenset(
    "jan jan. feb feb. mar mar. apr apr. may jun june jul july aug aug. sep sep. sept sept. "
    "oct oct. nov nov. dec dec. "
    "january february march april august september october november december".split()
)
_WEEKDAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())
# Lower-case words that do occur in sports result rows and cricket scorecards.
_TABLE_WORDS = frozenset("v vs at b c lbw st not out run retired hurt and pens aet".split())


class _View:
    """One Doc as this layer reads it: the Doc, where it sits in the article, and the token
    offsets, texts and sentences the rules ask for again and again, read once.

    spaCy makes a new object on every ``doc[i]``, ``token.sent`` and ``span.text`` (which walks
    every token of the span); plain lists read once per doc answer the same questions by index.
    """

    def __init__(self, doc, base: int, text: str) -> None:
        """``text`` is the doc's text (``Chunk.text`` for the shared parse, the restored copy for
        a sentence in capitals)."""
        from spacy.attrs import IDX, LENGTH, TAG

        self.doc = doc  # spacy.tokens.Doc (the shared parse, or a case-restored copy of a headline)
        self.base = base  # Article.text offset of doc char 0
        columns = doc.to_array([IDX, LENGTH, TAG])
        self.starts: list[int] = columns[:, 0].tolist()  # token -> doc char offset
        self.ends: list[int] = (columns[:, 0] + columns[:, 1]).tolist()
        self.tags = columns[:, 2]  # TAG ids (numpy.uint64): searched, never read one by one
        self.text = text
        self.sents: list = list(doc.sents)  # spacy.tokens.Span
        self.sent_starts = [sent.start for sent in self.sents]
        self.skipped: list[tuple[int, int]] = []  # token ranges re-read in a case-restored copy

    def word(self, k: int) -> str:
        """Return the text of token ``k`` (as ``doc[k].text``)."""
        return self.text[self.starts[k] : self.ends[k]]

    def span_text(self, i: int, j: int) -> str:
        """Return the text of tokens ``i`` to ``j`` (as ``doc[i:j].text``)."""
        return self.text[self.starts[i] : self.ends[j - 1]]

    def sentence(self, k: int):  # -> spacy.tokens.Span
        """Return the sentence holding token ``k`` (as ``doc[k].sent``)."""
        return self.sents[bisect.bisect_right(self.sent_starts, k) - 1]

    def is_skipped(self, k: int) -> bool:
        """Return True when token ``k`` lies in a sentence re-read in a case-restored copy."""
        return bool(self.skipped) and any(a <= k < b for a, b in self.skipped)


@dataclass
class _Cand:
    """A mention being built: a token range in one read Doc (a ``_View``)."""

    view: _View
    i: int  # first token
    j: int  # end token (exclusive)
    label: str
    kind: str = ""
    canonical: str = ""
    country: str = ""
    how: str = "model"
    name: tuple[str, ...] = field(default=())  # a person's name tokens (no titles, no 's)

    @property
    def doc(self):  # -> spacy.tokens.Doc
        return self.view.doc

    @property
    def base(self) -> int:
        return self.view.base

    @property
    def start(self) -> int:
        return self.view.base + self.view.starts[self.i]

    @property
    def end(self) -> int:
        return self.view.base + self.view.ends[self.j - 1]

    @property
    def text(self) -> str:
        """Return the span's text in its Doc (as ``doc[i:j].text``)."""
        return self.view.span_text(self.i, self.j)


def _in_capitals(view: _View, sent) -> bool:
    """Return True when sentence ``sent`` is written in capitals (a headline or a dateline): at
    least two upper-case words (alphabetic, longer than one letter, all capitals) and three
    times as many of them as lower or title case ones."""
    # each upper-case word holds a _CAPITALS_PAIR: a sentence without two separate pairs (most
    # sentences) is settled by searching its text, before any token is made
    text, end = view.text, view.ends[sent.end - 1]
    pair = _CAPITALS_PAIR.search(text, view.starts[sent.start], end)
    if pair is None or _CAPITALS_PAIR.search(text, pair.end(), end) is None:
        return False
    upper = lower = 0
    for tok in sent:
        if tok.is_alpha and len(tok) > 1:
            if tok.is_upper:
                upper += 1
            elif tok.is_lower or tok.is_title:
                lower += 1
    return upper >= 2 and upper >= 3 * lower


def _restore_case(text: str, tables: Tables) -> str:
    """Return a same-length copy of a capitals-only sentence in ordinary case, for the model.

    >>> _restore_case("CHINA IN SURPRISE DEFEAT OF THE U.S.", load_tables())
    'China in Surprise Defeat of the U.S.'
    """

    def fix(match: re.Match) -> str:
        word = match.group(0)
        if word in tables.keep_upper or "." in word:
            return word
        if word.lower() in FUNCTION_WORDS:
            return word.lower()
        parts = word.split("-")  # AL-AIN -> Al-Ain
        fixed = "-".join(p[:1] + p[1:].lower() for p in parts)
        return fixed if len(fixed) == len(word) else word

    out = re.sub(r"[A-Za-z][A-Za-z.'’-]*", fix, text)
    return out if len(out) == len(text) else text


def _collect(parsed: Parsed, tables: Tables) -> tuple[list[_Cand], list[_View]]:
    """Return spaCy's named entities as candidates, and the docs read (the shared parse's, one
    per chunk and in order, then the case-restored copies of sentences in capitals)."""
    cands: list[_Cand] = []
    views: list[_View] = []
    restored: list[tuple[str, int]] = []  # (restored text, Article.text offset)
    for chunk in parsed.chunks:
        doc = chunk.doc
        view = _View(doc, chunk.start, chunk.text)
        views.append(view)
        for sent in view.sents:
            if _in_capitals(view, sent):  # a headline or dateline: re-read in ordinary case
                text = view.span_text(sent.start, sent.end)
                fixed = _restore_case(text, tables)
                if fixed != text:
                    view.skipped.append((sent.start, sent.end))
                    restored.append((fixed, chunk.start + view.starts[sent.start]))
        for ent in doc.ents:
            if ent.label_ not in NAMED_LABELS:
                continue
            if view.is_skipped(ent.start):
                continue
            cands.append(_Cand(view, ent.start, ent.end, ent.label_))
    if restored:
        from ..nlp import load_model

        nlp = load_model()
        for doc, (text, base) in zip(nlp.pipe(t for t, _ in restored), restored, strict=True):
            view = _View(doc, base, text)
            views.append(view)
            cands.extend(
                _Cand(view, e.start, e.end, e.label_) for e in doc.ents if e.label_ in NAMED_LABELS
            )
    return cands, views


def _trim(c: _Cand, tables: Tables) -> bool:
    """Cut "the", possessive 's, punctuation and (for persons) titles from the span.

    Returns False if nothing is left.
    """
    doc, word = c.doc, c.view.word
    while c.i < c.j:
        first = doc[c.i]
        if first.lower_ != "the" and not first.is_punct:
            break
        c.i += 1
    if c.i >= c.j:
        return False
    # a score or count glued to a name in tables ("Karlsruhe 3") is no part of it
    while c.j - c.i > 1:
        last, text = doc[c.j - 1], word(c.j - 1)
        if not (text in _POSSESSIVE or last.tag_ == "POS" or (last.is_punct and text != ".")
                or _NUMBER.match(text)):
            break
        c.j -= 1
    last, text = doc[c.j - 1], word(c.j - 1)
    if text in _POSSESSIVE or (last.is_punct and text != "."):
        c.j -= 1
    if c.i >= c.j:
        return False
    if c.label != "PERSON" and c.j - c.i <= 4 and (
            c.i > 0 and not doc[c.i].is_sent_start and is_honorific(doc[c.i - 1].text) or
            c.j - c.i > 1 and is_honorific(doc[c.i].text)) and all(
            doc[k].is_title or doc[k].lower_ in SURNAME_PARTICLES for k in range(c.i, c.j)) \
            and doc[c.j - 1].lower_ not in ORG_HEADS \
            and not lookup_place(c.text, tables)[0]:  # a brand: "Dr Pepper" in aliases.csv
        # "Dr Varga", "Mr Camus" read as organisations: the title says who (not "Mr Brown's
        # International Finance Facility")
        c.label = "PERSON"
    if c.label == "PERSON":
        # a name has no verb: in a headline in title case the model runs a name on into the
        # words after it ("Hillary Asking Moderator To ..."), which the parse reads as a verb
        # (not inside a hyphenated name: "Ki-moon"); the modal or "not" left before the verb
        # goes too ("Trump May Not Have ...")
        k = next((k for k in range(c.i + 1, c.j) if doc[k].pos_ in ("VERB", "AUX") and
                  doc[k - 1].whitespace_), c.j)
        if k < c.j:
            while k - 1 > c.i and (doc[k - 1].lower_ in FUNCTION_WORDS or doc[k - 1].is_punct):
                k -= 1
            c.j = k
        # "pro-Putin", "anti-Kremlin": the name inside the adjective is still the mention
        while c.j - c.i > 2 and doc[c.i].lower_ in ("pro", "anti") and word(c.i + 1) in "-–":
            c.i += 2
        while c.j - c.i > 1 and (
            doc[c.i].lower_ in TITLE_WORDS or lookup_demonym(word(c.i), tables) is not None
        ):
            c.i += 1
        # "Ursula von" + "der Leyen": the model cut a family name with a particle short
        k = c.j
        while k < len(doc) and not doc[k].is_sent_start and doc[k].is_lower and \
                doc[k].lower_ in SURNAME_PARTICLES:
            k += 1
        if (k > c.j or doc[c.j - 1].lower_ in SURNAME_PARTICLES) and k < len(doc) and \
                not doc[k].is_sent_start and doc[k].is_title and doc[k].is_alpha:
            c.j = k + 1
        # a possessive glued to the name token ("Putin’s" as one token in some tokenisations)
        last = word(c.j - 1)
        c.name = tuple(word(k) for k in range(c.i, c.j))
        for p in ("'s", "’s"):
            if last.endswith(p) and len(last) > len(p):
                c.name = (*c.name[:-1], last[: -len(p)])
        name = " ".join(c.name)
        if name == name.lower() != name.upper():  # scripts without case are left alone
            return False  # all in lower case ("wolf", "’s 61st"): no name
    return True


def _inside_org_name(c: _Cand) -> tuple[int, int] | None:
    """Return the token range of an organisation name a place name sits inside, if any.

    "East China Normal University": the place "China" plus the proper nouns around it end on an
    organisation word, so the whole is one organisation.
    """
    doc = c.doc
    sent = c.view.sentence(c.i)
    i, j = c.i, c.j
    while i > sent.start and doc[i - 1].pos_ == "PROPN" and not doc[i - 1].ent_type_:
        i -= 1
    while (
        j < sent.end and doc[j].pos_ in ("PROPN", "NOUN") and doc[j].is_title
        and not doc[j].ent_type_
    ):
        j += 1
        if doc[j - 1].lower_ in ORG_HEADS:
            return i, j
    # "University of Tokyo", "Bank of China"
    if (
        i >= 2 and doc[i - 1].lower_ == "of" and doc[i - 2].lower_ in ORG_HEADS
        and doc[i - 2].is_title
    ):
        k = i - 2
        while k > sent.start and doc[k - 1].is_title and not doc[k - 1].ent_type_:
            k -= 1
        return k, c.j
    return None


def _government_reading(c: _Cand) -> bool:
    """Return True when a capital's name stands for its government, judged by its syntax."""
    root = c.doc[c.i:c.j].root
    while root.dep_ == "conj" and root.head is not root:
        root = root.head  # "by Beijing, Moscow and Tehran": the first conjunct carries the role
    dep, head = root.dep_, root.head
    if dep in ("nsubj", "csubj"):
        if head.pos_ == "AUX" or head.lower_ in ("is", "was", "are", "were", "be", "been"):
            preds = [t for t in head.children if t.dep_ in ("attr", "acomp")]
            return not any(t.lower_ in PLACE_PREDICATES for t in preds)
        return True  # "Beijing denied", "Moscow appreciated"
    if dep == "nsubjpass":
        return head.lower_ not in PLACE_VERBS
    if dep == "poss":
        return head.lower_ not in PLACE_NOUNS
    if dep == "agent":
        return True
    if dep == "pobj":
        prep = head.lower_
        if prep == "by":
            return True
        return prep not in LOCATIVE_PREPS
    if dep == "dobj":
        return head.lower_ not in PLACE_VERBS
    if dep == "compound":
        return head.lower_ in GOVERNMENT_NOUNS
    return False


def _written(c: _Cand) -> str:
    """Return a person's name tokens as the text writes them: "Ban Ki-moon", not "Ban Ki - moon"
    (the tokens of ``c.name`` joined with the spaces the text has between them)."""
    doc = c.doc
    out = ""
    for n, word in enumerate(c.name):
        out += word + (doc[c.i + n].whitespace_ and " " if n + 1 < len(c.name) else "")
    return " ".join(out.split())  # a no-break space the model took for a token goes too


def _classify(c: _Cand, tables: Tables) -> None:
    """Set kind, canonical, country and how from the label, the tables and the syntax."""
    text = norm(c.text)
    if c.label == "NORP":
        dem = lookup_demonym(text, tables)
        c.kind = "group"
        if dem:
            c.canonical, c.country = dem
            c.how = "alias" if c.canonical != text else "model"
        else:
            kind, canonical, country = lookup_place(text, tables)
            if kind in ("country", "organization"):  # spaCy tags "U.S." in "U.S. officials" NORP
                c.kind, c.canonical, c.country, c.how = kind, canonical, country, "alias"
            else:
                c.canonical = text
        return
    kind, canonical, country = lookup_place(text, tables)
    if kind == "" and c.label != "PERSON" and (dem := lookup_demonym(text, tables)):
        c.kind, (c.canonical, c.country) = "group", dem  # "Ukrainian" tagged GPE
        return
    if c.label == "PERSON":
        # a country or a listed city is not a person ("Kyiv" tagged PERSON): it falls through to
        # the table below; a person who shares a city's name is put back by the article-wide
        # consistency pass
        if not (kind in ("country", "organization", "other")
                or (kind == "place" and c.j - c.i == 1)):
            c.kind, c.canonical = "person", _written(c)
            return
    if kind:
        c.kind, c.canonical, c.country = kind, canonical, country
        c.how = "alias" if canonical != text else "model"
        if kind == "place" and text in tables.capitals and tables.capitals[text][1]:
            if c.doc[c.i:c.j].root.dep_ and _government_reading(c):
                c.kind, c.canonical, c.how = "country", country, "metonymy"
        return
    if c.label in ("GPE", "LOC", "FAC"):
        c.kind, c.canonical = "place", text
    elif c.label == "ORG":
        c.kind, c.canonical = "organization", text
    else:
        c.kind, c.canonical = "other", text


def _resolve_people(cands: list[_Cand], tables: Tables, paragraph_of) -> None:
    """Give every short name the full name it refers to, where the article makes that clear."""
    people = [c for c in cands if c.kind == "person" and c.name]
    fulls = [c for c in people if len(c.name) >= 2]
    last_tokens = {c.name[-1] for c in fulls}
    last_seen: dict[str, tuple[int, int]] = {}  # canonical -> (start, paragraph) of latest mention

    def fits(f: _Cand, c: _Cand) -> bool:
        return fits_short_form(f.name, c.name, last_words=last_tokens, tables=tables)

    for c in people:
        if len(c.name) >= 2 and not (  # "De Vido" after "Julio De Vido" is a short form
                all(w.lower() in SURNAME_PARTICLES for w in c.name[:-1]) and
                any(fits(f, c) for f in fulls)):
            last_seen[c.canonical] = (c.start, paragraph_of(c.start))
            continue
        word = " ".join(c.name)
        before = {f.canonical for f in fulls if f.start < c.start and fits(f, c)}
        if len(before) == 1:
            c.canonical, c.how = before.pop(), "short-form"
        elif len(before) > 1:
            # a tie-breaker from the text: only one of them was named in this paragraph
            para = paragraph_of(c.start)
            here = [name for name in before if last_seen.get(name, (-1, -1))[1] == para]
            if len(here) == 1:
                c.canonical, c.how = here[0], "short-form"
            else:
                c.canonical, c.how = word, "ambiguous"
        else:
            after = {f.canonical for f in fulls if fits(f, c)}
            if len(after) == 1:  # a headline or lead naming someone before the full introduction
                c.canonical, c.how = after.pop(), "short-form"
            else:
                c.canonical = word
        if c.how == "short-form":
            last_seen[c.canonical] = (c.start, paragraph_of(c.start))


def extract_entities(parsed: Parsed) -> list[Mention]:
    """Return the article's entity mentions, sorted by start, each with its canonical name."""
    tables = load_tables()
    article = parsed.article
    cands, views = _collect(parsed, tables)
    ruled, claimed = _rows(views, article.text, tables)
    if ruled or claimed:
        cands = [c for c in cands if not any(a <= c.start < b for a, b in claimed)]
    kept: list[_Cand] = []
    orgs_made: set[tuple[int, int]] = set()
    for c in cands:
        if not _trim(c, tables):
            continue
        if c.label in ("GPE", "LOC", "NORP"):
            org = _inside_org_name(c)
            if org is not None:
                span = (c.base + c.view.starts[org[0]], id(c.doc), org[0])
                if span in orgs_made:
                    continue
                orgs_made.add(span)
                c.i, c.j, c.label = org[0], org[1], "ORG"
        _classify(c, tables)
        kept.append(c)
    kept.extend(ruled)
    kept.sort(key=lambda c: c.start)
    # drop a candidate overlapping an earlier one (a place swallowed by a rebuilt organisation name)
    deduped: list[_Cand] = []
    for c in kept:
        if deduped and c.start < deduped[-1].end:
            continue
        deduped.append(c)
    kept = deduped
    kept.extend(_unlabelled_people(views, kept, tables))
    kept.sort(key=lambda c: c.start)
    _relabel_people(kept, tables)
    _consistent_kinds(kept)
    _resolve_people(kept, tables, parsed.paragraph_at)
    _organisations_by_context(kept, tables)
    out = _mentions(parsed, kept)
    # role descriptions ("the Belarusian leader") are resolved by the chains of people the
    # quote layer reads too
    described = [
        _Cand(views[n], i, j, "ROLE", kind="person", canonical=name, country=country,
              how="description")
        for n, i, j, name, country in People(parsed, out).descriptions({c.start for c in kept})
    ]
    if not described:
        return out
    return sorted(out + _mentions(parsed, described), key=lambda m: m.start)


def _mentions(parsed: Parsed, cands: list[_Cand]) -> list[Mention]:
    """Return the candidates as Mention records, in text order."""
    article = parsed.article
    sent_starts = parsed.sentence_starts
    sents = parsed.sentences
    out: list[Mention] = []
    for c in sorted(cands, key=lambda c: c.start):
        start, end = c.start, c.end
        k = bisect.bisect_right(sent_starts, start) - 1
        out.append(
            Mention(
                article_id=article.article_id,
                sentence_id=sents[k].sentence_id if k >= 0 else -1,
                start=start,
                end=end,
                text=article.text[start:end],
                label=c.label,
                kind=c.kind,  # type: ignore[arg-type]
                canonical=c.canonical,
                country=c.country,
                how=c.how,
            )
        )
    return out


def _relabel_people(cands: list[_Cand], tables: Tables) -> None:
    """Relabel as a person a name the model mislabelled (ORG, GPE ...) that names a known person."""
    names: set[str] = set()
    for c in cands:
        if c.kind == "person" and len(c.name) >= 2:
            names.add(" ".join(c.name))
            names.add(c.name[-1])
            if c.name[0] in tables.family_first:  # "Wang" after "Wang Yi"
                names.add(c.name[0])
            for k in range(1, len(c.name) - 1):  # "Von der Leyen" after "Ursula von der Leyen"
                if c.name[k].lower() in SURNAME_PARTICLES:
                    names.add(" ".join(c.name[k:]).casefold())
                    break
    if not names:
        return
    for c in cands:
        if c.kind in ("person", "group") or c.how != "model":
            continue
        text = norm(c.text)
        if (text in names or text.casefold() in names) and not lookup_place(text, tables)[0]:
            c.kind = "person"  # label stays the model's, so the correction shows
            c.name = tuple(text.split())
            c.canonical = text


def _organisations_by_context(cands: list[_Cand], tables: Tables) -> None:
    """Make organisations of the names the model took for people, groups or unknown places
    that the article also writes after a kind of organisation ("oil giant Yukos", "bourse
    Euronext") or with shares ("shares in Virgin Blue", "Pernod shares"): every mention of that
    name, short forms too."""

    open_ = [c for c in cands if c.how in ("model", "short-form") and (
        c.kind == "person" or c.kind in ("group", "place", "other") and
        not lookup_place(c.canonical, tables)[0])]
    open_ids = {id(c) for c in open_}
    orgs: set[str] = set()  # ("Irish shares" are shares in Irish firms: groups need a noun)
    for c in cands:  # the cue may sit by a mention the model already read as an organisation
        if not (c.kind == "organization" or id(c) in open_ids):
            continue
        doc, i, j = c.doc, c.i, c.j
        before = doc[i - 1] if i > 0 and not doc[i].is_sent_start else None
        if before is not None and before.is_lower and before.lower_ in _ORG_CUES and \
                before.pos_ == "NOUN" and _linked(before, doc[i:j]) and \
                (before.lower_ not in _ONE_WORD_CUES or j - i == 1) or \
                c.kind != "group" and (_with_shares(doc, i, j) or _apposed_org_noun(doc, i, j)):
            orgs.add(c.canonical)
    if not orgs:
        return
    for c in open_:
        if c.canonical in orgs:
            c.kind, c.name = "organization", ()


def _apposed_org_noun(doc, i: int, j: int) -> bool:
    """Return True when the name ``doc[i:j]`` is followed by an appositive naming a kind of
    organisation ("Aston Martin, the British carmaker,", "Ferrero, the chocolate maker's
    parent," is not one: the noun must head the appositive)."""
    if j >= len(doc) or doc[j].text != ",":
        return False
    for t in doc[j + 1: j + 7]:
        if t.dep_ == "appos" and i <= t.head.i < j:
            return t.is_lower and t.lower_ in _ORG_CUES and t.lower_ not in _ONE_WORD_CUES \
                and t.pos_ == "NOUN"
        if t.text in (",", ";") or t.is_sent_start:
            break
    return False


def _with_shares(doc, i: int, j: int) -> bool:
    """Return True when the name ``doc[i:j]`` is what shares are in ("shares in Holcim", "a
    stake in Holcim", "Ericsson shares"), not their owner ("shares in Trump's company", "the
    stake of Deripaska", "Musk shares a meme"). "Murdoch shares" (his company's) is read as a
    firm's: in news, a name before "shares" is almost always one."""
    last = doc[j - 1]
    if j < len(doc) and doc[j].lower_ == "shares" and doc[j].pos_ == "NOUN":
        return last.head == doc[j] and last.dep_ == "compound" and doc[j].dep_ != "compound"
    if i > 1 and (doc[i - 2].lower_, doc[i - 1].lower_) in (("shares", "in"), ("shares", "of"),
                                                           ("stake", "in")):
        return last.head == doc[i - 1] and not (j < len(doc) and doc[j].tag_ == "POS")
    return False


def _linked(noun, span) -> bool:
    """Return True when ``noun`` and the name ``span`` after it are one phrase: the noun
    modifies the name ("oil giant Yukos") or the name stands in apposition to it, not a noun
    ending the phrase before ("told the news agency Yeltsin was working")."""
    return noun.head in span or any(t.head == noun and t.dep_ in ("appos", "compound", "nmod")
                                    for t in span)


SPEECH_VERBS = frozenset(
    """said says say told tells added adds wrote writes stated noted asked argued explained
    warned insisted recalled acknowledged""".split()
)


def _unlabelled_people(views: list[_View], cands: list[_Cand], tables: Tables) -> list[_Cand]:
    """Return person names the model missed: known names repeated, and speakers or appositions.

    A token equal to the surname of a person named in the article ("Fallon said" after
    "Theresa Fallon") is that person; a run of proper nouns that is the subject of a speech verb
    or stands in apposition to a role ("ambassador to China, Igor Morgulov,") is a person.
    """
    known: set[str] = set()
    for c in cands:
        if c.kind == "person" and len(c.name) >= 2:
            known.add(c.name[-1])
            if c.name[0] in tables.family_first:
                known.add(c.name[0])
    spans = [(c.start, c.end) for c in cands]  # sorted, none overlapping
    starts = [a for a, _ in spans]

    def free(a: int, b: int) -> bool:
        """Return True when no mention overlaps the text range ``a``-``b``."""
        k = bisect.bisect_right(starts, a) - 1
        if k >= 0 and spans[k][1] > a:
            return False
        return not (k + 1 < len(spans) and spans[k + 1][0] < b)

    out: list[_Cand] = []
    for view in views:
        doc = view.doc
        names = _title_nnp(view)
        p = 0
        while p < len(names):  # runs of up to three consecutive tokens of ``names``
            i = j = names[p]
            if view.is_skipped(i):
                p += 1
                continue
            while p < len(names) and names[p] == j and j - i < 3:
                p += 1
                j += 1
            a, b = view.base + view.starts[i], view.base + view.ends[j - 1]
            if not free(a, b):  # part of a mention found already
                continue
            words = tuple(view.word(k) for k in range(i, j))
            if (j - i == 1 and words[0] in known) or (
                _speaker_or_apposed(doc[i:j])
                and not lookup_place(" ".join(words), tables)[0]
                and not any(w.lower() in TITLE_WORDS for w in words)
            ):
                c = _Cand(view, i, j, "", kind="person", how="model")
                c.name = words
                c.canonical = " ".join(words)
                out.append(c)
    return out


def _speaker_or_apposed(span) -> bool:
    """Return True when a run of proper nouns is the subject of a speech verb ("Fallon said"),
    or, two words or more, stands in apposition to a role ("ambassador to China, Igor Morgulov")."""
    root = span.root
    if root.dep_ == "nsubj":
        return root.head.lower_ in SPEECH_VERBS
    return (
        root.dep_ == "appos" and len(span) >= 2
        and (root.head.lower_ in ROLE_HEADS or root.head.lower_ in TITLE_WORDS)
    )


def _title_nnp(view: _View) -> list[int]:
    """Return the indices of the title-case NNP tokens, in order (the NNPs found in the TAG
    array, a Token made for each of them only: making every Token was most of
    ``_unlabelled_people``'s time)."""
    import numpy as np

    doc = view.doc
    nnps = np.flatnonzero(view.tags == np.uint64(doc.vocab.strings["NNP"])).tolist()
    return [k for k in nnps if doc[k].is_title]


def _consistent_kinds(cands: list[_Cand]) -> None:
    """Give every mention of the same name not fixed by a table the article's majority kind.

    The model may call "Xinhua" a place once and an organisation twice; one name in one
    article names one thing.
    """
    voters = [
        (c, norm(c.text)) for c in cands
        if c.how == "model" and c.kind in ("person", "organization", "place")
    ]
    votes: dict[str, dict[str, int]] = {}
    for c, key in voters:
        votes.setdefault(key, {}).setdefault(c.kind, 0)
        votes[key][c.kind] += 1
    for c, key in voters:
        tally = votes[key]
        if len(tally) > 1:
            best = max(tally.items(), key=lambda kv: kv[1])
            if best[1] > tally[c.kind]:
                c.kind = best[0]
                if c.kind == "person" and not c.name:
                    c.name = tuple(key.split())


def _is_cap_word(word: str) -> bool:
    return word[:1].isupper() and any(ch.isalpha() for ch in word)


def _rows(
    views: list[_View], text: str, tables: Tables
) -> tuple[list[_Cand], list[tuple[int, int]]]:
    """Return names read by layout rules, and the text ranges those rules claim from the model.

    Two layouts of wire copy the model reads badly: the dateline ("SEOUL 1996-12-06",
    "BEIJING, Feb 27 (Reuters) -"), whose capitals name a place, and rows of sports results and
    tables ("Nantes 21 7 9 5 41", "Schalke 2 ( Mulder 2nd )"), where a name followed by scores is
    a team (an organisation), unless it is a country, and a name with a bracketed country or
    club, or a scorer's minutes, is a player.
    """
    out: list[_Cand] = []
    claimed: list[tuple[int, int]] = []
    for view in views:
        base = view.base
        for sent in view.sents:
            if view.is_skipped(sent.start):
                continue
            dl = _dateline(view, sent, text)
            if dl:
                for i, j in dl:
                    c = _Cand(view, i, j, "GPE", how="dateline")
                    name = view.span_text(i, j)
                    kind, canonical, country = lookup_place(name, tables)
                    c.kind = kind if kind in ("country", "place") else "place"
                    c.canonical = canonical if kind else " ".join(name.split()).title()
                    c.country = country
                    out.append(c)
                    claimed.append((c.start, c.end))
                continue
            # a table row has two numbers (so two digits: one search settles most sentences) and
            # no lower-case word but those of _TABLE_WORDS
            if not _TWO_DIGITS.search(view.text, view.starts[sent.start], view.ends[sent.end - 1]):
                continue
            if any(t.is_alpha and t.is_lower and t.lower_ not in _TABLE_WORDS for t in sent):
                continue
            if sum(bool(_NUMBER.match(view.word(k))) for k in range(sent.start, sent.end)) < 2:
                continue
            claimed.append((base + sent.start_char, base + sent.end_char))
            out.extend(_table_row(view, sent, tables))
    return out, claimed


_DASHES = frozenset(("—", "–", "-", "--"))
# capitals before a dash that are a label of the story, not the place it was filed from
_WIRE_LABELS = frozenset("update breaking exclusive analysis opinion editorial correction "
                         "breaking news soccer football tennis golf cricket rugby motor racing "
                         "athletics boxing cycling sport sports oil gold markets stocks "
                         "forex business world politics "
                         "watch live video photos factbox explainer".split())


def _dateline(view: _View, sent, text: str) -> list[tuple[int, int]]:
    """Return the token ranges of the place names of a dateline opening ``sent``, or []."""
    doc, first, end = view.doc, sent.start, sent.end
    word = view.word

    def upper(k: int) -> bool:  # in Article.text ``text``: a case-restored copy lost the capitals
        original = text[view.base + view.starts[k] : view.base + view.ends[k]]
        return original.isupper() and any(ch.isalpha() for ch in original)

    m = first
    while m < end and upper(m) and m - first < 4:
        m += 1
    if m == first or m >= end:
        return []
    ranges = [(first, m)]
    if word(m) == ",":
        m += 1
        r = m
        while m < end and _is_cap_word(word(m)) and doc[m].lower_ not in _MONTHS and m - r < 3:
            m += 1
        if m > r:
            ranges.append((r, m))
    if m < end and (_DATE.match(word(m)) or doc[m].lower_ in _MONTHS or word(m) == "(" or
                    _DATE_AT.match(text, view.base + view.starts[m])):  # 1996 - 12 - 06 in raw text
        return ranges
    if m < end and word(m) in _DASHES and (m + 1 == end or word(m + 1) in _DASHES) and \
            view.span_text(first, ranges[0][1]).lower() not in _WIRE_LABELS and \
            lookup_place(view.span_text(first, ranges[0][1]))[0] != "organization":  # NATO, WHO
        return ranges  # "MOSCOW —", "KYIV, Ukraine —": toolkit.nlp parses it on its own
    if m < end and word(m) == "," and m + 1 < end and doc[m + 1].lower_ in _MONTHS:
        return ranges
    return []


def _table_row(view: _View, sent, tables: Tables) -> list[_Cand]:
    """Return the names in one row of a results table, typed by their place in the row."""
    out: list[_Cand] = []
    toks = list(sent)
    k = 0
    prev_person = False
    while k < len(toks):
        if not _is_cap_word(toks[k].text):
            k += 1
            continue
        m = k
        while m < len(toks) and (
            _is_cap_word(toks[m].text)
            or (toks[m].text in ("-", "&") and m + 1 < len(toks) and _is_cap_word(toks[m + 1].text))
        ):
            m += 1
        words = [t.text for t in toks[k:m]]
        if (
            all(len(w) <= 3 and w.isupper() for w in words)
            and not lookup_place(" ".join(words), tables)[0]
        ) or all(w.lower() in _MONTHS or w.lower() in _WEEKDAYS for w in words):
            k = m  # column headers (W L PCT GB) and dates
            continue
        before = toks[k - 1].text if k else ""
        after = toks[m].text if m < len(toks) else ""
        after2 = toks[m + 1].text if m + 1 < len(toks) else ""
        in_parens = before == "("
        kind, canonical, country = lookup_place(" ".join(words), tables)
        person = (
            after == "("
            and not _NUMBER.match(after2)
            or before.lower() in ("c", "b", "lbw", "st")
            or after.lower() in ("c", "b", "lbw")
            or (in_parens and _NUMBER.match(after) is not None)
            or bool(re.match(r"^[A-Z]\.$", words[0]))
            or (toks[k].ent_type_ == "PERSON" and len(words) >= 2)
        )
        c = _Cand(view, toks[k].i, toks[m - 1].i + 1, toks[k].ent_type_ or "", how="table-row")
        if kind == "country":
            c.kind, c.canonical, c.country = "country", canonical, country
        elif person and not (in_parens and prev_person):
            c.kind, c.canonical, c.name = "person", " ".join(words), tuple(words)
        else:
            c.kind, c.canonical = "organization", canonical if kind else " ".join(words)
        prev_person = c.kind == "person"
        out.append(c)
        k = m
    return out


def corpus_short_forms(
    people: Iterable[str], tables: Tables | None = None
) -> dict[str, str]:
    """Return ``{short name: full name}`` for one-word person names that exactly one full name in
    the corpus fits ("Biden" -> "Joe Biden" when no other "... Biden" is named anywhere).

    Within an article a short form is resolved from that article's text; this settles the ones an
    article never introduced, using the whole corpus, and only when no other person fits.

    >>> corpus_short_forms(["Joe Biden", "Biden", "Li Mingjiang", "Li Hui", "Li", "Xi",
    ...                     "Xi Jinping"])
    {'Biden': 'Joe Biden', 'Xi': 'Xi Jinping'}
    """
    tables = tables or load_tables()
    names = sorted(set(people))
    fulls = [n.split() for n in names if len(n.split()) >= 2]
    last_tokens = {f[-1] for f in fulls}
    out = {}
    for name in names:
        if len(name.split()) != 1:
            continue
        fits = {" ".join(f) for f in fulls
                if fits_short_form(f, [name], last_words=last_tokens, tables=tables)}
        if len(fits) == 1:
            out[name] = fits.pop()
    return out
