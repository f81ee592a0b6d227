"""The one helper that writes figures (PNG, SVG and the CSV of the plotted data), and display."""

from __future__ import annotations

import functools
import io
import math
import os
from pathlib import Path
from typing import IO

import matplotlib as mpl
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from toolkit import paths
from toolkit.errors import ToolkitError
from toolkit.io import write_many

from .theme import _NAME, _SVG_HASHSALT, FLOAT_FORMAT


class FigureNameError(ToolkitError, ValueError):
    """A figure name does not follow the ``NN-slug`` pattern."""


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not _NAME.match(name):
        raise FigureNameError(
            f"figure name {name!r} must look like 'NN-slug': two digits (the notebook number), "
            "a hyphen, then lower-case words joined by hyphens, e.g. '03-china-russia-trade' "
            "(no extension, no spaces or underscores)"
        )


def _format_float(value: float) -> str:
    if math.isnan(value):
        return ""
    text = FLOAT_FORMAT.format(value)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _csv_text(data: pd.DataFrame) -> str:
    """Return the CSV text of the plotted data: rows as given, fixed float format, ``\\n`` ends."""
    from toolkit.io import spreadsheet_safe

    buf = io.StringIO()
    spreadsheet_safe(data).to_csv(buf, index=False, lineterminator="\n",
                                  float_format=_format_float)
    return buf.getvalue()


def save_figure(
    fig: Figure, data: pd.DataFrame, name: str, *, out_dir: str | os.PathLike | None = None
) -> dict[str, Path]:
    """Return the paths of ``NN-slug.png`` (300 dpi), ``.svg`` and ``.csv`` written for one figure.

    ``out_dir`` defaults to ``$TOOLKIT_FIGURES_DIR`` when set, else the project's ``figures/``.
    The CSV holds ``data``, exactly the numbers plotted. Files are deterministic (same inputs,
    same bytes) and written atomically through :mod:`toolkit.io`: all three are rendered to
    anonymous temporary files in ``out_dir`` first and only then renamed into place, so a failure
    leaves the previous files untouched, and even a killed run leaves no temporary file behind.
    """
    _check_name(name)
    if out_dir is None:
        # the project's figures/, unless the environment points elsewhere (the test suite does)
        out_dir = os.environ.get("TOOLKIT_FIGURES_DIR") or paths.FIGURES_DIR
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{name}: data must be the DataFrame that was plotted, not {type(data)}")
    out = Path(out_dir)
    targets = {ext: out / f"{name}.{ext}" for ext in ("png", "svg", "csv")}
    _freeze_layout(fig)
    # one mechanism for every output (toolkit.io): all three are rendered first, then renamed
    write_many({path: functools.partial(_write_one, fig, data, ext)
                for ext, path in targets.items()})
    return targets


def _freeze_layout(fig: Figure) -> None:
    """Run the layout engine once more and fix the result, so every later save is byte-identical.

    Constrained layout re-solves on every draw and does not land on exactly the same positions
    twice; a frozen layout makes the PNG and SVG of one figure agree and saves repeatable.
    """
    engine = fig.get_layout_engine()
    if engine is None or type(engine).__name__ == "PlaceHolderLayoutEngine":
        return
    fig.draw_without_rendering()
    fig.set_layout_engine("none")


def _write_one(fig: Figure, data: pd.DataFrame, ext: str, fh: IO[bytes]) -> None:
    if ext == "csv":
        fh.write(_csv_text(data).encode("utf-8"))
        return
    determinism = {"svg.hashsalt": _SVG_HASHSALT, "svg.fonttype": "path"}
    with mpl.rc_context(determinism):
        if ext == "png":
            # the title (the finding) rides along, so a report can caption the image with it
            title = fig.get_suptitle()
            fig.savefig(fh, format="png", dpi=300,
                        metadata={"Software": None, "Title": " ".join(title.split()) or None})
        else:
            fig.savefig(fh, format="svg", metadata={"Date": None, "Creator": None})


def close(fig: Figure) -> None:
    """Release a figure made by a chart function (useful in loops)."""
    plt.close(fig)


def show(fig: Figure) -> None:
    """Display a chart in the notebook (once, as an image) and release it.

    Chart functions draw outside pyplot's automatic display, so a notebook cell shows exactly
    the figures it asks for; outside Jupyter this only releases the figure.
    """
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # plain Python: nothing to display on
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        display(fig)
    plt.close(fig)
