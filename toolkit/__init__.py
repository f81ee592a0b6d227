"""Load, annotate and analyse news articles in Jupyter: entities, quotes, stance, money figures."""

from __future__ import annotations

import logging

from . import analysis, coverage, notebook, trade
from .annotate import Corpus, annotate
from .article import Article, Removed
from .errors import (
    ArticleFormatError,
    CodebookError,
    GoldFormatError,
    ModelNotFoundError,
    ToolkitError,
)
from .io import read_table
from .loader import LoadResult, Skipped, load_articles
from .stance import load_codebook, stance, stance_agreement, stance_by, stance_sheet

__all__ = [
    "Article",
    "Corpus",
    "analysis",
    "annotate",
    "coverage",
    "load_codebook",
    "notebook",
    "stance",
    "stance_agreement",
    "stance_by",
    "stance_sheet",
    "trade",
    "ArticleFormatError",
    "CodebookError",
    "GoldFormatError",
    "LoadResult",
    "ModelNotFoundError",
    "Removed",
    "Skipped",
    "ToolkitError",
    "load_articles",
    "read_table",
]
__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())
