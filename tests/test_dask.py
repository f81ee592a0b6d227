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
