"""Stance codebooks: load and check a TOML codebook (schema in ``toolkit.stance``)."""

from __future__ import annotations

import functools
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..errors import CodebookError
from ..paths import CODEBOOK_DIR, DEFAULT_CODEBOOK
from .phrases import _GAP, Phrase, _compile

StanceLabel = Literal["favor", "against", "neutral"]
LABELS = ("favor", "against", "neutral", "none")  # "none": not about the target (sheets only)

@dataclass(frozen=True)
class Codebook:
    """A stance target: how to recognise text about it, and the cues that code it."""

    name: str
    label: str
    description: str
    path: str
    actor: tuple[Phrase, ...]
    topic: tuple[Phrase, ...]
    actor_entities: tuple[str, ...]
    rule: Literal["unit", "unit+context"]
    context_sentences: int
    threshold: float
    negation_window: int
    reversal_window: int
    hedge_window: int
    gap: int
    favor: tuple[Phrase, ...]
    against: tuple[Phrase, ...]
    hedges: tuple[Phrase, ...]
    aspirations: tuple[Phrase, ...]
    reversers: tuple[Phrase, ...]
    negators: tuple[Phrase, ...]
    affirmers: tuple[Phrase, ...]
    not_actor: tuple[Phrase, ...] = ()
    other_actors: tuple[Phrase, ...] = ()


_SCHEMA: dict[str, dict[str, type | tuple[type, ...]] | None] = {
    "target": {"name": str, "label": str, "description": str},
    "relevance": {
        "actor": list, "topic": list, "actor_entities": list, "not_actor": list, "rule": str,
        "context_sentences": int, "other_actors": list,
    },
    "scoring": {
        "threshold": (int, float), "negation_window": int, "reversal_window": int,
        "hedge_window": int, "gap": int,
    },
    "favor": None,  # None: free keys (phrases) with numeric values
    "against": None,
    "hedges": None,
    "aspirations": None,
    "reversers": None,
    "lists": {"negators": list, "affirmers": list},
}
# The scoring numbers a codebook may set, each in the range where it means something (NaN, a
# negative window or a gap of hundreds of words would code every unit alike or never finish).
_BOUNDS: dict[str, tuple[float, float]] = {
    "threshold": (0.0, 1000.0), "negation_window": (0, 50), "reversal_window": (0, 50),
    "hedge_window": (0, 50), "gap": (0, 20), "context_sentences": (0, 20),
}
_MAX_GAPS = 4  # "..." gaps in one phrase
_REQUIRED = {"target": ("name",), "relevance": ("actor", "topic"), "favor": (), "against": ()}


def _resolve(name_or_path: str | Path) -> Path:
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.exists() or len(candidate.parts) > 1:
        return candidate
    return CODEBOOK_DIR / f"{name_or_path}.toml"


def load_codebook(name_or_path: str | Path = DEFAULT_CODEBOOK) -> Codebook:
    """Return the Codebook named (``toolkit/data/codebooks/NAME.toml``) or at a path.

    >>> load_codebook("western_sanctions").name
    'western_sanctions'
    >>> load_codebook("no_such_target")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    toolkit.errors.CodebookError: .../no_such_target.toml: no such codebook (...)
    """
    path = _resolve(name_or_path)
    return _load(str(path.resolve()) if path.exists() else str(path))


@functools.cache
def _load(path_str: str) -> Codebook:
    path = Path(path_str)
    if not path.exists():
        shipped = ", ".join(sorted(p.stem for p in CODEBOOK_DIR.glob("*.toml")))
        raise CodebookError(f"{path}: no such codebook (shipped: {shipped}; or give a path)")
    if not path.is_file():
        raise CodebookError(f"{path}: not a file: give a codebook's .toml file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CodebookError(f"{path}: not valid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise CodebookError(f"{path}: not UTF-8 (byte {exc.start}): re-save the codebook as "
                            "UTF-8") from None
    except OSError as exc:
        raise CodebookError(f"{path}: cannot read the codebook ({exc.strerror or exc})") from None

    def fail(where: str, problem: str) -> CodebookError:
        return CodebookError(f"{path}: [{where}]: {problem}")

    for table, keys in data.items():
        if table not in _SCHEMA:
            raise fail(table, f"unknown table (expected one of: {', '.join(_SCHEMA)})")
        if not isinstance(keys, dict):
            raise fail(table, "must be a table, e.g. [" + table + "]")
        spec = _SCHEMA[table]
        for key, value in keys.items():
            if spec is None:
                if not isinstance(value, int | float) or isinstance(value, bool) \
                        or not math.isfinite(value):
                    raise fail(table, f'"{key}" must have a number as weight, e.g. "{key}" = 1.0')
                if key.split().count(_GAP) > _MAX_GAPS:
                    raise fail(table, f'"{key}" has more than {_MAX_GAPS} "{_GAP}" gaps')
                if table in ("hedges", "aspirations") and not 0 < value <= 1:
                    raise fail(table, f'"{key}" = {value}: a hedge factor must be in (0, 1]')
                continue
            if key not in spec:
                raise fail(table, f"unknown key {key!r} (expected one of: {', '.join(spec)})")
            if not isinstance(value, spec[key]) or isinstance(value, bool):
                raise fail(table, f"{key} has the wrong type ({type(value).__name__})")
            if isinstance(value, list) and not all(isinstance(v, str) for v in value):
                raise fail(table, f"{key} must be a list of strings")
            if isinstance(value, list) and any(v.split().count(_GAP) > _MAX_GAPS for v in value):
                raise fail(table, f'{key}: a phrase has more than {_MAX_GAPS} "{_GAP}" gaps')
            if key in _BOUNDS:
                low, high = _BOUNDS[key]
                if not (isinstance(value, int | float) and low <= value <= high):  # not nan
                    raise fail(table, f"{key} = {value}: must be a number from {low} to {high}")
    for table, keys in _REQUIRED.items():
        if table not in data:
            raise fail(table, "missing table")
        for key in keys:
            if key not in data[table]:
                raise fail(table, f"missing key {key!r}")
    rel, sc, lists = data["relevance"], data.get("scoring", {}), data.get("lists", {})
    rule = rel.get("rule", "unit+context")
    if rule not in ("unit", "unit+context"):
        raise fail("relevance", f'rule = "{rule}" (expected "unit" or "unit+context")')
    if not rel["actor"] or not rel["topic"]:
        raise fail("relevance", "actor and topic need at least one phrase each")

    def table(name: str) -> tuple[Phrase, ...]:
        return tuple(_compile(k, v) for k, v in data.get(name, {}).items())

    target = data["target"]
    return Codebook(
        name=target["name"],
        label=target.get("label", target["name"]),
        description=target.get("description", "").strip(),
        path=str(path),
        actor=tuple(_compile(p) for p in rel["actor"]),
        topic=tuple(_compile(p) for p in rel["topic"]),
        actor_entities=tuple(rel.get("actor_entities", ())),
        rule=rule,
        context_sentences=rel.get("context_sentences", 2),
        threshold=float(sc.get("threshold", 0.5)),
        negation_window=sc.get("negation_window", 4),
        reversal_window=sc.get("reversal_window", 8),
        hedge_window=sc.get("hedge_window", 10),
        gap=sc.get("gap", 3),
        favor=table("favor"),
        against=table("against"),
        hedges=table("hedges"),
        aspirations=table("aspirations"),
        reversers=table("reversers"),
        negators=tuple(_compile(p) for p in lists.get("negators", ())),
        affirmers=tuple(_compile(p) for p in lists.get("affirmers", ())),
        not_actor=tuple(_compile(p) for p in rel.get("not_actor", ())),
        other_actors=tuple(_compile(p) for p in rel.get("other_actors", ())),
    )


def _codebook(codebook: Codebook | str | Path) -> Codebook:
    return codebook if isinstance(codebook, Codebook) else load_codebook(codebook)
