"""Agreement between coders or between the machine and a coder."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .codebook import LABELS
from .sheets import _clean, _read_sheet, _unit_keys


def cohen_kappa(a: Sequence[str], b: Sequence[str]) -> float:
    """Return Cohen's kappa between two equally long label sequences.

    >>> cohen_kappa(["x", "x", "y", "y"], ["x", "y", "y", "y"])
    0.5
    """
    n = len(a)
    if n != len(b) or n == 0:
        raise ValueError("cohen_kappa needs two non-empty sequences of equal length")
    labels = sorted(set(a) | set(b))
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    expected = sum((list(a).count(k) / n) * (list(b).count(k) / n) for k in labels)
    if expected == 1.0:
        return 1.0 if observed == 1.0 else 0.0
    return round((observed - expected) / (1 - expected), 4)


def stance_agreement(
    sheet: pd.DataFrame | str | Path, *, stance_df: pd.DataFrame | None = None
) -> dict[str, Any]:
    """Return agreement between ``machine`` and ``human`` labels of a coding sheet.

    Keys: cohen_kappa, accuracy, n (rows with both labels), per_class {label: {precision,
    recall, support}}, confusion (DataFrame, machine rows x human columns). ``stance_df`` fills
    the machine column by ``unit_key`` when the sheet was exported with it hidden.

    >>> s = pd.DataFrame({"machine": ["favor", "against", "against"],
    ...                   "human": ["favor", "against", "neutral"]})
    >>> r = stance_agreement(s)
    >>> (r["n"], r["accuracy"], r["cohen_kappa"])
    (3, 0.6667, 0.5)
    """
    df = _read_sheet(sheet)
    if stance_df is not None:
        machine_by_key = dict(zip(_unit_keys(stance_df), stance_df["stance"], strict=True))
        df["machine"] = df["unit_key"].map(machine_by_key).fillna("none")
    for col in ("machine", "human"):
        if col not in df:
            raise ValueError(f"the sheet has no {col!r} column (columns: {', '.join(df.columns)})")
    machine, human = _clean(df["machine"]), _clean(df["human"])
    keep = (machine != "") & (human != "")
    machine, human = list(machine[keep]), list(human[keep])
    if not machine:
        raise ValueError("no row has both a machine and a human label")
    labels = [k for k in LABELS if k in set(machine) | set(human)]
    labels += sorted((set(machine) | set(human)) - set(labels))
    per_class = {}
    for k in labels:
        tp = sum(m == k and h == k for m, h in zip(machine, human, strict=True))
        pm, ph = machine.count(k), human.count(k)
        per_class[k] = {
            "precision": round(tp / pm, 4) if pm else 0.0,
            "recall": round(tp / ph, 4) if ph else 0.0,
            "support": ph,
        }
    confusion = pd.crosstab(
        pd.Categorical(machine, categories=labels), pd.Categorical(human, categories=labels),
        rownames=["machine"], colnames=["human"], dropna=False,
    )
    n = len(machine)
    return {
        "cohen_kappa": cohen_kappa(machine, human),
        "accuracy": round(sum(m == h for m, h in zip(machine, human, strict=True)) / n, 4),
        "n": n,
        "per_class": per_class,
        "confusion": confusion,
    }
