"""People and organisations of an article as chains of mentions: the one resolver that the entity
layer and the quote layer share.

A chain (``Person``) holds every mention the text links to one person or organisation: the full
name, the short forms ("Lukashenko", "Li" after "Li Mingjiang"), a title and surname, a role
description ("the Belarusian leader"), and the pronouns that quote speakers resolved to it. It
carries the person's gender when the text gives it (a title or a gendered role word next to a
mention, a linked pronoun, else a first name in the table), and the title and nationality the
person was introduced with.

The rules here are the only ones that decide who a name, a description or a pronoun refers to:

* ``fits_short_form``: which full names a short name can be (entities, quote speakers and the
  corpus-wide pass in ``toolkit.annotate`` all ask it);
* ``person_role`` and ``roles_match``: the title words before a name, and whether a description
  fits them;
* ``People.gender``, ``People.antecedent``: gender evidence and pronoun antecedents.

Word lists live in ``toolkit/data`` (``gender_words.csv``, ``first_names.csv``, the name tables
read by ``toolkit.extract.lexicon``) or, for the closed classes of English titles, below. Built
from the parse and the entity mentions only: no I/O beyond the cached tables, no model.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from ..nlp import Parsed
from ..records import Mention
from .lexicon import Tables, load_tables, lookup_demonym, lookup_place, read_table

# Title words cut from the front of a PERSON span and remembered as the person's role.
TITLE_WORDS = frozenset(
    """president vice prime minister premier chancellor leader king queen prince princess emperor
    mr mr. mrs mrs. ms ms. miss dr dr. sen sen. senator rep rep. representative gov gov. governor
    mayor gen gen. general col col. lt lt. capt capt. sgt sgt. adm adm. admiral sir dame lord lady
    pope sheikh ambassador secretary foreign defense defence finance interior trade economy top
    diplomat spokesman spokeswoman spokesperson judge justice chief executive ceo chairman
    chairwoman chair director professor prof prof. coach manager captain former deputy acting
    interim state councillor councilor commissioner envoy strongman dictator ruler head
    opposition party commander supreme general-secretary secretary-general rev rev. father
    cardinal archbishop bishop ayatollah crown congressman congresswoman""".split()
)
# Title words that qualify an office rather than name one ("vice president", "foreign
# minister", "former senator"): alone they name no one. The others (senator, judge, mayor,
# chairman ...) name a person when a description ends on them ("the Florida senator").
TITLE_MODIFIERS = frozenset(
    """vice prime foreign defense defence finance interior trade economy top former deputy
    acting interim state opposition party supreme crown executive chief head mr mr. mrs mrs.
    ms ms. miss dr dr. sen sen. rep rep. gov gov. gen gen. col col. lt lt. capt capt. sgt sgt.
    adm adm. prof prof. rev rev. sir dame lord lady""".split()
)
# Of those, the ones that make another office: "the president" is not the vice president, the
# former president or the deputy; one of them must be in both a description and a title.
OFFICE_CHANGERS = frozenset("former vice deputy acting interim".split())
# The titles dropped from a speaker's words to get the name ("Sen. Warren", "the Prime Minister
# Theresa May"): the titles a name is written after, without the words that also open names of
# organisations ("State Department", "Party of Regions", "Trade Representative's office").
NAME_TITLES = frozenset(
    "mr mr. mrs mrs. ms ms. dr dr. sen sen. rep rep. gov gov. gen gen. prof prof. president "
    "prime minister senator representative governor general professor sir lord lady dame "
    "rev rev. reverend judge justice secretary chancellor premier king queen prince princess "
    "ambassador foreign defense defence chairman chairwoman leader the".split()
)
# Abbreviated titles and the word a description uses for them ("Sen. Rubio", "the senator").
TITLE_ABBREVIATIONS = {
    "sen": "senator", "sen.": "senator", "rep": "representative", "rep.": "representative",
    "gov": "governor", "gov.": "governor", "gen": "general", "gen.": "general",
    "prof": "professor", "prof.": "professor", "adm": "admiral", "adm.": "admiral",
    "col": "colonel", "col.": "colonel", "capt": "captain", "capt.": "captain",
    "lt": "lieutenant", "lt.": "lieutenant", "sgt": "sergeant", "sgt.": "sergeant",
    "rev": "reverend", "rev.": "reverend",
}
# Titles only a person bears: a name after one is a person, whatever the model read.
HONORIFICS = frozenset("mr mrs ms miss mx dr lord lady sir dame prof professor rev reverend "
                       "sen rep gov".split())
# Role words that a description can end on ("the Belarusian leader", "China's top diplomat").
ROLE_HEADS = frozenset(
    """president premier chancellor leader king queen emperor minister diplomat ambassador envoy
    secretary spokesman spokeswoman spokesperson strongman dictator ruler governor mayor
    commander chief""".split()
)
# Those who speak for an organisation: their words are the organisation's.
SPOKESPERSONS = frozenset("spokesman spokeswoman spokesperson".split())
# Heads of state or government: "the Belarusian leader" may refer to one introduced as president.
LEADER_ROLES = frozenset(
    "president premier chancellor leader king queen emperor strongman dictator ruler".split()
)
# Modifiers that do not change who a role refers to.
ROLE_FILLER = frozenset({"top", "then", "current", "new", "longtime", "long-time", "the"})
# Words that begin a family name of several words ("De Vido", "von der Leyen", "bin Salman").
SURNAME_PARTICLES = frozenset("de da di del della der den van von la le du dos das ter ten bin "
                              "ibn al el".split())
# Pronouns a speaker may be: of a person, and of anything else.
PERSON_PRONOUNS = frozenset("he she him her i we".split())
OTHER_PRONOUNS = frozenset("it they them".split())
# The pronouns that pick their antecedent by syntax (a subject just before) and, for he and she,
# by gender; "I", "we" and "they" keep the latest speaker of their sort.
PRONOUN_GENDER = {"he": "m", "him": "m", "she": "f", "her": "f", "it": ""}

Gender = Literal["m", "f", ""]


def is_honorific(word: str) -> bool:
    """Return True for a title only a person bears, capitalised ("Ms", "Dr."; not "to miss")."""
    return word[:1].isupper() and word.rstrip(".").lower() in HONORIFICS


def names_a_person(word: str) -> bool:
    """Return True for a title that names a person when a description ends on it.

    >>> names_a_person("senator"), names_a_person("Justice"), names_a_person("foreign")
    (True, True, False)
    """
    low = word.lower()
    return low in TITLE_WORDS and low not in TITLE_MODIFIERS


def after_honorific(text: str) -> bool:
    """Return True when ``text`` is a name after a title only a person bears ("Mr Camus").

    >>> after_honorific("Lord Browne"), after_honorific("Browne")
    (True, False)
    """
    first, _, rest = text.partition(" ")
    return bool(rest) and is_honorific(first)


_POSSESSIVE_END = re.compile(r"[’']s$")


def bare(text: str) -> str:
    """Return ``text`` without surrounding punctuation and a trailing possessive."""
    return _POSSESSIVE_END.sub("", text.strip(" ,.;:"))


def strip_titles(text: str) -> str:
    """Return the name in ``text``: the titles before it and a possessive after it dropped.

    >>> strip_titles("Prime Minister Theresa May's")
    'Theresa May'
    >>> strip_titles("President")
    'President'
    """
    words = bare(text).split()
    while len(words) > 1 and words[0].lower().strip(",") in NAME_TITLES:
        words.pop(0)
    return " ".join(words)


@functools.cache
def gender_tables() -> tuple[dict[str, str], dict[str, str]]:
    """Return the first-name and gender-word tables: lower-case word -> "m" or "f"."""
    names = {r["name"]: r["gender"] for r in read_table("first_names.csv")}
    words = {r["word"]: r["gender"] for r in read_table("gender_words.csv")}
    return names, words


def fits_short_form(full: Sequence[str], short: Sequence[str], *, last_words: Iterable[str],
                    tables: Tables | None = None) -> bool:
    """Return True when the short name ``short`` can be the person named ``full``.

    It can when ``full`` ends with it ("Lukashenko", "De Vido"); when it is an inner word of a
    name of three or more, not a particle (the name a person is widely known by: "Lula" in
    "Luiz Inácio Lula da Silva"); or when it is a family name written first ("Li" for "Li
    Mingjiang"), unless it is also some full name's last word (``last_words``) and not a known
    family-first surname.

    >>> fits_short_form(["Alexander", "Lukashenko"], ["Lukashenko"], last_words=["Lukashenko"])
    True
    >>> fits_short_form(["Li", "Mingjiang"], ["Li"], last_words=["Mingjiang"])
    True
    >>> fits_short_form(["Li", "Mingjiang"], ["Mingjiang", "Li"], last_words=["Mingjiang"])
    False
    """
    tail = tuple(w.lower() for w in short)
    if len(full) > len(tail) and tuple(w.lower() for w in full[-len(tail):]) == tail:
        return True
    if len(tail) == 1 and len(full) >= 3 and tail[0] not in SURNAME_PARTICLES \
            and tail[0] in (w.lower() for w in full[1:-1]):
        return True
    word = " ".join(short)
    tables = tables or load_tables()
    return full[0] == word and (word not in last_words or word in tables.family_first)


def person_role(doc, i: int, sent_start: int,
                tables: Tables) -> tuple[tuple[str, ...], str, tuple[str, ...]]:
    """Return the title words, the nationality or country, and the other proper words (a
    state, a party: "Florida", "Republican") written just before the name starting at token
    ``i`` of ``doc``, within its sentence (which starts at ``sent_start``).

    "Belarusian President Alexander Lukashenko" gives ``(("president",), "Belarus", ())``;
    "former Secretary of State Hillary Clinton" gives ``(("former", "secretary", "state"), "",
    ())``; abbreviations are written out ("Sen." is "senator"); an appositive ("China's top
    diplomat, Wang Yi") counts as written before.
    """
    k = i - 1
    if k >= 0 and doc[k].text == "," and k - 1 >= 0 and doc[k - 1].lower_ in ROLE_HEADS:
        k -= 1
    role: list[str] = []
    country = ""
    qualifiers: list[str] = []
    while k >= sent_start:
        tok = doc[k]
        low = tok.lower_
        if low in TITLE_WORDS or low in ROLE_FILLER:
            role.append(TITLE_ABBREVIATIONS.get(low, low))
        elif low == "of" and role and k - 1 >= sent_start and doc[k - 1].lower_ in TITLE_WORDS:
            pass  # "Secretary of State", "Chief of Staff"
        elif tok.tag_ == "POS":
            pass
        elif (dem := lookup_demonym(tok.text, tables)) is not None and dem[1]:
            country = dem[1]
            break
        elif tok.ent_type_ == "GPE" or tok.pos_ == "PROPN":
            kind, canonical, _ = lookup_place(tok.text, tables)
            if kind == "country":
                country = canonical
            elif role:
                # "Florida Sen. Marco Rubio", "Vermont Sen. Bernie Sanders"
                m = k
                while m >= sent_start and m > k - 3 and doc[m].is_title and doc[m].is_alpha:
                    qualifiers.append(doc[m].lower_)
                    m -= 1
            break
        else:
            break
        k -= 1
    return (tuple(r for r in reversed(role) if r not in ROLE_FILLER), country,
            tuple(reversed(qualifiers)))


def roles_match(wanted: Sequence[str], role: Sequence[str]) -> bool:
    """Return True when a description's role words fit a person's title words.

    >>> roles_match(("leader",), ("president",)), roles_match(("mayor",), ("president",))
    (True, False)
    >>> roles_match(("president",), ("former", "president"))
    False
    """
    if not role or OFFICE_CHANGERS & set(role) != OFFICE_CHANGERS & set(wanted):
        return False  # "the president" is not the former president nor the vice president
    if set(wanted) <= set(role):
        return True
    return wanted[-1] == "leader" and any(r in LEADER_ROLES for r in role)


@dataclass
class Person:
    """One person or organisation of an article, with the mentions the text links to it."""

    canonical: str
    kind: Literal["person", "organization"]
    gender: Gender = ""  # only when the text gives it
    role: tuple[str, ...] = ()  # the title words the person was introduced with
    country: str = ""  # the nationality or country given with that title
    mentions: list[tuple[int, int]] = field(default_factory=list)  # Article.text offsets


@dataclass(frozen=True)
class _Introduction:
    """A full name written with its title: where, whose, which title, which country."""

    start: int
    canonical: str
    role: tuple[str, ...]
    country: str
    qualifiers: tuple[str, ...] = ()  # other proper words before the title ("florida")


class People:
    """The chains of one article, built from its parse and its entity mentions.

    ``chains`` maps each canonical name of a person or organisation to its ``Person``. The
    quote layer adds what it learns while resolving speakers (a pronoun linked, a full name
    the entity layer missed), so later speakers see it.
    """

    def __init__(self, parsed: Parsed, mentions: Sequence[Mention], *,
                 person_spans: Sequence[tuple[int, int]] = ()) -> None:
        """``person_spans`` are the parse's PERSON entities (offsets), the full names of
        people the entity layer may have given another kind."""
        self.parsed = parsed
        self.mentions = sorted(mentions, key=lambda m: m.start)
        self.starts = [m.start for m in self.mentions]
        self.chains: dict[str, Person] = {}
        for m in self.mentions:
            if m.kind in ("person", "organization") and m.canonical:
                chain = self.chains.setdefault(m.canonical, Person(m.canonical, m.kind))
                chain.mentions.append((m.start, m.end))
        text = parsed.article.text
        # (start, full name) of the people named in full, in text order: short forms the
        # entity layer left open resolve to them
        self.full_names: list[tuple[int, str]] = []
        for start, end in person_spans:
            name = strip_titles(text[start:end])
            chain = self.chains.get(name)
            if len(name.split()) >= 2 and (chain is None or chain.kind == "person"):
                # not a name the entity layer found to be an organisation ("Aston Martin,
                # the carmaker,"), whatever the model's label
                self.full_names.append((start, name))
        self._introductions: list[_Introduction] | None = None
        for name, gender in self._genders().items():
            if name in self.chains:
                self.chains[name].gender = gender  # type: ignore[assignment]
            else:
                self.chains[name] = Person(name, "person", gender)  # type: ignore[arg-type]

    # --- gender -----------------------------------------------------------------------------

    def _genders(self) -> dict[str, str]:
        """Return the gender ("m" or "f") of each person the text gives one, by canonical name.

        The evidence is the text's own: a title or a gendered role word just before a mention
        ("Mrs Lomax", "spokeswoman Mao Ning"), one in an appositive after it ("Ann Lee, his
        wife,"), else a first name in the table; a person with conflicting evidence stays
        unknown (absent), and so does anyone the tables do not cover.
        """
        first_names, words = gender_tables()
        text = self.parsed.article.text
        by_words: dict[str, set[str]] = {}
        by_name: dict[str, set[str]] = {}
        for m in self.mentions:
            if m.kind != "person" or not m.canonical:
                continue
            found = by_words.setdefault(m.canonical, set())
            before = text[max(0, m.start - 30):m.start].split()
            if before and (g := words.get(before[-1].lower().strip(".,"))):
                found.add(g)
            appositive = re.match(r",\s+((?:[\w’'-]+\s+){0,5}?[\w-]+),", text[m.end:m.end + 80])
            if appositive:
                found |= {g for w in appositive.group(1).lower().split() if (g := words.get(w))}
            first = strip_titles(m.canonical).split()
            if len(first) >= 2 and (g := first_names.get(first[0].lower())):
                by_name.setdefault(m.canonical, set()).add(g)
        out = {}
        for name in by_words.keys() | by_name.keys():
            evidence = by_words.get(name) or by_name.get(name, set())
            if len(evidence) == 1:
                out[name] = next(iter(evidence))
        return out

    def gender(self, name: str) -> Gender:
        """Return the gender the text gives the person ``name``, or "" (unknown)."""
        chain = self.chains.get(name)
        return chain.gender if chain is not None else ""

    def link(self, name: str, start: int, end: int, *, gender: Gender = "") -> None:
        """Add the mention ``[start, end)`` (a pronoun, a description) to ``name``'s chain; a
        gendered pronoun gives an unknown gender."""
        chain = self.chains.setdefault(name, Person(name, "person"))
        chain.mentions.append((start, end))
        chain.mentions.sort()
        if gender and not chain.gender:
            chain.gender = gender

    # --- names ------------------------------------------------------------------------------

    def learn(self, start: int, name: str) -> None:
        """Remember a full name a speaker was given, so that later short forms resolve to it."""
        if len(name.split()) >= 2 and name[:1].isupper():
            self.full_names.append((start, name))
            self.full_names.sort()

    @functools.cached_property
    def runs(self) -> list[tuple[int, str]]:
        """Return ``(start, name)`` of untagged name-like runs, a last resort (so found only
        when a speaker needs them): runs of two or three capitalised proper nouns."""
        import numpy as np
        from spacy.attrs import ENT_TYPE, IDX, LENGTH, POS
        from spacy.strings import get_string_id
        from spacy.symbols import PROPN

        text = self.parsed.article.text
        untagged_or_person = (0, get_string_id("PERSON"))
        runs: list[tuple[int, str]] = []
        for chunk in self.parsed.chunks:
            cols = chunk.doc.to_array([POS, ENT_TYPE, IDX, LENGTH])
            run: list[tuple[int, int, str]] = []  # (token index, start, text) of each word
            # Only proper nouns are visited; any other token ends a run, so a gap between two
            # visited positions ends one too.
            propn = np.flatnonzero(cols[:, 0] == PROPN)
            for i, (_, ent_type, idx, length) in zip(propn.tolist(), cols[propn].tolist(),
                                                     strict=True):
                if run and i != run[-1][0] + 1:
                    _end_run(run, runs)
                    run = []
                word = text[chunk.start + idx: chunk.start + idx + length]  # the token's text
                if word[:1].isupper() and ent_type in untagged_or_person and word.isalpha():
                    run.append((i, chunk.start + idx, word))
                    continue
                _end_run(run, runs)
                run = []
            _end_run(run, runs)
        return runs

    def full_name(self, start: int, name: str) -> str:
        """Return the full name a short speaker name at ``start`` stands for ("Wallace" or a
        transcript's "WALLACE" after "Chris Wallace"): the latest earlier full name that ends
        with it, else any full name that holds it (a headline names people before the article
        does: the one person chain holding it, else the first such name the model tagged),
        else an untagged run of proper nouns before it; ``name`` itself when none fits."""
        words = name.split()
        if len(words) == 1 and name.isupper() and len(name) > 3:
            words = [name.title()]
        if not words or len(words) > 2 or not words[0][:1].isupper():
            return name
        for pos, full in reversed(self.full_names):
            if pos < start and full.split()[-1] == words[-1] and full != name:
                return full
        # a person chain of the entity layer first: the model's PERSON spans include headline
        # words ("Hillary Asking Moderator") that no chain confirms
        held = {c.canonical for c in self.chains.values() if c.kind == "person" and
                len(c.canonical.split()) >= 2 and words[-1] in c.canonical.split()}
        if len(held) == 1 and len(held_name := held.pop()) >= len(name):
            return held_name
        for _pos, full in self.full_names:
            if full.split()[-1] == words[-1] or words[-1] in full.split():
                return full if len(full) >= len(name) else name
        if len(words) == 1:
            for pos, full in self.runs:
                if pos < start and full.split()[-1] == words[-1]:
                    return full
        return name

    def full_name_before(self, start: int, last: str) -> str:
        """Return the latest full name before ``start`` ending with the word ``last``, or ""."""
        return next((f for p, f in reversed(self.full_names) if p < start and
                     f.split()[-1] == last), "")

    # --- descriptions -----------------------------------------------------------------------

    @property
    def introductions(self) -> list[_Introduction]:
        """Return the full names of people written with a title, each with its title words and
        country, in text order (read from the parse, once)."""
        if self._introductions is None:
            tables = load_tables()
            out = []
            for m in self.mentions:
                if m.kind != "person" or len(m.text.split()) < 2:
                    continue
                at = self._token_at(m.start)
                if at is None:
                    continue
                doc, i, sent_start = at
                role, country, qualifiers = person_role(doc, i, sent_start, tables)
                if role:
                    out.append(_Introduction(m.start, m.canonical, role, country, qualifiers))
            self._introductions = out
            for intro in out:
                chain = self.chains.get(intro.canonical)
                if chain is not None and not chain.role:
                    chain.role, chain.country = intro.role, intro.country
        return self._introductions

    def by_role(self, role: Sequence[str], country: str, before: int, *,
                qualifiers: Sequence[str] = ()) -> str:
        """Return the one person introduced before ``before`` with a title that the role words
        ``role`` fit, with the nationality ``country`` and the proper words ``qualifiers``
        ("florida" for "the Florida senator"); "" when none or several do."""
        fit = {p.canonical for p in self.introductions
               if p.start < before and p.country == country and roles_match(role, p.role)
               and set(qualifiers) <= set(p.qualifiers)}
        return fit.pop() if len(fit) == 1 else ""

    def by_description(self, words: Sequence[str], before: int) -> str:
        """Return the one person a description of a person refers to ("the Florida senator",
        "the former secretary of state", "Russia's foreign minister"), by the title, country
        and proper words the person was introduced with before ``before``; "" when the words
        are no such description or no single person fits.

        The description is a determiner or a possessive country, modifiers, then title words
        ending on one (``TITLE_WORDS``); lower-case modifiers ("independent") are not compared.
        """
        tables = load_tables()
        words = [bare(w) if n == len(words) - 1 else w for n, w in enumerate(words)]
        lows = [w.lower() for w in words]
        if len(lows) < 2 or lows[-1] not in TITLE_WORDS or lows[0] in ("a", "an"):
            return ""
        k = len(lows)
        while k > 0 and (lows[k - 1] in TITLE_WORDS or lows[k - 1] in ROLE_FILLER or
                         lows[k - 1] == "of" and k < len(lows)):
            k -= 1
        role = tuple(TITLE_ABBREVIATIONS.get(w, w) for w in lows[k:]
                     if w not in ROLE_FILLER and w != "of")
        if not role:
            return ""
        country = ""
        qualifiers: list[str] = []
        for w in words[:k]:
            if w.lower() == "the":
                continue
            name = bare(w)
            dem = lookup_demonym(name, tables)
            kind, canonical, _ = lookup_place(name, tables)
            if dem is not None and dem[1]:
                country = dem[1]
            elif kind == "country":
                country = canonical
            elif name[:1].isupper():
                qualifiers.append(name.lower())
            elif name != w or not name.isalpha():
                return ""  # a possessive or a number: "the company's chief", "the 30 senators"
        return self.by_role(role, country, before, qualifiers=qualifiers)

    def descriptions(self, taken: set[int]) -> list[tuple[int, int, int, str, str]]:
        """Return the role descriptions ("the Belarusian leader", "Russia's foreign minister")
        that refer to exactly one person, as ``(chunk, first token, end token, canonical,
        country)``; a description starting at an offset in ``taken`` is a mention already."""
        if not any(p.country for p in self.introductions):
            return []
        tables = load_tables()
        out = []
        for n, chunk in enumerate(self.parsed.chunks):
            doc = chunk.doc
            for the in _positions_of(doc, "the"):
                if the + 2 >= len(doc):
                    continue
                k = the + 1
                country = ""
                dem = lookup_demonym(doc[k].text, tables)
                if dem and dem[1]:
                    country, k = dem[1], k + 1
                else:
                    kind, canonical, _ = lookup_place(doc[k].text, tables)
                    if kind == "country" and k + 1 < len(doc) and doc[k + 1].tag_ == "POS":
                        country, k = canonical, k + 2
                if not country:
                    continue
                role: list[str] = []
                while k < len(doc) and (doc[k].lower_ in TITLE_WORDS or
                                        doc[k].lower_ in ROLE_FILLER) and len(role) < 4:
                    role.append(doc[k].lower_)
                    k += 1
                if not role or role[-1] not in ROLE_HEADS:
                    continue
                if k < len(doc) and doc[k].pos_ == "PROPN":
                    continue  # "the Belarusian President Lukashenko": a title
                start = chunk.start + doc[the].idx
                name = self.by_role(tuple(r for r in role if r not in ROLE_FILLER), country,
                                    start)
                if name and start not in taken:
                    out.append((n, the, k, name, country))
                    self.link(name, start, chunk.start + doc[k - 1].idx + len(doc[k - 1]))
        return out

    # --- pronouns ---------------------------------------------------------------------------

    def _subjects_before(self, pos: int, anchor: int, *, person: bool,
                         inside_quote: Callable[[int], bool],
                         is_speech_verb: Callable[[object], bool]) -> list[str]:
        """Return the canonical names of the mentions in subject position before ``pos``: in its
        own sentence, then in the sentence before ``anchor`` (where the quote opens; same or
        previous paragraph); in each, subjects of the main clause first, then the others, the
        nearest first. Mentions inside quotes are the quote's words, not antecedents."""
        sentences = self.parsed.sentences
        here, opening = self.parsed.sentence_at(pos), self.parsed.sentence_at(anchor)
        if here is None or opening is None:
            return []
        order = [here.sentence_id]
        if opening.sentence_id >= 1:
            prev = sentences[opening.sentence_id - 1]
            if opening.paragraph - prev.paragraph <= 1:
                order.append(prev.sentence_id)
        kinds = ("person",) if person else ("organization", "country")
        lo = bisect_left(self.starts, sentences[min(order)].start)
        hi = bisect_left(self.starts, pos)
        ranked: list[tuple[int, bool, int, str]] = []  # (sentence rank, not main, -start, name)
        for m in self.mentions[lo:hi]:
            if m.kind not in kinds or not m.canonical or m.end > pos or \
                    m.sentence_id not in order or inside_quote(m.start):
                continue
            tokens, base = self._tokens_within(m.start, m.end)
            for t in tokens:
                if t.dep_ in ("nsubj", "nsubjpass") and not (
                        m.start <= base + t.head.idx < m.end):
                    # the main clause's subject, or a speech verb's, is the one a pronoun
                    # after it most often means ("X said he believed a bid would let Y ...")
                    main = t.head.dep_ == "ROOT" or is_speech_verb(t.head)
                    ranked.append((order.index(m.sentence_id), not main, -m.start, m.canonical))
                    break
        return [name for *_, name in sorted(ranked)]

    def antecedent(self, pos: int, pronoun: str, history: Sequence[tuple[int, str, bool]], *,
                   anchor: int | None = None, inside_quote: Callable[[int], bool],
                   is_speech_verb: Callable[[object], bool]) -> str:
        """Return who a pronoun at ``pos`` stands for, or "".

        He, she and it take a subject before them (in their own sentence, then in the one
        before the quote opening at ``anchor``) that fits: a person whose gender the text gives
        and matches (else one whose gender is unknown), or for "it" an organisation or country;
        then, like every pronoun, the latest earlier speaker of their sort in ``history``
        (``(position, name, is person)``; for he and she, of a compatible gender; a group that
        no name covers, name "", stops "they" there), then the latest full name of a person.
        A he or she linked to a person gives that person's gender when the text had not.
        """
        person = pronoun in PERSON_PRONOUNS
        gender = PRONOUN_GENDER.get(pronoun, "")

        def fits(name: str) -> bool:
            known = self.gender(name)
            return not gender or not known or known == gender

        name = ""
        if pronoun in PRONOUN_GENDER:
            subjects = self._subjects_before(pos, pos if anchor is None else anchor,
                                             person=person, inside_quote=inside_quote,
                                             is_speech_verb=is_speech_verb)
            name = next((n for n in subjects if gender and self.gender(n) == gender),
                        "") or next((n for n in subjects if fits(n)), "")
        if not name:
            for p, n, is_person in reversed(history):
                if p >= pos:
                    continue
                if not n:  # a group no name covers ("officials said"): "they" are them
                    if pronoun in ("they", "them"):
                        break
                    continue
                if is_person == person and fits(n):
                    name = n
                    break
        if not name and person:
            name = next((full for p, full in reversed(self.full_names)
                         if p < pos and fits(full)), "")
        if name:
            self.link(name, pos, pos + len(pronoun), gender=gender)  # type: ignore[arg-type]
        return name

    # --- the parse --------------------------------------------------------------------------

    @functools.cached_property
    def _chunk_starts(self) -> list[int]:
        return [chunk.start for chunk in self.parsed.chunks]

    @functools.cached_property
    def _token_starts(self) -> list[list[int]]:
        """Return each chunk's token offsets into Article.text."""
        from spacy.attrs import IDX

        return [(chunk.doc.to_array(IDX).astype("int64") + chunk.start).tolist()
                for chunk in self.parsed.chunks]

    def _tokens_within(self, start: int, end: int) -> tuple[list, int]:
        """Return the tokens starting in ``[start, end)`` of the chunk holding ``start``, and
        that chunk's Article.text offset."""
        n = bisect_right(self._chunk_starts, start) - 1
        if n < 0:
            return [], 0
        starts = self._token_starts[n]
        chunk = self.parsed.chunks[n]
        return ([chunk.doc[i] for i in range(bisect_left(starts, start), bisect_left(starts, end))],
                chunk.start)

    def _token_at(self, start: int) -> tuple[object, int, int] | None:
        """Return ``(doc, token index, sentence start index)`` of the token at ``start``."""
        n = bisect_right(self._chunk_starts, start) - 1
        if n < 0:
            return None
        starts = self._token_starts[n]
        i = bisect_left(starts, start)
        if i >= len(starts) or starts[i] != start:
            return None
        doc = self.parsed.chunks[n].doc
        return doc, i, doc[i].sent.start


def _end_run(run: list[tuple[int, int, str]], runs: list[tuple[int, str]]) -> None:
    """Keep a finished run of two or three proper nouns as a name (titles stripped)."""
    if 2 <= len(run) <= 3:
        name = strip_titles(" ".join(word for _, _, word in run))
        if len(name.split()) >= 2:
            runs.append((run[0][1], name))


def _positions_of(doc, lower: str) -> list[int]:
    """Return the indices of ``doc``'s tokens whose lower-case form is ``lower`` (searched in
    the LOWER array, not token by token)."""
    import numpy as np
    from spacy.attrs import LOWER

    wanted = np.uint64(doc.vocab.strings[lower])
    return np.flatnonzero(doc.to_array(LOWER) == wanted).tolist()
