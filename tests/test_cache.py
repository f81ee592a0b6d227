"""The incremental cache: only new or changed articles are annotated; a corrupt cache is detected,
reported and rebuilt, never trusted."""

from __future__ import annotations

import dataclasses
import importlib
import json

import pandas as pd
import pytest
from _corpus import synthetic_articles

from toolkit import annotate
from toolkit.cache import CacheWarning

mod = importlib.import_module("toolkit.annotate")  # the package re-binds the name `annotate`


@pytest.fixture
def counted(monkeypatch):
    """Record the ids of the articles actually sent to spaCy."""
    seen: list[str] = []
    real = mod.annotate_chunk

    def counting(chunk):
        seen.extend(a.article_id for a in chunk)
        return real(chunk)

    monkeypatch.setattr(mod, "annotate_chunk", counting)
    return seen


@pytest.fixture(scope="module")
def articles():
    return synthetic_articles()


@pytest.fixture(scope="module")
def fresh(articles):
    return annotate(articles, progress=False)


def _assert_same(a, b) -> None:
    for name in a.tables():
        pd.testing.assert_frame_equal(a.tables()[name], b.tables()[name], check_exact=True)


def test_only_the_new_article_is_annotated(tmp_path, articles, fresh, counted):
    first = annotate(articles[:3], progress=False, cache_dir=tmp_path)
    assert sorted(counted) == ["syn-00", "syn-01", "syn-02"]
    counted.clear()
    second = annotate(articles, progress=False, cache_dir=tmp_path)
    assert counted == ["syn-03"]
    _assert_same(second, fresh)
    counted.clear()
    third = annotate(list(reversed(articles)), progress=False, cache_dir=tmp_path)
    assert counted == []
    _assert_same(third, fresh)
    assert len(first.sentences) < len(third.sentences)


def test_changed_text_is_annotated_again_and_a_renamed_article_is_not(tmp_path, articles,
                                                                      counted):
    annotate(articles, progress=False, cache_dir=tmp_path)
    counted.clear()
    edited = dataclasses.replace(articles[1], text=articles[1].text.replace("0.5", "0.75"),
                                 paragraphs=tuple(p.replace("0.5", "0.75")
                                                  for p in articles[1].paragraphs))
    renamed = dataclasses.replace(articles[2], article_id="renamed")
    corpus = annotate([articles[0], edited, renamed], progress=False, cache_dir=tmp_path)
    assert counted == ["syn-01"]
    assert set(corpus.sentences["article_id"]) == {"syn-00", "syn-01", "renamed"}
    syn01 = " ".join(corpus.sentences.loc[corpus.sentences["article_id"] == "syn-01", "text"])
    assert "0.75 percentage points" in syn01 and "0.5 percentage" not in syn01


def test_new_pipeline_version_invalidates_the_cache(tmp_path, articles, counted, monkeypatch):
    annotate(articles[:2], progress=False, cache_dir=tmp_path)
    counted.clear()
    monkeypatch.setattr(mod, "pipeline_fingerprint", lambda: "another-version")
    annotate(articles[:2], progress=False, cache_dir=tmp_path)
    assert sorted(counted) == ["syn-00", "syn-01"]
    manifests = [json.loads(p.read_text()) for p in tmp_path.glob("*.json")]
    assert [m["fingerprint"] for m in manifests] == ["another-version"]  # the stale one pruned


@pytest.mark.parametrize("damage", ["truncate", "flip", "delete", "manifest"])
def test_corrupt_cache_is_reported_and_rebuilt(tmp_path, articles, fresh, counted, damage):
    annotate(articles, progress=False, cache_dir=tmp_path)
    (manifest,) = tmp_path.glob("*.json")
    target = next(tmp_path.glob("*.entities.parquet"))
    if damage == "truncate":
        target.write_bytes(target.read_bytes()[: target.stat().st_size // 2])
    elif damage == "flip":
        data = bytearray(target.read_bytes())
        data[len(data) // 2] ^= 0xFF
        target.write_bytes(bytes(data))
    elif damage == "delete":
        target.unlink()
    else:
        manifest.write_text("{not json")
    counted.clear()
    with pytest.warns(CacheWarning, match="annotated again"):
        rebuilt = annotate(articles, progress=False, cache_dir=tmp_path)
    assert sorted(counted) == [a.article_id for a in articles]
    _assert_same(rebuilt, fresh)
    counted.clear()
    again = annotate(articles, progress=False, cache_dir=tmp_path)  # the rebuilt cache is good
    assert counted == []
    _assert_same(again, fresh)


def test_segments_are_merged_and_stay_correct(tmp_path, articles, fresh, counted, monkeypatch):
    monkeypatch.setattr("toolkit.cache.MAX_SEGMENTS", 2)
    for k in range(1, len(articles) + 1):
        annotate(articles[:k], progress=False, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("*.json"))) <= 2
    counted.clear()
    _assert_same(annotate(articles, progress=False, cache_dir=tmp_path), fresh)
    assert counted == []


def test_codebook_change_reruns_stance_only(tmp_path, articles, counted):
    from toolkit import stance

    cached = annotate(articles, progress=False, cache_dir=tmp_path)
    counted.clear()
    again = annotate(articles, progress=False, cache_dir=tmp_path)
    assert counted == []
    for codebook in ("china_mediation", "western_sanctions"):
        pd.testing.assert_frame_equal(stance(again, codebook), stance(cached, codebook))


# -- any unreadable entry is a miss, never a crash (issue 17, item 9) ----------------------------

def _small_cache(folder):
    from toolkit.cache import KEY_COLUMN, AnnotationCache

    cache = AnnotationCache(folder, fingerprint="f1", layers=("sentences",))
    frames = {"sentences": pd.DataFrame({KEY_COLUMN: ["k1", "k2"], "text": ["One.", "Two."]})}
    return cache, frames


def _break_manifest(how):
    def write(manifest_path):
        manifest_path.write_text(how)
    return write


def _manifest_folder(manifest_path):
    manifest_path.unlink()
    manifest_path.mkdir()  # a folder named <segment>.json
    (manifest_path / "x").write_text("{}")


BROKEN_MANIFESTS = {
    "nested": _break_manifest("[" * 100_000 + "]" * 100_000),
    "a list": _break_manifest('["fingerprint", "sha256"]'),
    "list sha256": _break_manifest('{"fingerprint": "f1", "sha256": ["a", "b"]}'),
    "object sha256 of lists": _break_manifest('{"fingerprint": "f1", "sha256": '
                                              '{"keys": [1], "sentences": {"a": 1}}}'),
    "number fingerprint": _break_manifest('{"fingerprint": 1, "sha256": {}}'),
    "not UTF-8": lambda p: p.write_bytes(b'{"fingerprint": "\xff"}'),
    "a folder": _manifest_folder,
}


@pytest.mark.parametrize("how", sorted(BROKEN_MANIFESTS))
def test_an_unreadable_manifest_is_a_miss_and_rebuilt(how, tmp_path):
    cache, frames = _small_cache(tmp_path / ".cache")
    cache.add(["k1", "k2"], frames)
    (manifest,) = (tmp_path / ".cache").glob("*.json")
    BROKEN_MANIFESTS[how](manifest)
    with pytest.warns(CacheWarning) if how != "a folder" else _no_warning():
        got, found = cache.load({"k1", "k2"})
    assert found == set() and got["sentences"] is None
    cache.add(["k1", "k2"], frames)  # rebuilt
    got, found = cache.load({"k1", "k2"})
    assert found == {"k1", "k2"} and list(got["sentences"]["text"]) == ["One.", "Two."]


def _no_warning():
    import contextlib

    return contextlib.nullcontext()


def test_a_cache_that_is_a_file_is_replaced(tmp_path):
    folder = tmp_path / ".cache"
    folder.write_text("not a folder")
    cache, frames = _small_cache(folder)
    assert cache.load({"k1"}) == ({"sentences": None}, set())
    with pytest.warns(CacheWarning, match="is not a folder"):
        cache.add(["k1", "k2"], frames)
    assert cache.load({"k1"})[1] == {"k1"}
