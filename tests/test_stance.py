"""Tests for toolkit.stance: codebook loading, the coding rules, the corpus table, agreement."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from toolkit.errors import CodebookError
from toolkit.stance import (
    Codebook,
    _frame_sentences,
    apply_human,
    candidate_units,
    code_text,
    cohen_kappa,
    evaluate_stance,
    label_agreement,
    load_codebook,
    score_spans,
    stance,
    stance_agreement,
    stance_by,
    stance_sheet,
)

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "cases" / "stance.csv"
LABELS = ROOT / "seeds" / "labels"
SEED = ROOT / "seeds" / "000_a1bbb6199e38b69c.txt"
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _cases() -> list[dict[str, str]]:
    with CASES.open(encoding="utf-8") as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c["label"])
def test_case_file(case: dict[str, str]) -> None:
    call = code_text(case["text"], context=case["context"])
    got = call.stance if call.relevant else "none"
    assert got == case["expected"], (call.score, call.evidence)


# --- the rules, one by one -------------------------------------------------------------------


def test_negation_flips_and_is_marked_in_evidence() -> None:
    call = code_text("The visit doesn't help China's intention of mediating between the two.")
    assert call.stance == "against"
    assert "NOT help" in call.evidence
    assert call.score < 0


def test_negation_window_is_limited() -> None:
    # the negator is too far from the cue (and across a comma): no flip
    call = code_text(
        "Not one official, after long talks in Beijing, doubted it was a credible mediator."
    )
    assert call.relevant
    # "doubted" reverses "credible"; "Not" is cut off by the comma and does not reach it
    assert call.stance == "against"


def test_double_negation_is_affirmation() -> None:
    text = "Hosting him hardly contradicts the narrative that Beijing endorses Moscow's actions."
    call = code_text(text, context=["China has offered to mediate in the war."])
    assert call.relevant and call.stance == "against"
    assert "affirmed" in call.evidence
    # without the negated denial the denial itself reverses the cue
    flipped = code_text("Officials contradict the narrative that Beijing endorses Moscow, "
                        "a mediator said of China.")
    assert flipped.score > 0


def test_hedges_scale_the_score_down() -> None:
    plain = code_text("China is a neutral mediator.")
    hedged = code_text("China may be a neutral mediator.")
    twice = code_text("China may possibly be a neutral mediator.")
    assert plain.score == 1.0
    assert hedged.score == pytest.approx(0.7)
    assert twice.score == pytest.approx(0.49)
    assert twice.stance == "neutral"  # two hedges push one cue under the threshold


def test_aspiration_scales_favor_only() -> None:
    favor = code_text("China seeks to be seen as a credible mediator.")
    against = code_text("China seeks to exploit its role as mediator.")
    assert favor.score == pytest.approx(0.3)
    assert against.score == -1.0


def test_judging_reverser_looks_back_at_a_favor_cue_only() -> None:
    doubted = code_text("China's neutrality is in doubt.")
    assert doubted.stance == "against" and doubted.evidence == "NOT neutrality (doubt)"
    # after an against cue the doubt adds to it instead of flipping it
    claimed = code_text("China's claimed neutrality has been questioned.")
    assert claimed.score == pytest.approx(-2.0)


def test_main_clause_outweighs_a_concessive_clause() -> None:
    call = code_text(
        "Though the plan did not condemn Russia, Kyiv welcomed China's call for peace talks."
    )
    assert call.score == pytest.approx(0.5)
    # alone, the concessive clause counts in full
    alone = code_text("Though the plan did not condemn Russia, China released it on Friday with "
                      "a call for peace talks.")
    assert alone.score == pytest.approx(-1.0)


def test_relevance_rule_is_reported() -> None:
    assert code_text("China is a credible mediator.").relevance == "actor+topic in unit"
    ctx = ["Hua Chunying, a foreign ministry spokeswoman, called for peace through dialogue."]
    call = code_text("Hua blamed the crisis on NATO.", context=ctx)
    assert call.relevant and call.actors == ("Hua",)
    assert call.relevance == "actor in unit, context about the target"
    assert not code_text("Chinese exports to Russia rose as ceasefire hopes faded.").relevant


def test_topic_owned_by_another_party_is_off_target() -> None:
    # a possessive of another named party owns the topic word after it
    assert not code_text("Xi will meet Putin, Russia's envoy to Beijing told reporters.").relevant
    # the clause names another party (codebook other_actors) and no actor
    assert not code_text("Beijing hosted a summit while India called for a ceasefire.").relevant
    # no party in the topic's clause: the nearest named party owns it
    assert not code_text("Despite its insistence on neutrality, South Africa held drills with "
                         "Russia and China.").relevant
    # the actor's own possessive and clause keep it; a comparison shares the predicate
    assert code_text("Russia's allies welcomed China's envoy to Kyiv.").relevant
    assert code_text("Like China, Belarus wants to act as a mediator.").relevant


def test_coordinated_negators_are_one_negation() -> None:
    call = code_text("China has not and will not profit from the war it wants to mediate.")
    assert call.stance == "favor" and call.evidence == "NOT profit"


def test_narration_of_the_actors_own_praise_is_a_claim() -> None:
    said = code_text("China said it was an impartial and constructive mediator.")
    assert said.relevant and said.stance == "neutral"
    assert "reported claim of said" in said.evidence
    inverted = code_text("Beijing is an impartial mediator, said Wang Wenbin.")
    assert inverted.stance == "neutral"
    # the same words as the speaker's own quote are coded for the speaker (rule 1) ...
    ctx = ["Foreign ministry spokesperson Mao Ning spoke about the war in Ukraine."]
    quote = code_text("We are an impartial and constructive mediator.", context=ctx, unit="quote")
    assert quote.relevant and quote.stance == "favor"
    # ... a third party's judgement is not the actor's claim, and against cues stand
    assert code_text("Analysts said China is a credible mediator.").stance == "favor"
    assert code_text("China said NATO provoked Russia, a war it offers to "
                     "mediate.").stance == "against"


def test_whole_sentence_quote_keeps_the_speaker_named_before() -> None:
    text = ("Spokeswoman Mao Ning said Beijing has an objective position on the war in Ukraine. "
            "\u201cWe have been actively promoting peace talks.\u201d She then took questions.")
    quote = "We have been actively promoting peace talks."
    start = text.index(quote)
    labels = pd.DataFrame([{"article_id": "a", "unit": "quote", "start": start,
                            "end": start + len(quote), "human": "favor"}])
    row = score_spans(labels, {"a": text}).iloc[0]
    # the quote's own sentence adds nothing to it, so the last context sentence names Mao Ning
    assert row["context"].endswith("on the war in Ukraine.")
    assert row["machine"] == "favor"
    assert row["relevance"] == "topic in unit, actor in the sentence before"
    # an own sentence that adds an attribution stays in the context
    said = "\u201cWe have been promoting peace talks,\u201d Mao said."
    assert _frame_sentences("We have been promoting peace talks,", [said]) == [said]
    assert _frame_sentences(quote, ["\u201c" + quote + "\u201d"]) == []


def test_hedge_expectation_and_presentation() -> None:
    # a forecast of how China will present itself is not a judgement of it
    call = code_text("Officials expected Yang to portray China as a neutral partner willing "
                     "to help facilitate talks.")
    assert call.relevant and call.stance == "neutral"


def _acme_codebook(tmp_path: Path, relevance_line: str) -> Codebook:
    """Return a one-actor test codebook (Acme, mergers) with one more [relevance] key."""
    path = tmp_path / "cb.toml"
    path.write_text("[target]\nname='x'\n[relevance]\nactor=['acme']\ntopic=['merger']\n"
                    f"{relevance_line}\n[favor]\n'good'=1\n[against]\n'bad'=1\n",
                    encoding="utf-8")
    return load_codebook(path)


def test_other_actors_key_is_part_of_the_schema(tmp_path: Path) -> None:
    cb = _acme_codebook(tmp_path, "other_actors=['globex']")
    assert code_text("Acme says the merger is good.", codebook=cb).relevant
    assert not code_text("Acme fell while Globex said its merger is good.", codebook=cb).relevant


def test_not_actor_key_is_part_of_the_schema(tmp_path: Path) -> None:
    cb = _acme_codebook(tmp_path, "not_actor=['acme road']")
    # (not "Acme says ...": narration of the actor's own praise is its claim, rule 6)
    assert code_text("Acme's merger is good.", codebook=cb).stance == "favor"
    assert not code_text("On Acme Road the merger is good.", codebook=cb).relevant


def test_about_target_without_cue_is_neutral() -> None:
    call = code_text("China's envoy Li Hui will travel to Kyiv to discuss a ceasefire.")
    assert call.relevant and call.stance == "neutral" and call.evidence == ""


# --- codebooks --------------------------------------------------------------------------------


def test_default_codebook_loads() -> None:
    cb = load_codebook()
    assert cb.name == "china_mediation"
    assert cb.threshold == 0.5 and cb.negation_window == 4
    assert any(p.text == "12-point" for p in cb.topic)


def test_second_codebook_recognises_its_own_target() -> None:
    cb = load_codebook("western_sanctions")
    hit = code_text("Western sanctions have failed to cripple Russia's economy.", codebook=cb)
    assert hit.relevant and hit.stance == "against"
    works = code_text("EU sanctions are biting hard.", codebook=cb)
    assert works.relevant and works.stance == "favor"
    # the China codebook does not see sanctions as its target, and vice versa
    assert not code_text("Western sanctions have failed.").relevant
    assert not code_text("China is a credible mediator.", codebook=cb).relevant


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[target\nname = 'x'", "not valid TOML"),
        ("[target]\nlabel = 'x'\n[relevance]\nactor=['a']\ntopic=['b']\n[favor]\n[against]\n",
         "missing key 'name'"),
        ("[target]\nname='x'\n[relevance]\nactor=['a']\ntopic=['b']\n[favor]\n",
         "[against]: missing table"),
        ("[target]\nname='x'\ncolour='red'\n", "unknown key 'colour'"),
        ("[target]\nname='x'\n[extras]\n", "unknown table"),
        ("[target]\nname='x'\n[relevance]\nactor=['a']\ntopic=['b']\n[favor]\n'good'='high'\n[against]\n",
         "must have a number"),
        ("[target]\nname='x'\n[relevance]\nactor=['a']\ntopic=['b']\nrule='anywhere'\n[favor]\n[against]\n",
         "rule"),
        ("[target]\nname='x'\n[relevance]\nactor=['a']\ntopic=['b']\n[favor]\n[against]\n[hedges]\n'may'=2\n",
         "hedge factor"),
    ],
)
def test_codebook_errors_name_file_and_problem(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(CodebookError) as err:
        load_codebook(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_unknown_codebook_name() -> None:
    with pytest.raises(CodebookError, match="no such codebook"):
        load_codebook("nope_not_here")


# --- the corpus table ---------------------------------------------------------------------------


def _corpus() -> dict[str, pd.DataFrame]:
    text = (
        "China has offered to mediate between Russia and Ukraine. "
        "\u201cThe visit doesn't help China's bid to mediate,\u201d said Li. "
        "\u201cWe like football,\u201d said Wan. "
        "Beijing released a 12-point peace plan, which critics called vague."
    )
    sents, pos = [], 0
    for i, s in enumerate([
        "China has offered to mediate between Russia and Ukraine.",
        "\u201cThe visit doesn't help China's bid to mediate,\u201d said Li.",
        "\u201cWe like football,\u201d said Wan.",
        "Beijing released a 12-point peace plan, which critics called vague.",
    ]):
        start = text.index(s, pos)
        sents.append({"article_id": "a1", "sentence_id": i, "start": start,
                      "end": start + len(s), "text": s, "polarity": 0.0, "subjectivity": 0.0})
        pos = start + len(s)
    quotes = []
    said = [("The visit doesn't help China's bid to mediate,", "Li Mingjiang"),
            ("We like football,", "Wan Qingsong")]
    for qid, (q, who) in enumerate(said):
        start = text.index(q)
        quotes.append({"article_id": "a1", "quote_id": qid, "start": start, "end": start + len(q),
                       "text": q, "kind": "direct", "speaker": who,
                       "speaker_mention": who.split()[0],
                       "speaker_role": "", "cue": "said", "polarity": 0.0, "subjectivity": 0.0,
                       "sentence_id": 1 + qid})
    return {
        "articles": pd.DataFrame([{"article_id": "a1", "title": "T", "outlet": "The Paper",
                                   "published": "2023-02-27"}]),
        "sentences": pd.DataFrame(sents),
        "quotes": pd.DataFrame(quotes),
        "entities": pd.DataFrame(columns=["article_id", "sentence_id", "start", "end", "text",
                                          "label", "kind", "canonical"]),
    }


def test_stance_table_rows_and_columns() -> None:
    df = stance(_corpus(), coder="lexicon")
    assert list(df.columns[:10]) == ["article_id", "unit", "unit_id", "speaker", "target", "stance",
                                     "score", "evidence", "polarity", "text"]
    rows = {(r.unit, r.unit_id): r for r in df.itertuples()}
    # the quote about the target is coded with its speaker and evidence
    li = rows[("quote", 0)]
    assert (li.speaker, li.stance, li.evidence) == ("Li Mingjiang", "against", "NOT help")
    # the quote not about the target gets no row
    assert ("quote", 1) not in rows
    # a sentence that is all quote + "said Li" is not counted again as narration
    assert ("sentence", 1) not in rows and ("sentence", 2) not in rows
    # narration rows speak for the outlet
    assert rows[("sentence", 0)].speaker == "narration: The Paper"
    assert rows[("sentence", 0)].stance == "neutral"
    assert rows[("sentence", 3)].stance == "against"
    assert list(df["unit_id"]) == [0, 0, 3]  # sorted by position in the article


def test_stance_by_speaker_and_outlet() -> None:
    corpus = _corpus()
    df = stance(corpus, coder="lexicon")
    by_outlet = stance_by(df, "outlet", corpus)
    assert set(by_outlet["group"]) == {"The Paper"}
    assert by_outlet["n"].sum() == 3
    assert by_outlet["share"].sum() == pytest.approx(1.0)
    by_speaker = stance_by(df, "speaker")
    li = by_speaker[by_speaker["group"] == "Li Mingjiang"].iloc[0]
    assert (li["stance"], li["n"], li["share"], li["mean_score"]) == ("against", 1, 1.0, -1.0)
    with pytest.raises(ValueError):
        stance_by(df, "outlet")


def test_sheet_roundtrip_agreement_and_human_override(tmp_path: Path) -> None:
    corpus = _corpus()
    df = stance(corpus, coder="lexicon")
    hidden = stance_sheet(df, corpus, frame="machine")
    assert (hidden["machine"] == "").all() and (hidden["human"] == "").all()
    assert "said Li" in hidden.loc[hidden["unit"] == "quote", "context"].iloc[0]
    sheet = stance_sheet(df, corpus, show_machine=True, frame="machine")
    sheet["human"] = ["neutral", "against", "none"]
    path = tmp_path / "sheet.csv"
    sheet.to_csv(path, index=False)
    result = stance_agreement(path)
    assert result["n"] == 3 and result["accuracy"] == pytest.approx(0.6667)
    assert result["confusion"].loc["against", "none"] == 1
    # machine filled from the stance table when the sheet hid it
    again = stance_agreement(hidden.assign(human=["neutral", "against", "none"]), stance_df=df)
    assert again["accuracy"] == result["accuracy"]
    merged = apply_human(df, path)
    assert len(merged) == 2  # "none" drops the row
    assert set(merged["coded_by"]) == {"human"}


def test_kappa_on_a_known_example() -> None:
    # 10 items: observed agreement 0.7; machine 5/5, human 6/4 -> expected 0.5; kappa 0.4
    m = ["a"] * 5 + ["b"] * 5
    h = ["a", "a", "a", "a", "b", "a", "a", "b", "b", "b"]
    assert cohen_kappa(m, h) == pytest.approx(0.4)
    assert cohen_kappa(["x", "y"], ["x", "y"]) == 1.0
    r = stance_agreement(pd.DataFrame({"machine": m, "human": h}))
    assert r["per_class"]["a"] == {"precision": 0.8, "recall": pytest.approx(0.6667), "support": 6}


# --- agreement with the hand coding (pinned floors) --------------------------------------------


def test_seed_agreement_floor() -> None:
    loader = pytest.importorskip("toolkit.loader")
    article = loader.load_articles([str(SEED)])[0]
    labels = pd.read_csv(
        LABELS / "seed_china_mediation.csv", comment="#", dtype={"article_id": str}
    )
    for row in labels.itertuples():  # the labels store the unit text: offsets must still hold
        assert article.text[row.start : row.end] == row.text
    result = label_agreement(labels.drop(columns=["text"]), {article.article_id: article.text})
    assert result["all"]["n"] == 29
    assert result["all"]["cohen_kappa"] >= 0.57  # measured 0.601
    assert result["all"]["accuracy"] >= 0.70  # measured 0.724


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/data not present")
def test_cn_ru_ua_agreement_floors() -> None:
    raw = {}
    with (SHARED / "articles_cn_ru_ua.jsonl").open(encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            raw[record["id"]] = record["text"]
    result = label_agreement(LABELS / "cn_ru_ua_china_mediation.csv", raw)
    assert result["tune"]["n"] == 52 and result["score"]["n"] == 40
    assert result["tune"]["cohen_kappa"] >= 0.85  # measured 0.879 (tuned on this half)
    # score is development data since the fresh holdout file exists (scored by the lead only)
    assert result["score"]["cohen_kappa"] >= 0.58  # measured 0.628


def test_evaluate_stance_reports_each_sheet() -> None:
    pytest.importorskip("toolkit.loader")
    result = evaluate_stance(splits=["tune"])
    assert "score" not in result  # a split left out is not even coded
    assert result["seed"]["n"] == 29 and result["seed"]["cohen_kappa"] >= 0.57
    if SHARED.exists():
        assert result["tune"]["n"] == 52


def test_sheet_frame_lists_units_the_machine_left_out() -> None:
    """The default frame adds every unit that names an actor, so agreement counts misses."""
    corpus = _corpus()
    df = stance(corpus, coder="lexicon")
    machine_only = stance_sheet(df, corpus, frame="machine")
    sheet = stance_sheet(df, corpus, show_machine=True)
    assert set(machine_only["unit_key"]) < set(sheet["unit_key"])
    extra = sheet[~sheet["unit_key"].isin(machine_only["unit_key"])]
    # "We like football" names no actor; the sentence framing it does ("China" two before)
    assert not extra.empty and set(extra["machine"]) == {"none"}
    frame = candidate_units(corpus)
    keys = {f"{r.article_id}:{r.unit}:{r.unit_id}" for r in frame.itertuples()}
    assert set(extra["unit_key"]) <= keys and (frame["stance"] == "").all()
    coded = sheet.assign(human=sheet["machine"].where(sheet["machine"] != "none", "against"))
    result = stance_agreement(coded.drop(columns=["machine"]).assign(machine=""), stance_df=df)
    assert result["n"] == len(sheet)
    assert result["confusion"].loc["none", "against"] == len(extra)  # the misses are counted


def test_sheet_sample_is_seeded_and_in_order() -> None:
    corpus = _corpus()
    df = stance(corpus, coder="lexicon")
    full = stance_sheet(df, corpus)
    one = stance_sheet(df, corpus, sample=2, seed=7)
    assert len(one) == 2 and one.equals(stance_sheet(df, corpus, sample=2, seed=7))
    order = [list(full["unit_key"]).index(k) for k in one["unit_key"]]
    assert order == sorted(order)
    assert len(stance_sheet(df, corpus, sample=99)) == len(full)


def test_sheet_refuses_another_codebook() -> None:
    corpus = _corpus()
    with pytest.raises(ValueError, match="same codebook"):
        stance_sheet(stance(corpus, coder="lexicon"), corpus, codebook="western_sanctions")


def test_a_hashtag_in_a_coded_sheet_keeps_its_label(tmp_path: Path) -> None:
    """Only the comment lines at the top are comments: a "#" in quoted text is data."""
    path = tmp_path / "sheet.csv"
    path.write_text("# coded by hand\nunit_key,text,machine,human\n"
                    "a:sentence:1,China #peace plan praised,favor,favor\n"  # csv leaves it bare
                    "a:sentence:2,plain text,against,neutral\n", encoding="utf-8")
    result = stance_agreement(path)
    assert result["n"] == 2 and result["accuracy"] == pytest.approx(0.5)
