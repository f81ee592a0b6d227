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
    corpus: object  # toolkit.annotate.Corpus; a syndicated story's copies left out unless asked
    source: str
    figures_dir: Path
    stories: object = None  # pandas.DataFrame: toolkit.analysis.story_table of every article
    copies_left_out: int = 0  # copies of a story not counted (count_copies=False)


def start(
    articles: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    cache_dir: str | os.PathLike = "",
    figures_dir: str | os.PathLike = "",
    count_copies: bool = False,
) -> NotebookInputs:
    """Return the loaded and annotated ``articles`` and the folder figures go to.

    Relative paths are read from ``notebooks/`` (:func:`toolkit.paths.notebook_inputs`);
    figures go where :func:`toolkit.paths.figures_dir_for` says (the project's ``figures/``
    only for the seeds). A story found in several articles (syndicated copies,
    :mod:`toolkit.stories`) counts once: the copies' rows are left out of every table unless
    ``count_copies``. Raises ToolkitError, with every file's reason, when nothing loads.
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
    counted = corpus if count_copies else analysis.corpus_once_per_story(corpus)
    left_out = len(corpus.articles) - len(counted.articles)
    source = analysis.source_line(counted.articles)
    if left_out:
        source += f"; {left_out} syndicated cop{'y' if left_out == 1 else 'ies'} counted once"
    return NotebookInputs(loaded=loaded, corpus=counted, source=source,
                          figures_dir=paths.figures_dir_for(sources, figures_dir),
                          stories=analysis.story_table(corpus.articles),
                          copies_left_out=left_out)
