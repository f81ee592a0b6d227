"""Corpus views: the annotation tables counted by period (week or month) and by outlet.

A one-article run has nothing to compare; these views are for a corpus. Every function takes
the tables of a Corpus and returns a new, deterministically sorted DataFrame, with every period
between the first and the last date present (an empty week is a zero, not a missing bar) and
undated articles counted apart under :data:`UNDATED`, never silently dropped.

Which period: ``period="auto"`` counts by week when the dated articles span at most
:data:`MAX_WEEKS` weeks, else by month, so a year of coverage stays readable. A date that gives
only a month ("2023-04") has no week: weekly views count it as undated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import pandas as pd

Period = Literal["auto", "week", "month"]
UNDATED = "undated"
OTHER_OUTLETS = "other outlets"
MAX_WEEKS = 26
STANCE_ORDER = ("favor", "neutral", "against")


def choose_period(published: pd.Series, *, period: Period = "auto") -> Literal["week", "month"]:
    """Return the period to count by: ``period`` itself, or for "auto" week or month by span.

    >>> choose_period(pd.Series(["2023-02-20", "2023-03-20"]))
    'week'
    >>> choose_period(pd.Series(["2022-02-18", "2023-06-19", ""]))
    'month'
    """
    if period in ("week", "month"):
        return period
    if period != "auto":
        raise ValueError(f"period={period!r}: expected 'auto', 'week' or 'month'")
    days = pd.to_datetime(published, format="%Y-%m-%d", errors="coerce").dropna()
    if days.empty:
        return "week"
    return "week" if (days.max() - days.min()).days <= 7 * MAX_WEEKS else "month"


def period_of(published: pd.Series, *, period: Literal["week", "month"]) -> pd.Series:
    """Return each date's period label: a week's Monday ("2023-02-20") or a month ("2023-02").

    Undated values (and, for weeks, month-only dates) get :data:`UNDATED`.

    >>> period_of(pd.Series(["2023-02-25", "2023-04", ""]), period="week").tolist()
    ['2023-02-20', 'undated', 'undated']
    >>> period_of(pd.Series(["2023-02-25", "2023-04", ""]), period="month").tolist()
    ['2023-02', '2023-04', 'undated']
    """
    text = published.fillna("").astype(str).str.strip()
    days = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    if period == "week":
        labels = (days - pd.to_timedelta(days.dt.day_of_week, unit="D")).dt.strftime("%Y-%m-%d")
    else:
        months = pd.to_datetime(text.str[:7], format="%Y-%m", errors="coerce")
        labels = months.dt.strftime("%Y-%m")
    return labels.fillna(UNDATED).astype(str).rename("period")


def all_periods(labels: Sequence[str], *, period: Literal["week", "month"]) -> list[str]:
    """Return every period from the first to the last dated label, in order (empty ones too),
    then :data:`UNDATED` when any label is undated.

    >>> all_periods(["2023-02-20", "2023-03-06", "undated"], period="week")
    ['2023-02-20', '2023-02-27', '2023-03-06', 'undated']
    """
    dated = sorted({x for x in labels if x != UNDATED})
    out: list[str] = []
    if dated:
        freq, fmt = ("W-MON", "%Y-%m-%d") if period == "week" else ("MS", "%Y-%m")
        start = pd.Timestamp(dated[0] if period == "week" else dated[0] + "-01")
        end = pd.Timestamp(dated[-1] if period == "week" else dated[-1] + "-01")
        out = [d.strftime(fmt) for d in pd.date_range(start, end, freq=freq)]
    if UNDATED in set(labels):
        out.append(UNDATED)
    return out


def with_period(table: pd.DataFrame, articles: pd.DataFrame, *,
                period: Literal["week", "month"]) -> pd.DataFrame:
    """Return ``table`` with its article's ``period`` and ``outlet`` (unknown outlets named so)."""
    meta = articles[["article_id"]].assign(
        period=period_of(articles["published"], period=period).to_numpy(),
        outlet=articles["outlet"].fillna("").replace("", "unknown outlet").to_numpy())
    return table.drop(columns=["period", "outlet"], errors="ignore").merge(
        meta, on="article_id", how="left", validate="many_to_one")


def articles_over_time(articles: pd.DataFrame, *, period: Period = "auto") -> pd.DataFrame:
    """Return articles per period (every period in the range, zeros included; undated last).

    >>> a = pd.DataFrame({"article_id": ["a", "b", "c"], "outlet": ["X", "Y", "X"],
    ...                   "published": ["2023-02-21", "2023-03-08", ""]})
    >>> articles_over_time(a).to_dict("list")
    {'period': ['2023-02-20', '2023-02-27', '2023-03-06', 'undated'], 'articles': [1, 0, 1, 1]}
    """
    unit = choose_period(articles["published"], period=period)
    labels = period_of(articles["published"], period=unit)
    counts = labels.value_counts()
    order = all_periods(labels.tolist(), period=unit)
    out = pd.DataFrame({"period": order,
                        "articles": [int(counts.get(p, 0)) for p in order]})
    out.attrs["period"] = unit
    return out


def top_outlets(articles: pd.DataFrame, *, top: int = 12) -> dict[str, str]:
    """Return each article's outlet group: the ``top`` outlets by articles, the rest as one
    :data:`OTHER_OUTLETS` group (so fifty one-article web sites do not crowd a chart). When some
    outlets have two or more articles, one-article outlets always go to the group.

    >>> a = pd.DataFrame({"article_id": list("abcd"), "outlet": ["X", "X", "Y", "Z"]})
    >>> top_outlets(a)
    {'a': 'X', 'b': 'X', 'c': 'other outlets', 'd': 'other outlets'}
    """
    outlet = articles["outlet"].fillna("").replace("", "unknown outlet")
    counts = outlet.value_counts()
    keep = sorted(counts.index, key=lambda o: (-counts[o], o))[:top]
    if counts.max() > 1:
        keep = [o for o in keep if counts[o] > 1]
    if len(counts) == len(keep) + 1:  # one left over: name it rather than call it "other"
        keep = list(counts.index)
    return {a: (o if o in keep else OTHER_OUTLETS)
            for a, o in zip(articles["article_id"], outlet, strict=True)}


def articles_per_outlet(articles: pd.DataFrame, *, top: int = 12) -> pd.DataFrame:
    """Return articles per outlet, most first, with the smaller outlets grouped at the end.

    >>> a = pd.DataFrame({"article_id": ["a", "b", "c"], "outlet": ["X", "Y", "X"]})
    >>> articles_per_outlet(a).to_dict("list")
    {'outlet': ['X', 'Y'], 'articles': [2, 1]}
    """
    group = pd.Series(top_outlets(articles, top=top), name="outlet")
    counts = group.value_counts()
    order = sorted(counts.index, key=lambda o: (o == OTHER_OUTLETS, -counts[o], o))
    return pd.DataFrame({"outlet": order, "articles": [int(counts[o]) for o in order]})


def mentions_by(entities: pd.DataFrame, articles: pd.DataFrame, *,
                by: Literal["period", "outlet"], kinds: Sequence[str], top: int = 8,
                period: Period = "auto", top_outlets_n: int = 12) -> pd.DataFrame:
    """Return a matrix of mentions: the ``top`` entities (rows, most mentioned first) by period
    (columns in time order, empty periods included) or by outlet (most articles first)."""
    from .analysis import entity_counts

    df = entities[entities["kind"].isin(kinds)]
    names = entity_counts(df, top=top)["canonical"].tolist()
    columns, group = _groups(articles, by=by, period=period, top_outlets_n=top_outlets_n)
    return _count_matrix(df, "canonical", names, columns, group, index_name="entity")


def quoted_by_outlet(quotes: pd.DataFrame, articles: pd.DataFrame, *, top: int = 10,
                     top_outlets_n: int = 12) -> pd.DataFrame:
    """Return a matrix of quotes: the ``top`` quoted sources (rows) by outlet (columns), counted
    as :func:`toolkit.analysis.quoted_sources` counts them (people and organisations; a fragment
    inside reported speech once)."""
    from .analysis import quoted_sources, sourced_quotes

    q = sourced_quotes(quotes)
    names = quoted_sources(quotes)["speaker"].head(top).tolist()
    columns, group = _groups(articles, by="outlet", period="auto", top_outlets_n=top_outlets_n)
    return _count_matrix(q, "speaker", names, columns, group, index_name="speaker")


def _count_matrix(rows: pd.DataFrame, key: str, names: list[str], columns: list[str],
                  group: dict[str, str], *, index_name: str) -> pd.DataFrame:
    """Return the rows counted by ``key`` (rows ``names``, in order) and by their article's
    group (columns ``columns``, in order), zeros where none."""
    rows = rows[rows[key].isin(names)]
    cells = rows.groupby([rows[key], rows["article_id"].map(group)]).size()
    matrix = cells.unstack(fill_value=0).reindex(index=names, columns=columns, fill_value=0)
    matrix.index.name, matrix.columns.name = index_name, None
    return matrix.astype(int)


def _groups(articles: pd.DataFrame, *, by: str, period: Period,
            top_outlets_n: int) -> tuple[list[str], dict[str, str]]:
    """Return the column order and each article's group for :func:`mentions_by`."""
    if by == "outlet":
        group = top_outlets(articles, top=top_outlets_n)
        return articles_per_outlet(articles, top=top_outlets_n)["outlet"].tolist(), group
    if by != "period":
        raise ValueError(f"by={by!r}: expected 'period' or 'outlet'")
    unit = choose_period(articles["published"], period=period)
    labels = period_of(articles["published"], period=unit)
    return (all_periods(labels.tolist(), period=unit),
            dict(zip(articles["article_id"], labels, strict=True)))


def wilson_interval(k: int, n: int, *, z: float = 1.96) -> tuple[float, float]:
    """Return the Wilson score interval (95% by default) of a share of ``k`` in ``n``.

    It stays inside [0, 1] and is honest for small ``n``, where weekly counts live.

    >>> [round(x, 3) for x in wilson_interval(3, 4)]
    [0.301, 0.954]
    >>> wilson_interval(0, 0)
    (nan, nan)
    """
    if n <= 0:
        return (math.nan, math.nan)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def stance_over_time(stance_df: pd.DataFrame, articles: pd.DataFrame, *,
                     period: Period = "auto") -> pd.DataFrame:
    """Return per period the units by stance, the number coded with confidence (``n``), and the
    share of those that doubt (``against``) and back (``favor``) the target, each with its
    Wilson 95% interval. Periods with no unit have ``n`` 0 and empty shares; undated last.

    >>> s = pd.DataFrame({"article_id": ["a", "a", "b"],
    ...                   "stance": ["against", "favor", "needs_coding"]})
    >>> a = pd.DataFrame({"article_id": ["a", "b"], "outlet": ["X", "Y"],
    ...                   "published": ["2023-02-21", ""]})
    >>> stance_over_time(s, a)[["period", "against", "favor", "needs_coding", "n"]].values.tolist()
    [['2023-02-20', 1, 1, 0, 2], ['undated', 0, 0, 1, 0]]
    """
    unit = choose_period(articles["published"], period=period)
    labels = period_of(articles["published"], period=unit)
    order = all_periods(labels.tolist(), period=unit)
    tagged = with_period(stance_df[["article_id", "stance"]], articles, period=unit)
    counts = pd.crosstab(tagged["period"], tagged["stance"]) if len(tagged) else pd.DataFrame()
    columns = [*STANCE_ORDER, "needs_coding"]
    counts = counts.reindex(index=order, columns=columns, fill_value=0).fillna(0).astype(int)
    counts["n"] = counts[list(STANCE_ORDER)].sum(axis=1)
    for label in ("against", "favor"):
        bounds = [wilson_interval(int(k), int(n)) for k, n in zip(counts[label], counts["n"],
                                                                   strict=True)]
        counts[f"{label}_share"] = [k / n if n else math.nan
                                    for k, n in zip(counts[label], counts["n"], strict=True)]
        counts[f"{label}_low"] = [b[0] for b in bounds]
        counts[f"{label}_high"] = [b[1] for b in bounds]
    out = counts.reset_index(names="period")
    out.columns.name = None
    out.attrs["period"] = unit
    return out


# ---------------------------------------------------------------- chart titles (the finding)


def _noun(unit: str) -> str:
    return "week" if unit == "week" else "month"


def articles_finding(over_time: pd.DataFrame) -> str:
    """Return a title for articles per period: the busiest period and the undated count.

    >>> t = pd.DataFrame({"period": ["2023-02", "2023-03", "undated"], "articles": [2, 5, 1]})
    >>> t.attrs["period"] = "month"
    >>> articles_finding(t)
    'Coverage peaks in 2023-03 (5 of 8 articles); 1 article carries no date'
    """
    dated = over_time[over_time["period"] != UNDATED]
    total = int(over_time["articles"].sum())
    undated = total - int(dated["articles"].sum())
    if dated.empty or int(dated["articles"].max()) == 0:
        return f"None of the {total} articles carries a date"
    peak = dated.loc[dated["articles"].idxmax()]
    head = f"Coverage peaks in {peak.period} ({int(peak.articles)} of {total} articles)"
    if undated:
        head += f"; {undated} article{' carries' if undated == 1 else 's carry'} no date"
    return head


def leader_finding(matrix: pd.DataFrame, *, what: str, unit: str) -> str:
    """Return a title for a matrix of counts by period or outlet: who leads most columns.

    >>> m = pd.DataFrame({"2023-02": [3, 1], "2023-03": [2, 4], "2023-04": [5, 0],
    ...                   "undated": [9, 0]}, index=["Xi Jinping", "Putin"])
    >>> leader_finding(m, what="the most-mentioned person", unit="month")
    'Xi Jinping is the most-mentioned person in 2 of 3 months with any'
    """
    cols = [c for c in matrix.columns if c not in (UNDATED, OTHER_OUTLETS)]
    sub = matrix[cols]
    active = [c for c in cols if sub[c].sum() > 0]
    if matrix.empty or not active:
        return f"No {what.split()[-1]} to count by {unit}"
    leaders = pd.Series([sub[c].idxmax() for c in active]).value_counts()
    name = sorted(leaders.index, key=lambda x: (-leaders[x], str(x)))[0]
    plural = unit if len(active) == 1 else unit + ("es" if unit.endswith("s") else "s")
    return f"{name} is {what} in {int(leaders[name])} of {len(active)} {plural} with any"


def stance_finding(over_time: pd.DataFrame, *, target: str, min_units: int = 10) -> str:
    """Return a title for stance over time: the period where doubt peaks, among periods with at
    least ``min_units`` confidently coded units (smaller ones are too uncertain to rank).

    >>> s = pd.DataFrame({"period": ["2023-02", "2023-03"], "n": [20, 4],
    ...                   "against_share": [0.5, 1.0]})
    >>> s.attrs["period"] = "month"
    >>> print(stance_finding(s, target="China as mediator"))  # doctest: +NORMALIZE_WHITESPACE
    Doubt about China as mediator peaks in 2023-02 (50% of 20 units);
    months with fewer than 10 units are not ranked
    """
    unit = _noun(over_time.attrs.get("period", "week"))
    ranked = over_time[(over_time["period"] != UNDATED) & (over_time["n"] >= min_units)]
    if ranked.empty:
        return (f"Too few coded units per {unit} to follow stance on {target} over time "
                f"(fewer than {min_units} in every {unit})")
    peak = ranked.loc[ranked["against_share"].idxmax()]
    return (f"Doubt about {target} peaks in {peak.period} ({peak.against_share:.0%} of "
            f"{int(peak.n)} units); {unit}s with fewer than {min_units} units are not ranked")


def voice_by_outlet(stance_df: pd.DataFrame, articles: pd.DataFrame, *,
                    top_outlets_n: int = 8) -> pd.DataFrame:
    """Return confidently coded units by outlet and voice (the outlet's narration or its quoted
    sources) and stance: a tidy table (``group`` "outlet · voice", ``stance``, ``n``), the
    outlets with most articles first, "other outlets" last, narration before sources."""
    decided = stance_df[stance_df["stance"].isin(STANCE_ORDER)]
    outlet = top_outlets(articles, top=top_outlets_n)
    order = {o: i for i, o in enumerate(articles_per_outlet(articles, top=top_outlets_n)["outlet"])}
    voice = decided["unit"].map({"sentence": "narration", "quote": "sources"}).fillna("other")
    named = decided["article_id"].map(outlet)
    out = (decided.assign(outlet=named, voice=voice)
           .groupby(["outlet", "voice", "stance"]).size().rename("n").reset_index())
    out["rank"] = out["outlet"].map(order)
    out = out.sort_values(["rank", "outlet", "voice", "stance"], kind="stable")
    out["group"] = out["outlet"] + " · " + out["voice"]
    return out[["group", "stance", "n"]].reset_index(drop=True)


def voice_finding(voices: pd.DataFrame, *, target: str) -> str:
    """Return a title for :func:`voice_by_outlet`: for the outlet with most coded units, how
    its narration and its sources differ in the share that doubts the target.

    >>> v = pd.DataFrame({"group": ["CNN · narration"] * 2 + ["CNN · sources"] * 2,
    ...                   "stance": ["against", "favor"] * 2, "n": [6, 4, 3, 7]})
    >>> voice_finding(v, target="China as mediator")
    "CNN's narration doubts China as mediator more often than its sources (60% vs 30% against)"
    """
    parts = voices.assign(outlet=voices["group"].str.rsplit(" · ", n=1).str[0],
                          voice=voices["group"].str.rsplit(" · ", n=1).str[1])
    named = parts[parts["outlet"] != OTHER_OUTLETS]
    pool = named if len(named) else parts
    both = pool.groupby("outlet")["voice"].nunique()
    both = both[both >= 2]
    if both.empty:
        return f"Narration and quoted sources on {target}, by outlet"
    size = pool[pool["outlet"].isin(both.index)].groupby("outlet")["n"].sum()
    outlet = sorted(size.index, key=lambda o: (-size[o], o))[0]
    mine = pool[pool["outlet"] == outlet]
    share = {v: g.loc[g["stance"] == "against", "n"].sum() / g["n"].sum()
             for v, g in mine.groupby("voice")}
    own, theirs = share.get("narration", 0.0), share.get("sources", 0.0)
    if round(own, 2) == round(theirs, 2):
        verb = "doubts " + target + " as often as"
    else:
        verb = f"doubts {target} {'more' if own > theirs else 'less'} often than"
    return (f"{outlet}'s narration {verb} its sources ({own:.0%} vs {theirs:.0%} against)")
