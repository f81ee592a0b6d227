"""Tests for the curated trade series and the fact-checker."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from toolkit import trade

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
needs_shared = pytest.mark.skipif(not SHARED.exists(), reason="../shared/data not present")


def amount(text: str, value_bn: float, year: int | None, subject: str, qualifier: str = "",
           *, unit: str = "USD", start: int = 0) -> dict:
    return dict(article_id="a1", sentence_id=0, start=start, end=start + len(text), text=text,
                value=value_bn * 1e9, unit=unit, year=year, subject=subject, qualifier=qualifier)


# ---------------------------------------------------------------- curated table


def test_shipped_table_starts_with_comment_header_naming_source_and_rule():
    lines = trade.CURATED_CSV.read_text(encoding="utf-8").splitlines()
    header = [line for line in lines if line.startswith("# ")]
    assert any("trade_reference.csv" in line for line in header)
    assert any(line.startswith("# rule:") for line in header)
    assert lines[len(header)].split(",")[:3] == ["pair", "year", "value_usd_bn"]


def test_one_row_per_pair_year_and_expected_coverage():
    allrows = pd.concat(trade.reference_series(p) for p in trade.PAIRS)
    assert not allrows.duplicated(["pair", "year"]).any()
    ru = trade.reference_series("China–Russia")
    assert ru["year"].tolist() == list(range(2000, 2026))  # every year 2000-2025
    for pair in ("China–Belarus", "China–Ukraine"):
        years = trade.reference_series(pair)["year"]
        assert years.min() >= 2015 and years.max() <= 2025 and len(years) >= 3


def test_2022_china_russia_is_china_customs_190():
    s = trade.reference_series("China–Russia").set_index("year")
    row = s.loc[2022]
    assert row.value_usd_bn == pytest.approx(190.271)
    assert row.reporter == "China" and row.confidence == "high"
    assert "GACC" in row.source
    assert "190 (Reuters)" in row.alternatives
    assert row.n_sources == 2 and not row.conflict


def test_choice_rule_on_known_years():
    s = trade.reference_series("China–Russia").set_index("year")
    assert s.loc[2015, "value_usd_bn"] == 68.0  # the SUSPECT 64.2 loses
    assert s.loc[2024, "value_usd_bn"] == pytest.approx(244.81)  # yuan-converted 237 loses
    assert s.loc[2018, "value_usd_bn"] == pytest.approx(107.06)  # China side beats Russian FCS
    assert bool(s.loc[2018, "conflict"]) and "108.3" in s.loc[2018, "alternatives"]
    assert bool(s.loc[2004, "lower_bound"])  # the only 2004 figure is a floor
    assert not bool(s.loc[2003, "lower_bound"])


def test_reference_series_accepts_hyphen_and_partner_alone():
    a = trade.reference_series("China-Russia")
    b = trade.reference_series("Russia")
    c = trade.reference_series()
    assert a.equals(b) and b.equals(c)
    assert set(trade.reference_series("belarus")["pair"]) == {"China–Belarus"}
    with pytest.raises(ValueError, match="unknown trade pair"):
        trade.reference_series("Kazakhstan")


@pytest.mark.parametrize(
    ("source", "kind"),
    [("GACC via TASS", "official"),
     ("China customs statistics via People's Daily Online", "official"),
     ("Belarusian statistics via BelTA infographic", "official"),
     ("State Statistics Service of Ukraine via Kyiv Post", "official"),
     ("Russian Federal Customs Service via UNI/Sputnik (pennews.net)", "official"),
     ("MOFCOM vice-minister Chen Jian at SCIO briefing (via comelan.com)", "official"),
     ("Chinese statistics cited by Chinese ambassador Xie Xiaoyong", "official"),
     ("Chinese ambassador Li Hui via Sputnik Brasil", "official-statement"),
     ("Xinhua citing Russian trade representative S. Tsyplakov, via CRI", "official-statement"),
     ("President Putin via RT", "official-statement"),
     ("VietnamPlus (Vietnam News Agency)", "news"),
     ("Xinhua (Moscow bureau) via hxen.com", "news"),
     ("Chinese master's thesis abstract (hosted on gooshimkoo.com)", "secondary"),
     ("Pravda.ru (Beijing correspondent) listing China's top partners", "secondary"),
     ("Chinese blog citing GACC (bs178.com)", "secondary"),  # the weakest link decides
     ("jidianwang.com encyclopedia entry", "secondary"),
     ("someone's newsletter", "secondary")],  # unrecognised: not trusted
)
def test_source_kind(source, kind):
    assert trade.source_kind(source) == kind


def test_the_choice_rule_names_every_source_kind():
    for kind, what, _ in trade.SOURCE_KIND_RULES:
        assert f"{kind} = {what}" in trade.CHOICE_RULE
    assert "prefer official statistics" in trade.CHOICE_RULE


def test_shipped_table_prefers_official_statistics():
    s = trade.reference_series("China–Russia").set_index("year")
    assert set(s["source_kind"]) <= {"official", "official-statement", "news", "secondary"}
    # 2000: China customs via People's Daily, not the same 8.0 from a think tank's chart
    assert s.loc[2000, "source_kind"] == "official" and "customs" in s.loc[2000, "source"]
    # 2009: the news agency's 38.8, not the same figure from a thesis abstract
    assert s.loc[2009, "source_kind"] == "news" and "thesis" not in s.loc[2009, "source"]
    assert s.loc[2022, "source_kind"] == "official"
    assert s.loc[2001, "source_kind"] == "secondary"  # Pravda.ru is the only 2001 figure


@needs_shared
def test_no_weaker_source_is_chosen_over_a_comparable_official_figure():
    raw = pd.read_csv(SHARED / "trade_reference.csv", keep_default_na=False)
    raw = raw[(raw["flow"] == "total") & ~raw["note"].str.contains("YEAR INFERRED")]
    official = {
        (f"China–{r.partner if r.reporter == 'China' else r.reporter}", r.reporter, int(r.year))
        for r in raw.itertuples()
        if trade.source_kind(r.source) == "official" and not trade._row_tags(r.note)
    }
    curated = pd.concat(trade.reference_series(p) for p in trade.PAIRS)
    weaker = curated[curated["source_kind"] != "official"]
    assert len(weaker) > 0
    assert [(r.pair, r.reporter, r.year) for r in weaker.itertuples()
            if (r.pair, r.reporter, r.year) in official] == []


@needs_shared
def test_shipped_table_is_reproducible_from_the_raw_file(tmp_path):
    raw = SHARED / "trade_reference.csv"
    out = trade.write_curated(trade.curate_reference(raw), tmp_path / "t.csv", raw_csv_path=raw)
    assert out.read_bytes() == trade.CURATED_CSV.read_bytes()


@needs_shared
def test_curation_is_deterministic_under_row_shuffles(tmp_path):
    raw = pd.read_csv(SHARED / "trade_reference.csv", keep_default_na=False)
    # The last tie-breaks are source name and value, never row order.
    path = tmp_path / "rev.csv"
    raw.iloc[::-1].to_csv(path, index=False)
    a = trade.curate_reference(SHARED / "trade_reference.csv")
    b = trade.curate_reference(path)
    assert a[["pair", "year", "value_usd_bn"]].equals(b[["pair", "year", "value_usd_bn"]])


def test_curate_reference_names_missing_columns(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("reporter,partner,year\nChina,Russia,2020\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.csv: line 1: missing column"):
        trade.curate_reference(bad)


# ---------------------------------------------------------------- fact-checking


def test_fact_check_verdicts():
    amounts = pd.DataFrame([
        amount("$190 billion", 190, 2022, "China–Russia trade", "topped record", start=0),
        amount("$250 billion", 250, 2022, "China-Russia trade", "", start=20),
        amount("$150 billion", 150, 2022, "trade between Russia and China", "", start=40),
        amount("$5 billion", 5, 2030, "China–Belarus trade", "", start=60),
        amount("$210 billion", 210, 2022, "China–Russia trade", "more than", start=80),
        amount("$100 billion", 100, 2022, "China–Russia trade", "more than", start=100),
        amount("$240 billion", 240, 2023, "Sino-Russian trade", "about", start=120),
        amount("$1 billion", 1, 2022, "US military aid to Ukraine", "", start=140),
        amount("€5 billion", 5, 2022, "China–Russia trade", "", unit="EUR", start=160),
        amount("$11 billion", 11, 2022, "China–Russia spending", "", start=180),
    ])
    out = trade.fact_check(amounts).set_index("start")
    assert len(out) == 7  # aid, spending and the euro figure are not trade claims in US$
    assert out.loc[0, "verdict"] == "consistent"
    assert out.loc[0, "claimed_usd_bn"] == 190.0
    assert out.loc[0, "reference_usd_bn"] == pytest.approx(190.271)
    assert out.loc[0, "claim_kind"] == "lower bound"
    assert out.loc[20, "verdict"] == "overstated"
    assert out.loc[20, "difference_pct"] == pytest.approx(31.39, abs=0.01)
    assert out.loc[40, "verdict"] == "understated"
    assert out.loc[60, "verdict"] == "no reference"
    assert math.isnan(out.loc[60, "reference_usd_bn"])
    assert out.loc[80, "verdict"] == "overstated"  # "more than 210" but it was 190
    assert out.loc[100, "verdict"] == "consistent"  # "more than 100" is true
    assert out.loc[120, "verdict"] == "consistent"
    assert "GACC" in out.loc[0, "source"]


def test_fact_check_tolerance_boundary():
    amounts = pd.DataFrame([amount("$200 billion", 200, 2022, "China–Russia trade")])
    assert trade.fact_check(amounts)["verdict"].item() == "overstated"  # +5.1%
    assert trade.fact_check(amounts, tolerance=0.06)["verdict"].item() == "consistent"


def test_fact_check_notes_alternative_series_and_flows():
    amounts = pd.DataFrame([
        amount("$237 billion", 237, 2024, "China-Russia trade", start=0),
        amount("$76 billion", 76, 2022, "Chinese exports to Russia", start=20),
        amount("$190 billion", 190, None, "China–Russia trade", start=40),
    ])
    out = trade.fact_check(amounts).set_index("start")
    assert out.loc[0, "verdict"] == "consistent"  # -3.2%, within 5%
    assert "237" in out.loc[0, "note"] and "different series" in out.loc[0, "note"]
    assert out.loc[20, "verdict"] == "no reference" and "total trade" in out.loc[20, "note"]
    assert out.loc[40, "verdict"] == "no reference" and "year" in out.loc[40, "note"]


def test_fact_check_starting_value_of_a_change_is_not_checked():
    amounts = pd.DataFrame([
        amount("$147 billion", 147, 2022, "China–Russia trade", "from", start=0),
        amount("$190 billion", 190, 2022, "China–Russia trade", "to", start=20),
        amount("$190 billion", 190, 2022, "China–Russia", "", start=40),
    ])
    out = trade.fact_check(amounts).set_index("start")
    assert out["verdict"].tolist() == ["no reference", "consistent", "consistent"]


def test_fact_check_empty_input_has_columns():
    empty = pd.DataFrame(columns=["article_id", "sentence_id", "start", "end", "text", "value",
                                  "unit", "year", "subject", "qualifier"])
    out = trade.fact_check(empty)
    assert out.empty and list(out.columns) == trade.FACT_CHECK_COLUMNS


@pytest.mark.parametrize(
    ("qualifier", "kind"),
    [("topped", "lower bound"), ("more than", "lower bound"), ("at least", "lower bound"),
     ("nearly", "approximate"), ("almost", "approximate"), ("about", "approximate"),
     ("less than", "upper bound"), ("just under", "upper bound"), ("rose to", "exact"),
     ("", "exact")],
)
def test_claim_kind(qualifier, kind):
    assert trade.claim_kind(qualifier) == kind


@pytest.mark.parametrize(
    ("text", "pair"),
    [("China–Russia trade", "China–Russia"), ("Russia-China trade", "China–Russia"),
     ("bilateral trade between Beijing and Minsk", "China–Belarus"),
     ("China's trade with Ukraine", "China–Ukraine"), ("trade", None),
     ("Russia's trade with India", None), ("China's trade with Russia and Ukraine", None)],
)
def test_pair_in_text(text, pair):
    assert trade.pair_in_text(text) == pair


def test_a_part_of_year_figure_is_not_checked_against_the_annual_total():
    amounts = pd.DataFrame([dict(
        article_id="a", sentence_id=0, start=0, end=14, text="$117.2 billion", value=117.2e9,
        unit="USD", year=2022, subject="China–Russia trade",
        qualifier="surged period: first eight months")])
    (row,) = trade.fact_check(amounts).to_dict("records")
    assert row["verdict"] == "no reference"
    assert row["note"] == "a figure for part of the year, not comparable with an annual total"


# ---------------------------------------------------------------- chart wording


def ru_reference(**extra) -> pd.DataFrame:
    return pd.DataFrame({"pair": "China–Russia", "year": [2021, 2022, 2023],
                         "value_usd_bn": [146.887, 190.271, 240.11], "lower_bound": False,
                         **extra})


def checked(*verdicts: str, articles: str = "abcdefgh") -> pd.DataFrame:
    return pd.DataFrame({"article_id": list(articles[: len(verdicts)]), "verdict": verdicts})


@pytest.mark.parametrize(
    ("verdicts", "ending"),
    [(("consistent",), "; the article's one dated claim matches the record"),
     (("consistent", "consistent"), "; the articles' two dated claims both match the record"),
     (("consistent",) * 3, "; all 3 of the articles' dated claims match the record"),
     (("consistent", "overstated"),
      "; 1 of the articles' 2 dated claims matches the record, 1 overstates it"),
     (("consistent", "consistent", "understated", "overstated", "overstated"),
      "; 2 of the articles' 5 dated claims match the record, 2 overstate it and 1 understates it"),
     (("understated",), "; none of the article's 1 dated claims matches the record, "
      "1 understates it"),
     # figures the check could not place (no year, a flow, part of a year) are not claims on it
     (("consistent", "no reference", "consistent"),
      "; the articles' two dated claims both match the record"),
     ((), "; the articles date no figure that can be checked against it")],
)
def test_claims_finding_counts_checked_claims(verdicts, ending):
    title = trade.claims_finding(ru_reference(), checked(*verdicts))
    assert title == "China–Russia trade peaked at $240bn in 2023" + ending
    assert "1 of 1" not in title and "article claims" not in title


def test_claims_finding_peak_is_never_a_lower_bound():
    ref = ru_reference(lower_bound=[False, False, True])  # 2023 only "more than 240"
    title = trade.claims_finding(ref, checked("consistent"))
    assert title.startswith("China–Russia trade peaked at $190bn in 2022;")


def test_latest_finding_gives_a_full_figure_not_a_lower_bound():
    ref = pd.DataFrame({"pair": ["China–Belarus"] * 3 + ["China–Ukraine"],
                        "year": [2022, 2023, 2025, 2023],
                        "value_usd_bn": [5.08, 8.5, 8.86, 6.81],
                        "lower_bound": [False, False, True, False],
                        "reporter": ["China", "Belarus", "Belarus", "China"]})
    title = trade.latest_finding(ref)
    assert title == ("Latest full-year figures: China–Belarus $8.5bn in 2023 (Belarus's figure), "
                     "China–Ukraine $6.81bn in 2023 (China's figure); "
                     "China–Belarus 2025: only a floor, 'more than $8.86bn'")


def test_latest_finding_on_the_shipped_partner_series():
    partners = pd.concat(trade.reference_series(p) for p in ("China–Belarus", "China–Ukraine"))
    latest = partners[partners["pair"] == "China–Belarus"].iloc[-1]
    assert bool(latest["lower_bound"])  # the newest Belarus figure is a floor...
    title = trade.latest_finding(partners)
    head = title.split(";")[0]
    assert "$8.86bn" not in head and f"{int(latest['year'])}" not in head  # ...not "the latest"
    assert "'more than $8.86bn'" in title


def test_reference_credit_names_the_statistics_not_a_file():
    credit = trade.reference_credit(trade.reference_series("China–Russia"))
    assert credit.startswith("reference: China Customs (GACC)")
    assert "as reported by" in credit and "TASS" in credit
    assert "/" not in credit and ".csv" not in credit and "toolkit" not in credit
    assert "1 secondary source" in credit  # Pravda.ru for 2001


def test_source_kind_note_names_every_year_that_is_not_official_statistics():
    ref = pd.DataFrame({"pair": ["China–Belarus"] * 3 + ["China–Ukraine"] * 2,
                        "year": [2017, 2018, 2021, 2020, 2023],
                        "source_kind": ["official-statement", "official", "news",
                                        "official", "secondary"]})
    assert trade.source_kind_note(ref) == ("Not official statistics: Belarus: official's "
                                           "statement 2017; news report 2021 · Ukraine: "
                                           "secondary source 2023")
    assert trade.source_kind_note(ref.assign(source_kind="official")) == ""
