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
        lines, n = enumerate(handle, 1), 0
        while True:
            try:
                n, line = next(lines)
            except StopIteration:
                return
            except UnicodeDecodeError:
                raise GoldFormatError.at(str(path), "not UTF-8: re-save the file as UTF-8",
                                         where=f"after line {n}") from None
            if not line.strip():
                continue
            try:
                yield n, json.loads(line)
            except json.JSONDecodeError as err:
                raise GoldFormatError.at(str(path), f"not JSON ({err})", where=f"line {n}") from err
            except (RecursionError, ValueError) as err:  # nested too deeply, a huge number
                raise GoldFormatError.at(str(path), f"not readable JSON ({type(err).__name__})",
                                         where=f"line {n}") from None


def prf(n_matched: int, n_pred: int, n_gold: int) -> dict[str, float]:
    """Return precision, recall and F1 (rounded to 4 places) of ``n_matched`` right predictions
    out of ``n_pred`` made and ``n_gold`` expected; 0.0 where a ratio has no denominator.

    >>> prf(3, 4, 6)
    {'precision': 0.75, 'recall': 0.5, 'f1': 0.6}
    >>> prf(0, 0, 2)
    {'precision': 0.0, 'recall': 0.0, 'f1': 0.0}
    """
    precision = n_matched / n_pred if n_pred else 0.0
    recall = n_matched / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}
