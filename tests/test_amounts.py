"""Tests for toolkit.extract.amounts: pattern unit tests, the case file, real articles, fuzzing."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from toolkit.article import Article
from toolkit.extract.amounts import currency_code, extract_amounts, find_figures, parse_number
from toolkit.records import Mention

CASES = Path(__file__).resolve().parent / "cases" / "amounts.csv"
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SEED = Path(__file__).resolve().parents[1] / "seeds" / "000_a1bbb6199e38b69c.txt"


def _figures(text: str) -> list[tuple[str, float, str]]:
    return [(text[f.start:f.end], f.value, f.unit) for f in find_figures(text)]


# --- patterns only (no spaCy) -------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$190 billion", [("$190 billion", 1.9e11, "USD")]),
        ("US$8bn", [("US$8bn", 8e9, "USD")]),
        ("$8.5bn", [("$8.5bn", 8.5e9, "USD")]),
        ("190 billion dollars", [("190 billion dollars", 1.9e11, "USD")]),
        ("1.2 trillion yuan", [("1.2 trillion yuan", 1.2e12, "CNY")]),
        ("Japan spent ¥1.2 trillion", [("¥1.2 trillion", 1.2e12, "JPY")]),
        ("China spent ¥1.2 trillion", [("¥1.2 trillion", 1.2e12, "CNY")]),
        ("€300 million", [("€300 million", 3e8, "EUR")]),
        ("£2.5m", [("£2.5m", 2.5e6, "GBP")]),
        ("60%", [("60%", 60.0, "%")]),
        ("60 percent", [("60 percent", 60.0, "%")]),
        ("60 per cent", [("60 per cent", 60.0, "%")]),
        ("2 percentage points", [("2 percentage points", 2.0, "pp")]),
        ("a $1.5 trillion-dollar economy", [("$1.5 trillion", 1.5e12, "USD")]),
        ("a 10 billion-dollar deal", [("10 billion-dollar", 1e10, "USD")]),
        ("5 billion rubles", [("5 billion rubles", 5e9, "RUB")]),
        ("3 billion Belarusian rubles", [("3 billion Belarusian rubles", 3e9, "BYN")]),
        ("a billion dollars", [("a billion dollars", 1e9, "USD")]),
        ("half a billion dollars", [("half a billion dollars", 5e8, "USD")]),
        ("five percent", [("five percent", 5.0, "%")]),
        ("USD 5bn and 7 billion USD", [("USD 5bn", 5e9, "USD"), ("7 billion USD", 7e9, "USD")]),
        ("$1.2 trn", [("$1.2 trn", 1.2e12, "USD")]),
        ("$19,000", [("$19,000", 19000.0, "USD")]),
        ("HK$3 million", [("HK$3 million", 3e6, "HKD")]),
        ("20 million tons of grain", [("20 million tons", 2e7, "tons")]),
        ("1.5 million barrels per day", [("1.5 million barrels per day", 1.5e6, "barrels/day")]),
        ("40 bcm of gas", [("40 bcm", 4e10, "cubic meters")]),
    ],
)
def test_formats(text: str, expected: list[tuple[str, float, str]]) -> None:
    assert _figures(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "in 2022", "the 20th congress", "a 12-point proposal", "Feb. 24, 2022", "at 5:30 p.m.",
        "aged 45", "1,000 troops", "a three-day meeting", "an ally of Putin", "call 202-555-0143",
        "more than 360 million views", "two-thirds of sales", "billions of dollars",
        "he won 5 games",
    ],
)
def test_not_figures(text: str) -> None:
    assert find_figures(text) == []


def test_ranges_give_two_figures_and_share_scale() -> None:
    text = "$10-15 billion"
    got = find_figures(text)
    assert [(text[f.start:f.end], f.value, f.flags) for f in got] == [
        ("$10", 1e10, ("range",)),
        ("15 billion", 1.5e10, ("range",)),
    ]
    text = "between 5% and 7%"
    assert [(f.value, f.flags) for f in find_figures(text)] == [
        (5.0, ("range",)),
        (7.0, ("range",)),
    ]
    text = "10-15%"
    assert [(text[f.start:f.end], f.value) for f in find_figures(text)] == [
        ("10", 10.0),
        ("15%", 15.0),
    ]


def test_from_to_is_a_change_not_a_range() -> None:
    got = find_figures("rose from $10 billion to $15 billion")
    assert [f.flags for f in got] == [("from",), ("to",)]
    # "and" without "between" joins two separate figures
    assert [f.flags for f in find_figures("$5 billion and $7 billion")] == [(), ()]


def test_helpers() -> None:
    assert parse_number("twenty-five") == 25.0
    assert parse_number("1,234.5") == 1234.5
    assert parse_number("several") is None
    assert currency_code("roubles") == "RUB"
    assert currency_code("€") == "EUR"
    assert currency_code("tons") is None


# --- the case file (spaCy) ------------------------------------------------------------------

def _read_cases() -> list[dict[str, str]]:
    with CASES.open(encoding="utf-8") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


@pytest.fixture(scope="module")
def parsed_cases() -> dict[str, object]:
    """Parse every distinct case sentence once, as a one-paragraph article each."""
    from toolkit.nlp import parse

    sentences = sorted({row["sentence"] for row in _read_cases()})
    articles = [
        Article.build(article_id=f"case{i}", path="cases/amounts.csv", paragraphs=[s])
        for i, s in enumerate(sentences)
    ]
    return {p.article.text: p for p in parse(articles)}


def _words(text: str) -> set[str]:
    return {w for w in re.split(r"[\s–\-]+", text.lower()) if w}


@pytest.mark.parametrize("row", _read_cases(), ids=lambda r: r["label"])
def test_case_file(row: dict[str, str], parsed_cases: dict[str, object]) -> None:
    parsed = parsed_cases[row["sentence"]]
    amounts = extract_amounts(parsed)
    text = parsed.article.text
    for a in amounts:
        assert text[a.start:a.end] == a.text
    if not row["text"]:
        assert [a.text for a in amounts] == []
        return
    matches = [a for a in amounts if a.text == row["text"]]
    assert matches, f"{row['text']!r} not found in {[a.text for a in amounts]}"
    a = matches[0]
    assert a.value == pytest.approx(float(row["value"]))
    assert a.unit == row["unit"]
    assert a.year == (int(row["year"]) if row["year"] else None)
    assert _words(row["subject"]) <= _words(a.subject), a.subject
    assert _words(row["qualifier"]) <= _words(a.qualifier), a.qualifier


def test_mentions_give_canonical_names(parsed_cases: dict[str, object]) -> None:
    sentence = next(r["sentence"] for r in _read_cases() if r["label"] == "trade_between")
    parsed = parsed_cases[sentence]
    text = parsed.article.text
    # what an entity layer would pass: "the European Union" -> "EU", "China" -> "PRC"
    mentions = []
    for surface, canonical in (("European Union", "EU"), ("China", "PRC")):
        start = text.index(surface)
        mentions.append(Mention("case", 0, start, start + len(surface), surface, "GPE", "country",
                                canonical))
    first = extract_amounts(parsed, mentions)[0]
    assert first.text == "$800 billion"
    assert first.subject == "EU–PRC trade"


@pytest.mark.skipif(not SEED.exists(), reason="seed article not present")
def test_seed_trade_figure() -> None:
    from toolkit.nlp import parse

    paragraphs = [p.strip() for p in SEED.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    article = Article.build(article_id="seed", path=str(SEED), paragraphs=paragraphs)
    amounts = extract_amounts(next(parse([article])))
    trade = [a for a in amounts if a.text == "$190 billion"]
    assert len(trade) == 1
    a = trade[0]
    assert (a.value, a.unit, a.year) == (1.9e11, "USD", 2022)
    assert "China" in a.subject and "Russia" in a.subject and "trade" in a.subject
    assert "record" in a.qualifier and "topped" in a.qualifier
    assert article.text[a.start:a.end] == a.text


@pytest.mark.shared
@pytest.mark.slow
@pytest.mark.skipif(not SHARED.exists(), reason="../shared/data not present")
def test_real_articles_offsets_and_floor() -> None:
    """Every figure in the 29 real articles indexes Article.text; the count stays near the
    hand-checked 85 (a sudden drop or flood means the patterns broke)."""
    from toolkit.nlp import parse

    articles = []
    with (SHARED / "articles_cn_ru_ua.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            paragraphs = [p.strip() for p in d["text"].split("\n\n") if p.strip()]
            articles.append(
                Article.build(article_id=d["id"], path="articles", paragraphs=paragraphs)
            )
    rows = [a for p in parse(articles) for a in extract_amounts(p)]
    by_id = {a.article_id: a for a in articles}
    for r in rows:
        assert by_id[r.article_id].text[r.start:r.end] == r.text
        assert r.unit in {"USD", "CNY", "JPY", "EUR", "GBP", "RUB", "%", "pp", "tons"}
    assert 75 <= len(rows) <= 95
    assert not [r for r in rows if re.fullmatch(r"(19|20)\d\d", r.text)]


# --- never crashes --------------------------------------------------------------------------

# Junk built from pieces that look like figures, so the patterns' edge cases get exercised.
_junk = st.lists(
    st.sampled_from(list("0123456789 .,-–%$€£¥₽bmnkt()'\"\nabcdefxyz") + [
        " billion", " million", " yuan", " percent", " per cent", " to ", " and ", " between ",
        " US$", " rubles", " a ", " half a ", " tons", "\n\n", "2022", "record ", "from ",
    ]),
    max_size=40,
).map("".join) | st.text(max_size=60)


@settings(max_examples=300, deadline=None)
@given(_junk)
def test_find_figures_never_crashes(text: str) -> None:
    for f in find_figures(text, context=text):
        assert 0 <= f.start < f.end <= len(text)
        assert f.value == f.value  # not NaN


# Mixed-case ASCII: the case-insensitive patterns search such text lower-cased, for speed.
_mixed_case = st.lists(
    st.sampled_from([
        " ", "  ", "\n", "-", "–", ",", "(", "5", "12", "2022", "%", "$", "a", "A", "an", "Half A",
        "Twenty-FIVE", "one", "ONE", "someone", "Percent", "PER CENT", "Percentage Points",
        "More Than", "at LEAST", "Up", "DOWN by", "Or More", "First Eight Months", "Q3", "h1",
        "IN AUGUST", "Jan-Mar", "Year To Date", "YTD", "Last Year", "NEXT year", "RECORD",
        "All-Time", "Unprecedented", "billion", "BN", "tons",
    ]),
    max_size=12,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(_mixed_case)
def test_lower_cased_search_finds_what_ignoring_case_finds(text: str) -> None:
    from toolkit.extract import amounts

    for pattern in (
        amounts._APPROX_RE, amounts._UPDOWN_RE, amounts._PERCENT_WORD, amounts._NUMBER_WORD,
        amounts._NUMBER_START, amounts._PART_OF_YEAR, amounts._RELATIVE_YEAR, amounts._RECORD_WORD,
    ):
        assert [m.regs for m in pattern.finditer(text)] == [
            m.regs for m in pattern.any_case.finditer(text)
        ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("FIVE PERCENT", [("FIVE PERCENT", 5.0, "%")]),
        ("FIVE PERCENT, said Ölund", [("FIVE PERCENT", 5.0, "%")]),  # not ASCII: the slow path
        ("Twenty-Five Tons", [("Twenty-Five Tons", 25.0, "tons")]),
        ("twenty-five tons”", [("twenty-five tons", 25.0, "tons")]),
    ],
)
def test_figures_in_any_case(text: str, expected: list[tuple[str, float, str]]) -> None:
    assert _figures(text) == expected


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(_junk)
def test_extract_never_crashes(text: str) -> None:
    from toolkit.nlp import parse

    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    article = Article.build(article_id="junk", path="junk", paragraphs=paragraphs)
    for a in extract_amounts(next(parse([article]))):
        assert article.text[a.start:a.end] == a.text


@pytest.mark.parametrize(("published", "year"), [("2023-03-01", 2022), ("", None)])
def test_last_year_counts_from_the_publication_date(published: str, year: int | None) -> None:
    from toolkit.nlp import parse

    article = Article.build(article_id="r", path="r", published=published, paragraphs=[
        "Trade between China and Russia rose to $190 billion last year, officials said."])
    (amount,) = extract_amounts(next(parse([article])))
    assert (amount.value, amount.year) == (190e9, year)


# "last year" next to the figure beats an explicit year that is the base of a comparison, or
# that sits farther away; an explicit year next to the figure still wins ("for 2022 of ...").
RELATIVE_YEAR_CASES = [
    ("Bilateral trade rose to $240.1 billion last year, up 26.3% from 2022.",
     [("$240.1 billion", 2023), ("26.3%", 2023)]),
    ("Exports rose to $80 billion last year, up from $60 billion in 2021.",
     [("$80 billion", 2023), ("$60 billion", 2021)]),
    ("Sales grew 12% compared with 2019.", [("12%", None)]),
    ("Last year, the ministry approved a budget for 2022 of $5 billion.", [("$5 billion", 2022)]),
    ("Trade has doubled since 2014 to $100 billion this year.", [("$100 billion", 2024)]),
]


@pytest.mark.parametrize(("sentence", "expected"), RELATIVE_YEAR_CASES)
def test_year_of_a_figure_next_to_a_relative_year(sentence: str, expected: list) -> None:
    from toolkit.nlp import parse

    article = Article.build(article_id="r", path="r", published="2024-05-16",
                            paragraphs=[sentence])
    got = [(a.text, a.year) for a in extract_amounts(next(parse([article])))]
    assert got == expected
