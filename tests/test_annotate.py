"""Orchestration of the annotation: the fast POS component, determinism, isolation, records only."""

from __future__ import annotations

import bisect
import importlib
import importlib.util
import pickle

import pandas as pd
import pytest
from _corpus import synthetic_articles

from toolkit import annotate
from toolkit.annotate import LAYERS, annotate_chunk


@pytest.fixture(scope="module")
def articles(seed_article):
    return [seed_article, *synthetic_articles()]


@pytest.fixture(scope="module")
def corpus_one(articles):
    return annotate(articles, workers=1, progress=False)


def _assert_same(a, b) -> None:
    assert a.tables().keys() == b.tables().keys()
    for name in a.tables():
        pd.testing.assert_frame_equal(a.tables()[name], b.tables()[name], check_exact=True)


def test_rule_pos_gives_the_attribute_rulers_tags(articles):
    """toolkit_pos replaces the model's attribute_ruler; pos_, tag_ and dep_ must not change."""
    import spacy

    from toolkit.nlp import MODEL_NAMES, load_model

    fast = load_model()
    assert "attribute_ruler" not in fast.pipe_names and "toolkit_pos" in fast.pipe_names
    name = next(m for m in MODEL_NAMES if importlib.util.find_spec(m))
    ref = spacy.load(name, exclude=["lemmatizer", "ner"])
    texts = [p for a in articles for p in a.paragraphs] + [
        "There is  a \t tab and there are two  spaces.",  # expl + be, whitespace tokens
        "But he did not do it, and she had had enough; nothing but that matters.",
        "I'd have gone if you'd asked. Those who can, do.",
    ]
    n = 0
    for got, want in zip(fast.pipe(texts), ref.pipe(texts), strict=True):
        assert [(t.pos_, t.tag_, t.dep_) for t in got] == [(t.pos_, t.tag_, t.dep_) for t in want]
        n += len(got)
    assert n > 1000


def test_model_runs_on_numpy_blas_one_thread_without_touching_the_process_default():
    """load_model builds the model on numpy's BLAS; parse holds BLAS to one thread (tags and deps
    equal to the default ops' are checked above, on the reference pipeline built with BLIS)."""
    from thinc.api import get_current_ops
    from threadpoolctl import threadpool_info

    from toolkit.nlp import blas_one_thread, load_model

    models = [proc.model for _, proc in load_model().pipeline if hasattr(proc, "model")]
    assert models and all(m.ops.use_blis is False for m in models)
    assert getattr(get_current_ops(), "use_blis", True) is True  # thinc's default left alone
    with blas_one_thread():
        # numpy's BLAS, the one spaCy's numpy ops call (scipy's, loaded later by textblob's
        # imports, is not spaCy's and depends on test order)
        blas = [lib for lib in threadpool_info()
                if lib["user_api"] == "blas" and "numpy" in lib["filepath"]]
        assert blas and all(lib["num_threads"] == 1 for lib in blas)


def test_same_tables_whatever_workers_and_input_order(articles, corpus_one, monkeypatch):
    # chunks of 2 articles: three chunks over two processes, batched differently from corpus_one
    monkeypatch.setattr(importlib.import_module("toolkit.annotate"), "CHUNK_ARTICLES", 2)
    two = annotate(list(reversed(articles)), workers=2, progress=False)
    _assert_same(corpus_one, two)
    assert list(corpus_one.articles["article_id"]) == sorted(a.article_id for a in articles)
    for name in LAYERS:
        ids = list(getattr(corpus_one, name)["article_id"])
        assert ids == sorted(ids), name


def test_every_layer_has_rows_and_offsets_hold(articles, corpus_one):
    texts = {a.article_id: a.text for a in articles}
    for name in LAYERS:
        table = getattr(corpus_one, name)
        assert len(table) > 0, name
        for row in table.itertuples():
            assert texts[row.article_id][row.start:row.end] == row.text, (name, row)
    assert set(corpus_one.amounts["value"]) >= {45e9, 190e9}
    assert "Maria Lopez" in set(corpus_one.quotes["speaker"])
    assert corpus_one.problems.empty


def test_chunk_results_are_plain_records(articles):
    """Workers send back tables of str/int/float only: never a spaCy Doc, Span or Token."""
    result = annotate_chunk(articles[1:3])
    assert result.n_articles == 2 and not result.problems
    for name, frame in result.frames.items():
        for value in frame.to_numpy().ravel():
            assert value is None or value is pd.NA or type(value) in (str, int, float), \
                (name, value)
    assert len(pickle.dumps(result)) < 200_000


def test_one_failing_article_is_reported_not_fatal(articles, corpus_one, monkeypatch):
    mod = importlib.import_module("toolkit.annotate")  # the package re-binds `annotate`

    real = mod.annotate_parsed

    def flaky(parsed):
        if parsed.article.article_id == "syn-01":
            raise RuntimeError("boom")
        return real(parsed)

    monkeypatch.setattr(mod, "annotate_parsed", flaky)
    corpus = annotate(articles, progress=False)
    assert corpus.problems.values.tolist() == [["syn-01", "annotate", "RuntimeError('boom')"]]
    assert "syn-01" not in set(corpus.sentences["article_id"])
    others = corpus_one.sentences[corpus_one.sentences["article_id"] != "syn-01"]
    pd.testing.assert_frame_equal(corpus.sentences, others.reset_index(drop=True))


def test_unknown_engine_is_refused(articles):
    with pytest.raises(ValueError, match="engine"):
        annotate(articles[:1], engine="spark", progress=False)


def test_short_forms_an_article_never_introduced_resolve_across_the_corpus():
    import pandas as pd

    from toolkit.annotate import resolve_across_articles

    entities = pd.DataFrame({
        "article_id": ["a", "b", "b", "c"], "kind": ["person"] * 4,
        "canonical": ["Joe Biden", "Biden", "Li", "Li"],
        "how": ["model", "model", "ambiguous", "model"],
    })
    quotes = pd.DataFrame({"speaker": ["Biden", "", "Li"]})
    entities, quotes = resolve_across_articles(entities, quotes)
    assert entities["canonical"].tolist() == ["Joe Biden", "Joe Biden", "Li", "Li"]
    assert entities["how"].tolist()[1] == "corpus short-form"
    assert quotes["speaker"].tolist() == ["Joe Biden", "", "Li"]


@pytest.mark.parametrize("command", ["annotate", "stance-sheet"])
def test_a_bad_codebook_is_reported_before_any_article_is_read(tmp_path, capsys, command):
    from conftest import SEED

    from toolkit.cli import main

    out = tmp_path / ("out" if command == "annotate" else "sheet.csv")
    assert main([command, str(SEED), "--out", str(out), "--codebook", "no_such", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "no_such.toml: no such codebook (shipped: china_mediation" in err
    assert "loaded" not in err  # reported before the articles were read, let alone annotated
    assert not out.exists()


def test_the_main_job_checks_its_codebook_first(tmp_path):
    from toolkit import CodebookError
    from toolkit.run import run

    said = []
    with pytest.raises(CodebookError, match="no such codebook"):
        run(out_dir=tmp_path / "run", codebook="no_such", say=said.append)
    assert said == [] and not (tmp_path / "run").exists()


# -- articles over WINDOW_CHARS: annotated window by window (issue 17, item 3) -----------------

def _long_article(seed_article, paragraphs):
    from toolkit import Article

    return Article.build(article_id="long", path="long.txt", title=seed_article.title,
                         published=seed_article.published, paragraphs=paragraphs)


def test_windows_of_whole_copies_give_the_whole_articles_tables(seed_article, monkeypatch):
    """Three copies of the seed as one article, in windows of exactly one copy: every table,
    every column, is what the whole article gives (offsets, sentence and quote ids moved)."""
    import toolkit.nlp
    from toolkit.nlp import windows

    article = _long_article(seed_article, seed_article.paragraphs * 3)
    whole = annotate([article], progress=False)
    monkeypatch.setattr(toolkit.nlp, "WINDOW_CHARS", len(seed_article.text))
    copy = len(seed_article.text) + 2  # a copy and the blank line after it
    assert [w.start for w in windows(article)] == [0, copy, 2 * copy]
    windowed = annotate([article], progress=False)
    for name in ("sentences", "entities", "quotes", "amounts"):
        assert len(whole.tables()[name]) >= 3, name
        pd.testing.assert_frame_equal(windowed.tables()[name], whole.tables()[name],
                                      check_exact=True)


def test_windows_cut_inside_a_paragraph_keep_every_offset_and_id_exact(seed_article, monkeypatch):
    """Windows of 5,000 characters, several inside a 21,000-character paragraph of lines:
    sentences and amounts are the whole article's, quotes sit where they do in it, and every
    offset and id points at what it names in the whole article."""
    import toolkit.nlp
    from toolkit.nlp import windows

    paragraphs = list(seed_article.paragraphs)
    article = _long_article(seed_article, [*paragraphs, "\n".join(paragraphs * 3), *paragraphs])
    text = article.text
    whole = annotate([article], progress=False)
    monkeypatch.setattr(toolkit.nlp, "WINDOW_CHARS", 5_000)
    cuts = list(windows(article))
    assert len(cuts) >= 6 and sum(w.paragraph == len(paragraphs) for w in cuts) >= 3
    got = annotate([article], progress=False)

    pd.testing.assert_frame_equal(got.sentences, whole.sentences, check_exact=True)
    pd.testing.assert_frame_equal(got.amounts, whole.amounts, check_exact=True)
    where = ["quote_id", "start", "end", "text", "sentence_id", "part_of"]
    pd.testing.assert_frame_equal(got.quotes[where], whole.quotes[where], check_exact=True)
    # a mention read without the windows before it may go unresolved, never moved
    at = ["sentence_id", "start", "end", "text"]
    assert set(got.entities[at].itertuples(index=False)) <= \
        set(whole.entities[at].itertuples(index=False))
    assert len(got.entities) > 0.95 * len(whole.entities)

    sentences = got.sentences
    assert sentences["sentence_id"].tolist() == list(range(len(sentences)))
    paragraph_at = [bisect.bisect_right(article.paragraph_offsets(), s) - 1
                    for s in sentences["start"]]
    assert sentences["paragraph"].tolist() == paragraph_at
    bounds = zip(sentences["start"], sentences["end"], strict=True)
    spans = dict(zip(sentences["sentence_id"], bounds, strict=True))
    for name in ("sentences", "entities", "quotes", "amounts"):
        table = got.tables()[name]
        assert [text[s:e] for s, e in zip(table["start"], table["end"], strict=True)] == \
            table["text"].tolist(), name
        for sid, start in zip(table["sentence_id"], table["start"], strict=True):
            assert spans[sid][0] <= start < spans[sid][1], (name, sid, start)
    quotes = got.quotes
    assert quotes["quote_id"].tolist() == list(range(len(quotes)))
    said = quotes[quotes["speaker_start"] >= 0]
    assert len(said) > 10
    assert [text[s:e] for s, e in zip(said["speaker_start"], said["speaker_end"],
                                                   strict=True)] == \
        said["speaker_mention"].tolist()
    for row in quotes[quotes["part_of"] >= 0].itertuples():
        holder = quotes.iloc[row.part_of]
        assert holder.start <= row.start and row.end <= holder.end


def test_a_windows_parse_is_freed_before_the_next_window_is_read(seed_article, monkeypatch):
    """What bounds the memory: when annotate_chunk asks for the next window, it holds no earlier
    window's parse (their Docs are then held only by spaCy's batch, at most 256 pieces)."""
    import weakref

    import toolkit.nlp

    module = importlib.import_module("toolkit.annotate")  # the package exports the function
    article = _long_article(seed_article, seed_article.paragraphs * 4)
    monkeypatch.setattr(toolkit.nlp, "WINDOW_CHARS", 3_000)
    real_parse = module.parse
    seen: list[weakref.ref] = []
    alive: list[int] = []

    def watched(articles):
        stream = real_parse(articles)
        while True:
            alive.append(sum(ref() is not None for ref in seen))
            one = [next(stream, None)]  # yielded from a list: this frame keeps no reference
            if one[0] is None:
                return
            seen.append(weakref.ref(one[0]))
            yield one.pop()

    monkeypatch.setattr(module, "parse", watched)
    result = annotate_chunk([article])
    assert len(seen) >= 10 and len(result.frames["sentences"]) == 4 * 40
    assert alive == [0] * len(alive)
