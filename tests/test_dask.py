"""The dask engine gives the same tables as the local engine (a real LocalCluster on loopback)."""

from __future__ import annotations

import pandas as pd
import pytest
from _corpus import synthetic_articles

from toolkit import annotate

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=":0") as c:
        yield c


def test_dask_engine_tables_equal_local(cluster, seed_article, tmp_path, monkeypatch):
    import importlib

    articles = [seed_article, *synthetic_articles()]
    local = annotate(articles, progress=False)
    # chunks of 2 articles, so both workers get some
    monkeypatch.setattr(importlib.import_module("toolkit.annotate"), "CHUNK_ARTICLES", 2)
    remote = annotate(list(reversed(articles)), engine="dask", scheduler=cluster.scheduler_address,
                      progress=False, cache_dir=tmp_path)
    assert local.tables().keys() == remote.tables().keys()
    for name in local.tables():
        pd.testing.assert_frame_equal(local.tables()[name], remote.tables()[name],
                                      check_exact=True)
    assert len(remote.entities) > 100 and remote.problems.empty
    # and the cache it filled serves the local engine
    again = annotate(articles, progress=False, cache_dir=tmp_path)
    pd.testing.assert_frame_equal(again.quotes, local.quotes)


def test_workers_of_another_version_are_refused(cluster, monkeypatch):
    import importlib

    from toolkit.errors import ToolkitError

    mod = importlib.import_module("toolkit.annotate")
    monkeypatch.setattr(mod, "pipeline_fingerprint", lambda: "not-the-workers-version")
    with pytest.raises(ToolkitError, match="another version"):
        annotate(synthetic_articles()[:1], engine="dask", scheduler=cluster.scheduler_address,
                 progress=False)


# -- Parquet output partitioned by article -------------------------------------------------------

def _odd_id_articles():
    """Two more articles whose ids a naive hive writer or reader gets wrong: a number with a
    leading zero ("007" read back as 7) and a path-like id ("/" would nest folders, "=" confuses
    the key=value names; percent-encoded, "syn%2F..." sorts before "syn-00" on disk although
    "syn/..." sorts after it, so the reader must sort)."""
    from _corpus import PARAGRAPHS

    from toolkit import Article

    return [Article.build(article_id=aid, path=f"odd-{i}.txt", title="Odd id", paragraphs=paras,
                          published="2023-03-01")
            for i, (aid, paras) in enumerate([("007", PARAGRAPHS[1]),
                                              ("syn/2023?v=1", PARAGRAPHS[3])])]


@pytest.fixture(scope="module")
def corpora(cluster, seed_article):
    """The same articles annotated by the local engine and by the dask engine, with stance."""
    from toolkit.stance import stance

    articles = [seed_article, *synthetic_articles(), *_odd_id_articles()]
    local = annotate(articles, progress=False)
    remote = annotate(articles, engine="dask", scheduler=cluster.scheduler_address,
                      progress=False)
    for corpus in (local, remote):
        corpus.stance = stance(corpus, "china_mediation")
    return local, remote


def _leftovers(folder):
    """Return every staging folder or temporary file anywhere under ``folder``."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if ".partial-" in p.name or p.name.endswith(".tmp"))


def _partitions(dataset):
    return sorted(p.name for p in dataset.iterdir() if p.is_dir())


def _hive_name(article_id):
    from toolkit.io import partition_name

    return "article=" + partition_name(article_id)


def test_dask_writes_one_parquet_folder_per_article_equal_to_local_tables(corpora, cluster,
                                                                           tmp_path):
    from toolkit import read_table

    local, remote = corpora
    out = tmp_path / "out"
    written = remote.save(out, fmt="parquet", partition_by_article=True,
                          scheduler=cluster.scheduler_address)
    assert sorted(p.name for p in written) == sorted(local.tables())
    assert not list(out.glob("*.parquet")) and not list(out.glob("*.csv"))
    for name, table in local.tables().items():
        dataset = out / name
        # one folder per article that has rows in this table, each holding one file
        assert _partitions(dataset) == sorted(_hive_name(a) for a in table["article_id"].unique())
        for part in dataset.iterdir():
            if part.is_dir():
                assert [f.name for f in part.iterdir()] == ["part-0.parquet"]
        back = read_table(out, name)
        pd.testing.assert_frame_equal(back, table, check_exact=True, obj=name)
    assert len(local.entities) > 100 and local.entities["article_id"].nunique() == 7
    assert {"007", "syn/2023?v=1"} <= set(read_table(out, "quotes")["article_id"])
    assert read_table(out, "problems").empty and list(read_table(out, "problems").columns) == [
        "article_id", "stage", "error"]
    assert _leftovers(out) == []


def test_workers_and_local_writer_give_the_same_files(corpora, cluster, tmp_path):
    local, remote = corpora
    remote.save(tmp_path / "dask", fmt="parquet", partition_by_article=True,
                scheduler=cluster.scheduler_address)
    local.save(tmp_path / "local", fmt="parquet", partition_by_article=True)

    def files(root):
        return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}

    by_dask, by_local = files(tmp_path / "dask"), files(tmp_path / "local")
    assert len(by_dask) > 30 and by_dask.keys() == by_local.keys()
    assert by_dask == by_local


def test_rerun_with_fewer_articles_replaces_the_dataset(corpora, cluster, tmp_path):
    from toolkit import read_table

    local, _ = corpora
    out = tmp_path / "out"
    local.save(out, fmt="parquet")  # an earlier run in the single-file layout
    assert (out / "entities.parquet").is_file()
    annotate_remote = {"scheduler": cluster.scheduler_address}
    local.save(out, fmt="both", partition_by_article=True, **annotate_remote)
    assert not (out / "entities.parquet").exists()  # one version of each table, not two
    assert len(_partitions(out / "entities")) == 7

    fewer = annotate(synthetic_articles()[:2], progress=False)
    fewer.save(out, fmt="both", partition_by_article=True, **annotate_remote)
    assert _partitions(out / "entities") == [_hive_name("syn-00"), _hive_name("syn-01")]
    for name, table in fewer.tables().items():
        pd.testing.assert_frame_equal(read_table(out, name), table, check_exact=True, obj=name)
        assert len(pd.read_csv(out / f"{name}.csv", keep_default_na=False)) == len(table)
    assert _leftovers(out) == []
    # and back to single files: the datasets go
    fewer.save(out, fmt="parquet")
    assert not (out / "entities").exists() and (out / "entities.parquet").is_file()
    pd.testing.assert_frame_equal(read_table(out, "amounts"), fewer.amounts, check_exact=True)


def test_pandas_reads_the_dataset_folder(corpora, tmp_path):
    local, _ = corpora
    local.save(tmp_path, fmt="parquet", partition_by_article=True)
    back = pd.read_parquet(tmp_path / "sentences")
    assert len(back) == len(local.sentences)
    assert set(back["article_id"].astype(str)) == set(local.sentences["article_id"])


def test_a_failing_write_keeps_the_previous_dataset_and_leaves_nothing(tmp_path):
    from toolkit import io as tio
    from toolkit import read_table

    old = pd.DataFrame({"article_id": ["a", "b"], "n": [1, 2]})
    tio.write_datasets({tmp_path / "t": old, tmp_path / "u": old})

    def second_table_fails(df, folder, schema):  # "t" is staged whole, "u" half
        tio.write_partitions(df.iloc[:1], folder, schema=schema)
        if folder.name.startswith(".u."):
            raise OSError("disk full")

    new = pd.DataFrame({"article_id": ["c", "d"], "n": [3, 4]})
    with pytest.raises(OSError, match="disk full"):
        tio.write_datasets({tmp_path / "t": new, tmp_path / "u": new}, write=second_table_fails)
    for name in ("t", "u"):
        pd.testing.assert_frame_equal(read_table(tmp_path, name), old)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t", "u"]


def test_staging_folders_of_dead_writers_are_swept_live_ones_kept(tmp_path):
    import os
    import subprocess
    import sys

    from toolkit import io as tio

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    stale = tmp_path / f".t.partial-{dead}-ab12"
    live = tmp_path / f".t.partial-{os.getpid()}-cd34"
    other = tmp_path / f".u.partial-{dead}-ef56"
    for folder in (stale, live, other):
        (folder / "article_id=x").mkdir(parents=True)
        (folder / "article_id=x" / "part-0.parquet").write_bytes(b"PAR1 half")
    tio.write_datasets({tmp_path / "t": pd.DataFrame({"article_id": ["x"], "n": [1]})})
    assert not stale.exists() and live.exists() and other.exists()


def test_cli_dask_engine_partitions_parquet_by_default(cluster, tmp_path):
    from conftest import SEED

    from toolkit import read_table
    from toolkit.cli import main

    common = [str(SEED), "--format", "parquet", "--no-cache", "--quiet", "--codebook", ""]
    assert main(["annotate", *common, "--out", str(tmp_path / "d"), "--engine", "dask",
                 "--scheduler", cluster.scheduler_address]) == 0
    assert main(["annotate", *common, "--out", str(tmp_path / "l")]) == 0
    assert _partitions(tmp_path / "d" / "quotes") == [_hive_name("000_a1bbb6199e38b69c")]
    assert (tmp_path / "l" / "quotes.parquet").is_file()
    assert not (tmp_path / "l" / "quotes").exists()
    pd.testing.assert_frame_equal(read_table(tmp_path / "d", "quotes"),
                                  read_table(tmp_path / "l", "quotes"), check_exact=True)
