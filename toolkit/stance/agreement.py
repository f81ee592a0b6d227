"""Agreement between coders or between the machine and a coder."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import SheetError
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


def _sheet_keys(df: pd.DataFrame) -> pd.Series:
    """Return a unit's key in a sheet: ``unit_key`` when present, else article:start:end."""
    if "unit_key" in df and (df["unit_key"].astype(str) != "").all():
        return df["unit_key"].astype(str)
    df = df.rename(columns={"raw_start": "start", "raw_end": "end"})
    for col in ("article_id", "start", "end"):
        if col not in df:
            raise SheetError(f"a sheet needs unit_key, or article_id, start and end (it has "
                             f"{', '.join(df.columns)})")
    return df["article_id"].astype(str) + ":" + df["start"].astype(str) + ":" + \
        df["end"].astype(str)


def coder_agreement(
    sheets: Sequence[pd.DataFrame | str | Path], *, n_boot: int = 1000, seed: int = 0,
) -> dict[str, Any]:
    """Return agreement between the ``human`` columns of two or more coders' sheets of the same
    units: Cohen's kappa (each pair, on the units both coded) and Krippendorff's alpha (nominal;
    all coders, a coder may leave units blank), each with a bootstrap 95% interval over units,
    and the disagreements to adjudicate.

    Keys: coders (names), n_units, cohen_kappa {"A vs B": {kappa, ci95, n}}, krippendorff_alpha
    {alpha, ci95, n}, disagreements (DataFrame: unit_key, article_id, text, one column per
    coder).

    >>> a = pd.DataFrame({"unit_key": list("abcdef"), "human": ["favor", "none", "none",
    ...                   "against", "neutral", "favor"]})
    >>> b = a.assign(human=["favor", "none", "none", "against", "favor", "favor"])
    >>> r = coder_agreement([a, b], n_boot=50)
    >>> r["cohen_kappa"]["coder 1 vs coder 2"]["kappa"], len(r["disagreements"])
    (0.76, 1)
    """
    import random

    import krippendorff
    import numpy as np

    from .codebook import LABELS

    if len(sheets) < 2:
        raise SheetError("agreement needs two or more coded sheets")
    names, labels, info = [], [], {}
    for j, sheet in enumerate(sheets):
        name = f"coder {j + 1}" if isinstance(sheet, pd.DataFrame) else Path(sheet).name
        df = _read_sheet(sheet)
        if "human" not in df:
            raise SheetError(f"{name}: no 'human' column (columns: {', '.join(df.columns)})")
        human = _clean(df["human"])
        bad = sorted(set(human) - set(LABELS) - {""})
        if bad:
            raise SheetError(f"{name}: unknown label(s) {', '.join(map(repr, bad))}; expected "
                             f"{', '.join(LABELS)} or blank (not coded)")
        keys = _sheet_keys(df)
        labels.append(dict(zip(keys, human, strict=True)))
        for k, r in zip(keys, df.to_dict("records"), strict=True):
            info.setdefault(k, (str(r.get("article_id", "")), str(r.get("text", ""))))
        names.append(name if name not in names else f"{name} ({j + 1})")
    units = sorted(set().union(*labels))
    codes = {k: i for i, k in enumerate(LABELS)}
    matrix = np.array([[codes[lab[u]] if lab.get(u) else np.nan for u in units]
                       for lab in labels], dtype=float)
    rng = random.Random(seed)

    def alpha(cols: Sequence[int]) -> float:
        m = matrix[:, cols]
        if np.isnan(m).all() or len(np.unique(m[~np.isnan(m)])) < 2:
            return float("nan")
        return float(krippendorff.alpha(reliability_data=m, level_of_measurement="nominal"))

    def interval(stat: Any, idx: Sequence[int]) -> list[float]:
        values = [stat(rng.choices(idx, k=len(idx))) for _ in range(n_boot)]
        values = [v for v in values if v == v]
        if not values:
            return [float("nan"), float("nan")]
        return [round(float(np.percentile(values, 2.5)), 4),
                round(float(np.percentile(values, 97.5)), 4)]

    coded = [i for i in range(len(units)) if (~np.isnan(matrix[:, i])).sum() >= 2]
    pairs = {}
    for a in range(len(labels)):
        for b in range(a + 1, len(labels)):
            both = [i for i in coded
                    if matrix[a, i] == matrix[a, i] and matrix[b, i] == matrix[b, i]]
            if not both:
                continue

            def kappa(idx: Sequence[int], a: int = a, b: int = b) -> float:
                return cohen_kappa([str(matrix[a, i]) for i in idx],
                                   [str(matrix[b, i]) for i in idx])

            pairs[f"{names[a]} vs {names[b]}"] = {
                "kappa": kappa(both), "ci95": interval(kappa, both), "n": len(both)}
    rows = []
    for i in coded:
        got = {names[j]: LABELS[int(matrix[j, i])] if matrix[j, i] == matrix[j, i] else ""
               for j in range(len(labels))}
        if len({v for v in got.values() if v}) > 1:
            rows.append({"unit_key": units[i], "article_id": info[units[i]][0],
                         "text": info[units[i]][1], **got})
    value = alpha(coded) if coded else float("nan")
    return {
        "coders": names, "n_units": len(coded),
        "cohen_kappa": pairs,
        "krippendorff_alpha": {"alpha": round(value, 4), "ci95": interval(alpha, coded) if coded
                               else [float("nan")] * 2, "n": len(coded)},
        "disagreements": pd.DataFrame(rows, columns=["unit_key", "article_id", "text", *names]),
    }
