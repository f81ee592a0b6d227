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
processes (one thread each) is started on this machine and closed afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator

from .article import Article
from .errors import ToolkitError


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
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise ToolkitError(
            "the dask engine needs dask.distributed: run `pip install 'dask[distributed]'` "
            "(on the client and on every worker machine), or use --engine local"
        ) from None
    from .annotate import annotate_chunk, pipeline_fingerprint

    if not chunks:
        return
    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                               dashboard_address=":0")
        client = Client(cluster)
    try:
        ours = pipeline_fingerprint()
        theirs = client.run(_worker_fingerprint)
        if not theirs:
            raise ToolkitError(f"the dask scheduler {scheduler} has no workers: start some with "
                               f"`dask worker {scheduler}`")
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
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
