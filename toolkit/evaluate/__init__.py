"""Evaluations of the toolkit's annotation layers against public gold data."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from ..errors import GoldFormatError


def read_jsonl(path: str | Path) -> Iterator[tuple[int, object]]:
    """Yield ``(line number, record)`` for each non-blank line of a JSON-lines gold file.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "g.jsonl"
    >>> _ = p.write_text('{"id": 1}\\n\\n{"id": 2}\\n')
    >>> list(read_jsonl(p))
    [(1, {'id': 1}), (3, {'id': 2})]
    """
    path = Path(path)
    with path.open(encoding="utf-8") as handle:
        for n, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                yield n, json.loads(line)
            except json.JSONDecodeError as err:
                raise GoldFormatError.at(str(path), f"not JSON ({err})", where=f"line {n}") from err
