"""Hand-coding sheets: write them for coders, read them back, let human labels override."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pandas as pd

from ..paths import DEFAULT_CODEBOOK
from .codebook import Codebook, _codebook
from .units import _frame, _stance_frame, candidate_units

SHEET_COLUMNS = [
    "unit_key", "article_id", "unit", "unit_id", "speaker", "text", "context", "machine", "human",
]

def stance_sheet(
    stance_df: pd.DataFrame,
    corpus: Any,
    *,
    show_machine: bool = False,
    frame: Literal["actor", "machine"] = "actor",
    codebook: Codebook | str = DEFAULT_CODEBOOK,
    sample: int | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Return a hand-coding sheet: one row per unit with its context and an empty ``human``.

    ``frame="actor"`` (default) lists every unit that names one of the codebook's actors
    (``candidate_units``) as well as every unit in ``stance_df``, so coders also code the units
    the machine left out and agreement counts its misses; ``frame="machine"`` lists only the
    units in ``stance_df`` (agreement then says nothing about missed units). ``codebook`` must be
    the one ``stance_df`` was coded with. ``sample`` draws that many units at random
    (``random.Random(seed)``), kept in article order. ``context`` is the sentence before, the
    unit's own sentence(s) and the sentence after. ``machine`` is blank unless ``show_machine``
    (coders should not see it when measuring); a unit the machine left out is ``none``.
    """
    import random

    cb = _codebook(codebook)
    targets = set(stance_df["target"]) if "target" in stance_df else set()
    if targets - {cb.name}:
        raise ValueError(
            f"the stance table was coded with codebook {', '.join(sorted(targets))}, the sheet "
            f"was asked for {cb.name}: pass the same codebook to both"
        )
    units = stance_df
    if frame == "actor":
        units = pd.concat([stance_df, candidate_units(corpus, cb)], ignore_index=True)
        units = _stance_frame(units.drop_duplicates(["article_id", "unit", "unit_id"]))
    elif frame != "machine":
        raise ValueError(f"frame must be 'actor' or 'machine', not {frame!r}")
    if sample is not None and sample < len(units):
        keep = sorted(random.Random(seed).sample(range(len(units)), sample))
        units = units.iloc[keep]
    sentences = _frame(corpus, "sentences")
    by_article = {}  # article -> (starts, ends, texts) of its sentences, in order
    if not sentences.empty:
        for aid, sents in sentences.sort_values(["article_id", "start"]).groupby("article_id"):
            by_article[aid] = (list(sents["start"]), list(sents["end"]), list(sents["text"]))
    keys = _unit_keys(units)
    rows = []
    for key, r in zip(keys, units.itertuples(index=False), strict=True):
        context = ""
        starts, ends, texts = by_article.get(r.article_id, ([], [], []))
        idx = [i for i in range(len(starts)) if starts[i] < r.end and ends[i] > r.start]
        if idx:
            lo, hi = max(0, idx[0] - 1), min(len(starts), idx[-1] + 2)
            context = " ".join(texts[lo:hi])
        rows.append({
            "unit_key": key, "article_id": r.article_id,
            "unit": r.unit, "unit_id": r.unit_id, "speaker": r.speaker, "text": r.text,
            "context": context, "machine": (r.stance or "none") if show_machine else "",
            "human": "",
        })
    return pd.DataFrame(rows, columns=SHEET_COLUMNS)


def _unit_keys(df: pd.DataFrame) -> pd.Series:
    """Return the ``unit_key`` of each row ("article:unit:unit_id"), how a coding sheet names
    the units of a stance table."""
    return df["article_id"].astype(str) + ":" + df["unit"] + ":" + df["unit_id"].astype(str)


def _read_sheet(sheet: pd.DataFrame | str | Path) -> pd.DataFrame:
    if isinstance(sheet, pd.DataFrame):
        return sheet.copy()
    from ..io import read_commented_csv

    return read_commented_csv(sheet, dtype=str, keep_default_na=False)


def _clean(values: pd.Series) -> pd.Series:
    return values.fillna("").astype(str).str.strip().str.lower()




def apply_human(stance_df: pd.DataFrame, sheet: pd.DataFrame | str | Path) -> pd.DataFrame:
    """Return ``stance_df`` with human labels overriding machine ones, and a ``coded_by`` column.

    A human label "none" (not about the target) drops the row.
    """
    df = stance_df.copy()
    sh = _read_sheet(sheet)
    human = dict(zip(sh["unit_key"], _clean(sh["human"]), strict=True))
    labels = _unit_keys(df).map(human).fillna("")
    df["coded_by"] = ["human" if h else "machine" for h in labels]
    df["stance"] = [h if h else m for h, m in zip(labels, df["stance"], strict=True)]
    return df[df["stance"] != "none"].reset_index(drop=True)
