"""Bar charts, stacked shares and heatmaps of counts."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .export import _freeze_layout
from .theme import (
    PALETTE,
    REPORT_WIDTH_IN,
    STANCE_COLOURS,
    TEXT_GREY,
    _finish,
    _fmt_num,
    _new_figure,
    _no_data,
    _require,
    _truncate,
    style,
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
    group_order: Sequence[str] | None = None,
) -> tuple[Figure, pd.DataFrame]:
    """Return 100% stacked bars of each group's mix of categories (stance by speaker) and shares.

    Categories keep fixed colours (favor green, neutral grey, against vermillion); categories not
    in ``order`` follow, alphabetically. Groups are the ``top`` largest by total, sorted by the
    share of the first category (then the last, then name), or in ``group_order`` when given
    (an outlet's narration beside its sources); labels carry ``n``.
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
    if group_order is not None:
        rank = {str(g): i for i, g in enumerate(group_order)}
        groups = sorted(keep, key=lambda g: (rank.get(str(g), len(rank)), str(g)))
    else:
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


def heatmap(
    matrix_df: pd.DataFrame,
    *,
    title: str,
    source: str,
    top: int = 20,
    colorbar_label: str = "Articles mentioning both",
    diagonal: bool = False,
    column_order: Literal["largest", "given"] = "largest",
    blank_zero: bool = False,
) -> tuple[Figure, pd.DataFrame]:
    """Return an annotated heatmap of a (square) co-occurrence matrix and the cells it shows.

    The ``top`` rows with the largest totals are kept (the same names on both axes when the
    matrix is square); labels are truncated, x labels slanted; empty cells stay blank. The
    diagonal of a square matrix (a name with itself) is left blank unless ``diagonal``: it
    counts something else than the pairs and would set the colour scale. Columns of a
    non-square matrix are the ``top`` largest, unless ``column_order="given"`` keeps them all
    in their order (periods in time order, empty ones included). ``blank_zero`` leaves zero
    cells blank, so a sparse table over time reads as where the mentions are.
    """
    m = matrix_df.copy()
    m.index = m.index.map(str)
    m.columns = m.columns.map(str)
    m = m.apply(pd.to_numeric, errors="coerce")
    totals = m.sum(axis=1, skipna=True)
    rows = sorted(m.index, key=lambda r: (-totals[r], r))[:top]
    if set(m.index) == set(m.columns):
        cols = rows  # keep the matrix square and symmetric in order
    elif column_order == "given":
        cols = list(m.columns)
    else:
        col_totals = m.sum(axis=0, skipna=True)
        cols = sorted(m.columns, key=lambda c: (-col_totals[c], c))[:top]
    m = m.loc[rows, cols]
    if not diagonal and rows == cols:
        m = m.mask(pd.DataFrame(np.eye(len(rows), dtype=bool), index=rows, columns=cols))
    shown = m.mask(m == 0) if blank_zero else m
    index_name = matrix_df.index.name or "row"
    data = m.reset_index(names=index_name)
    n_r, n_c = m.shape
    n = max(n_r, n_c, 1)
    with style():
        # Report width whatever the size, cells a little wider than tall: with square cells a
        # small matrix left half the width blank beside its labels.
        # a wide table over time is as tall as its rows need, not as its columns
        height = 1.9 + (0.32 * n_r if column_order == "given" else 0.45 * n)
        fig, ax = _new_figure(min(REPORT_WIDTH_IN, max(3.0, height)))
        if m.size == 0:
            _no_data(ax)
        else:
            cmap = mpl.colormaps["cividis"].with_extremes(bad="white")
            values = shown.to_numpy(dtype=float)
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
