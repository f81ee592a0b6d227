"""Atomic writing of output files: a run killed at any point leaves the previous file intact."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Literal

import pandas as pd

TableFormat = Literal["csv", "parquet", "both"]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` only if the block succeeds.

    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text(), sorted(p.name for p in target.parent.iterdir())
    ('done', ['out.txt'])
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(path: str | os.PathLike, write: Callable[[IO[bytes]], object]) -> Path:
    """Write ``path`` through ``write(binary_file)`` atomically; return the path."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        write(fh)
    return Path(path)


def write_csv(df: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write ``df`` as UTF-8 CSV with Unix line endings, atomically; return the path."""
    data = df.to_csv(index=False, lineterminator="\n").encode("utf-8")
    return write_atomic(path, lambda fh: fh.write(data))


def write_table(df: pd.DataFrame, out_dir: str | os.PathLike, name: str,
                *, fmt: TableFormat = "csv") -> list[Path]:
    """Write table ``name`` into ``out_dir`` as CSV and/or Parquet; return the files written."""
    out_dir = Path(out_dir)
    written = []
    if fmt in ("csv", "both"):
        written.append(write_csv(df, out_dir / f"{name}.csv"))
    if fmt in ("parquet", "both"):
        with atomic_path(out_dir / f"{name}.parquet") as tmp:
            df.to_parquet(tmp, index=False)
        written.append(out_dir / f"{name}.parquet")
    return written
