"""A new research folder from the installed package: ``toolkit init DIR``.

The curated notebooks and the seed article ship with the package (a wheel installs them under
``share/newsnb-toolkit/`` in its environment; an editable install reads them from its checkout).
``init`` copies them, with an empty ``figures/`` and a short how-to, into a new folder, where
``toolkit run`` then works after a plain ``pip install``: the project is found from the
current folder (:mod:`toolkit.paths`).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from . import paths
from .errors import ToolkitError

SHARE_NAME = "newsnb-toolkit"  # share/<name>/ in the environment a wheel is installed into

HOWTO = """# {name}: a news-analysis project made by `toolkit init`

* `notebooks/`: the curated notebooks (00 overview, 01 entity counts, 02 stance, 03 trade
  figures). Open them with `jupyter lab notebooks/`; running them needs the notebook tools:
  `pip install "newsnb-toolkit[notebooks]"`.
* `seeds/`: the input articles. Put your own files here (`.txt`, `.md`, `.html`, `.json`,
  `.jsonl`, `.csv`, and whatever else `toolkit load --help` lists), or keep them anywhere and pass
  `--articles PATH`.
* `figures/`: the charts of the seeds' run (PNG, SVG and the CSV behind each).

Run everything from this folder:

    toolkit run                          # annotate seeds/, execute the notebooks, export figures/
    toolkit run --articles my_articles/ --out build/my-run    # the same on other articles
    toolkit annotate my_articles/ --out build/tables          # the tables only

The report a reader opens is `build/run/report/index.html`. `toolkit --help` lists every command.
"""


def template_dir() -> Path:
    """Return the folder holding the shipped ``notebooks/`` and ``seeds/``, or raise naming the
    fix: the wheel's ``share/newsnb-toolkit`` in this environment, else the editable checkout."""
    shared = [Path(prefix) / "share" / SHARE_NAME for prefix in (sys.prefix, sys.base_prefix)]
    for folder in (*shared, paths.PACKAGE_DIR.parent):
        if paths.is_project(folder):
            return folder
    raise ToolkitError(
        f"the curated notebooks are not installed with this toolkit (looked in "
        f"{Path(sys.prefix) / 'share' / SHARE_NAME}); reinstall it: pip install newsnb-toolkit")


def init_project(dest: str | os.PathLike) -> Path:
    """Create the research folder ``dest`` (it must not exist, or be empty); return it."""
    dest = Path(dest).expanduser().resolve()
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ToolkitError(f"{dest}: exists and is not an empty folder; choose a new folder "
                           "name (init never overwrites files)")
    source = template_dir()
    staging = dest.with_name(f".{dest.name}.init-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        (staging / "notebooks").mkdir(parents=True)
        for nb in sorted((source / "notebooks").glob("[0-9][0-9]-*.ipynb")):
            shutil.copy2(nb, staging / "notebooks" / nb.name)
        shutil.copytree(source / "seeds", staging / "seeds",
                        ignore=shutil.ignore_patterns("*.py", "__pycache__"))
        (staging / "figures").mkdir()
        (staging / "README.md").write_text(HOWTO.format(name=dest.name), encoding="utf-8")
        if dest.exists():
            dest.rmdir()
        staging.rename(dest)  # all or nothing: a failed init leaves no half-made folder
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest
