"""What every curated notebook starts from: its inputs resolved, loaded and annotated once.

The notebooks' ``parameters`` cell holds literals only (papermill); this module turns them into
the articles, the annotation tables and the figures folder, the same way in every notebook, so a
notebook run from any folder, with any articles, behaves like ``toolkit run``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from . import paths
from .errors import ToolkitError


@dataclass(frozen=True)
class NotebookInputs:
    """The articles a notebook analyses, their tables, the source line and the figures folder."""

    loaded: object  # toolkit.loader.LoadResult
    corpus: object  # toolkit.annotate.Corpus
    source: str
    figures_dir: Path


def start(
    articles: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    cache_dir: str | os.PathLike = "",
    figures_dir: str | os.PathLike = "",
) -> NotebookInputs:
    """Return the loaded and annotated ``articles`` and the folder figures go to.

    Relative paths are read from ``notebooks/`` (:func:`toolkit.paths.notebook_inputs`);
    figures go where :func:`toolkit.paths.figures_dir_for` says (the project's ``figures/``
    only for the seeds). Raises ToolkitError, with every file's reason, when nothing loads.
    """
    from . import analysis
    from .annotate import annotate
    from .loader import load_articles

    sources = paths.notebook_inputs(articles)
    loaded = load_articles(sources)
    if not len(loaded):
        raise ToolkitError(f"no article could be loaded from {', '.join(map(str, sources))}:\n"
                           + loaded.summary())
    cache = paths.notebook_inputs(cache_dir)[0] if str(cache_dir) else None
    corpus = annotate(loaded, progress=False, cache_dir=cache)
    return NotebookInputs(loaded=loaded, corpus=corpus,
                          source=analysis.source_line(corpus.articles),
                          figures_dir=paths.figures_dir_for(sources, figures_dir))
