"""Corpus views: periods with empty weeks and undated articles, outlets, stance by period."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from toolkit import coverage, plot


def _articles(dates, outlets=None):
    outlets = outlets or ["The Post"] * len(dates)
    return pd.DataFrame({"article_id": [f"a{i}" for i in range(len(dates))],
                         "published": dates, "outlet": outlets})


def test_empty_weeks_are_zeros_and_undated_articles_are_counted_apart():
    articles = _articles(["2023-02-21", "2023-03-15", "", "2023-04"])
    table = coverage.articles_over_time(articles)
    assert table.attrs["period"] == "week"
    assert table["period"].tolist() == ["2023-02-20", "2023-02-27", "2023-03-06", "2023-03-13",
                                        "undated"]
    assert table["articles"].tolist() == [1, 0, 0, 1, 2]  # a month-only date has no week
    assert table["articles"].sum() == len(articles)


def test_a_long_corpus_is_counted_by_month_and_the_choice_can_be_forced():
    articles = _articles(["2022-02-18", "2023-06-19"])
    by_month = coverage.articles_over_time(articles)
    assert by_month.attrs["period"] == "month" and len(by_month) == 17
    assert by_month["articles"].tolist()[:2] == [1, 0]
    assert len(coverage.articles_over_time(articles, period="week")) == 71
    with pytest.raises(ValueError, match="expected 'auto', 'week' or 'month'"):
        coverage.articles_over_time(articles, period="day")


def test_no_dated_article_gives_only_the_undated_count():
    table = coverage.articles_over_time(_articles(["", ""]))
    assert table.to_dict("list") == {"period": ["undated"], "articles": [2]}
    assert coverage.articles_finding(table) == "None of the 2 articles carries a date"


def test_one_article_outlets_are_grouped_when_others_have_more():
    articles = _articles(["2023-02-21"] * 4, ["CNN", "CNN", "tass.com", ""])
    assert coverage.articles_per_outlet(articles).to_dict("list") == {
        "outlet": ["CNN", "other outlets"], "articles": [2, 2]}
    single = _articles(["2023-02-21"] * 2, ["CNN", "CNN"])
    assert coverage.articles_per_outlet(single).to_dict("list") == {
        "outlet": ["CNN"], "articles": [2]}


def test_mentions_by_period_keep_time_order_and_empty_periods():
    articles = _articles(["2023-02-21", "2023-03-08"])
    entities = pd.DataFrame({"article_id": ["a0", "a0", "a1"], "kind": ["person"] * 3,
                             "canonical": ["Xi Jinping", "Xi Jinping", "Li Hui"],
                             "start": [0, 5, 9]})
    matrix = coverage.mentions_by(entities, articles, by="period", kinds=["person"])
    assert list(matrix.columns) == ["2023-02-20", "2023-02-27", "2023-03-06"]
    assert matrix.loc["Xi Jinping"].tolist() == [2, 0, 0]
    assert matrix.loc["Li Hui"].tolist() == [0, 0, 1]
    assert coverage.leader_finding(matrix, what="the most-mentioned person", unit="week") == (
        "Li Hui is the most-mentioned person in 1 of 2 weeks with any")


def test_quotes_by_outlet_count_as_quoted_sources_does():
    articles = _articles(["2023-02-21"] * 2, ["CNN", "TASS"])
    quotes = pd.DataFrame({
        "article_id": ["a0", "a0", "a1", "a1"], "quote_id": [0, 1, 0, 1],
        "speaker": ["Wang Wenbin", "Wang Wenbin", "Wang Wenbin", "government data"],
        "speaker_kind": ["person", "person", "person", "document"], "part_of": [-1, 0, -1, -1],
        "kind": ["indirect", "partial", "direct", "direct"], "speaker_role": [""] * 4,
        "start": [0, 10, 0, 50]})
    matrix = coverage.quoted_by_outlet(quotes, articles)
    assert matrix.to_dict("index") == {"Wang Wenbin": {"CNN": 1, "TASS": 1}}


def test_stance_over_time_shares_carry_wilson_intervals():
    articles = _articles(["2023-02-21", "2023-03-08", ""])
    stance = pd.DataFrame({"article_id": ["a0"] * 4 + ["a2"],
                           "stance": ["against", "against", "favor", "needs_coding", "neutral"]})
    table = coverage.stance_over_time(stance, articles)
    first = table.iloc[0]
    assert (first.n, first.against, first.needs_coding) == (3, 2, 1)
    assert first.against_low < 2 / 3 < first.against_high
    empty = table[table["period"] == "2023-02-27"].iloc[0]
    assert empty.n == 0 and math.isnan(empty.against_share)
    assert table["period"].iloc[-1] == "undated" and table["neutral"].iloc[-1] == 1


@pytest.mark.parametrize("k,n", [(0, 1), (1, 1), (5, 10), (0, 50), (50, 50)])
def test_wilson_interval_stays_inside_zero_one_and_holds_the_share(k, n):
    low, high = coverage.wilson_interval(k, n)
    assert 0 <= low <= k / n <= high <= 1


def test_voice_by_outlet_pairs_narration_with_sources():
    articles = _articles(["2023-02-21"] * 2, ["CNN", "CNN"])
    stance = pd.DataFrame({"article_id": ["a0", "a0", "a1", "a1"],
                           "unit": ["sentence", "quote", "quote", "sentence"],
                           "stance": ["against", "favor", "against", "needs_coding"]})
    voices = coverage.voice_by_outlet(stance, articles)
    assert voices.to_dict("list") == {"group": ["CNN · narration", "CNN · sources",
                                                "CNN · sources"],
                                      "stance": ["against", "against", "favor"], "n": [1, 1, 1]}
    assert coverage.voice_finding(voices, target="China as mediator") == (
        "CNN's narration doubts China as mediator more often than its sources "
        "(100% vs 50% against)")


def test_time_charts_plot_exactly_their_data_and_draw_empty_input(tmp_path):
    articles = _articles(["2023-02-21", "2023-03-08", ""])
    over_time = coverage.articles_over_time(articles)
    fig, data = plot.period_bars(over_time, value="articles", title="t", source="s",
                                 ylabel="Articles")
    assert data.equals(over_time[["period", "articles"]])
    files = plot.save_figure(fig, data, "00-test-over-time", out_dir=tmp_path)
    assert pd.read_csv(files["csv"])["articles"].tolist() == [1, 0, 1, 1]
    plot.close(fig)
    stance = coverage.stance_over_time(pd.DataFrame({"article_id": [], "stance": []}), articles)
    fig, data = plot.share_over_time(stance, title="t", source="s")
    assert len(data) == 4 and data["n"].sum() == 0  # no unit: a "No data" chart, no error
    plot.close(fig)


def test_claims_chart_leaves_out_figures_without_a_reference():
    checks = pd.DataFrame({
        "article_id": ["a", "b", "c"], "published": ["2023-03-01", "", "2023-01-05"],
        "outlet": ["CNN", "TASS", "CNN"], "year": [2022, 2022, 2021],
        "pair": ["China–Russia"] * 3, "claimed_usd_bn": [190.0, 200.0, 1.0],
        "reference_usd_bn": [190.271, 190.271, math.nan],
        "difference_pct": [-0.14, 5.11, math.nan],
        "verdict": ["consistent", "overstated", "no reference"]})
    fig, data = plot.claims_by_article(checks, title="t", source="s")
    assert data["article_id"].tolist() == ["a", "b"]  # dated first, undated last
    assert "1 not shown" in fig.axes[0].get_xlabel()
    plot.close(fig)


def test_a_syndicated_story_counts_once_in_every_table_unless_asked():
    from toolkit import analysis
    from toolkit.annotate import Corpus

    articles = pd.DataFrame({"article_id": ["a", "b", "c"], "story_id": ["a", "a", "c"],
                             "copy_of": ["", "a", ""], "outlet": ["AP", "CNN", "AP"],
                             "published": ["2023-01-02", "2023-01-03", ""],
                             "title": ["T", "T", "U"]})
    rows = pd.DataFrame({"article_id": ["a", "b", "b", "c"], "x": [1, 2, 3, 4]})
    corpus = Corpus(articles=articles, sentences=rows, entities=rows, quotes=rows,
                    amounts=rows, removed=rows, problems=rows.iloc[:0], stance=rows,
                    texts={"a": "A", "b": "B", "c": "C"})
    once = analysis.corpus_once_per_story(corpus)
    for name, table in once.tables().items():
        assert "b" not in set(table["article_id"]), name
    assert once.stance["x"].tolist() == [1, 4] and once.texts == corpus.texts
    assert analysis.story_table(articles)["articles"].tolist() == [2]
