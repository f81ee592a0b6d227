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

A table can also be a Parquet *dataset* partitioned by article (``write_datasets``): a folder
``<name>/`` in hive layout, ``article=<prefix>-<hash>/part-0.parquet`` (``partition_name``: the
id's first characters that are safe in a file name, then a hash of the whole id, so the name is
short and stable for any id, however long, in any script), plus ``_common_metadata`` with the
whole table's schema. The files hold the ``article_id`` column itself, so the ids come back
exactly, whatever the folder names. It is written into a hidden staging folder
``.<name>.partial-<pid>-<random>`` beside the target and renamed into place only when every file
is written and flushed; an earlier dataset is renamed away first and deleted after.
``read_table`` reads any of the layouts back.
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
import pyarrow as pa

__all__ = ["TableFormat", "atomic_path", "locked_folder", "parquet_bytes", "partition_name",
           "read_commented_csv", "read_table", "spreadsheet_safe", "spreadsheet_unsafe",
           "staging_dir", "sweep_stale", "write_atomic", "write_csv", "write_datasets",
           "write_many", "write_partitions", "write_table"]

TableFormat = Literal["csv", "parquet", "both"]
Writer = Callable[[IO[bytes]], object]

_STAGING_PREFIX = "toolkit-atomic-"
_PARTIAL = ".partial-"  # .<name>.partial-<pid>-<random>: a dataset being written, or the old one
PARTITION_COLUMN = "article_id"
PARTITION_KEY = "article"  # the folder key: article=<partition_name(article_id)>
_PREFIX_CHARS = 32
_SCHEMA_FILE = "_common_metadata"  # the whole table's schema; readers skip "_" files as data
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

    Leftovers are hidden files named ``.<name>.<random>.tmp`` beside ``path``, and staging
    folders of a dataset ``.<name>.partial-<pid>-<random>`` whose process no longer runs (a live
    writer's folder is left alone).

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
        for leftover in path.parent.glob(f".{_glob_escape(path.name)}{_PARTIAL}*"):
            pid = leftover.name[len(f".{path.name}{_PARTIAL}"):].split("-", 1)[0]
            if pid.isdigit() and not _alive(int(pid)):
                _remove(leftover)
                removed.append(leftover)
    return sorted(removed)


def _ready(path: str | os.PathLike) -> Path:
    """Return ``path`` as a Path once its folder exists and an earlier killed write's leftovers
    beside it are swept."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale(target)
    return target


def _remove(path: Path) -> None:
    """Delete a file or a folder tree (gone already is fine)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


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
            item = _Pending(_ready(path))
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
    tmp = staging / path.name  # the folder is private: the target's own name and suffix
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


# A cell a spreadsheet would run as a formula (OWASP's "CSV injection": "=HYPERLINK(...)",
# "+cmd|...", "@SUM(...)"; a leading tab or CR is read past by some spreadsheets).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _is_formula(value: object) -> bool:
    # also a cell that starts with "'" before such a character: prefixed too, so that
    # spreadsheet_unsafe gives back exactly what was written
    return isinstance(value, str) and value.lstrip("'").startswith(FORMULA_START)


def spreadsheet_safe(df: pd.DataFrame) -> pd.DataFrame:
    """Return ``df`` with every text cell a spreadsheet would read as a formula prefixed with
    ``'`` (OWASP's rule), so opening the CSV in Excel or LibreOffice runs nothing. Numbers are
    never touched: ``-3`` in a number column stays ``-3``; only ``str`` cells are.

    >>> df = pd.DataFrame({"text": ["=SUM(A1)", "-5 degrees", "plain"], "n": [-3, 1, 2]})
    >>> spreadsheet_safe(df).to_dict("list")
    {'text': ["'=SUM(A1)", "'-5 degrees", 'plain'], 'n': [-3, 1, 2]}
    >>> spreadsheet_unsafe(spreadsheet_safe(df)).equals(df)
    True
    """
    out = df
    for column in df.columns:
        values = df[column]
        if values.dtype != object and not pd.api.types.is_string_dtype(values):
            continue
        mask = values.map(_is_formula).astype(bool)
        if mask.any():
            out = df.copy() if out is df else out
            out[column] = values.where(~mask, "'" + values[mask].astype(str))
    return out


def spreadsheet_unsafe(df: pd.DataFrame) -> pd.DataFrame:
    """Return ``df`` with the ``'`` that :func:`spreadsheet_safe` added removed again."""
    out = df
    for column in df.columns:
        values = df[column]
        if values.dtype != object and not pd.api.types.is_string_dtype(values):
            continue
        mask = values.map(lambda v: isinstance(v, str) and v.startswith("'")
                          and _is_formula(v[1:])).astype(bool)
        if mask.any():
            out = df.copy() if out is df else out
            out[column] = values.where(~mask, values[mask].str[1:])
    return out


@contextlib.contextmanager
def locked_folder(folder: str | os.PathLike, *, command: str = "toolkit") -> Iterator[Path]:
    """Yield ``folder`` (created if missing) while this process holds an exclusive lock on it.

    Two runs writing one output folder would leave a mix of their tables; the second one stops at
    once with a ToolkitError instead (``flock`` on the folder itself: no lock file is left, and a
    killed run's lock goes with its process).
    """
    import fcntl

    from .errors import ToolkitError

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ToolkitError(
                f"{folder}: another {command} run is writing into this folder; wait for it to "
                "finish, or give another --out") from None
        yield folder
    finally:
        os.close(fd)  # releases the lock


def write_csv(df: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write ``df`` as UTF-8 CSV with Unix line endings, atomically; return the path.

    CSV files are opened in spreadsheets, so text cells that would run as a formula get a
    leading ``'`` (:func:`spreadsheet_safe`); :func:`read_table` and :func:`read_commented_csv`
    remove it again. Parquet keeps the exact text.
    """
    data = spreadsheet_safe(df).to_csv(index=False, lineterminator="\n").encode("utf-8")
    return write_atomic(path, lambda fh: fh.write(data))


def read_commented_csv(path: str | os.PathLike, **kwargs) -> pd.DataFrame:
    r"""Return the CSV file at ``path`` read with pandas (``kwargs``), skipping the ``#`` comment
    lines at its top only: a ``#`` inside a row (a hashtag in quoted text) stays data, where
    ``read_csv(comment="#")`` would cut the row there.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "s.csv"
    >>> _ = path.write_text("# a note\nid,text,human\n1,plain # tag,against\n")
    >>> read_commented_csv(path, dtype=str).to_dict("records")
    [{'id': '1', 'text': 'plain # tag', 'human': 'against'}]
    """
    skip = 0
    with open(path, encoding="utf-8-sig") as fh:  # -sig: a BOM (Excel's CSV) is not text
        for line in fh:
            if not line.startswith("#"):
                break
            skip += 1
    return spreadsheet_unsafe(pd.read_csv(path, skiprows=skip, **kwargs))


def parquet_bytes(df: pd.DataFrame) -> bytes:
    """Return ``df`` as the bytes of a Parquet file (no index)."""
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


def write_table(df: pd.DataFrame, out_dir: str | os.PathLike, name: str,
                *, fmt: TableFormat = "csv") -> list[Path]:
    """Write table ``name`` into ``out_dir`` as CSV and/or Parquet; return the files written.

    A Parquet dataset ``<name>/`` of an earlier run is removed once ``<name>.parquet`` is in
    place, so the folder never holds two different versions of one table.
    """
    out_dir = Path(out_dir)
    written = []
    if fmt in ("csv", "both"):
        written.append(write_csv(df, out_dir / f"{name}.csv"))
    if fmt in ("parquet", "both"):
        data = parquet_bytes(df)
        written.append(write_atomic(out_dir / f"{name}.parquet", lambda fh: fh.write(data)))
        if (out_dir / name / _SCHEMA_FILE).is_file():
            _retire(out_dir / name)
    return written


# -- Parquet datasets partitioned by article -------------------------------------------------

DatasetWriter = Callable[[pd.DataFrame, Path, pa.Schema], object]


def partition_name(article_id: str) -> str:
    """Return the name of an article's partition folder (after ``article=``): up to 32 of the id's
    first letters, digits, ``-``, ``.`` and ``_`` (anything else as ``_``), then 16 hex digits of
    the SHA-256 of the whole id. Short for any id (at most 145 bytes), the same in every run.

    >>> partition_name("000_a1bbb6199e38b69c")
    '000_a1bbb6199e38b69c-a1cedeb86ff5b379'
    >>> partition_name("syn/2023?v=1")
    'syn_2023_v_1-2a9541987454ac5d'
    """
    import hashlib
    import re

    prefix = re.sub(r"[^\w.-]", "_", article_id[:_PREFIX_CHARS])
    digest = hashlib.sha256(article_id.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{prefix}-{digest}" if prefix else digest


def write_partitions(df: pd.DataFrame, folder: str | os.PathLike, *, schema: pa.Schema) -> int:
    """Return the number of files written: the rows of ``df`` as ``folder/article=<name>/
    part-0.parquet`` (``partition_name``), one file per article, each flushed to disk.

    The unit of work of every dataset writer (in this process, or on a dask worker for a slice of
    the articles; slices must not share an article). ``schema`` is the whole table's, so every
    file has the same column types even when a slice holds no value of a column.
    """
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, schema=schema, preserve_index=False)
    rows: dict[object, list[int]] = {}  # article -> its rows, in order
    for i, article_id in enumerate(df[PARTITION_COLUMN]):
        rows.setdefault(article_id, []).append(i)
    files: list[Path] = []
    # written here rather than by pyarrow's hive writer, which percent-encodes every non-ASCII
    # character of a folder name (a Chinese prefix would triple in length)
    for article_id, indices in rows.items():
        part = Path(folder) / f"{PARTITION_KEY}={partition_name(str(article_id))}"
        part.mkdir(parents=True, exist_ok=True)
        pq.write_table(table.take(indices), part / "part-0.parquet")
        files.append(part / "part-0.parquet")
    for name in files:
        fd = os.open(name, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        _fsync_dir(name.parent)
    return len(files)


def write_datasets(tables: Mapping[str | os.PathLike, pd.DataFrame],
                   *, write: DatasetWriter | None = None) -> list[Path]:
    """Write each table as a Parquet dataset partitioned by article at its path; return the paths.

    Every dataset is first written whole into its staging folder (by ``write(df, folder,
    schema)``, default :func:`write_partitions` in this process); only when all of them succeeded
    is each renamed into place, replacing the one of an earlier run and the single file
    ``<name>.parquet`` if there is one. A failure leaves every earlier dataset untouched and no
    staging folder behind; a kill leaves staging folders that the next write sweeps.
    """
    import pyarrow.parquet as pq

    write = write or (lambda df, folder, schema: write_partitions(df, folder, schema=schema))
    staged: list[tuple[Path, Path]] = []
    try:
        for path, df in tables.items():
            target = _ready(path)
            folder = _partial_name(target)
            folder.mkdir()
            staged.append((folder, target))
            schema = pa.Schema.from_pandas(df, preserve_index=False)
            pq.write_metadata(schema, str(folder / _SCHEMA_FILE))
            if len(df):
                write(df, folder, schema)
            _fsync_dir(folder)
        for folder, target in staged:
            old = _partial_name(target) if target.exists() else None
            if old is not None:
                os.replace(target, old)
            os.replace(folder, target)
            _fsync_dir(target.parent)
            if old is not None:
                _remove(old)
            single = target.with_name(f"{target.name}.parquet")
            if single.is_file():
                single.unlink()
        staged_out = [target for _, target in staged]
        staged = []
        return staged_out
    finally:
        for folder, _ in staged:
            _remove(folder)


def _partial_name(target: Path) -> Path:
    return target.with_name(f".{target.name}{_PARTIAL}{os.getpid()}-{secrets.token_hex(4)}")


def _retire(folder: Path) -> None:
    """Rename a folder out of sight, then delete it (a kill in between leaves a swept leftover)."""
    old = _partial_name(folder)
    os.replace(folder, old)
    _remove(old)


def _partitioning(schema: pa.Schema):
    import pyarrow.dataset as ds

    field = schema.field(PARTITION_COLUMN)
    if pa.types.is_null(field.type):  # an empty table: no value tells the type
        field = pa.field(PARTITION_COLUMN, pa.string())
    # explicit string type: an id such as "007" must not be read back as the number 7
    return ds.partitioning(pa.schema([field]), flavor="hive")


def read_table(out_dir: str | os.PathLike, name: str) -> pd.DataFrame:
    """Return table ``name`` as written into ``out_dir``, equal to the table that was written.

    Looks for the Parquet dataset ``<name>/`` (partitioned by article), then ``<name>.parquet``,
    then ``<name>.csv``. Parquet comes back with the written column order and dtypes (hive
    partitioning alone would make ``article_id`` a category, or a number for ids such as
    "007"), rows in ``article_id`` order as the tables are written. CSV keeps no types: numbers
    are inferred and empty cells stay empty strings.

    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> df = pd.DataFrame({"article_id": ["b", "a/1", "b"], "n": [1, 2, 3]})
    >>> _ = write_datasets({f"{folder}/t": df.sort_values("article_id", kind="stable")})
    >>> read_table(folder, "t")
      article_id  n
    0        a/1  2
    1          b  1
    2          b  3
    """
    from .errors import ToolkitError

    out_dir = Path(out_dir)
    folder, single, csv = (out_dir / name, out_dir / f"{name}.parquet", out_dir / f"{name}.csv")
    if folder.is_dir():
        return _read_dataset(folder)
    if single.is_file():
        import pyarrow.parquet as pq

        table = pq.read_table(single)
        return _restore_dtypes(table.to_pandas(), table.schema)
    if csv.is_file():
        return spreadsheet_unsafe(pd.read_csv(csv, keep_default_na=False))
    raise ToolkitError(f"{out_dir}: no table {name!r} (looked for {folder.name}/, {single.name} "
                       f"and {csv.name}); write it with `toolkit annotate ... --out {out_dir}`")


def _read_dataset(folder: Path) -> pd.DataFrame:
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    meta = folder / _SCHEMA_FILE
    schema = pq.read_schema(meta) if meta.is_file() else None
    old_layout = any(p.name.startswith(f"{PARTITION_COLUMN}=") for p in folder.iterdir())
    if schema is not None and not old_layout:
        # the ids are in the files; the folder names (article=...) are not read
        if pa.types.is_null(schema.field(PARTITION_COLUMN).type):
            index = schema.get_field_index(PARTITION_COLUMN)
            schema = schema.set(index, pa.field(PARTITION_COLUMN, pa.string()))
        dataset = ds.dataset(folder, format="parquet", schema=schema)
        df = _restore_dtypes(dataset.to_table().to_pandas(), schema)
    elif schema is None:  # a dataset written by another tool: take the files' schema
        partitioning = ds.partitioning(pa.schema([(PARTITION_COLUMN, pa.string())]),
                                       flavor="hive")
        table = ds.dataset(folder, format="parquet", partitioning=partitioning).to_table()
        df = table.to_pandas()
        df = df[[PARTITION_COLUMN, *(c for c in df.columns if c != PARTITION_COLUMN)]]
    else:  # written before the ids were kept in the files: article_id=<id> folders
        if pa.types.is_null(schema.field(PARTITION_COLUMN).type):
            index = schema.get_field_index(PARTITION_COLUMN)
            schema = schema.set(index, pa.field(PARTITION_COLUMN, pa.string()))
        dataset = ds.dataset(folder, format="parquet", schema=schema,
                             partitioning=_partitioning(schema))
        df = _restore_dtypes(dataset.to_table().to_pandas(), schema)
    return df.sort_values(PARTITION_COLUMN, kind="stable").reset_index(drop=True)


def _restore_dtypes(df: pd.DataFrame, schema: pa.Schema) -> pd.DataFrame:
    """Return ``df`` with the column order and dtypes the pandas metadata of ``schema`` records.

    pandas reads every Parquet string column as ``str``; a column that was ``object`` (as the
    annotation layers' are) is made ``object`` again, missing values as None.
    """
    import json

    raw = (schema.metadata or {}).get(b"pandas")
    if raw is None:
        return df
    columns = json.loads(raw)["columns"]
    df = df[[c["name"] for c in columns if c["name"] in df.columns]]
    for column in columns:
        name = column["name"]
        if column.get("numpy_type") == "object" and name in df and df[name].dtype != object:
            values = df[name].astype(object)
            df[name] = values.where(values.notna(), None)
    return df
