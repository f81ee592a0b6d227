"""Charts in the house style, and the one helper that writes figures (PNG, SVG, CSV of the data).

Every chart function returns ``(fig, plotted_data)``: the matplotlib figure and a DataFrame holding
exactly the numbers drawn, which :func:`save_figure` writes beside the images as
``NN-slug.csv``. This module is the only code that writes into ``figures/``.

The style is applied inside each chart function (:func:`style`), never at import time, so importing
the toolkit leaves a notebook's own matplotlib settings alone.
"""

from __future__ import annotations

import contextlib
import functools
import io
import math
import os
import re
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from toolkit import paths
from toolkit.errors import ToolkitError
from toolkit.io import write_many
from toolkit.trade import source_kind_note

__all__ = [
    "PALETTE",
    "STANCE_COLOURS",
    "FigureNameError",
    "bar_counts",
    "close",
    "heatmap",
    "save_figure",
    "stacked_shares",
    "style",
    "trade_chart",
]

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


class FigureNameError(ToolkitError, ValueError):
    """A figure name does not follow the ``NN-slug`` pattern."""


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


# ---------------------------------------------------------------- saving


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
    from .io import spreadsheet_safe

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


def _new_figure(height: float, *, width: float = REPORT_WIDTH_IN) -> tuple[Figure, Any]:
    fig = plt.figure(figsize=(width, height), layout="constrained")
    fig.get_layout_engine().set(h_pad=0.06, w_pad=0.06)
    ax = fig.add_subplot()
    return fig, ax


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


# ---------------------------------------------------------------- charts


def bar_counts(
    df: pd.DataFrame,
    *,
    label: str,
    value: str,
    title: str,
    xlabel: str,
    source: str,
    top: int = 15,
) -> tuple[Figure, pd.DataFrame]:
    """Return a horizontal bar chart of the ``top`` largest values and the rows it plots.

    Rows with the same label are summed; bars are sorted largest first (ties by label) and
    carry their value; a subtitle says when the list was cut.
    """
    _require(df, [label, value], "bar_counts")
    data = df.groupby(label, as_index=False, sort=True)[value].sum()
    n_all = len(data)
    data = data.sort_values([value, label], ascending=[False, True], kind="stable")
    data = data.head(top).reset_index(drop=True)
    n = len(data)
    with style():
        fig, ax = _new_figure(min(9.0, max(2.6, 1.4 + 0.26 * max(n, 1))))
        if n == 0:
            _no_data(ax)
        else:
            positions = list(range(n))
            bars = ax.barh(positions, data[value], height=0.7, color=PALETTE[0])
            ax.set_yticks(positions, [_truncate(x, 40) for x in data[label]])
            ax.set_ylim(n - 0.5, -0.5)  # largest at the top, no empty band
            ax.bar_label(bars, labels=[_fmt_num(v) for v in data[value]], padding=3,
                         fontsize=8, color="#222222")
            biggest = float(data[value].max())
            ax.set_xlim(0, biggest * 1.12 if biggest > 0 else 1)
            ax.xaxis.grid(True)
            ax.tick_params(axis="y", length=0)
            if pd.api.types.is_integer_dtype(data[value]):
                ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(xlabel)
        subtitle = f"Top {n} of {n_all} shown" if n_all > n else None
        _finish(fig, title=title, source=source, subtitle=subtitle)
        _freeze_layout(fig)
    return fig, data


def stacked_shares(
    df: pd.DataFrame,
    *,
    group: str,
    category: str,
    value: str,
    title: str,
    source: str,
    order: Sequence[str] = ("favor", "neutral", "against"),
    xlabel: str = "Share of statements (%)",
    top: int = 20,
) -> tuple[Figure, pd.DataFrame]:
    """Return 100% stacked bars of each group's mix of categories (stance by speaker) and shares.

    Categories keep fixed colours (favor green, neutral grey, against vermillion); categories not
    in ``order`` follow, alphabetically. Groups are the ``top`` largest by total, sorted by the
    share of the first category (then the last, then name); labels carry ``n``.
    """
    _require(df, [group, category, value], "stacked_shares")
    counts = df.groupby([group, category], sort=True)[value].sum()
    seen = [str(c) for c in counts.index.get_level_values(1).unique()]
    categories = [c for c in order] + sorted(c for c in seen if c not in order)
    table = counts.unstack(category, fill_value=0) if len(counts) else pd.DataFrame()
    table = table.reindex(columns=categories, fill_value=0).astype(float)
    totals = table.sum(axis=1)
    table = table[totals > 0]
    totals = totals[totals > 0]
    n_all = len(table)
    keep = sorted(table.index, key=lambda g: (-totals[g], str(g)))[:top]
    shares = table.loc[keep].div(totals[keep], axis=0) if keep else table
    first, last = categories[0], categories[-1]
    groups = sorted(keep, key=lambda g: (-shares.at[g, first], shares.at[g, last], str(g)))
    rows = [
        {group: g, category: c, value: table.at[g, c], "share_pct": round(100 * shares.at[g, c], 6)}
        for g in groups
        for c in categories
    ]
    data = pd.DataFrame(rows, columns=[group, category, value, "share_pct"])
    if pd.api.types.is_integer_dtype(df[value]):
        data[value] = data[value].astype(int)
    n = len(groups)
    with style():
        fig, ax = _new_figure(min(9.0, max(2.6, 1.7 + 0.3 * max(n, 1))))
        if n == 0:
            _no_data(ax)
        else:
            positions = list(range(n))
            left = [0.0] * n
            colour_iter = iter(c for c in PALETTE if c not in STANCE_COLOURS.values())
            for c in categories:
                colour = STANCE_COLOURS.get(c.lower()) or next(colour_iter, "#999999")
                widths = [100 * shares.at[g, c] for g in groups]
                bars = ax.barh(positions, widths, left=left, height=0.7, color=colour, label=c,
                               edgecolor="white", linewidth=0.6)
                dark = colour not in ("#BBBBBB", "#F0E442", "#56B4E9", "#E69F00")
                ax.bar_label(
                    bars,
                    labels=[f"{w:.0f}%" if w >= 9 else "" for w in widths],
                    label_type="center",
                    fontsize=7.5,
                    color="white" if dark else "#222222",
                )
                left = [a + b for a, b in zip(left, widths, strict=True)]
            ax.set_yticks(
                positions, [f"{_truncate(g, 34)} (n={_fmt_num(totals[g])})" for g in groups]
            )
            ax.set_ylim(n - 0.5, -0.5)
            ax.set_xlim(0, 100)
            ax.tick_params(axis="y", length=0)
            ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=len(categories),
                      borderaxespad=0.2, handlelength=1.2, columnspacing=1.2)
        ax.set_xlabel(xlabel)
        subtitle = f"{n} largest of {n_all} shown" if n_all > n else None
        if subtitle:
            ax.text(1.0, 1.01, subtitle, transform=ax.transAxes, ha="right", va="bottom",
                    fontsize=7.5, color=TEXT_GREY)
        _finish(fig, title=title, source=source)
        _freeze_layout(fig)
    return fig, data


def trade_chart(
    reference: pd.DataFrame,
    claims: pd.DataFrame | None,
    *,
    title: str,
    source: str,
    ylabel: str = "Goods trade, US$ billion",
    max_labels: int = 8,
) -> tuple[Figure, pd.DataFrame]:
    """Return a line chart of a reference trade series with article claims on it, and the points.

    ``reference`` is :func:`toolkit.trade.reference_series` output (``year``, ``value_usd_bn``,
    optional ``pair``, ``conflict``, ``lower_bound``, ``reporter``, ``source_kind``); years where
    sources disagree get hollow markers, floors a triangle, and missing years break the line.
    A line never joins two years whose figures come from different reporters (China's
    statistics and the partner's differ systematically): China-side runs are solid, partner-side
    runs dashed. Years that are not official statistics are named in a note under the title.
    ``claims`` has ``year`` and ``claimed_usd_bn`` (or ``value`` in US$), optionally
    ``label``/``text``, ``article_id``, ``verdict``; equal claims are drawn once with a count, as
    a hollow diamond around the reference point, and at most ``max_labels`` get a label.
    """
    _require(reference, ["year", "value_usd_bn"], "trade_chart reference")
    ref = reference.copy()
    if "pair" not in ref:
        ref["pair"] = ""
    for flag in ("conflict", "lower_bound"):
        ref[flag] = ref[flag].astype(bool) if flag in ref else False
    for col in ("reporter", "source_kind"):
        ref[col] = ref[col].astype(str) if col in ref else ""
    ref = ref.sort_values(["pair", "year"], kind="stable")

    claim_rows = _claim_points(claims)
    rows = [
        {"series": "reference", "pair": r.pair, "year": int(r.year),
         "value_usd_bn": float(r.value_usd_bn), "conflict": bool(r.conflict),
         "lower_bound": bool(r.lower_bound), "reporter": r.reporter,
         "source_kind": r.source_kind, "label": "", "count": 1}
        for r in ref.itertuples(index=False)
    ] + claim_rows
    data = pd.DataFrame(
        rows,
        columns=["series", "pair", "year", "value_usd_bn", "conflict", "lower_bound", "reporter",
                 "source_kind", "label", "count"],
    )
    partner_side = bool(len(ref)) and bool(((ref["reporter"] != "China")
                                            & (ref["reporter"] != "")).any())
    with style():
        fig, ax = _new_figure(4.2)
        if data.empty:
            _no_data(ax)
        handles: list[Any] = []
        pairs = list(dict.fromkeys(ref["pair"]))
        for i, pair in enumerate(pairs):
            colour = PALETTE[i % len(PALETTE)]
            sub = ref[ref["pair"] == pair]
            years = range(int(sub["year"].min()), int(sub["year"].max()) + 1)
            # one line per reporter, NaN in the other reporters' years: the line breaks where
            # the reporter changes, as it does where a year is missing
            for reporter in dict.fromkeys(sub["reporter"]):
                own = sub[sub["reporter"] == reporter].set_index("year")["value_usd_bn"]
                line = own.reindex(years)
                dashed = reporter not in ("China", "")
                ax.plot(list(years), line.tolist(), color=colour, linewidth=1.8, zorder=2,
                        linestyle=(0, (4, 2)) if dashed else "-")
            # an isolated year has no line to show whose it is, so the marker says it too
            china = sub["reporter"].isin(["China", ""])
            for side, shape in ((china, "o"), (~china, "s")):
                solid = sub[side & ~sub["conflict"] & ~sub["lower_bound"]]
                hollow = sub[side & sub["conflict"] & ~sub["lower_bound"]]
                ax.scatter(solid["year"], solid["value_usd_bn"], s=22, marker=shape,
                           color=colour, zorder=3)
                ax.scatter(hollow["year"], hollow["value_usd_bn"], s=26, marker=shape,
                           facecolor="white", edgecolor=colour, linewidth=1.4, zorder=3)
            floor = sub[sub["lower_bound"]]
            ax.scatter(floor["year"], floor["value_usd_bn"], s=34, marker="^", facecolor="white",
                       edgecolor=colour, linewidth=1.4, zorder=3)
            name = f"{pair} reference" if pair else "Reference series"
            if len(pairs) > 1:
                name = pair
            handles.append(Line2D([], [], color=colour, marker="o", markersize=4.5, label=name))
        if partner_side:
            handles.append(Line2D([], [], color="#444444", linewidth=1.4, marker="o",
                                  markersize=4.5, label="China's statistics"))
            handles.append(Line2D([], [], color="#444444", linewidth=1.4, linestyle=(0, (4, 2)),
                                  marker="s", markersize=4.5,
                                  label="Partner's statistics (no line to China's)"))
        if len(ref) and ref["conflict"].any():
            handles.append(Line2D([], [], linestyle="none", marker="o", markersize=5,
                                  markerfacecolor="white", markeredgecolor="#444444",
                                  label="Sources disagree (value chosen by rule)"))
        if len(ref) and ref["lower_bound"].any():
            handles.append(Line2D([], [], linestyle="none", marker="^", markersize=5.5,
                                  markerfacecolor="white", markeredgecolor="#444444",
                                  label="Only a lower bound known"))
        if claim_rows:
            cl = data[data["series"] == "claim"]
            # hollow and larger than a reference dot, so the dot of the same year stays visible
            ax.scatter(cl["year"], cl["value_usd_bn"], s=90, marker="D", facecolor="none",
                       edgecolor=CLAIM_COLOUR, linewidth=1.6, zorder=5)
            handles.append(Line2D([], [], linestyle="none", marker="D", markersize=7,
                                  markerfacecolor="none", markeredgecolor=CLAIM_COLOUR,
                                  markeredgewidth=1.6, label="Figure claimed in the articles"))
            claim_points = cl
        if not data.empty:
            top = float(data["value_usd_bn"].max())
            ax.set_ylim(0, top * 1.15 if top > 0 else 1)
            lo, hi = int(data["year"].min()), int(data["year"].max())
            ax.set_xlim(lo - 0.7, hi + 0.7)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=10))
            ax.yaxis.grid(True)
            ax.legend(handles=handles, loc="upper left")
        ax.set_xlabel("Year")
        ax.set_ylabel(ylabel)
        note = source_kind_note(ref)
        subtitle_chars = int(fig.get_size_inches()[0] * 0.85 * 72 / (8 * 0.55))
        # three source lines: the articles, then whose statistics the reference is
        _finish(fig, title=title, source=source, source_lines=3,
                subtitle=_wrap(note, subtitle_chars, 2) if note else None)
        if claim_rows:
            # labels last, once the title and source line have taken their room
            _label_claims(ax, claim_points, max_labels=max_labels,
                          obstacles=data[data["series"] == "reference"])
        _freeze_layout(fig)
    return fig, data


def _claim_points(claims: pd.DataFrame | None) -> list[dict[str, Any]]:
    """Return one plotted point per distinct (pair, year, value) claimed, with a short label."""
    if claims is None or len(claims) == 0:
        return []
    if "claimed_usd_bn" in claims:
        values = claims["claimed_usd_bn"].astype(float)
    elif "value" in claims:
        values = claims["value"].astype(float) / 1e9
    else:
        raise KeyError("trade_chart claims: need a 'claimed_usd_bn' or 'value' (US$) column")
    _require(claims, ["year"], "trade_chart claims")
    text_col = "label" if "label" in claims else ("text" if "text" in claims else None)
    points: dict[tuple[str, int, float], dict[str, Any]] = {}
    for i, (year, v) in enumerate(zip(claims["year"], values, strict=True)):
        if pd.isna(year) or pd.isna(v):
            continue  # a claim without a year has no place on a time axis
        pair = str(claims["pair"].iloc[i]) if "pair" in claims else ""
        key = (pair, int(year), round(float(v), 3))
        text = str(claims[text_col].iloc[i]) if text_col else f"${v:g}bn"
        if key in points:
            points[key]["count"] += 1
        else:
            points[key] = {"series": "claim", "pair": pair, "year": int(year),
                           "value_usd_bn": float(v), "conflict": False, "lower_bound": False,
                           "reporter": "", "source_kind": "", "label": _truncate(text, 22),
                           "count": 1}
    return [points[k] for k in sorted(points)]


def _label_claims(
    ax: Any, claims: pd.DataFrame, *, max_labels: int, obstacles: pd.DataFrame | None = None
) -> None:
    # Greedy placement: try a ring of offsets around each marker and keep the first whose box
    # stays inside the axes and clear of labels and markers already there; a claim whose label
    # cannot be placed keeps its marker and is counted in a note instead of overprinting.
    fig = ax.figure
    fig.canvas.draw()  # run the layout so extents are final
    renderer = fig.canvas.get_renderer()
    inside = ax.get_window_extent(renderer)
    points = ax.transData.transform(claims[["year", "value_usd_bn"]].to_numpy(dtype=float))
    radius = 5 * fig.dpi / 72  # marker half-size in pixels
    taken = [
        mpl.transforms.Bbox.from_extents(x - radius, y - radius, x + radius, y + radius)
        for x, y in points
    ]
    if obstacles is not None and len(obstacles):
        for x, y in ax.transData.transform(obstacles[["year", "value_usd_bn"]].to_numpy(float)):
            taken.append(mpl.transforms.Bbox.from_extents(x - 4, y - 4, x + 4, y + 4))
    taken += [ax.get_legend().get_window_extent(renderer)] if ax.get_legend() else []
    # beside the marker first (unambiguous), then further out with a leader line
    offsets = [(9, 0), (-9, 0), (14, 12), (-14, 12), (14, -12), (-14, -12), (18, 24),
               (-18, 24), (18, -24), (-18, -24), (26, 0), (-26, 0)]
    # the most repeated claims get their labels first, then by year and value
    ordered = claims.assign(_neg=-claims["count"]).sort_values(
        ["_neg", "year", "value_usd_bn"], kind="stable")
    placed = 0
    for r in ordered.itertuples(index=False):
        if placed >= max_labels:
            break
        text = r.label + (f" (×{r.count})" if r.count > 1 else "")
        for dx, dy in offsets:
            ha = "left" if dx > 0 else ("right" if dx < 0 else "center")
            leader = {"arrowstyle": "-", "color": "#777777", "linewidth": 0.6,
                      "shrinkA": 0, "shrinkB": 4} if (dy or abs(dx) > 9) else None
            ann = ax.annotate(text, (r.year, r.value_usd_bn), xytext=(dx, dy),
                              textcoords="offset points", ha=ha, va="center", fontsize=7.5,
                              color="#222222", zorder=6, arrowprops=leader)
            box = ann.get_window_extent(renderer).padded(2)  # the text only, not the leader
            fits = (box.x0 >= inside.x0 and box.x1 <= inside.x1 and box.y0 >= inside.y0
                    and box.y1 <= inside.y1)
            if fits and not any(box.overlaps(t) for t in taken):
                taken.append(box)
                placed += 1
                break
            ann.remove()
    hidden = len(ordered) - placed
    if hidden:
        ax.text(1.0, 0.02, f"{hidden} claim(s) not labelled (see the CSV)",
                transform=ax.transAxes, ha="right", va="bottom", fontsize=7, color=TEXT_GREY)


def heatmap(
    matrix_df: pd.DataFrame,
    *,
    title: str,
    source: str,
    top: int = 20,
    colorbar_label: str = "Articles mentioning both",
    diagonal: bool = False,
) -> tuple[Figure, pd.DataFrame]:
    """Return an annotated heatmap of a (square) co-occurrence matrix and the cells it shows.

    The ``top`` rows with the largest totals are kept (the same names on both axes when the
    matrix is square); labels are truncated, x labels slanted; empty cells stay blank. The
    diagonal of a square matrix (a name with itself) is left blank unless ``diagonal``: it
    counts something else than the pairs and would set the colour scale.
    """
    m = matrix_df.copy()
    m.index = m.index.map(str)
    m.columns = m.columns.map(str)
    m = m.apply(pd.to_numeric, errors="coerce")
    totals = m.sum(axis=1, skipna=True)
    rows = sorted(m.index, key=lambda r: (-totals[r], r))[:top]
    if set(m.index) == set(m.columns):
        cols = rows  # keep the matrix square and symmetric in order
    else:
        col_totals = m.sum(axis=0, skipna=True)
        cols = sorted(m.columns, key=lambda c: (-col_totals[c], c))[:top]
    m = m.loc[rows, cols]
    if not diagonal and rows == cols:
        m = m.mask(pd.DataFrame(np.eye(len(rows), dtype=bool), index=rows, columns=cols))
    index_name = matrix_df.index.name or "row"
    data = m.reset_index(names=index_name)
    n_r, n_c = m.shape
    n = max(n_r, n_c, 1)
    with style():
        # Report width whatever the size, cells a little wider than tall: with square cells a
        # small matrix left half the width blank beside its labels.
        fig, ax = _new_figure(min(REPORT_WIDTH_IN, max(3.0, 1.9 + 0.45 * n)))
        if m.size == 0:
            _no_data(ax)
        else:
            cmap = mpl.colormaps["cividis"].with_extremes(bad="white")
            values = m.to_numpy(dtype=float)
            finite = values[~pd.isna(values)]
            # Counts: anchor the scale at 0 so a lone value (one article) is not read as "low".
            vmin = 0.0 if finite.size and finite.min() >= 0 else None
            image = ax.imshow(values, cmap=cmap, aspect="auto", interpolation="nearest",
                              vmin=vmin)
            fontsize = 8 if n <= 10 else (7 if n <= 16 else 5.5)
            vmin, vmax = image.get_clim()
            for i in range(n_r):
                for j in range(n_c):
                    v = values[i, j]
                    if math.isnan(v):
                        continue
                    shade = (v - vmin) / (vmax - vmin) if vmax > vmin else 1.0
                    ax.text(j, i, _fmt_num(v), ha="center", va="center", fontsize=fontsize,
                            color="white" if shade < 0.55 else "black")
            ax.set_xticks(range(n_c), [_truncate(c, 18) for c in cols], rotation=45, ha="right",
                          rotation_mode="anchor", fontsize=fontsize + 0.5)
            ax.set_yticks(range(n_r), [_truncate(r, 24) for r in rows], fontsize=fontsize + 0.5)
            ax.tick_params(length=0)
            for spine in ax.spines.values():
                spine.set_visible(False)
            bar = fig.colorbar(image, ax=ax, shrink=0.8, aspect=30, pad=0.02)
            bar.set_label(colorbar_label, fontsize=8)
            bar.ax.tick_params(labelsize=7)
            bar.outline.set_visible(False)
            if float(vmax).is_integer() and float(vmin).is_integer():
                bar.ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        cut = len(matrix_df) > len(rows)
        subtitle = f"{len(rows)} most frequent of {len(matrix_df)} shown" if cut else None
        _finish(fig, title=title, source=source, subtitle=subtitle)
        _freeze_layout(fig)
    return fig, data


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

