"""Story groups (toolkit.stories): copies of one text group, distinct stories do not.

The articles here are made up for the tests; the shared-data test scores the grouping on the
corpus that benchmarks/story_groups.py builds from ../shared/data.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys

import pandas as pd
import pytest
from conftest import ROOT, needs_shared

from toolkit import analysis, annotate, read_table
from toolkit.article import Article
from toolkit.stories import STORY_COLUMNS, shingles, story_groups
from toolkit.tables import articles_frame

# A made-up wire story, and a different made-up story on the same topic (same people, places,
# vocabulary), so that only the telling differs.
WIRE = [
    "MINSK - Belarus and China signed a package of trade agreements on Tuesday that officials "
    "said would double the value of goods crossing between the two countries within five years.",
    "The deals cover potash, timber and dairy exports, and a new freight terminal near the "
    "Polish border that Chinese lenders have agreed to finance over the next decade.",
    "Speaking after the ceremony, the Belarusian trade minister said the terminal would open "
    "next spring and employ about two thousand people from the surrounding district.",
    "Critics in the opposition said the loans would leave the country dependent on a single "
    "creditor, and asked parliament to publish the interest rates before any vote.",
    "Chinese officials did not comment on the terms, but said further agreements on "
    "machinery and electric buses were being prepared for a summit later in the year.",
]
OTHER = [
    "Trade between China and Belarus fell for a third month in March, customs figures showed "
    "on Friday, as potash shipments stalled at the ports and timber prices slipped.",
    "Economists in Minsk blamed the slowdown on freight delays at the Polish border, where "
    "lorries waited up to four days, and on weaker demand for dairy goods in Chinese cities.",
    "The Belarusian government said it still expected trade to rise over the year and pointed "
    "to a new terminal financed by Chinese lenders that should ease the queues at the border.",
    "Opposition politicians said the figures showed the limits of relying on one partner and "
    "called for talks with buyers in Asia and the Middle East about potash and machinery.",
]


def _article(article_id: str, paragraphs: list[str], **fields) -> Article:
    return Article.build(article_id=article_id, path=f"{article_id}.txt", paragraphs=paragraphs,
                         **fields)


def _groups(articles: list[Article]) -> dict[str, tuple[str, str]]:
    table = story_groups(articles)
    return {row.article_id: (row.story_id, row.copy_of) for row in table.itertuples()}


def test_a_trimmed_copy_with_a_new_headline_groups_with_its_original():
    original = _article("wire", WIRE, title="Belarus and China sign trade deals",
                        outlet="Wire", published="2023-03-07")
    copy = _article("paper", WIRE[:3], title="Minsk bets on Beijing", outlet="The Paper",
                    published="2023-03-08")
    assert _groups([original, copy]) == {"paper": ("paper", "wire"), "wire": ("paper", "")}


def test_an_inserted_paragraph_a_dateline_and_another_outlet_still_group():
    edited = ["By A. Writer", "MINSK, March 7 (Reuters) - " + WIRE[0][len("MINSK - "):],
              *WIRE[1:3], "Related: what the new freight terminal means for farmers.", *WIRE[3:]]
    groups = _groups([_article("a", WIRE), _article("b", edited, outlet="Reuters")])
    assert groups["b"] == ("a", "a")


def test_two_different_stories_on_the_same_topic_do_not_group():
    groups = _groups([_article("a", WIRE), _article("b", OTHER)])
    assert groups == {"a": ("a", ""), "b": ("b", "")}


def test_a_rewritten_story_is_not_a_copy():
    """One word in eight changed: what is left shares too few five-word runs."""
    rewritten = [" ".join("new" if i % 8 == 7 else w for i, w in enumerate(p.split()))
                 for p in WIRE]
    assert _groups([_article("a", WIRE), _article("b", rewritten)])["b"] == ("b", "")


def test_ids_are_exact_representative_is_the_earliest_dated_then_smallest_id():
    articles = [
        _article("c", WIRE, published="2023-03-09"),
        _article("b", WIRE[:4], published="2023-03-08"),
        _article("d", WIRE[1:], published=""),  # undated: never the representative
        _article("a", WIRE[:2], published="2023-03-08"),
        _article("z", OTHER, published="2023-01-01"),
    ]
    assert _groups(articles) == {
        "a": ("a", ""), "b": ("a", "a"), "c": ("a", "a"), "d": ("a", "a"), "z": ("z", ""),
    }
    undated = [_article("y", WIRE), _article("x", WIRE[:3])]
    assert _groups(undated) == {"x": ("x", ""), "y": ("x", "x")}


def test_result_does_not_depend_on_input_order():
    articles = [_article("a", WIRE), _article("b", WIRE[:3]), _article("c", OTHER),
                _article("d", OTHER[1:]), _article("e", WIRE[2:])]
    expected = story_groups(articles).sort_values("article_id").reset_index(drop=True)
    for order in itertools.permutations(articles):
        got = story_groups(list(order))
        assert got["article_id"].tolist() == [a.article_id for a in order]  # input order kept
        assert got.sort_values("article_id").reset_index(drop=True).equals(expected)
    assert expected["story_id"].tolist() == ["a", "a", "c", "c", "a"]


def test_empty_one_article_and_empty_body_corpora():
    empty = story_groups([])
    assert empty.columns.tolist() == ["article_id", *STORY_COLUMNS] and empty.empty
    assert _groups([_article("a", WIRE)]) == {"a": ("a", "")}
    assert _groups([_article("a", [""]), _article("b", [""])]) == {"a": ("a", ""),
                                                                   "b": ("b", "")}


def test_short_bodies_group_only_when_equal():
    brief = ["Belarus and China signed trade deals on Tuesday."]
    groups = _groups([_article("a", brief), _article("b", brief), _article("c", WIRE),
                      _article("d", ["Belarus and China signed trade deals."])])
    assert groups == {"a": ("a", ""), "b": ("a", "a"), "c": ("c", ""), "d": ("d", "")}


def test_shingles_ignore_case_punctuation_and_spacing():
    assert (shingles("Belarus, and CHINA signed deals!") ==
            shingles("belarus and china   signed deals")).all()


def test_count_helpers_count_a_story_once_unless_asked():
    arts = pd.DataFrame({"article_id": ["a", "b", "c"], "copy_of": ["", "a", ""]})
    entities = pd.DataFrame({"article_id": ["a", "b", "c"], "sentence_id": [0, 0, 0],
                             "start": [0, 0, 0], "canonical": ["X", "X", "Y"],
                             "kind": ["person"] * 3})
    once = analysis.entity_counts(entities, articles=arts)
    every = analysis.entity_counts(entities, articles=arts, copies=True)
    assert dict(zip(once["canonical"], once["mentions"], strict=True)) == {"X": 1, "Y": 1}
    assert dict(zip(every["canonical"], every["mentions"], strict=True)) == {"X": 2, "Y": 1}
    assert analysis.entity_counts(entities).equals(every)  # no articles: every row counts
    table = analysis.counts_per_article(entities, kinds=["person"], articles=arts)
    assert table.columns.tolist() == ["a", "c", "total"]


@pytest.fixture(scope="module")
def annotated():
    articles = [_article("wire", WIRE, outlet="Wire", published="2023-03-07"),
                _article("paper", WIRE[:3], outlet="The Paper", published="2023-03-08"),
                _article("other", OTHER, outlet="Wire", published="2023-03-31")]
    return articles, annotate(articles, progress=False)


def test_annotate_adds_story_columns_whatever_the_order(annotated):
    articles, corpus = annotated
    table = corpus.articles.set_index("article_id")
    assert table.loc["paper", "story_id"] == "paper" and table.loc["paper", "copy_of"] == "wire"
    assert table.loc["wire", "copy_of"] == "" and table.loc["other", "story_id"] == "other"
    assert articles_frame(reversed(articles)).sort_values("article_id").reset_index(
        drop=True).equals(corpus.articles)


@pytest.mark.parametrize("fmt, partitioned", [("csv", False), ("parquet", False),
                                              ("both", False), ("parquet", True)])
def test_story_columns_survive_every_output_format(annotated, tmp_path, fmt, partitioned):
    _, corpus = annotated
    corpus.save(tmp_path, fmt=fmt, partition_by_article=partitioned)
    back = read_table(tmp_path, "articles")
    for column in STORY_COLUMNS:  # text columns, like the article_id they hold
        assert pd.api.types.is_string_dtype(back[column])
        assert back[column].dtype == corpus.articles[column].dtype == back["article_id"].dtype
        assert back[column].tolist() == corpus.articles[column].tolist()
    assert back["copy_of"].tolist() == ["", "wire", ""]  # sorted ids: other, paper, wire


@needs_shared
def test_precision_and_recall_on_the_built_corpus():
    """Floors on a small corpus built from ../shared/data (benchmarks/story_groups.py)."""
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "story_groups.py"),
                          "--bases", "60", "--json"], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout
    built = json.loads(out)["built"]
    assert built["originals"] >= 80 and built["copies"] >= 300
    assert built["precision"] >= 0.99
    assert built["recall"] >= 0.65
    recall = {kind: r["recall"] for kind, r in built["recall_by_kind"].items()}
    for kind in ("headline", "inserted", "outlet", "dateline", "light"):
        assert recall[kind] >= 0.98, kind
    assert recall["trimmed"] >= 0.85 and recall["combined"] >= 0.85


def test_signature_cache_gives_the_same_groups_and_skips_work(tmp_path, monkeypatch):
    import toolkit.stories as stories

    articles = [_article("a", WIRE), _article("b", WIRE[:3]), _article("c", OTHER),
                _article("d", ["Belarus and China signed trade deals on Tuesday."])]
    expected = story_groups(articles)
    assert story_groups(articles, cache_dir=tmp_path).equals(expected)
    assert (tmp_path / stories.SIGNATURE_FILE).is_file()
    computed = []
    real = stories.shingles
    monkeypatch.setattr(stories, "shingles", lambda text: computed.append(text) or real(text))
    assert story_groups(articles, cache_dir=tmp_path).equals(expected)
    # cached: only the short body and the candidate pair (a, b) are shingled again, not c
    assert sorted(computed) == sorted([articles[0].text, articles[1].text, articles[3].text])


def test_a_damaged_signature_cache_is_recomputed(tmp_path, caplog):
    import toolkit.stories as stories

    articles = [_article("a", WIRE), _article("b", WIRE[:3])]
    (tmp_path / stories.SIGNATURE_FILE).write_bytes(b"not a numpy file")
    assert _groups(articles) == {"a": ("a", ""), "b": ("a", "a")}
    assert story_groups(articles, cache_dir=tmp_path).equals(story_groups(articles))
    assert "unreadable" in caplog.text
    assert stories._load_signatures(tmp_path)  # rewritten, readable again
