"""The house style: colours, sizes, matplotlib settings, and the text helpers every chart uses."""

from __future__ import annotations

import contextlib
import re
import textwrap
from collections.abc import Iterator, Sequence
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

# Okabe & Ito (2008): distinguishable with the common colour-vision deficiencies.
PALETTE = [
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
]
STANCE_COLOURS = {
    "favor": "#009E73",  # bluish green
    "neutral": "#BBBBBB",  # grey
    "against": "#D55E00",  # vermillion
    "mixed": "#CC79A7",
    "unclear": "#56B4E9",
    "needs_coding": "#56B4E9",  # the learned coder abstained: a person should code it
}
CLAIM_COLOUR = "#D55E00"
TEXT_GREY = "#555555"

REPORT_WIDTH_IN = 6.5
FLOAT_FORMAT = "{:.6f}"  # CSV floats: fixed 6 decimals, trailing zeros dropped
_SVG_HASHSALT = "toolkit-figures"
_NAME = re.compile(r"^\d{2}-[a-z0-9]+(?:-[a-z0-9]+)*$")

STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",  # ships with matplotlib, so every machine renders the same
    "text.parse_math": False,  # "$8.9bn vs $6.8bn" is money, not a TeX formula
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.titlelocation": "left",
    "axes.labelsize": 9,
    "axes.labelcolor": "#222222",
    "axes.edgecolor": "#444444",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": mpl.cycler(color=PALETTE),
    "axes.axisbelow": True,
    "grid.color": "#DDDDDD",
    "grid.linewidth": 0.6,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "xtick.color": "#444444",
    "ytick.color": "#444444",
    "legend.fontsize": 8,
    "legend.frameon": False,
    "figure.figsize": (REPORT_WIDTH_IN, 4.0),
    "figure.dpi": 100,
    "figure.facecolor": "white",
    "savefig.dpi": 300,
    "savefig.facecolor": "white",
    "svg.fonttype": "path",  # text as outlines: identical look without the font installed
    "svg.hashsalt": _SVG_HASHSALT,  # fixed ids inside the SVG, so files are byte-identical
}


@contextlib.contextmanager
def style() -> Iterator[None]:
    """Yield with the house style applied to matplotlib, restoring the previous settings after.

    >>> import matplotlib as mpl
    >>> with style():
    ...     mpl.rcParams["axes.spines.top"]
    False
    """
    with mpl.rc_context(STYLE):
        yield


# ---------------------------------------------------------------- text helpers


def _truncate(text: str, width: int) -> str:
    """Return ``text`` cut to ``width`` characters with an ellipsis when longer.

    >>> _truncate("Chinese Ministry of Foreign Affairs", 20)
    'Chinese Ministry of…'
    """
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _wrap(text: str, width: int, max_lines: int) -> str:
    """Return ``text`` wrapped to ``width`` characters in at most ``max_lines`` lines (then "…").

    A short parenthesis stays on one line ("(17 sentences)" is never broken inside).

    >>> _wrap("China and Russia are named together most often (17 sentences)", 50, 3)
    'China and Russia are named together most often\\n(17 sentences)'
    """
    text = " ".join(str(text).split())
    text = re.sub(r"\([^()]{1,30}\)", lambda m: m.group(0).replace(" ", "\u00a0"), text)
    lines = [line.replace("\u00a0", " ")
             for line in textwrap.wrap(text, width=width, break_on_hyphens=False)] or [""]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = _truncate(lines[-1] + " …", width)
        if not lines[-1].endswith("…"):
            lines[-1] = lines[-1][: width - 1] + "…"
    return "\n".join(lines)


def _fmt_num(value: float) -> str:
    """Return a bar label: integers without decimals, others with one.

    >>> _fmt_num(12.0), _fmt_num(3.14159), _fmt_num(1234)
    ('12', '3.1', '1,234')
    """
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"


def _report_figure(height: float, *, width: float = REPORT_WIDTH_IN) -> Figure:
    """Return an empty report-width figure with the house layout (constrained, small pads)."""
    fig = plt.figure(figsize=(width, height), layout="constrained")
    fig.get_layout_engine().set(h_pad=0.06, w_pad=0.06)
    return fig


def _new_figure(height: float, *, width: float = REPORT_WIDTH_IN) -> tuple[Figure, Any]:
    fig = _report_figure(height, width=width)
    return fig, fig.add_subplot()


def _finish(
    fig: Figure, *, title: str, source: str, subtitle: str | None = None, source_lines: int = 2
) -> None:
    """Put the finding title at the top-left and the source line at the bottom-left."""
    width_in = fig.get_size_inches()[0]
    title_chars = int(width_in * 72 / (11 * 0.6))
    fig.suptitle(
        _wrap(title, title_chars, 3), x=0.01, ha="left", fontsize=11, fontweight="bold"
    )
    if subtitle:
        fig.axes[0].set_title(subtitle, loc="left", fontsize=8, color=TEXT_GREY, pad=6)
    source_chars = int(width_in * 72 / (7 * 0.55))
    # a line that already says what it is ("Source: …", "Reference: …") gets no second label
    labelled = re.match(r"(?i)(sources?|references?)\s*:", source)
    text = source if labelled else f"Source: {source}"
    # supxlabel, because constrained layout reserves room for it (a plain fig.text would
    # overlap the x-axis label).
    fig.supxlabel(_wrap(text, source_chars, source_lines), x=0.01, ha="left", fontsize=7,
                  color=TEXT_GREY)


def _no_data(ax: Any) -> None:
    ax.text(0.5, 0.5, "No data to plot", transform=ax.transAxes, ha="center", va="center",
            color=TEXT_GREY, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])


def _require(df: pd.DataFrame, columns: Sequence[str], where: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KeyError(
            f"{where}: column(s) {', '.join(map(repr, missing))} not in the table "
            f"(it has: {', '.join(map(str, df.columns))})"
        )
