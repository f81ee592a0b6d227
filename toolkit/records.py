"""One record type per concept the annotators produce; each becomes one row of a table.

Offsets (``start``, ``end``) always index into ``Article.text``:
``article.text[r.start:r.end] == r.text``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

EntityKind = Literal["person", "country", "organization", "place", "group", "other"]
QuoteKind = Literal["direct", "partial", "indirect"]
SpeakerKind = Literal["person", "organization", "document", "unknown"]


@dataclass(frozen=True)
class Mention:
    """One entity mention, with the canonical name of the real-world entity it refers to."""

    article_id: str
    sentence_id: int
    start: int
    end: int
    text: str
    label: str  # spaCy label (PERSON, GPE, ORG, NORP, ...)
    kind: EntityKind
    canonical: str  # e.g. "Alexander Lukashenko" for "Lukashenko" / "the Belarusian leader"
    country: str = ""  # for places and capitals: the country they belong to
    how: str = ""  # how canonical was decided: model, alias, short-form, metonymy, description


@dataclass(frozen=True)
class Quote:
    """A direct, partial or reported quotation and who said it."""

    article_id: str
    quote_id: int
    start: int
    end: int
    text: str
    kind: QuoteKind
    speaker: str  # canonical full name; "" when unknown
    speaker_mention: str  # the words naming the speaker where attributed ("Li", "he", ...)
    speaker_role: str  # "associate professor of international relations at ..."
    cue: str  # "said", "told", "wrote", "according to", ...
    polarity: float
    subjectivity: float
    sentence_id: int = -1  # the sentence the quote starts in
    speaker_start: int = -1  # offsets of speaker_mention in Article.text, -1 when not in text
    speaker_end: int = -1
    # what the speaker is: a person, an organisation (a government, a firm, a party), a document
    # (a report, an ad, government data: words that are no one's, so never a quoted source) or
    # unknown; a description no name covers ("a spokesman") has a kind but an empty speaker
    speaker_kind: SpeakerKind = "unknown"
    # a partial quote inside a reported-speech row ('X said the cuts “do nothing”'): that row's
    # quote_id, else -1; counting quotes, count the pair once
    part_of: int = -1


@dataclass(frozen=True)
class Amount:
    """A money figure or percentage, in base units, with what it quantifies."""

    article_id: str
    sentence_id: int
    start: int
    end: int
    text: str  # "$190 billion"
    value: float  # 190000000000.0
    unit: str  # ISO currency code ("USD"), "%", or a unit word
    year: int | None  # the year the figure refers to, when the sentence says
    subject: str  # "China–Russia trade"
    qualifier: str  # "record topped", "rose", "at least", ...
