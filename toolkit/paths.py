"""Every path the toolkit uses: the package's own data, and the research project it works in.

The package's data (codebooks, alias tables, the trade reference) sits beside the code. The
project (``notebooks/``, ``seeds/``, ``figures/``, ``build/``) is found once, at import:
``$TOOLKIT_PROJECT`` when set; else the current folder or the nearest folder above it holding
``notebooks/`` and ``seeds/`` (a folder made by ``toolkit init``, or a checkout); else the
checkout the package was installed from in editable mode. An installed package used outside
any project finds none, and the commands that need one say to run ``toolkit init DIR``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"
CODEBOOK_DIR = DATA_DIR / "codebooks"
DEFAULT_CODEBOOK = "china_mediation"  # the codebook in CODEBOOK_DIR used when none is named



def is_project(folder: Path) -> bool:
    """Return whether ``folder`` is a research project: it has ``notebooks/`` and ``seeds/``."""
    return (folder / "notebooks").is_dir() and (folder / "seeds").is_dir()


def find_project(cwd: Path | None = None) -> Path:
    """Return the project folder (see the module docstring for the order it is looked for in)."""
    if os.environ.get("TOOLKIT_PROJECT"):
        return Path(os.environ["TOOLKIT_PROJECT"]).expanduser().resolve()
    try:
        here = (cwd or Path.cwd()).resolve()
    except OSError:  # the current folder was deleted
        here = PACKAGE_DIR
    for folder in (here, *here.parents):
        if is_project(folder):
            return folder
    return PACKAGE_DIR.parent  # an editable install's checkout (or site-packages: no project)


PROJECT_DIR = find_project()
SEEDS_DIR = PROJECT_DIR / "seeds"
NOTEBOOKS_DIR = PROJECT_DIR / "notebooks"
FIGURES_DIR = PROJECT_DIR / "figures"
BUILD_DIR = PROJECT_DIR / "build"
SHARED_DATA_DIR = PROJECT_DIR.parent / "shared" / "data"


def notebook_inputs(paths: str | os.PathLike | Sequence[str | os.PathLike]) -> list[Path]:
    """Return a notebook's ``articles`` (or other input paths) as absolute paths.

    A relative path is read from ``notebooks/``, where the curated notebooks live, whatever
    folder the kernel was started in (``papermill notebooks/02-….ipynb out.ipynb`` from the
    project root keeps ``../seeds`` meaning the seeds); a relative path that exists only from the
    current folder is taken from there, so ``-p articles my_articles/`` works from anywhere.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    resolved = []
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.is_absolute():
            from_notebooks = NOTEBOOKS_DIR / path
            path = from_notebooks if from_notebooks.exists() or not path.exists() else path
        resolved.append(path.resolve())
    return resolved


def figures_dir_for(sources: Sequence[str | os.PathLike], figures_dir: str | os.PathLike = "",
                    ) -> Path:
    """Return the folder a notebook's figures go to.

    In order: ``figures_dir`` when given (relative to ``notebooks/``, as above);
    ``$TOOLKIT_FIGURES_DIR`` (set by ``toolkit run`` and the test suite); the project's
    ``figures/`` when every source is inside ``seeds/`` (the committed figures are the seeds');
    else ``build/figures/``, so analysing other articles never overwrites the committed figures.
    """
    if str(figures_dir):
        return notebook_inputs(figures_dir)[0]
    if os.environ.get("TOOLKIT_FIGURES_DIR"):
        return Path(os.environ["TOOLKIT_FIGURES_DIR"])
    seeds = SEEDS_DIR.resolve()
    if sources and all(Path(s).resolve().is_relative_to(seeds) for s in sources):
        return FIGURES_DIR
    return BUILD_DIR / "figures"
