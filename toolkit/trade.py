"""Curated goods-trade series of China with Russia, Belarus, Ukraine; fact-checks against it.

The raw table (``../shared/data/trade_reference.csv``) holds one row per figure *as a source
states it*, often several per year and reporter. :func:`curate_reference` reduces it to one chosen
value per (pair, year) by a fixed, documented rule (:data:`CHOICE_RULE`); the result ships as
``toolkit/data/trade_reference.csv`` and is read back by :func:`reference_series`.
:func:`fact_check` compares the USD figures of an amounts table with that series. Every chosen
figure carries a ``source_kind`` (official statistics, an official's statement, a news report, a
secondary source) by :data:`SOURCE_KIND_RULES`; :func:`claims_finding`, :func:`latest_finding`,
:func:`reference_credit` and :func:`source_kind_note` word the trade charts from the tables.

Rebuild the shipped table with
``python -c "from toolkit.trade import main; main()" [RAW_CSV] [OUT_CSV]``
(``python -m toolkit.trade`` works too, with a harmless runpy warning because
``toolkit/__init__`` imports this module).
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import re
import sys
import textwrap
from functools import lru_cache
from pathlib import Path
from typing import Literal

import pandas as pd

from toolkit import paths
from toolkit.io import read_commented_csv, write_atomic

__all__ = [
    "CHOICE_RULE",
    "CURATED_COLUMNS",
    "FACT_CHECK_COLUMNS",
    "PAIRS",
    "SOURCE_KIND_RULES",
    "claim_kind",
    "claims_finding",
    "curate_reference",
    "fact_check",
    "latest_finding",
    "normalise_pair",
    "pair_in_text",
    "reference_credit",
    "reference_series",
    "source_kind",
    "source_kind_note",
    "write_curated",
]

CURATED_CSV = paths.DATA_DIR / "trade_reference.csv"
RAW_CSV = paths.SHARED_DATA_DIR / "trade_reference.csv"

# pair -> (first year, last year) the curated series covers.
PAIRS: dict[str, tuple[int, int]] = {
    "China–Russia": (2000, 2025),
    "China–Belarus": (2015, 2025),
    "China–Ukraine": (2015, 2025),
}

CURATED_COLUMNS = [
    "pair",
    "year",
    "value_usd_bn",
    "source",
    "source_ref",
    "confidence",
    "n_sources",
    "alternatives",
    "conflict",
    "note",
    # two extra columns, because a reader of the chart needs them: whose statistics the chosen
    # figure is (China-side and partner-side figures differ systematically), and whether the only
    # figure available is a floor ("topped $20 billion") rather than a value.
    "reporter",
    "lower_bound",
    # what kind of source the chosen figure is (SOURCE_KIND_RULES): official statistics, an
    # official's statement, a news report, or a secondary source such as a thesis.
    "source_kind",
]

SourceKind = Literal["official", "official-statement", "news", "secondary"]

# What kind of source a figure comes from, decided on its ``source`` text (who published it and
# whom they cite). First matching row wins, so a blog citing GACC stays a blog and an ambassador
# citing "Chinese statistics" counts as the statistics. Kept as data here, used by
# curate_reference, and spelled out in CHOICE_RULE and the shipped file's header.
SOURCE_KIND_RULES: tuple[tuple[SourceKind, str, re.Pattern[str]], ...] = (
    ("secondary", "thesis, encyclopedia, think tank, blog, tabloid or aggregator site",
     re.compile(r"(?i:thesis|encyclopedia|\bblog\b|CSIS|Centre for China Analysis|Pravda\.ru|"
                r"newssmi24|businessinvestorguide)")),
    ("official", "a statistics agency, customs service or ministry, as quoted by the publisher "
     "(GACC/China Customs, MOFCOM, Belstat, Ukrstat, Russian FCS, UN Comtrade, MFA)",
     re.compile(r"\bGACC\b|(?i:\bcustoms\b|\bstatisti|\bministry\b|\bComtrade\b)|"
                r"\bMOFCOM\b|\bMFA\b|\bBelstat\b|\bUkrstat\b")),
    ("official-statement", "an official's statement (minister, ambassador, trade representative, "
     "government press service) naming no statistics",
     re.compile(r"(?i:ambassador|minister|\bPM\b|president|councilor|senator|diplomat|"
                r"counsellor|trade representative|trade mission|export center|government|"
                r"council of the republic)")),
    ("news", "a news agency or broadcaster naming no statistics (Xinhua, Reuters, CCTV, BelTA...)",
     re.compile(r"(?i:xinhua|reuters|cctv|vietnamplus|vietnam news agency|belta|news\.by|"
                r"belarus tv|kyiv post|tass|ria novosti|sputnik|interfax)")),
)
# A source no row recognises is treated as secondary until someone classifies it.
_DEFAULT_SOURCE_KIND: SourceKind = "secondary"
_SOURCE_KIND_RANK = {"official": 0, "official-statement": 1, "news": 2, "secondary": 3}

CHOICE_RULE = (
    "Only flow=total rows are candidates. Rank candidates by, in order: "
    "(1) comparable: not flagged SUSPECT, LOWER BOUND, LIKELY MISDATED, GOODS AND SERVICES, "
    "or 'NOT the ... series' (different measure); "
    "(2) reporter China (China customs / China-side statistics); "
    "(3) year stated rather than YEAR INFERRED; "
    "(4) prefer official statistics: source_kind official > official-statement > news > "
    "secondary; "
    "(5) confidence high > medium > low; "
    "(6) more decimal places (an exact customs figure beats a rounded one); "
    "(7) more other rows within 1% of the value (corroboration); "
    "(8) source name A-Z, then smaller value (so the choice never depends on row order). "
    "conflict = a note of the pair-year says CONFLICT, or comparable totals differ by more than "
    "2%. "
    "source_kind, from the source text, first match wins: "
    + "; ".join(f"{kind} = {what}" for kind, what, _ in SOURCE_KIND_RULES)
    + f"; anything else = {_DEFAULT_SOURCE_KIND}."
)

_CONFIDENCE_RANK = {"high": 0, "medium": 1, "low": 2}
# A row with any tag of _row_tags but this one does not measure the same thing as the series.
_COMPARABLE_TAGS = {"year inferred"}
_LOWER_BOUND = re.compile(r"(?i:lower bound)")
_YEAR_INFERRED = re.compile(r"YEAR INFERRED|(?i:year inferred)")
_CONFLICT_FLAG = re.compile(r"\bCONFLICT\b")
_CONF = re.compile(r"^\s*conf=(high|medium|low)\s*;?\s*")

_COUNTRY_WORDS: dict[str, tuple[str, ...]] = {
    "China": ("china", "chinese", "sino", "beijing", "prc"),
    "Russia": ("russia", "russian", "moscow", "kremlin", "russo"),
    "Belarus": ("belarus", "belarusian", "belarussian", "minsk"),
    "Ukraine": ("ukraine", "ukrainian", "kyiv", "kiev"),
}


# ---------------------------------------------------------------- pairs


def normalise_pair(pair: str) -> str:
    """Return the canonical pair name ("China–Russia") for "China-Russia", "russia", "Sino-Russian".

    >>> normalise_pair("China-Russia"), normalise_pair("Belarus"), normalise_pair("Ukraine–China")
    ('China–Russia', 'China–Belarus', 'China–Ukraine')
    """
    found = pair_in_text(pair, require_china=False)
    if found is None:
        known = ", ".join(PAIRS)
        raise ValueError(
            f"unknown trade pair {pair!r}: expected one of {known} (or the partner alone)"
        )
    return found


def pair_in_text(text: str, *, require_china: bool = True) -> str | None:
    """Return the pair a phrase names ("China–Russia trade" -> "China–Russia"), or None.

    None when no partner or more than one partner is named, or (with ``require_china``) when
    China is not named, because "Russia's trade with Europe" is not a pair we hold.

    >>> pair_in_text("Sino-Russian trade"), pair_in_text("Russia's trade with India")
    ('China–Russia', None)
    """
    words = set(re.findall(r"[a-z]+", text.lower()))
    partners = [c for c in ("Russia", "Belarus", "Ukraine") if words & set(_COUNTRY_WORDS[c])]
    if len(partners) != 1:
        return None
    if require_china and not words & set(_COUNTRY_WORDS["China"]):
        return None
    return f"China–{partners[0]}"


# ---------------------------------------------------------------- curation


def _decimals(value: float) -> int:
    """Number of decimal places a figure was stated with (146.887 -> 3, 190.0 -> 0)."""
    text = repr(float(value))
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0")
    return len(frac)


def _short_source(source: str) -> str:
    """Shorten a source description to the name of who published the figure."""
    head = re.split(r" via | \(|, reported by ", source, maxsplit=1)[0].strip(" ,;:")
    return head if len(head) <= 60 else head[:59].rstrip() + "…"


def _fmt_value(value: float) -> str:
    return f"{value:g}"


def source_kind(source: str) -> SourceKind:
    """Return the kind of source a figure comes from, by the first row of SOURCE_KIND_RULES.

    >>> source_kind("GACC via TASS"), source_kind("Chinese ambassador Li Hui via Sputnik Brasil")
    ('official', 'official-statement')
    >>> source_kind("Chinese blog citing GACC (bs178.com)"), source_kind("CCTV")
    ('secondary', 'news')
    """
    for kind, _, pattern in SOURCE_KIND_RULES:
        if pattern.search(source):
            return kind
    return _DEFAULT_SOURCE_KIND


def _row_tags(note: str) -> list[str]:
    tags = []
    if re.search(r"(?i:\bsuspect\b)", note):
        tags.append("suspect")
    if _LOWER_BOUND.search(note):
        tags.append("lower bound")
    if "MISDATED" in note:
        tags.append("likely misdated")
    if "GOODS AND SERVICES" in note:
        tags.append("goods and services")
    if re.search(r"NOT the [\w ]*series", note):
        tags.append("different series")
    if _YEAR_INFERRED.search(note):
        tags.append("year inferred")
    return tags


def curate_reference(raw_csv_path: str | Path) -> pd.DataFrame:
    """Return one chosen goods-trade value per (pair, year), sorted by pair then year.

    Columns are :data:`CURATED_COLUMNS`; the choice rule is :data:`CHOICE_RULE`.
    """
    path = Path(raw_csv_path)
    raw = pd.read_csv(path, dtype={"note": str, "source_ref": str}, keep_default_na=False)
    required = {
        "reporter", "partner", "year", "flow", "value_usd_bn", "source", "source_ref", "note"
    }
    missing = required - set(raw.columns)
    if missing:
        raise ValueError(
            f"{path}: line 1: missing column(s) {', '.join(sorted(missing))} "
            f"(expected the shared trade_reference.csv layout: {', '.join(sorted(required))})"
        )
    raw = raw.reset_index(names="raw_order")
    raw["value_usd_bn"] = raw["value_usd_bn"].astype(float)
    raw["year"] = raw["year"].astype(int)
    raw["pair"] = [
        f"China–{p if r == 'China' else r}"
        for r, p in zip(raw["reporter"], raw["partner"], strict=True)
    ]
    raw["confidence"] = [
        (m.group(1) if (m := _CONF.match(n)) else "low") for n in raw["note"]
    ]
    raw["comparable"] = [not set(_row_tags(note)) - _COMPARABLE_TAGS for note in raw["note"]]
    raw["lower_bound"] = raw["note"].str.contains(_LOWER_BOUND)
    raw["source_kind"] = [source_kind(s) for s in raw["source"]]

    rows = []
    totals = raw[raw["flow"] == "total"]
    for (pair, year), group in totals.groupby(["pair", "year"], sort=True):
        first, last = PAIRS.get(pair, (None, None))
        if first is None or not first <= year <= last:
            continue
        values = group["value_usd_bn"].tolist()

        def key(r: pd.Series, values: list[float] = values) -> tuple:
            corroboration = sum(
                1 for v in values if abs(v - r.value_usd_bn) <= 0.01 * r.value_usd_bn
            ) - 1
            return (
                not r.comparable,
                r.reporter != "China",
                bool(_YEAR_INFERRED.search(r.note)),
                _SOURCE_KIND_RANK[r.source_kind],
                _CONFIDENCE_RANK[r.confidence],
                -_decimals(r.value_usd_bn),
                -corroboration,
                r.source,
                r.value_usd_bn,
                r.raw_order,
            )

        ranked = sorted((r for _, r in group.iterrows()), key=key)
        chosen, others = ranked[0], ranked[1:]

        alternatives = []
        seen = set()
        for r in sorted(others, key=lambda r: (r.value_usd_bn, r.raw_order)):
            tags = _row_tags(r.note)
            side = "" if r.reporter == "China" else f"{r.reporter}-side: "
            label = side + _short_source(r.source) + (f"; {', '.join(tags)}" if tags else "")
            text = f"{_fmt_value(r.value_usd_bn)} ({label})"
            if text not in seen:
                seen.add(text)
                alternatives.append(text)

        comparable = [r.value_usd_bn for r in ranked if r.comparable]
        spread = (max(comparable) - min(comparable)) / chosen.value_usd_bn if comparable else 0.0
        flagged = any(_CONFLICT_FLAG.search(n) for n in group["note"])
        conflict = bool(flagged or spread > 0.02)

        why = f"{chosen.reporter}-side figure"
        if not chosen.comparable:
            why += f" ({', '.join(_row_tags(chosen.note))}; no comparable figure found)"
        note = _CONF.sub("", chosen.note).strip()
        rows.append(
            {
                "pair": pair,
                "year": int(year),
                "value_usd_bn": float(chosen.value_usd_bn),
                "source": chosen.source,
                "source_ref": chosen.source_ref,
                "confidence": chosen.confidence,
                "n_sources": len(group),
                "alternatives": "; ".join(alternatives),
                "conflict": conflict,
                "note": f"{why}. {note}",
                "reporter": chosen.reporter,
                "lower_bound": bool(chosen.lower_bound),
                "source_kind": chosen.source_kind,
            }
        )
    order = {p: i for i, p in enumerate(PAIRS)}
    out = pd.DataFrame(rows, columns=CURATED_COLUMNS)
    out = out.sort_values(["pair", "year"], key=lambda s: s.map(order) if s.name == "pair" else s)
    return out.reset_index(drop=True)


def write_curated(
    curated: pd.DataFrame, out_path: str | Path, *, raw_csv_path: str | Path
) -> Path:
    """Return the path written: the curated table as CSV under ``# `` lines naming source and rule.

    The file is byte-identical for the same input (sorted rows, ``\\n`` line ends, no dates).
    """
    raw_path = Path(raw_csv_path)
    digest = hashlib.sha256(raw_path.read_bytes()).hexdigest()
    buf = io.StringIO()
    buf.write(
        "# Curated annual goods trade (US$ billion): one chosen value per (pair, year).\n"
        f"# source: ../shared/data/{raw_path.name} (sha256 {digest[:16]}), "
        "sourced figures from public news and official pages (URLs in source_ref).\n"
        "# built by: toolkit.trade.main() (toolkit.trade.curate_reference)\n"
    )
    for line in _wrap_comment(f"rule: {CHOICE_RULE}"):
        buf.write(f"# {line}\n")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CURATED_COLUMNS)
    for row in curated[CURATED_COLUMNS].itertuples(index=False):
        writer.writerow(
            [repr(v) if isinstance(v, float) else str(v) for v in row]
        )
    out = Path(out_path)
    data = buf.getvalue().encode("utf-8")
    write_atomic(out, lambda fh: fh.write(data))
    return out


def _wrap_comment(text: str, width: int = 98) -> list[str]:
    return textwrap.wrap(text, width=width)


@lru_cache(maxsize=4)
def _read_curated(path: Path) -> pd.DataFrame:
    df = read_commented_csv(path, keep_default_na=False, dtype={"alternatives": str})
    df["conflict"] = df["conflict"].astype(str).eq("True")
    df["lower_bound"] = df["lower_bound"].astype(str).eq("True")
    df["value_usd_bn"] = df["value_usd_bn"].astype(float)
    return df


def reference_series(pair: str = "China–Russia", *, path: Path | None = None) -> pd.DataFrame:
    """Return the curated series of one pair (one row per year, sorted), from the shipped CSV.

    >>> s = reference_series("China-Russia")
    >>> s.loc[s.year == 2022, "value_usd_bn"].item()
    190.271
    """
    canonical = normalise_pair(pair)
    df = _read_curated(Path(path) if path else CURATED_CSV)
    return df[df["pair"] == canonical].sort_values("year").reset_index(drop=True).copy()


# ---------------------------------------------------------------- fact-checking

def _only_pair_words(subject: str) -> bool:
    """True when a subject is just a pair of countries ("China–Russia"), with no other noun."""
    country_words = {w for words in _COUNTRY_WORDS.values() for w in words}
    words = re.findall(r"[a-z]+", subject.lower())
    return all(w in country_words | {"and", "the", "s"} for w in words)


ClaimKind = Literal["lower bound", "upper bound", "approximate", "exact"]
Verdict = Literal["consistent", "overstated", "understated", "no reference"]

# Words that turn "$190 billion" into a floor, a ceiling or a rounded figure. Matched on the
# qualifier and on the claim text (extractors put "more than" in either).
_LOWER_WORDS = re.compile(
    r"\b(top(?:ped|s|ping)?|more than|over|exceed(?:ed|s|ing)?|above|at least|surpass(?:ed|es)?|"
    r"pass(?:ed)?|beyond|upwards of|in excess of|north of|broke|crossed)\b",
    re.I,
)
_UPPER_WORDS = re.compile(
    r"\b(less than|under|below|fewer than|up to|at most|no more than|short of|just under)\b", re.I
)
_APPROX_WORDS = re.compile(
    r"\b(nearly|almost|about|around|roughly|some|approximately|close to|circa|approx|"
    r"an estimated|estimated|or so)\b|~",
    re.I,
)
_FLOW_WORDS = re.compile(r"\b(exports?|imports?|exported|imported|shipments?|purchases?)\b", re.I)
_TRADE_WORDS = re.compile(r"\b(trade|turnover|commerce|trading)\b", re.I)

FACT_CHECK_COLUMNS = [
    "article_id",
    "sentence_id",
    "start",
    "end",
    "text",
    "year",
    "subject",
    "qualifier",
    "pair",
    "claim_kind",
    "claimed_usd_bn",
    "reference_usd_bn",
    "difference_pct",
    "verdict",
    "source",
    "source_ref",
    "conflict",
    "note",
]


def claim_kind(qualifier: str, text: str = "") -> ClaimKind:
    """Return how a figure is claimed: as a floor, a ceiling, a rounded value or an exact value.

    >>> claim_kind("topped record"), claim_kind("nearly"), claim_kind("rose")
    ('lower bound', 'approximate', 'exact')
    """
    words = f"{qualifier} {text}"
    if _UPPER_WORDS.search(words):  # "just under" must win over "under"->floor words
        return "upper bound"
    if _LOWER_WORDS.search(words):
        return "lower bound"
    if _APPROX_WORDS.search(words):
        return "approximate"
    return "exact"


def _verdict(
    claimed: float, reference: float, kind: ClaimKind, tolerance: float, ref_is_floor: bool
) -> Verdict:
    if ref_is_floor:
        # The reference only says "more than X": a claim can be shown too low, never too high.
        return "understated" if claimed < reference * (1 - tolerance) else "consistent"
    if kind == "lower bound":
        return "consistent" if reference >= claimed * (1 - tolerance) else "overstated"
    if kind == "upper bound":
        return "consistent" if reference <= claimed * (1 + tolerance) else "understated"
    # Rounded wording ("about $240 billion") earns twice the tolerance.
    tol = 2 * tolerance if kind == "approximate" else tolerance
    diff = (claimed - reference) / reference
    if abs(diff) <= tol:
        return "consistent"
    return "overstated" if diff > 0 else "understated"


def _alternative_match(
    claimed: float, reference: float, alternatives: str, tolerance: float
) -> str:
    """Return a note when the claim is closer to another source's figure than to the chosen one."""
    pattern = r"(\d+(?:\.\d+)?) \(([^()]*(?:\([^()]*\)[^()]*)*)\)"
    for value, label in re.findall(pattern, alternatives):
        v = float(value)
        distinct = abs(v - reference) > tolerance * reference  # not a mere rounding of the choice
        close = abs(claimed - v) / v <= tolerance and abs(claimed - v) < abs(claimed - reference)
        if distinct and close:
            return f"closer to another source's figure: {value} ({label})"
    return ""


def fact_check(
    amounts: pd.DataFrame,
    *,
    tolerance: float = 0.05,
    reference: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Return one row per USD trade figure in ``amounts``: claimed vs reference, and a verdict.

    A row is checked when its unit is USD and its subject (or text) is about trade or names a
    pair; its pair comes from the subject. Verdicts: ``consistent``, ``overstated``,
    ``understated``, or ``no reference`` (pair, year or a total-trade series missing, e.g. a
    figure about exports only). Floors ("topped", "more than") are consistent when the reference
    is at least ``claim * (1 - tolerance)``; ceilings ("less than") when it is at most
    ``claim * (1 + tolerance)``; rounded wording ("about", "nearly") gets twice the tolerance.

    >>> amounts = pd.DataFrame([dict(article_id="a", sentence_id=0, start=0, end=12,
    ...     text="$190 billion", value=190e9, unit="USD", year=2022,
    ...     subject="China–Russia trade", qualifier="topped record")])
    >>> fact_check(amounts)[["claimed_usd_bn", "reference_usd_bn", "verdict"]].values.tolist()
    [[190.0, 190.271, 'consistent']]
    """
    ref = reference if reference is not None else _read_curated(CURATED_CSV)
    by_key = {(r.pair, int(r.year)): r for r in ref.itertuples(index=False)}
    rows = []
    for a in amounts.itertuples(index=False):
        if str(getattr(a, "unit", "")).upper() != "USD":
            continue
        subject = str(getattr(a, "subject", "") or "")
        text = str(getattr(a, "text", "") or "")
        qualifier = str(getattr(a, "qualifier", "") or "")
        pair = pair_in_text(subject) or ""
        traded = _TRADE_WORDS.search(subject) or _FLOW_WORDS.search(subject)
        if not traded and not (pair and _only_pair_words(subject)):
            continue  # not a trade figure: aid, spending, GDP...
        year = getattr(a, "year", None)
        year = None if year is None or pd.isna(year) else int(year)
        value = float(a.value)
        claimed = round(value / 1e9, 6)
        kind = claim_kind(qualifier, text)
        out = {
            "article_id": a.article_id,
            "sentence_id": a.sentence_id,
            "start": a.start,
            "end": a.end,
            "text": text,
            "year": year,
            "subject": subject,
            "qualifier": qualifier,
            "pair": pair,
            "claim_kind": kind,
            "claimed_usd_bn": claimed,
            "reference_usd_bn": math.nan,
            "difference_pct": math.nan,
            "verdict": "no reference",
            "source": "",
            "source_ref": "",
            "conflict": False,
            "note": "",
        }
        r = by_key.get((pair, year)) if pair and year is not None else None
        if not pair:
            out["note"] = "subject names no trade pair we hold"
        elif year is None:
            out["note"] = "the sentence gives no year"
        elif "period:" in qualifier:
            out["note"] = "a figure for part of the year, not comparable with an annual total"
        elif qualifier.strip().lower() == "from":
            out["note"] = "starting value of a change ('from X to Y'); its year is not stated"
        elif _FLOW_WORDS.search(subject) and not _TRADE_WORDS.search(subject):
            out["note"] = "one-way flow (exports/imports); the series holds total trade only"
        elif r is None:
            out["note"] = f"no curated {pair} figure for {year}"
        else:
            refv = float(r.value_usd_bn)
            verdict = _verdict(claimed, refv, kind, tolerance, bool(r.lower_bound))
            alt = _alternative_match(claimed, refv, r.alternatives, tolerance / 2)
            notes = [alt] if alt else []
            if r.lower_bound:
                notes.append("the reference is itself a lower bound")
            if r.conflict:
                notes.append("sources disagree for this year; see alternatives")
            out.update(
                reference_usd_bn=refv,
                difference_pct=round(100 * (claimed - refv) / refv, 2),
                verdict=verdict,
                source=r.source,
                source_ref=r.source_ref,
                conflict=bool(r.conflict),
                note="; ".join(notes),
            )
        rows.append(out)
    df = pd.DataFrame(rows, columns=FACT_CHECK_COLUMNS)
    df["year"] = df["year"].astype("Int64")
    return df.sort_values(["article_id", "start", "end"], kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------- chart wording
# Titles and source lines are computed from the tables, so a chart never says more than its data.

# How a source kind reads after a count, singular and plural ("1 news report", "3 news reports").
_KIND_WORDS: dict[str, tuple[str, str]] = {
    "official": ("official statistics", "official statistics"),
    "official-statement": ("official's statement", "officials' statements"),
    "news": ("news report", "news reports"),
    "secondary": ("secondary source", "secondary sources"),
}
# Whose statistics an official figure is, for the source line; first match wins.
_AGENCIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("China Customs (GACC)", re.compile(r"\bGACC\b|(?i:chin(?:a|ese) customs)")),
    ("MOFCOM", re.compile(r"\bMOFCOM\b")),
    ("China's MFA", re.compile(r"Chinese MFA")),
    ("China-side statistics", re.compile(r"Chinese statistics")),
    ("Belarusian statistics", re.compile(r"Belarusian statistics|\bBelstat\b")),
    ("Ukrstat", re.compile(r"State Statistics Service of Ukraine|\bUkrstat\b")),
    ("Ukraine's customs", re.compile(r"State Customs Service of Ukraine")),
    ("Ukraine's economy ministry", re.compile(r"Ukraine Ministry of Economic")),
    ("Russian customs (FCS)", re.compile(r"(?i:russian (?:federal )?customs)")),
)


def _money(value: float) -> str:
    """Return "$245bn", "$8.5bn", "$6.81bn": three significant figures at most.

    >>> _money(244.81), _money(8.5), _money(6.81), _money(190.271)
    ('$245bn', '$8.5bn', '$6.81bn', '$190bn')
    """
    return f"${value:.3g}bn" if value < 1000 else f"${value:,.0f}bn"


def _years(years: list[int]) -> str:
    """Return years as short runs: [2004, 2005, 2006, 2009] -> "2004–06, 2009".

    >>> _years([2004, 2005, 2006, 2009, 2013, 2014])
    '2004–06, 2009, 2013–14'
    """
    runs: list[list[int]] = []
    for y in sorted(set(years)):
        if runs and y == runs[-1][-1] + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    return ", ".join(
        str(r[0]) if len(r) == 1 else f"{r[0]}–{str(r[-1])[-2:]}" for r in runs
    )


def _possessive(country: str) -> str:
    return f"{country}'s"  # China's, Belarus's, Ukraine's


def claims_finding(reference: pd.DataFrame, checks: pd.DataFrame) -> str:
    """Return a chart title: the series' peak, then how many dated claims match the record.

    ``checks`` is :func:`fact_check` output for the chart's pair; rows it could not check
    (verdict ``no reference``) are not claims about the record and are not counted.

    >>> ref = pd.DataFrame({"pair": "China–Russia", "year": [2022, 2023],
    ...                     "value_usd_bn": [190.271, 240.11], "lower_bound": False})
    >>> checks = pd.DataFrame({"article_id": ["a", "b"], "verdict": ["consistent", "consistent"]})
    >>> print(claims_finding(ref, checks))  # doctest: +NORMALIZE_WHITESPACE
    China–Russia trade peaked at $240bn in 2023;
    the articles' two dated claims both match the record
    """
    full = reference[~reference["lower_bound"].astype(bool)] if "lower_bound" in reference \
        else reference
    pair = str(reference["pair"].iloc[0]) if "pair" in reference and len(reference) else "Trade"
    head = f"{pair} trade"
    if len(full):
        peak = full.loc[full["value_usd_bn"].idxmax()]
        head += f" peaked at {_money(float(peak.value_usd_bn))} in {int(peak.year)}"
    checked = checks[checks["verdict"] != "no reference"] if len(checks) else checks
    n = len(checked)
    whose = "the article's" if n and checked["article_id"].nunique() == 1 else "the articles'"
    if n == 0:
        return f"{head}; the articles date no figure that can be checked against it"
    verdicts = checked["verdict"].value_counts()
    k = int(verdicts.get("consistent", 0))
    if k == n == 1:
        return f"{head}; {whose} one dated claim matches the record"
    if k == n == 2:
        return f"{head}; {whose} two dated claims both match the record"
    if k == n:
        return f"{head}; all {n} of {whose} dated claims match the record"
    misses = []
    for verdict, verb in (("overstated", "overstate"), ("understated", "understate")):
        m = int(verdicts.get(verdict, 0))
        if m:
            misses.append(f"{m} {verb}{'s' if m == 1 else ''} it")
    matched = f"{k} of {whose} {n} dated claims " + ("matches" if k == 1 else "match")
    if k == 0:
        matched = f"none of {whose} {n} dated claims matches"
    return f"{head}; {matched} the record, {' and '.join(misses)}"


def latest_finding(reference: pd.DataFrame) -> str:
    """Return a chart title: each pair's latest full figure, whose it is, and any later floor.

    A lower bound ("more than $8.86bn") is never given as the latest figure; when it is the
    newest year of a pair it is named as a floor after the full figures.

    >>> ref = pd.DataFrame({"pair": "China–Belarus", "year": [2023, 2025], "reporter": "Belarus",
    ...                     "value_usd_bn": [8.5, 8.86], "lower_bound": [False, True]})
    >>> print(latest_finding(ref))  # doctest: +NORMALIZE_WHITESPACE
    Latest full-year figure: China–Belarus $8.5bn in 2023 (Belarus's figure);
    2025: only a floor, 'more than $8.86bn'
    """
    full_parts, floors = [], []
    ref = reference.sort_values(["pair", "year"], key=lambda s: s.map(
        {p: i for i, p in enumerate(PAIRS)}) if s.name == "pair" else s)
    for pair, sub in ref.groupby("pair", sort=False):
        bound = sub["lower_bound"].astype(bool)
        full = sub[~bound]
        if len(full):
            last = full.iloc[-1]
            whose = f" ({_possessive(str(last.reporter))} figure)" if "reporter" in sub else ""
            full_parts.append(f"{pair} {_money(float(last.value_usd_bn))} in {int(last.year)}"
                              f"{whose}")
        later = sub[bound & (sub["year"] > (int(full["year"].max()) if len(full) else 0))]
        if len(later):
            f = later.iloc[-1]
            name = "" if len(ref["pair"].unique()) == 1 else f"{pair} "
            floors.append(f"{name}{int(f.year)}: only a floor, 'more than "
                          f"{_money(float(f.value_usd_bn))}'")
    noun = "figure" if len(full_parts) == 1 else "figures"
    title = f"Latest full-year {noun}: " + ", ".join(full_parts) if full_parts else \
        "No full-year figure on record"
    return title + "".join(f"; {f}" for f in floors)


def reference_credit(reference: pd.DataFrame) -> str:
    """Return the chart's credit for the reference: whose statistics, who reported them, the rest.

    No file path: a reader of the chart needs the statistical sources, not our file layout.

    >>> ref = pd.DataFrame({"year": [2022, 2023, 2001],
    ...     "source": ["GACC via Sputnik", "GACC via TASS", "Pravda.ru"],
    ...     "source_kind": ["official", "official", "secondary"]})
    >>> print(reference_credit(ref))  # doctest: +NORMALIZE_WHITESPACE
    reference: China Customs (GACC) for 2 of 3 figures, as reported by Sputnik and TASS;
    1 secondary source
    """
    kinds = reference["source_kind"] if "source_kind" in reference else \
        pd.Series([source_kind(s) for s in reference["source"]], index=reference.index)
    official = reference[kinds == "official"]
    agencies: dict[str, int] = {}
    publishers: dict[str, int] = {}
    for src in official["source"]:
        name = next((n for n, pat in _AGENCIES if pat.search(src)), "official statistics")
        agencies[name] = agencies.get(name, 0) + 1
        via = re.search(r"\bvia ([^,()/]+)", src)
        if via:
            who = via.group(1).strip()
            publishers[who] = publishers.get(who, 0) + 1
    parts = []
    if len(official):
        names = sorted(agencies, key=lambda n: (-agencies[n], n))
        shown = (" and ".join(names) if len(names) <= 2
                 else ", ".join(names[:3]) + (" and others" if len(names) > 3 else ""))
        top = sorted(publishers, key=lambda n: (-publishers[n], n))
        reported = (", as reported by " + (" and ".join(top) if len(top) <= 2
                    else ", ".join(top[:3]) + " and others")) if top else ""
        parts.append(f"{shown} for {len(official)} of {len(reference)} figures{reported}")
    for kind in ("official-statement", "news", "secondary"):
        n = int((kinds == kind).sum())
        if n:
            parts.append(f"{n} {_KIND_WORDS[kind][0 if n == 1 else 1]}")
    return "reference: " + "; ".join(parts)


def source_kind_note(reference: pd.DataFrame) -> str:
    """Return which reference years are not official statistics, by kind ("" when all are).

    >>> ref = pd.DataFrame({"pair": "China–Russia", "year": [2004, 2005, 2009, 2022],
    ...     "source_kind": ["official-statement", "official-statement", "news", "official"]})
    >>> source_kind_note(ref)
    "Not official statistics: officials' statements 2004–05; news report 2009"
    """
    if "source_kind" not in reference:
        return ""
    pairs = list(dict.fromkeys(reference["pair"])) if "pair" in reference else [""]
    chunks = []
    for pair in pairs:
        sub = reference[reference["pair"] == pair] if pair else reference
        bits = []
        for kind in ("official-statement", "news", "secondary"):
            years = sub.loc[sub["source_kind"] == kind, "year"].astype(int).tolist()
            if years:
                bits.append(f"{_KIND_WORDS[kind][0 if len(years) == 1 else 1]} {_years(years)}")
        if bits:
            name = f"{pair.split('–')[-1]}: " if len(pairs) > 1 else ""
            chunks.append(name + "; ".join(bits))
    return "Not official statistics: " + " · ".join(chunks) if chunks else ""


def main(argv: list[str] | None = None) -> int:
    """Return an exit code after rebuilding the shipped curated table from the raw one."""
    args = sys.argv[1:] if argv is None else argv
    raw = Path(args[0]) if args else RAW_CSV
    out = Path(args[1]) if len(args) > 1 else CURATED_CSV
    if not raw.exists():
        print(f"{raw}: not found (pass the path of the shared trade_reference.csv)",
              file=sys.stderr)
        return 2
    curated = curate_reference(raw)
    write_curated(curated, out, raw_csv_path=raw)
    print(f"wrote {out}: {len(curated)} pair-years from {raw}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
