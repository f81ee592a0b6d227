"""Charts of a corpus over time, and the claimed figures checked article by article.

Periods come from :mod:`toolkit.coverage` (every week or month in the range, empty ones
included, undated last). Undated articles are drawn apart, after a gap and in grey, so they
are counted but never placed on the time axis.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from toolkit.coverage import UNDATED

from .export import _freeze_layout
from .theme import (
    PALETTE,
    STANCE_COLOURS,
    TEXT_GREY,
    _finish,
    _fmt_num,
    _new_figure,
    _no_data,
    _report_figure,
    _require,
    _truncate,
    style,
)

UNDATED_COLOUR = "#BBBBBB"
VERDICT_COLOURS = {"consistent": "#009E73", "overstated": "#D55E00", "understated": "#0072B2"}
MAX_TICKS = 12


def _positions(periods: list[str]) -> list[float]:
    """Return x positions: one per period, the undated one set apart by a gap."""
    return [i + (1.0 if p == UNDATED else 0.0) for i, p in enumerate(periods)]


def _period_ticks(ax: Any, periods: list[str], xs: list[float]) -> None:
    """Label at most MAX_TICKS periods (evenly spaced, the undated one always)."""
    dated = [i for i, p in enumerate(periods) if p != UNDATED]
    step = max(1, math.ceil(len(dated) / MAX_TICKS))
    shown = set(dated[::step]) | {i for i, p in enumerate(periods) if p == UNDATED}
    ticks = [i for i in range(len(periods)) if i in shown]
    ax.set_xticks([xs[i] for i in ticks], [periods[i] for i in ticks], rotation=45, ha="right",
                  rotation_mode="anchor")
    ax.tick_params(axis="x", length=0)
    ax.set_xlim(min(xs, default=0) - 0.6, max(xs, default=0) + 0.6)


def _period_label(unit: str) -> str:
    return "Week (starting Monday)" if unit == "week" else "Month"


def _bars_by_period(ax: Any, periods: list[str], xs: list[float], values: pd.Series, *,
                    colour: str, period: str, nbins: int = 10) -> None:
    """Draw one bar per period (the undated one grey), integer y ticks, grid and period axis."""
    ax.bar(xs, values, width=0.8, color=[UNDATED_COLOUR if p == UNDATED else colour
                                         for p in periods])
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=nbins))
    ax.yaxis.grid(True)
    _period_ticks(ax, periods, xs)
    ax.set_xlabel(_period_label(period))


def period_bars(
    df: pd.DataFrame,
    *,
    value: str,
    title: str,
    source: str,
    ylabel: str,
    period: str = "week",
) -> tuple[Figure, pd.DataFrame]:
    """Return vertical bars of ``value`` per period (``df["period"]`` in order) and the rows.

    Empty periods are zero-height bars in place; the undated count stands apart in grey.
    """
    _require(df, ["period", value], "period_bars")
    data = df[["period", value]].reset_index(drop=True)
    periods = data["period"].astype(str).tolist()
    xs = _positions(periods)
    with style():
        fig, ax = _new_figure(3.4)
        if not periods:
            _no_data(ax)
        else:
            _bars_by_period(ax, periods, xs, data[value], colour=PALETTE[0], period=period)
            ax.set_ylabel(ylabel)
        _finish(fig, title=title, source=source)
        _freeze_layout(fig)
    return fig, data


def share_over_time(
    df: pd.DataFrame,
    *,
    title: str,
    source: str,
    labels: tuple[str, ...] = ("against", "favor"),
    period: str = "week",
    ylabel: str = "Share of confidently coded units",
) -> tuple[Figure, pd.DataFrame]:
    """Return a chart of each label's share per period with its 95% interval, the number of
    coded units below it, and the rows plotted.

    ``df`` is :func:`toolkit.coverage.stance_over_time` output (``n``, ``LABEL_share``,
    ``LABEL_low``, ``LABEL_high``). A period with no unit has no point; a wide interval is a
    period with few units, read it as such.
    """
    needed = ["period", "n"] + [f"{x}_{part}" for x in labels for part in ("share", "low", "high")]
    _require(df, needed, "share_over_time")
    data = df[needed].reset_index(drop=True)
    periods = data["period"].astype(str).tolist()
    xs = _positions(periods)
    with style():
        fig = _report_figure(4.4)
        top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 1])
        if not periods or int(data["n"].sum()) == 0:
            _no_data(top)
            bottom.set_visible(False)
        else:
            offsets = {x: (k - (len(labels) - 1) / 2) * 0.12 for k, x in enumerate(labels)}
            for label in labels:
                colour = STANCE_COLOURS.get(label, PALETTE[0])
                share = data[f"{label}_share"]
                keep = share.notna()
                px = [x + offsets[label] for x, k in zip(xs, keep, strict=True) if k]
                low = (share - data[f"{label}_low"])[keep]
                high = (data[f"{label}_high"] - share)[keep]
                top.errorbar(px, share[keep], yerr=[low, high], fmt="o", markersize=4,
                             color=colour, ecolor=colour, elinewidth=1, capsize=2,
                             alpha=0.9, label=f"{label} (95% interval)")
            top.set_ylim(0, 1)
            top.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
            top.yaxis.grid(True)
            top.set_ylabel(ylabel)
            top.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=len(labels),
                       borderaxespad=0.2)
            _bars_by_period(bottom, periods, xs, data["n"], colour=TEXT_GREY, period=period,
                            nbins=3)
            bottom.set_ylabel("Units", fontsize=8)
        _finish(fig, title=title, source=source)
        _freeze_layout(fig)
    return fig, data


def claims_by_article(
    checks: pd.DataFrame,
    *,
    title: str,
    source: str,
    tolerance: float = 0.05,
    top: int = 30,
) -> tuple[Figure, pd.DataFrame]:
    """Return a dot chart of every checked claim's difference from the reference (%), one row
    per claim in publication order (undated last), coloured by verdict, and the rows plotted.

    ``checks`` is :func:`toolkit.trade.fact_check` output with ``published`` and ``outlet``
    joined; rows without a reference value are left out (the subtitle counts them).
    """
    _require(checks, ["article_id", "published", "outlet", "year", "pair", "claimed_usd_bn",
                      "reference_usd_bn", "difference_pct", "verdict"], "claims_by_article")
    placed = checks[checks["difference_pct"].notna() & (checks["verdict"] != "no reference")]
    data = placed.assign(undated=placed["published"].fillna("") == "").sort_values(
        ["undated", "published", "article_id", "year", "claimed_usd_bn"], kind="stable")
    data = data[["article_id", "published", "outlet", "pair", "year", "claimed_usd_bn",
                 "reference_usd_bn", "difference_pct", "verdict"]].head(top).reset_index(
        drop=True)
    n = len(data)
    with style():
        fig, ax = _new_figure(min(9.0, max(2.8, 1.6 + 0.24 * max(n, 1))))
        if n == 0:
            _no_data(ax)
        else:
            ax.axvspan(-100 * tolerance, 100 * tolerance, color="#EEEEEE", zorder=0,
                       label=f"within {100 * tolerance:.0f}%")
            ax.axvline(0, color="#888888", linewidth=0.8, zorder=1)
            for verdict, colour in VERDICT_COLOURS.items():
                rows = data.index[data["verdict"] == verdict]
                if len(rows):
                    ax.scatter(data.loc[rows, "difference_pct"], rows, s=28, color=colour,
                               zorder=3, label=verdict)
            ax.set_yticks(range(n), [
                _truncate(f"{r.published or 'undated'} · {r.outlet or 'unknown outlet'} · "
                          f"{r.pair} {int(r.year)}: ${_fmt_num(r.claimed_usd_bn)}bn", 58)
                for r in data.itertuples()], fontsize=7)
            ax.set_ylim(n - 0.5, -0.5)
            ax.tick_params(axis="y", length=0)
            ax.xaxis.grid(True)
            ax.xaxis.set_major_formatter(PercentFormatter(100, decimals=0))
            ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=4, borderaxespad=0.2)
        left_out = len(checks) - len(placed) + max(0, len(placed) - top)
        note = ""
        if left_out:
            note = (f"\n({left_out} not shown: no reference for their year or kind"
                    + (f", or past the first {top}" if len(placed) > top else "") + ")")
        ax.set_xlabel("Claimed figure against the reference for its year" + note)
        _finish(fig, title=title, source=source)
        _freeze_layout(fig)
    return fig, data
