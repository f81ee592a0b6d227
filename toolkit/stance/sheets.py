"""Hand-coding sheets: write them for coders, read them back, let human labels override."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pandas as pd

from ..paths import DEFAULT_CODEBOOK
from .codebook import LABELS, Codebook, _codebook
from .units import _stance_frame, candidate_units

SHEET_COLUMNS = [
    "unit_key", "article_id", "unit", "unit_id", "start", "end", "speaker", "text", "context",
    "paragraph", "before", "machine", "confidence", "human",
]
RANDOM_SHARE = 0.2  # of an "uncertain" sample, drawn at random from the units the model is sure of

def stance_sheet(
    stance_df: pd.DataFrame,
    corpus: Any,
    *,
    show_machine: bool = False,
    frame: Literal["actor", "machine"] = "actor",
    codebook: Codebook | str = DEFAULT_CODEBOOK,
    sample: int | None = None,
    seed: int = 0,
    strategy: Literal["random", "uncertain"] = "random",
    random_share: float = RANDOM_SHARE,
) -> pd.DataFrame:
    """Return a hand-coding sheet: one row per unit with its context and an empty ``human``.

    ``frame="actor"`` (default) lists every unit that names one of the codebook's actors
    (``candidate_units``) as well as every unit in ``stance_df``, so coders also code the units
    the machine left out and agreement counts its misses; ``frame="machine"`` lists only the
    units in ``stance_df`` (agreement then says nothing about missed units). ``codebook`` must be
    the one ``stance_df`` was coded with. ``sample`` draws that many units: at random
    (``strategy="random"``, ``random.Random(seed)``), or (``"uncertain"``, needs the codebook's
    trained model) the units the model is least sure of, plus a random ``random_share`` of the
    sample from the rest so the sheet also checks the units the model is sure of (and its
    agreement estimate stays honest); kept in article order. ``context`` is the sentence
    before, the unit's own sentence(s) and the sentence after; ``paragraph`` and ``before`` (the
    sentences before it) are what the learned coder reads, so a coded sheet trains it without
    the articles. ``machine`` and ``confidence`` are blank unless ``show_machine`` (coders should
    not see them when measuring); a unit the machine left out is ``none``.
    """
    import random

    from .model import view_in_sentences
    from .units import _sentence_rows, stance

    cb = _codebook(codebook)
    targets = set(stance_df["target"]) if "target" in stance_df else set()
    if targets - {cb.name}:
        raise ValueError(
            f"the stance table was coded with codebook {', '.join(sorted(targets))}, the sheet "
            f"was asked for {cb.name}: pass the same codebook to both"
        )
    if strategy not in ("random", "uncertain"):
        raise ValueError(f"strategy must be 'random' or 'uncertain', not {strategy!r}")
    units = stance_df
    if frame == "actor":
        units = pd.concat([stance_df, candidate_units(corpus, cb)], ignore_index=True)
        units = _stance_frame(units.drop_duplicates(["article_id", "unit", "unit_id"]))
    elif frame != "machine":
        raise ValueError(f"frame must be 'actor' or 'machine', not {frame!r}")
    confidence = pd.Series(float("nan"), index=units.index)
    scored = stance_df if "confidence" in stance_df else pd.DataFrame()
    if strategy == "uncertain":
        scored = stance(corpus, cb, coder="model", include_none=True)
    if len(scored) and len(units):
        by_key = dict(zip(_unit_keys(scored), scored["confidence"], strict=True))
        confidence = _unit_keys(units).map(by_key).astype(float)
    if strategy == "uncertain":
        # a unit outside the model's frame was never doubted: it ranks as certain
        confidence = confidence.fillna(1.0)
    if sample is not None and sample < len(units):
        rng = random.Random(seed)
        if strategy == "uncertain":
            order = sorted(range(len(units)), key=lambda i: (confidence.iloc[i], i))
            n_random = round(sample * random_share)
            keep = order[: sample - n_random]
            rest = order[sample - n_random :]
            keep += rng.sample(rest, min(n_random, len(rest)))
        else:
            keep = rng.sample(range(len(units)), sample)
        units, confidence = units.iloc[sorted(keep)], confidence.iloc[sorted(keep)]
    by_article = _sentence_rows(corpus)
    keys = _unit_keys(units)
    rows = []
    for key, conf, r in zip(keys, confidence, units.itertuples(index=False), strict=True):
        sents = by_article.get(r.article_id, [])
        idx = [i for i, (s, e, _, _) in enumerate(sents) if s < r.end and e > r.start]
        context = ""
        if idx:
            lo, hi = max(0, idx[0] - 1), min(len(sents), idx[-1] + 2)
            context = " ".join(t for _, _, _, t in sents[lo:hi])
        view = view_in_sentences(sents, int(r.start), int(r.end), r.unit, text=r.text,
                                 speaker=r.speaker, context_sentences=cb.context_sentences)
        rows.append({
            "unit_key": key, "article_id": r.article_id, "unit": r.unit, "unit_id": r.unit_id,
            "start": r.start, "end": r.end, "speaker": r.speaker, "text": r.text,
            "context": context, "paragraph": view.paragraph, "before": " ".join(view.before),
            "machine": (r.stance or "none") if show_machine else "",
            "confidence": round(float(conf), 4) if show_machine and conf == conf else "",
            "human": "",
        })
    return pd.DataFrame(rows, columns=SHEET_COLUMNS)


def write_sheet(sheet: pd.DataFrame, path: str | Path) -> Path:
    """Write a coding sheet for coders; return the path. ``.xlsx``: a workbook whose ``human``
    column has a drop-down of the labels, the unit and its context side by side and wrapped;
    otherwise CSV in UTF-8 with a BOM, so Excel opens it with accents intact."""
    from ..io import write_atomic

    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        data = sheet.to_csv(index=False, lineterminator="\n").encode("utf-8-sig")
        return write_atomic(path, lambda fh: fh.write(data))
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = "coding"
    cols = list(sheet.columns)
    ws.append(cols)
    for row in sheet.itertuples(index=False):
        ws.append(["" if v is None or v != v else v for v in row])
    widths = {"text": 60, "context": 80, "paragraph": 80, "before": 50, "human": 12,
              "speaker": 24, "unit_key": 22}
    for j, name in enumerate(cols, start=1):
        letter = ws.cell(row=1, column=j).column_letter
        ws.cell(row=1, column=j).font = Font(bold=True)
        ws.column_dimensions[letter].width = widths.get(name, 12)
        if name in ("text", "context", "paragraph", "before"):
            for cell in ws[letter][1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    if "human" in cols:
        letter = ws.cell(row=1, column=cols.index("human") + 1).column_letter
        valid = DataValidation(type="list", formula1='"' + ",".join(LABELS) + '"',
                               allow_blank=True, showErrorMessage=True,
                               errorTitle="label", error="favor, against, neutral or none")
        valid.add(f"{letter}2:{letter}{max(2, len(sheet) + 1)}")
        ws.add_data_validation(valid)
    buf = io.BytesIO()
    wb.save(buf)
    return write_atomic(path, lambda fh: fh.write(buf.getvalue()))


def _unit_keys(df: pd.DataFrame) -> pd.Series:
    """Return the ``unit_key`` of each row ("article:unit:unit_id"), how a coding sheet names
    the units of a stance table."""
    return df["article_id"].astype(str) + ":" + df["unit"] + ":" + df["unit_id"].astype(str)


def read_sheet(sheet: pd.DataFrame | str | Path) -> pd.DataFrame:
    """Return a coding sheet as a DataFrame of strings: a ``.xlsx`` workbook's first sheet, or a
    CSV file (UTF-8, with or without the BOM Excel writes; ``#`` lines at the top are comments).
    """
    if isinstance(sheet, pd.DataFrame):
        return sheet.copy()
    path = Path(sheet)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such sheet")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        df = pd.read_excel(path, sheet_name=0, dtype=str, engine="openpyxl")
        return df.fillna("")
    from ..io import read_commented_csv

    return read_commented_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


_read_sheet = read_sheet  # the name the agreement and evaluation code use


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


def export_for_coding(units: pd.DataFrame, corpus: Any, codebook: Codebook | str,
                      path: str | Path) -> Path:
    """Write the stance rows ``units`` (e.g. the ``needs_coding`` ones) as a coding sheet at
    ``path`` (``.xlsx`` or ``.csv``, the machine's labels hidden); return the path."""
    return write_sheet(stance_sheet(units, corpus, frame="machine", codebook=codebook), path)
