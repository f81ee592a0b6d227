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
segment whose files are missing, truncated or altered (checksums differ, Parquet unreadable) is
reported with a ``CacheWarning``, deleted, and its articles annotated again: a corrupt cache is
never trusted. When segments pile up they are merged into one.
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
        return sorted(p.stem for p in self.folder.glob("*.json"))

    def _files(self, segment: str) -> dict[str, Path]:
        names = ("keys", *self.layers)
        return {n: self.folder / f"{segment}.{n}.parquet" for n in names}

    def _drop(self, segment: str) -> None:
        for path in self._files(segment).values():
            path.unlink(missing_ok=True)
        (self.folder / f"{segment}.json").unlink(missing_ok=True)

    def _corrupt(self, segment: str, why: str) -> None:
        message = (f"annotation cache {self.folder / segment}.*: {why}; the segment is deleted "
                   "and its articles are annotated again")
        self.problems.append(message)
        log.warning(message)
        warnings.warn(message, CacheWarning, stacklevel=3)
        self._drop(segment)

    def _read_segment(self, segment: str) -> dict[str, pd.DataFrame] | None:
        """Return the segment's tables, or None when it is stale (other fingerprint) or corrupt."""
        manifest_path = self.folder / f"{segment}.json"
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            checksums = manifest["sha256"]
            fingerprint = manifest["fingerprint"]
        except (OSError, ValueError, KeyError, TypeError) as err:
            self._corrupt(segment, f"unreadable manifest ({err!r})")
            return None
        if fingerprint != self.fingerprint:
            return None  # written by another pipeline version: never read, pruned on write
        tables = {}
        for name, path in self._files(segment).items():
            if not path.exists():
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
                manifest = json.loads((self.folder / f"{segment}.json").read_text("utf-8"))
            except (OSError, ValueError):
                continue  # reported (and dropped) by the next load
            if manifest.get("fingerprint") != self.fingerprint:
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
