"""The incremental annotation cache: every article's layer rows, kept as Parquet beside the outputs.

Annotating is expensive (spaCy), so ``annotate(..., cache_dir=DIR)`` keeps what it computed and
annotates on the next run only the articles it has not seen. An article is found again by its
*cache key*: a hash of its content (``Article.content_hash``: title and body), its publication
date (the amounts layer reads it) and the pipeline fingerprint (``toolkit.nlp.PIPELINE_VERSION``,
the model, spaCy, and the source of every layer and the data tables they read). Change any of
them and the article is annotated again; a stale entry is simply never asked for.

On disk, one *segment* per run that annotated something::

    DIR/<segment>.<layer>.parquet   rows of one layer (sentences, entities, quotes, amounts)
    DIR/<segment>.keys.parquet      the cache keys of the articles in the segment
    DIR/<segment>.json              the manifest: fingerprint, and the SHA-256 of each file

The manifest is written last (atomically), so a run killed mid-write leaves no segment. A
segment whose files are missing, truncated or altered (checksums differ, Parquet unreadable), or
whose manifest is not what this module writes (any JSON, nested or not; a folder where a file
belongs), is reported with a ``CacheWarning``, deleted, and its articles annotated again: a
corrupt cache is never trusted, and never stops a run. A ``DIR`` that is a file is replaced.

The checksums catch accidental damage (a truncated copy, a disk or sync error, a stray edit); they
are not a signature: whoever can write ``DIR`` can also recompute them, so a cache is only as
trustworthy as the folder's permissions. When segments pile up they are merged into one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import uuid
import warnings
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from .io import parquet_bytes, write_atomic

log = logging.getLogger(__name__)

KEY_COLUMN = "cache_key"
# More segments than this are merged into one at the end of a run (fewer files to open).
MAX_SEGMENTS = 8


class CacheWarning(UserWarning):
    """A cache file was missing, truncated or altered; its articles are annotated again."""


def cache_key(content_hash: str, published: str | None, fingerprint: str) -> str:
    """Return the cache key of an article's annotation.

    >>> cache_key("ab12", "2023-02-24", "f1") == cache_key("ab12", "2023-02-24", "f1")
    True
    >>> cache_key("ab12", "2023-02-24", "f1") == cache_key("ab12", "2023-02-24", "f2")
    False
    """
    digest = hashlib.sha256(f"{content_hash}\x00{published or ''}\x00{fingerprint}".encode())
    return digest.hexdigest()[:24]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class AnnotationCache:
    """Layer rows of annotated articles, stored as Parquet segments in ``folder``."""

    def __init__(self, folder: str | os.PathLike, *, fingerprint: str, layers: Iterable[str]):
        self.folder = Path(folder)
        self.fingerprint = fingerprint
        self.layers = tuple(layers)
        self.problems: list[str] = []  # what was found corrupt, for the caller to report

    def _segments(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        # a folder (or anything but a file) named *.json is no manifest: never read, a miss
        return sorted(p.stem for p in self.folder.glob("*.json") if p.is_file())

    def _manifest(self, segment: str) -> tuple[str, dict[str, str]]:
        """Return a segment's (fingerprint, checksums); raise ValueError when the manifest is
        not the object ``_write_segment`` writes (any JSON at all may be found there)."""
        try:
            manifest = json.loads((self.folder / f"{segment}.json").read_text(encoding="utf-8"))
        except RecursionError:
            raise ValueError("nested too deeply") from None
        if not isinstance(manifest, dict):
            raise ValueError(f"a JSON {type(manifest).__name__}, not an object")
        fingerprint, checksums = manifest.get("fingerprint"), manifest.get("sha256")
        if not isinstance(fingerprint, str):
            raise ValueError("no fingerprint string")
        if not isinstance(checksums, dict) or not all(
                isinstance(checksums.get(n), str) for n in self._files(segment)):
            raise ValueError("sha256 is not an object of checksum strings, one per file")
        return fingerprint, checksums

    def _files(self, segment: str) -> dict[str, Path]:
        names = ("keys", *self.layers)
        return {n: self.folder / f"{segment}.{n}.parquet" for n in names}

    def _drop(self, segment: str) -> None:
        from .io import _remove

        for path in [*self._files(segment).values(), self.folder / f"{segment}.json"]:
            try:
                _remove(path)  # a file, or a folder where a file belongs
            except OSError as err:  # a read-only cache: the entry stays a miss
                log.warning("annotation cache: cannot delete %s (%s)", path, err)

    def _corrupt(self, segment: str, why: str) -> None:
        message = (f"annotation cache {self.folder / segment}.*: {why}; the segment is deleted "
                   "and its articles are annotated again")
        self.problems.append(message)
        log.warning(message)
        warnings.warn(message, CacheWarning, stacklevel=3)
        self._drop(segment)

    def _read_segment(self, segment: str) -> dict[str, pd.DataFrame] | None:
        """Return the segment's tables, or None when it is stale (other fingerprint) or corrupt."""
        try:
            fingerprint, checksums = self._manifest(segment)
        except (OSError, ValueError) as err:  # UnicodeDecodeError and JSONDecodeError too
            self._corrupt(segment, f"unreadable manifest ({type(err).__name__}: {err})")
            return None
        if fingerprint != self.fingerprint:
            return None  # written by another pipeline version: never read, pruned on write
        tables = {}
        for name, path in self._files(segment).items():
            if not path.is_file():
                self._corrupt(segment, f"{path.name} is missing")
                return None
            if _sha256(path) != checksums.get(name):
                self._corrupt(segment, f"{path.name} does not match its checksum "
                              "(truncated or altered)")
                return None
            try:
                tables[name] = pd.read_parquet(path)
            except Exception as err:  # a checksum can match a file that was bad when written
                self._corrupt(segment, f"{path.name} is not readable Parquet ({err!r})")
                return None
            if KEY_COLUMN not in tables[name]:
                self._corrupt(segment, f"{path.name} has no {KEY_COLUMN} column")
                return None
        return tables

    def load(self, keys: set[str]) -> tuple[dict[str, pd.DataFrame], set[str]]:
        """Return the cached rows of the articles whose key is in ``keys`` (a ``cache_key``
        column says whose each row is), and the set of keys found."""
        found: set[str] = set()
        parts: dict[str, list[pd.DataFrame]] = {n: [] for n in self.layers}
        for segment in self._segments():
            tables = self._read_segment(segment)
            if tables is None:
                continue
            wanted = set(tables["keys"][KEY_COLUMN]) & keys - found
            if not wanted:
                continue
            found |= wanted
            for name in self.layers:
                t = tables[name]
                parts[name].append(t[t[KEY_COLUMN].isin(wanted)])
        frames = {n: pd.concat(p, ignore_index=True) if p else None for n, p in parts.items()}
        return frames, found

    def add(self, keys: list[str], frames: dict[str, pd.DataFrame]) -> None:
        """Store one new segment: the rows in ``frames`` (each with a ``cache_key`` column) of
        the articles ``keys``; merge segments when there are too many."""
        if not keys:
            return
        self._write_segment(keys, frames)
        self._prune()

    def _write_segment(self, keys: list[str], frames: dict[str, pd.DataFrame]) -> None:
        if (self.folder.exists() or self.folder.is_symlink()) and not self.folder.is_dir():
            message = (f"annotation cache {self.folder} is not a folder; it is replaced by an "
                       "empty cache")
            self.problems.append(message)
            warnings.warn(message, CacheWarning, stacklevel=3)
            self.folder.unlink()
        self.folder.mkdir(parents=True, exist_ok=True)
        segment = uuid.uuid4().hex[:16]
        files = self._files(segment)
        tables = {"keys": pd.DataFrame({KEY_COLUMN: sorted(set(keys))}), **frames}
        checksums = {}
        for name, path in files.items():
            data = parquet_bytes(tables[name])
            write_atomic(path, lambda fh, data=data: fh.write(data))
            checksums[name] = hashlib.sha256(data).hexdigest()
        manifest = {"fingerprint": self.fingerprint, "sha256": checksums,
                    "articles": len(tables["keys"])}
        data = (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode()
        write_atomic(self.folder / f"{segment}.json", lambda fh: fh.write(data))

    def _prune(self) -> None:
        """Delete segments of other pipeline versions; merge the rest when there are many."""
        current = []
        for segment in self._segments():
            try:
                fingerprint, _ = self._manifest(segment)
            except (OSError, ValueError):
                continue  # reported (and dropped) by the next load
            if fingerprint != self.fingerprint:
                self._drop(segment)
            else:
                current.append(segment)
        if len(current) <= MAX_SEGMENTS:
            return
        merged: dict[str, list[pd.DataFrame]] = {n: [] for n in ("keys", *self.layers)}
        seen: set[str] = set()
        for segment in current:
            tables = self._read_segment(segment)
            if tables is None:
                continue
            # two runs at once may have stored the same article: keep its first copy only
            fresh = set(tables["keys"][KEY_COLUMN]) - seen
            seen |= fresh
            for name, t in tables.items():
                merged[name].append(t[t[KEY_COLUMN].isin(fresh)])
        if merged["keys"]:
            keys_frame = pd.concat(merged["keys"], ignore_index=True)
            frames = {n: pd.concat(merged[n], ignore_index=True) for n in self.layers}
            self._write_segment(list(keys_frame[KEY_COLUMN]), frames)
        for segment in current:
            self._drop(segment)
