"""Tidy summaries of a Corpus that the notebooks chart: counts, sources, co-occurrence.

Every function takes the annotation tables and returns a new, deterministically sorted
DataFrame; nothing here reads files or parses text again.

Syndicated copies count once: the count functions take the ``articles`` table as a keyword and
then count only one article per story (``articles.copy_of`` empty, see ``toolkit.stories``);
``copies=True`` counts every copy. Without ``articles`` every row counts, as before.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd

QUOTED_KINDS = ("direct", "partial", "indirect")


def one_per_story(table: pd.DataFrame, articles: pd.DataFrame | None, *,
                  copies: bool = False) -> pd.DataFrame:
    """Return the rows of ``table`` from one article per story: copies' rows are dropped.

    ``table`` is any table with an ``article_id`` column (the articles table itself included);
    ``articles`` is the articles table, whose ``copy_of`` names the copies. With
    ``copies=True``, with no ``articles``, or with an articles table written before story
    groups existed (no ``copy_of``), ``table`` comes back unchanged.

    >>> arts = pd.DataFrame({"article_id": ["a", "b", "c"], "copy_of": ["", "a", ""]})
    >>> e = pd.DataFrame({"article_id": ["a", "b", "c"], "canonical": ["X", "X", "Y"]})
    >>> one_per_story(e, arts)["article_id"].tolist()
    ['a', 'c']
    >>> len(one_per_story(e, arts, copies=True))
    3
    """
    if copies or articles is None or "copy_of" not in articles.columns:
        return table
    copy_ids = articles.loc[articles["copy_of"].fillna("").astype(str) != "", "article_id"]
    if copy_ids.empty:
        return table
    return table[~table["article_id"].isin(set(copy_ids))]


def corpus_once_per_story(corpus):
    """Return a copy of ``corpus`` (a toolkit.annotate.Corpus) whose every table, stance
    included, keeps one article per story (:func:`one_per_story`); the texts stay whole."""
    import dataclasses

    tables = {name: one_per_story(table, corpus.articles)
              for name, table in corpus.tables().items()}
    return dataclasses.replace(corpus, **tables)


def story_table(articles: pd.DataFrame) -> pd.DataFrame:
    """Return one row per story with more than one article, the largest first: story_id,
    articles, outlets (";"-joined, sorted), first and last date, and the representative's
    article_id and title.

    >>> arts = pd.DataFrame({"article_id": ["a", "b", "c"], "story_id": ["a", "a", "c"],
    ...     "copy_of": ["", "a", ""], "outlet": ["CNN", "AP", "CNN"],
    ...     "published": ["2023-01-02", "2023-01-03", ""], "title": ["T", "T2", "U"]})
    >>> story_table(arts).to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'story_id': 'a', 'articles': 2, 'outlets': 'AP; CNN', 'first': '2023-01-02',
      'last': '2023-01-03', 'representative': 'a', 'title': 'T'}]
    """
    columns = ["story_id", "articles", "outlets", "first", "last", "representative", "title"]
    if "story_id" not in articles.columns:
        return pd.DataFrame(columns=columns)
    shared = articles[articles.duplicated("story_id", keep=False)]
    rows = []
    for story_id, group in shared.groupby("story_id", sort=True):
        dates = sorted(d for d in group["published"].fillna("").astype(str) if d)
        first = group[group["copy_of"].fillna("").astype(str) == ""].iloc[0]
        rows.append({
            "story_id": story_id, "articles": len(group),
            "outlets": "; ".join(sorted(set(group["outlet"].fillna("").astype(str)) - {""})),
            "first": dates[0] if dates else "", "last": dates[-1] if dates else "",
            "representative": first["article_id"], "title": first["title"],
        })
    out = pd.DataFrame(rows, columns=columns)
    return out.sort_values(["articles", "story_id"], ascending=[False, True],
                           kind="stable").reset_index(drop=True)


def entity_counts(entities: pd.DataFrame, *, kinds: Sequence[str] | None = None,
                  top: int | None = None, articles: pd.DataFrame | None = None,
                  copies: bool = False) -> pd.DataFrame:
    """Return mentions and articles per canonical entity, most mentioned first.

    With ``articles``, a story's copies are not counted (``copies=True`` counts them).

    >>> e = pd.DataFrame({"article_id": ["a", "a", "b"], "canonical": ["X", "X", "Y"],
    ...                   "kind": ["person", "person", "country"]})
    >>> entity_counts(e).to_dict("records")[0]
    {'canonical': 'X', 'kind': 'person', 'mentions': 2, 'articles': 1}
    """
    df = one_per_story(entities, articles, copies=copies)
    df = df if kinds is None else df[df["kind"].isin(kinds)]
    out = (
        df.groupby(["canonical", "kind"], as_index=False)
        .agg(mentions=("article_id", "size"), articles=("article_id", "nunique"))
        .sort_values(["mentions", "articles", "canonical"], ascending=[False, False, True],
                     kind="stable")
        .reset_index(drop=True)
    )
    return out.head(top) if top else out


def counts_per_article(
    entities: pd.DataFrame, *, kinds: Sequence[str], top: int = 10,
    articles: pd.DataFrame | None = None, copies: bool = False,
) -> pd.DataFrame:
    """Return a table of the ``top`` entities (rows) by article (columns): mention counts.

    With ``articles``, a story's copies get no column (``copies=True`` keeps them)."""
    df = one_per_story(entities, articles, copies=copies)
    df = df[df["kind"].isin(kinds)]
    names = entity_counts(df, top=top)["canonical"].tolist()
    table = (
        df[df["canonical"].isin(names)]
        .pivot_table(index="canonical", columns="article_id", values="start", aggfunc="size",
                     fill_value=0)
        .reindex(names)
    )
    table.columns.name = None
    table.index.name = "entity"
    table["total"] = table.sum(axis=1)
    return table.astype(int)


def based_in(role: str, lookup=None) -> str:
    """Return the country a source's role places them in ("... in Singapore" -> Singapore).

    >>> based_in("associate professor at the S. Rajaratnam School in Singapore")
    'Singapore'
    >>> based_in("director of the Center in Brussels")
    'Belgium'
    >>> based_in("a former senior editor at Xinhua")
    ''
    """
    if lookup is None:
        from .extract.entities import lookup_place as lookup
    places = re.findall(r"\b(?:in|based in)\s+((?:[A-Z][\w.’'-]*\s?){1,4})", role or "")
    for place in reversed(places):
        kind, canonical, country = lookup(place.strip())
        if country:
            return country
        if kind == "country":
            return canonical
    return ""


def sourced_quotes(quotes: pd.DataFrame) -> pd.DataFrame:
    """Return the quotes that count for a source: a person or organisation speaks (not a
    document, data or a speaker of unknown kind, when the table has ``speaker_kind``), and a
    quoted fragment inside a reported-speech row (``part_of``) is left to that row."""
    q = quotes[quotes["speaker"].fillna("") != ""]
    if "speaker_kind" in q.columns:
        q = q[q["speaker_kind"].isin(["person", "organization"])]
    if "part_of" in q.columns:
        q = q[q["part_of"].fillna(-1) < 0]  # a fragment inside reported speech counts once
    return q


def quoted_sources(quotes: pd.DataFrame, *, articles: pd.DataFrame | None = None,
                   copies: bool = False) -> pd.DataFrame:
    """Return one row per speaker: quotes by kind, total, articles, the role given, base country.

    With ``articles``, a story's copies are not counted (``copies=True`` counts them).

    Only people and organisations are sources: a document or data ("according to government
    data") is not, nor is a speaker of unknown kind (``speaker_kind``, when the table has it);
    a quoted fragment inside a reported-speech row (``part_of``) is counted with that row.
    """
    q = sourced_quotes(one_per_story(quotes, articles, copies=copies))
    counts = (
        q.pivot_table(index="speaker", columns="kind", values="quote_id", aggfunc="size",
                      fill_value=0)
        .reindex(columns=list(QUOTED_KINDS), fill_value=0)
    )
    counts.columns.name = None
    counts["quotes"] = counts.sum(axis=1)
    counts["articles"] = q.groupby("speaker")["article_id"].nunique()
    roles = (
        q[q["speaker_role"].fillna("") != ""]
        .sort_values(["article_id", "start"])
        .groupby("speaker")["speaker_role"].first()
    )
    counts["role"] = roles.reindex(counts.index).fillna("")
    counts["based_in"] = [based_in(r) for r in counts["role"]]
    out = counts.reset_index().sort_values(["quotes", "speaker"], ascending=[False, True],
                                           kind="stable")
    return out.reset_index(drop=True)


def mentioned_not_quoted(entities: pd.DataFrame, quotes: pd.DataFrame, *,
                         articles: pd.DataFrame | None = None,
                         copies: bool = False) -> pd.DataFrame:
    """Return the people who are mentioned but never quoted, most mentioned first (with
    ``articles``, a story's copies are not counted; ``copies=True`` counts them)."""
    people = entity_counts(entities, kinds=["person"], articles=articles, copies=copies)
    speakers = set(quotes["speaker"].dropna())
    return people[~people["canonical"].isin(speakers)].reset_index(drop=True)


def cooccurrence(entities: pd.DataFrame, *, kinds: Sequence[str] = ("country",),
                 top: int = 12, articles: pd.DataFrame | None = None,
                 copies: bool = False) -> pd.DataFrame:
    """Return how many sentences name both entities, for the ``top`` most mentioned ones
    (with ``articles``, a story's copies are not counted; ``copies=True`` counts them)."""
    df = one_per_story(entities, articles, copies=copies)
    df = df[df["kind"].isin(kinds)]
    names = entity_counts(df, top=top)["canonical"].tolist()
    named = df[df["canonical"].isin(names)]
    if named.empty:
        return pd.DataFrame(0, index=names, columns=names, dtype=int)
    # one row per sentence, a 1 for each entity it names; the product counts sentences per pair
    onehot = pd.crosstab([named["article_id"], named["sentence_id"]], named["canonical"]).clip(
        upper=1)
    matrix = (onehot.T @ onehot).reindex(index=names, columns=names, fill_value=0).astype(int)
    matrix.index.name = matrix.columns.name = None
    return matrix


def source_line(articles: pd.DataFrame) -> str:
    """Return the source line for a chart: which articles, from which outlets, over which dates.

    >>> a = pd.DataFrame({"outlet": ["CNN", "CNN", "USA Today"],
    ...                   "published": ["2022-02-18", "2023-06-19", ""], "title": ["x", "y", "z"]})
    >>> source_line(a)
    'Source: 3 articles (CNN 2, USA Today 1), 2022-02-18 to 2023-06-19'
    >>> source_line(pd.DataFrame({"outlet": ["The Post"], "published": [""],
    ...                           "title": ["Big news"]}))
    'Source: The Post, “Big news”'
    """
    outlets = articles["outlet"].replace("", "unknown outlet").value_counts()
    outlets = outlets.sort_index().sort_values(ascending=False, kind="stable")
    dates = articles["published"].replace("", pd.NA).dropna().sort_values()
    if len(articles) == 1:
        row = articles.iloc[0]
        title = row["title"] if len(row["title"]) <= 70 else row["title"][:69] + "…"
        when = f", {row['published']}" if row["published"] else ""
        return f"Source: {outlets.index[0]}, “{title}”{when}"
    listed = ", ".join(f"{name} {n}" for name, n in outlets.head(4).items())
    more = f", {len(outlets) - 4} more" if len(outlets) > 4 else ""
    span = f", {dates.iloc[0]} to {dates.iloc[-1]}" if len(dates) else ""
    return f"Source: {len(articles)} articles ({listed}{more}){span}"


# How a headline names each stance of a voice; one table so every chart words it the same way.
_STANCE_VERBS = {"against": ("doubts", "doubt"), "favor": ("backs", "back"),
                 "neutral": ("stays neutral on", "stay neutral on")}


def voice_contrast_title(mix: pd.DataFrame, *, target: str, group: str = "voice",
                         category: str = "stance", value: str = "n") -> str:
    """Return a chart title stating how two voices' stance mixes differ most.

    ``mix`` has one row per (voice, stance) with a count; the stance whose share differs most
    between the two voices makes the title. A voice whose name ends in "s" takes a plural verb.

    >>> mix = pd.DataFrame({"voice": ["narration"] * 3 + ["quoted sources"] * 2,
    ...                     "stance": ["favor", "neutral", "against", "favor", "against"],
    ...                     "n": [1, 1, 5, 5, 5]})
    >>> voice_contrast_title(mix, target="China")
    'Quoted sources back China more often than the narration (50% vs 14% of statements)'
    >>> voice_contrast_title(mix.iloc[:3], target="China")
    'The narration: 71% of 7 statements doubt China'
    """
    counts = mix.pivot_table(index=group, columns=category, values=value, aggfunc="sum",
                             fill_value=0)
    shares = counts.div(counts.sum(axis=1), axis=0)
    voices = sorted(shares.index)
    if len(voices) == 1:
        (voice,) = voices
        top = max(shares.columns, key=lambda c: (shares.loc[voice, c], c))
        total = int(counts.loc[voice].sum())
        verb = _STANCE_VERBS.get(top, (f"are {top} on", f"are {top} on"))[1]
        return f"{_noun(voice, start=True)}: {shares.loc[voice, top]:.0%} of {total} " \
               f"statements {verb} {target}"
    if len(voices) != 2:
        raise ValueError(f"voice_contrast_title compares two voices, got {voices}")
    a, b = voices
    gap = max(shares.columns, key=lambda c: (abs(shares.loc[a, c] - shares.loc[b, c]), c))
    hi, lo = (a, b) if shares.loc[a, gap] >= shares.loc[b, gap] else (b, a)
    singular, plural = _STANCE_VERBS.get(gap, (f"is {gap} on", f"are {gap} on"))
    verb = plural if hi.endswith("s") else singular
    return (f"{_noun(hi, start=True)} {verb} {target} more often than {_noun(lo)} "
            f"({shares.loc[hi, gap]:.0%} vs {shares.loc[lo, gap]:.0%} of statements)")


def _noun(voice: str, *, start: bool = False) -> str:
    """Return a voice as a noun phrase: "the narration" (one voice), "quoted sources"."""
    phrase = voice if voice.endswith("s") else f"the {voice}"
    return phrase[:1].upper() + phrase[1:] if start else phrase


# Symbols written before an amount in the tables shown to readers; other currencies show their
# ISO code ("CNY 35.0bn"), which is never ambiguous ("¥" is both yen and yuan).
_MONEY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}
_SCALES = ((1e12, "tn"), (1e9, "bn"), (1e6, "m"))


def format_amount(value: float, unit: str) -> str:
    """Return an amount as a reader writes it: "$190.0bn", "CNY 35.0bn", "16%", "2.5 pp".

    >>> format_amount(190e9, "USD"), format_amount(35e9, "CNY"), format_amount(1.2e12, "JPY")
    ('$190.0bn', 'CNY 35.0bn', 'JPY 1.2tn')
    >>> format_amount(16, "%"), format_amount(2.5, "pp"), format_amount(8_500, "USD")
    ('16%', '2.5 pp', '$8,500')
    """
    if pd.isna(value):
        return ""
    if unit == "%":
        return f"{value:,.10g}%"
    if len(unit) != 3 or not unit.isupper():  # "pp" and unit words: the number, then the unit
        return f"{value:,.10g} {unit}"
    number = f"{value:,.0f}"
    for scale, suffix in _SCALES:
        if abs(value) >= scale:
            number = f"{value / scale:,.1f}{suffix}"
            break
    symbol = _MONEY_SYMBOLS.get(unit)
    return f"{symbol}{number}" if symbol else f"{unit} {number}"


def amounts_for_reading(amounts: pd.DataFrame) -> pd.DataFrame:
    """Return the amounts table with ``value`` and ``unit`` shown as one ``amount`` ("$190.0bn")
    and a fresh 0..n-1 index, for display; the table itself keeps base units."""
    out = amounts.reset_index(drop=True).copy()
    out.insert(out.columns.get_loc("value"), "amount",
               [format_amount(v, u) for v, u in zip(out["value"], out["unit"], strict=True)])
    return out.drop(columns=["value", "unit"])
