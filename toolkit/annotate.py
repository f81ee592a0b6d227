"""Annotate articles: one spaCy parse per article, every layer read from it, tables out.

``annotate(articles) -> Corpus``; the Corpus holds one pandas DataFrame per layer. Annotators are
pure functions of a parsed article (``toolkit.extract``); this module only orchestrates them,
streams articles through spaCy (no Doc is kept after its article is done) and assembles tables.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .article import Article
from .io import TableFormat, write_table
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

    def save(self, out_dir: str | os.PathLike, *, fmt: TableFormat = "csv") -> list[Path]:
        """Write one file per table into ``out_dir``, each atomically; return the files."""
        written: list[Path] = []
        for name, table in self.tables().items():
            written += write_table(table, out_dir, name, fmt=fmt)
        return written


def annotate_parsed(parsed: Parsed) -> dict[str, list]:
    """Return every layer's records for one parsed article (a pure function of the parse)."""
    from .extract.amounts import extract_amounts
    from .extract.entities import extract_entities
    from .extract.quotes import extract_quotes
    from .extract.sentiment import sentiment

    article = parsed.article
    sentences = []
    for s in parsed.sentences:
        text = article.text[s.start:s.end]
        polarity, subjectivity = sentiment(text)
        sentences.append((article.article_id, s.sentence_id, s.paragraph, s.start, s.end, text,
                          polarity, subjectivity))
    mentions = extract_entities(parsed)
    return {
        "sentences": sentences,
        "entities": mentions,
        "quotes": extract_quotes(parsed, mentions),
        "amounts": extract_amounts(parsed, mentions),
    }


def annotate(
    articles: Iterable[Article], *, workers: int = 1, progress: bool = True
) -> Corpus:
    """Return the annotation tables of ``articles`` (spaCy runs once per article).

    ``workers > 1`` parses with that many spaCy processes. One article whose annotation fails
    does not stop the run: it is listed in ``Corpus.problems`` with the error.
    """
    articles = list(articles)
    rows: dict[str, list] = {"sentences": [], "entities": [], "quotes": [], "amounts": []}
    problems = []
    bar = _progress(total=len(articles), enabled=progress)
    for parsed in parse(articles, workers=workers):
        try:
            layers = annotate_parsed(parsed)
        except Exception as err:  # one bad article never sinks the run; it is reported
            log.warning("annotation failed for %s: %r", parsed.article.article_id, err)
            problems.append((parsed.article.article_id, "annotate", repr(err)))
        else:
            for name, records in layers.items():
                rows[name] += records
        bar.update(1)
    bar.close()
    return Corpus(
        articles=articles_frame(articles),
        sentences=pd.DataFrame(rows["sentences"], columns=SENTENCE_COLUMNS),
        entities=_frame(rows["entities"], ENTITY_COLUMNS),
        quotes=_frame(rows["quotes"], QUOTE_COLUMNS),
        amounts=_frame(rows["amounts"], AMOUNT_COLUMNS),
        removed=removed_frame(articles),
        problems=pd.DataFrame(problems, columns=PROBLEM_COLUMNS),
        texts={a.article_id: a.text for a in articles},
    )


def _frame(records: list, columns: list[str]) -> pd.DataFrame:
    df = pd.DataFrame([dataclasses.astuple(r) for r in records], columns=columns)
    if "year" in df:
        df["year"] = df["year"].astype("Int64")
    return df


def _progress(*, total: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="annotating", unit="article", disable=not enabled or total < 2)
