"""The dask.distributed engine: the same annotation as the local engine, on a cluster.

``annotate(articles, engine="dask", scheduler="tcp://HOST:8786")`` cuts the articles (sorted by
id) into the same chunks as the local engine and sends each chunk to a worker, which runs
``toolkit.annotate.annotate_chunk``: parse with spaCy, run every layer, return pandas tables of
records (never Docs). Each worker process loads the spaCy model once (``toolkit.nlp.load_model``
is cached per process) and keeps it for every chunk it gets. The client gathers the tables and
builds the Corpus exactly as the local engine does, so the tables are identical.

Every worker must have the same ``toolkit`` installed (and the model): the client checks that
each worker's pipeline fingerprint equals its own before sending work, and stops with an error
naming the workers that differ. Without a scheduler address a ``LocalCluster`` of ``workers``
processes (one thread each) is started on this machine and closed afterwards; ``cluster_address``
keeps one open across annotating and saving (as ``toolkit annotate --engine dask`` does).

``Corpus.save(..., partition_by_article=True, scheduler=ADDRESS)`` writes each table as a Parquet
dataset partitioned by article on the cluster (``write_datasets_on_cluster``): the client
resolves names across the whole corpus first, so it holds the final tables; it cuts each into
slices of whole articles, and every worker writes its slices into the table's staging folder with
``toolkit.io.write_partitions``, the same writer the local engine uses, so the files are the same
whichever engine wrote them. The client renames the folders into place once all slices are
written.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

import pandas as pd

from .article import Article
from .errors import ToolkitError

# Slices of articles per worker when a table is written: a few each, so a slow worker does not
# hold the others up, few enough that each file write is worth a task.
SLICES_PER_WORKER = 4


def _distributed():
    try:
        import distributed
    except ImportError:
        raise ToolkitError(
            "the dask engine needs dask.distributed: run `pip install 'dask[distributed]'` "
            "(on the client and on every worker machine), or use --engine local"
        ) from None
    return distributed


@contextlib.contextmanager
def cluster_address(scheduler: str | None, *, workers: int = 2) -> Iterator[str]:
    """Yield a scheduler address: ``scheduler`` itself, or that of a ``LocalCluster`` of
    ``workers`` processes (one thread each) that is closed when the block ends."""
    if scheduler:
        yield scheduler
        return
    distributed = _distributed()
    with distributed.LocalCluster(n_workers=max(1, workers), threads_per_worker=1,
                                  processes=True, dashboard_address=":0") as cluster:
        yield cluster.scheduler_address


def _worker_fingerprint() -> str:
    """Return this worker's pipeline fingerprint (loading its one spaCy model on the way)."""
    from .annotate import pipeline_fingerprint
    from .nlp import load_model

    load_model()
    return pipeline_fingerprint()


def run_chunks(
    chunks: list[list[Article]], *, scheduler: str | None = None, workers: int = 2
) -> Iterator:  # Iterator[toolkit.annotate.ChunkResult]
    """Yield the result of annotating each chunk of articles on a dask.distributed cluster."""
    _distributed()
    from distributed import Client, as_completed

    from .annotate import annotate_chunk, pipeline_fingerprint

    if not chunks:
        return
    with cluster_address(scheduler, workers=workers) as address, Client(address) as client:
        ours = pipeline_fingerprint()
        theirs = client.run(_worker_fingerprint)
        if not theirs:
            raise ToolkitError(f"the dask scheduler {address} has no workers: start some with "
                               f"`dask worker {address}`")
        differ = sorted(w for w, fp in theirs.items() if fp != ours)
        if differ:
            raise ToolkitError(
                f"dask workers {', '.join(differ)} run another version of the toolkit, the "
                "model or its data (pipeline fingerprint differs from this machine's): install "
                "the same toolkit version there, then try again"
            )
        futures = client.map(annotate_chunk, chunks, pure=False)
        for future in as_completed(futures):
            result = future.result()
            future.release()  # results stream: the cluster keeps no finished chunk
            yield result


def write_datasets_on_cluster(
    tables: Mapping[str | os.PathLike, pd.DataFrame], *, scheduler: str
) -> list[Path]:
    """Write each table as a Parquet dataset partitioned by article, by the cluster's workers;
    return the dataset folders (staged and renamed into place as ``toolkit.io.write_datasets``).

    Every path must be one the client and every worker can write: on a multi-machine cluster a
    shared file system mounted at the same place on every machine.
    """
    _distributed()
    from distributed import Client

    from .io import write_datasets, write_partitions

    with Client(scheduler) as client:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})))

        def write(df: pd.DataFrame, folder: Path, schema) -> None:
            slices = article_slices(df, SLICES_PER_WORKER * n_workers)
            futures = client.map(write_partitions, slices, folder=str(folder), schema=schema,
                                 pure=False)
            client.gather(futures)  # raises the first worker error: nothing is renamed in

        return write_datasets(tables, write=write)


def article_slices(df: pd.DataFrame, n: int) -> list[pd.DataFrame]:
    """Return ``df`` cut into at most ``n`` slices of consecutive rows that never split an
    article (so no two slices write into the same article's folder).

    >>> df = pd.DataFrame({"article_id": ["a", "a", "b", "c", "c"], "x": range(5)})
    >>> [s["article_id"].tolist() for s in article_slices(df, 2)]
    [['a', 'a', 'b'], ['c', 'c']]
    """
    codes, ids = pd.factorize(df["article_id"])
    n = max(1, min(n, len(ids)))
    which = codes * n // max(1, len(ids))
    return [part for _, part in df.groupby(which, sort=True)]
