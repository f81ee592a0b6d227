"""Atomic writing of output files: a run killed at any point leaves the previous file intact.

Every file the toolkit writes (tables, figures, executed notebooks, the report, the cache) goes
through this module, so there is one mechanism to trust:

1. the bytes go into an *anonymous* file in the target's folder (Linux ``O_TMPFILE``: it has no
   name, so a run killed while writing leaves nothing behind, not even a temporary file);
2. the file is flushed to disk (``fsync``);
3. it gets a hidden name (``.<name>.<random>.tmp``) and is renamed over the target in one step
   (``os.replace``), then the folder is flushed so the rename itself survives a power cut.

A reader therefore sees either the complete old file or the complete new one, never a mix. The
only moment a hidden name exists is the microsecond between steps 3's link and rename; every
writer removes such leftovers of an earlier killed run (``.<name>.*.tmp``) before writing.
Where ``O_TMPFILE`` is not available (other systems, some file systems) a named temporary file
(``tempfile.mkstemp``) takes its place; a kill can then leave it behind until the next write of
the same file sweeps it.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, Literal

import pandas as pd

__all__ = ["TableFormat", "atomic_path", "staging_dir", "sweep_stale", "write_atomic", "write_csv",
           "write_many", "write_table"]

TableFormat = Literal["csv", "parquet", "both"]
Writer = Callable[[IO[bytes]], object]

_STAGING_PREFIX = "toolkit-atomic-"
# Set to False (tests do) to exercise the mkstemp fallback on a system that has O_TMPFILE.
USE_O_TMPFILE = hasattr(os, "O_TMPFILE")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class _Pending:
    """One output being written: an open file descriptor and, in the fallback, its temp name."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.fd = -1
        self.name: Path | None = None  # set only for the mkstemp fallback
        if USE_O_TMPFILE:
            try:
                self.fd = os.open(target.parent, os.O_TMPFILE | os.O_WRONLY | os.O_CLOEXEC, 0o644)
            except OSError as err:
                # EOPNOTSUPP/EISDIR/EINVAL: kernel or file system without O_TMPFILE support
                if err.errno not in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOENT):
                    raise
        if self.fd < 0:
            self.fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                             dir=target.parent)
            self.name = Path(name)
            os.fchmod(self.fd, 0o666 & ~_umask())  # as an ordinary new file, not mkstemp's 0600

    def file(self) -> IO[bytes]:
        """Return a binary file object on the descriptor (closing it leaves the descriptor open)."""
        return os.fdopen(self.fd, "wb", closefd=False)

    def commit(self) -> None:
        """Flush the bytes to disk and rename the file over its target in one step."""
        os.fsync(self.fd)
        if self.name is not None:
            os.replace(self.name, self.target)
            self.name = None
        else:
            # linkat(AT_SYMLINK_FOLLOW) gives the anonymous file a name; CPython only passes that
            # flag when a dir fd is given (plain link() would try to link the /proc symlink).
            folder = os.open(self.target.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            try:
                for _ in range(5):
                    hidden = f".{self.target.name}.{secrets.token_hex(6)}.tmp"
                    os.link(f"/proc/self/fd/{self.fd}", hidden, dst_dir_fd=folder,
                            follow_symlinks=True)
                    try:
                        os.replace(hidden, self.target.name, src_dir_fd=folder, dst_dir_fd=folder)
                        break
                    except FileNotFoundError:
                        # another writer of the same file swept our link as a stale leftover
                        continue
                else:
                    raise OSError(f"{self.target}: could not rename the new file into place")
            finally:
                os.close(folder)

    def close(self) -> None:
        """Close the descriptor; remove the temporary name if it was never committed."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        if self.name is not None:
            self.name.unlink(missing_ok=True)
            self.name = None


def _fsync_dir(folder: Path) -> None:
    # Makes the renames durable; some file systems refuse to fsync a folder, which is harmless.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def sweep_stale(path: str | os.PathLike) -> list[Path]:
    """Return the leftovers of an earlier killed write of ``path`` after removing them.

    Leftovers are hidden files named ``.<name>.<random>.tmp`` beside ``path``.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / ".t.csv.a1b2.tmp").write_text("half a ta")
    >>> [p.name for p in sweep_stale(folder / "t.csv")], sorted(folder.iterdir())
    (['.t.csv.a1b2.tmp'], [])
    """
    path = Path(path)
    removed = []
    with contextlib.suppress(FileNotFoundError):
        for leftover in path.parent.glob(f".{_glob_escape(path.name)}.*.tmp"):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
                removed.append(leftover)
    return sorted(removed)


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def write_many(files: Mapping[str | os.PathLike, Writer]) -> list[Path]:
    """Write several files all-or-nothing as far as a failure goes; return their paths.

    Each ``write(binary_file)`` runs first; only when every one has succeeded are the files
    renamed into place, one atomic rename each. An exception in any writer leaves every target
    untouched.
    """
    pending: list[_Pending] = []
    try:
        for path, write in files.items():
            target = Path(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            sweep_stale(target)
            item = _Pending(target)
            pending.append(item)
            with item.file() as fh:
                write(fh)
        for item in pending:
            item.commit()
        for folder in sorted({item.target.parent for item in pending}):
            _fsync_dir(folder)
    finally:
        for item in pending:
            item.close()
    return [item.target for item in pending]


def write_atomic(path: str | os.PathLike, write: Writer) -> Path:
    """Write ``path`` through ``write(binary_file)`` atomically; return the path.

    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> write_atomic(target, lambda fh: fh.write(b"done")).read_bytes()
    b'done'
    """
    (written,) = write_many({path: write})
    return written


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path to write by name; its bytes go to ``path`` if the block succeeds.

    For writers that need a file name (papermill, nbformat). The temporary file lives in a private
    folder outside the output folder, so a killed run leaves nothing beside ``path``; its bytes are
    then committed with :func:`write_atomic`.

    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text(), sorted(p.name for p in target.parent.iterdir())
    ('done', ['out.txt'])
    """
    path = Path(path)
    staging = staging_dir()
    tmp = staging / f"{path.name}.tmp"
    try:
        yield tmp
        with open(tmp, "rb") as src:
            write_atomic(path, lambda fh: shutil.copyfileobj(src, fh, 1 << 20))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def staging_dir() -> Path:
    """Return a new private folder in the system temp folder, for files written by name.

    It lies outside every output folder, so a killed run leaves nothing there; the caller removes
    it, and folders of processes that were killed are removed by the next call.
    """
    _sweep_staging()
    return Path(tempfile.mkdtemp(prefix=f"{_STAGING_PREFIX}{os.getpid()}-"))


def _sweep_staging() -> None:
    """Remove private staging folders left by killed processes (their pid no longer runs)."""
    with contextlib.suppress(OSError):
        for folder in Path(tempfile.gettempdir()).glob(f"{_STAGING_PREFIX}*-*"):
            pid = folder.name[len(_STAGING_PREFIX):].split("-", 1)[0]
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_csv(df: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write ``df`` as UTF-8 CSV with Unix line endings, atomically; return the path."""
    data = df.to_csv(index=False, lineterminator="\n").encode("utf-8")
    return write_atomic(path, lambda fh: fh.write(data))


def _parquet_bytes(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


def write_table(df: pd.DataFrame, out_dir: str | os.PathLike, name: str,
                *, fmt: TableFormat = "csv") -> list[Path]:
    """Write table ``name`` into ``out_dir`` as CSV and/or Parquet; return the files written."""
    out_dir = Path(out_dir)
    written = []
    if fmt in ("csv", "both"):
        written.append(write_csv(df, out_dir / f"{name}.csv"))
    if fmt in ("parquet", "both"):
        data = _parquet_bytes(df)
        written.append(write_atomic(out_dir / f"{name}.parquet", lambda fh: fh.write(data)))
    return written
