"""Articles as tidy pandas tables (one row per article, per paragraph, per removed line)."""

from __future__ import annotations

import os
from collections.abc import Iterable

import pandas as pd

from .article import Article

ARTICLE_COLUMNS = [
    "article_id", "path", "title", "outlet", "url", "published", "authors", "contributors",
    "n_paragraphs", "n_words", "n_removed", "encoding", "content_hash", "story_id", "copy_of",
]


def articles_frame(articles: Iterable[Article], *,
                   stories_cache: str | os.PathLike | None = None) -> pd.DataFrame:
    """Return one row per article; authors and contributors are joined with "; ".

    ``story_id`` and ``copy_of`` group the articles that are copies of one text (a syndicated
    wire story): see ``toolkit.stories``. They are decided across all of ``articles``, so build
    the table from the whole corpus at once. ``stories_cache`` is a folder where the grouping
    keeps its per-article signatures between runs (``annotate`` passes its cache folder).
    """
    from .stories import story_groups

    articles = list(articles)
    stories = story_groups(articles, cache_dir=stories_cache)
    rows = [
        {
            "article_id": a.article_id,
            "path": a.path,
            "title": a.title,
            "outlet": a.outlet,
            "url": a.url,
            "published": a.published,
            "authors": "; ".join(a.authors),
            "contributors": "; ".join(a.contributors),
            "n_paragraphs": len(a.paragraphs),
            "n_words": a.word_count,
            "n_removed": len(a.removed),
            "encoding": a.encoding,
            "content_hash": a.content_hash,
            "story_id": story_id,
            "copy_of": copy_of,
        }
        for a, story_id, copy_of in zip(articles, stories["story_id"], stories["copy_of"],
                                        strict=True)
    ]
    return pd.DataFrame(rows, columns=ARTICLE_COLUMNS)


def paragraphs_frame(articles: Iterable[Article]) -> pd.DataFrame:
    """Return one row per body paragraph: article_id, paragraph, start, end, text."""
    rows = [
        {"article_id": a.article_id, "paragraph": i, "start": start,
         "end": start + len(text), "text": text}
        for a in articles
        for i, (text, start) in enumerate(zip(a.paragraphs, a.paragraph_offsets(), strict=True))
    ]
    return pd.DataFrame(rows, columns=["article_id", "paragraph", "start", "end", "text"])


def removed_frame(articles: Iterable[Article]) -> pd.DataFrame:
    """Return one row per line the loader removed: article_id, reason, line."""
    rows = [{"article_id": a.article_id, "reason": r.reason, "line": r.line}
            for a in articles for r in a.removed]
    return pd.DataFrame(rows, columns=["article_id", "reason", "line"])
