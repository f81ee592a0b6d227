"""The trade chart: a reference series with the articles' claims drawn on it."""

from __future__ import annotations

from typing import Any

import matplotlib as mpl
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from toolkit.trade import source_kind_note

from .export import _freeze_layout
from .theme import (
    CLAIM_COLOUR,
    PALETTE,
    TEXT_GREY,
    _finish,
    _new_figure,
    _no_data,
    _require,
    _truncate,
    _wrap,
    style,
)


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
