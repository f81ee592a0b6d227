"""Train the learned stance coder from coded sheets, and measure it by cross-validation grouped
by article (no article's units on both sides). Needs scikit-learn: ``pip install
'newsnb-toolkit[train]'``; applying a trained model does not.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import SheetError, ToolkitError
from .agreement import cohen_kappa
from .codebook import Codebook, _codebook
from .embed import EmbeddingCache, model_id
from .model import (
    ALL_LABELS,
    FEATURE_VERSION,
    KNN_K,
    KNN_WEIGHT,
    N_LEXICON,
    STANCES,
    StanceModel,
    UnitView,
    article_sentences,
    calibrate,
    decide,
    features,
    fit_temperature,
    knn_arrays,
    view_in_text,
)
from .phrases import split_sentences
from .sheets import read_sheet

FRACTIONS = (0.25, 0.5, 0.75, 1.0)
THRESHOLDS = (0.0, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
# the default abstention threshold is the lowest confidence at which the cross-validated kappa
# on the units the model codes itself reaches 0.667, the level below which Krippendorff advises
# against drawing even tentative conclusions (Content Analysis, 2004, p. 241)
TARGET_KAPPA = 0.667
# the heads read the embeddings centred on the training mean, not rescaled dimension by
# dimension (the embedding's own geometry is kept; standardising every dimension, at C = 0.005,
# gave grouped-CV kappa 0.513 against 0.534); the lexicon's few numbers are standardised. C was
# chosen by that CV among 0.1 / 0.25 / 0.5 / 1 / 2 (the README gives the nested estimate)
C_RELEVANCE = 0.5
C_STANCE = 0.5
FEATURES = ("MiniLM of the unit, its paragraph and the two sentences before; speaker type "
            "(narration, codebook actor, other); lexicon relevance, score and verdict; actor/topic "
            "terms in the unit, paragraph, sentences before and paragraph before; share of the "
            "paragraph's sentences the lexicon finds on target; paragraph position")


def _sklearn() -> Any:
    try:
        import sklearn  # noqa: F401
        from sklearn.linear_model import LogisticRegression
    except ImportError as err:
        raise ToolkitError(
            "training a stance model needs scikit-learn, which the toolkit installs only on "
            "request: `pip install 'newsnb-toolkit[train]'` (or `pip install scikit-learn`); "
            "applying a trained model does not need it"
        ) from err
    return LogisticRegression


def read_texts(paths: Sequence[str | Path]) -> dict[str, str]:
    """Return article_id -> text for the articles a coded sheet's offsets index: the raw
    ``text`` field of ``.jsonl`` records (by ``id``), as the project's labels are stored, else
    ``Article.text`` as the loader builds it."""
    out: dict[str, str] = {}
    others = []
    for p in map(Path, paths):
        if p.suffix == ".jsonl":
            with p.open(encoding="utf-8") as f:
                for line in f:
                    if line.strip():
                        r = json.loads(line)
                        out[str(r["id"])] = r["text"]
        else:
            others.append(str(p))
    if others:
        from ..loader import load_articles

        for a in load_articles(others):
            out[a.article_id] = a.text
    return out


@dataclass
class CodedUnits:
    """Coded units ready to train on: one UnitView each, its label, id and article."""

    views: list[UnitView]
    labels: list[str]
    ids: list[str]
    articles: list[str]

    def __len__(self) -> int:
        return len(self.labels)


def coded_units(
    sheets: Sequence[str | Path | pd.DataFrame], texts: Mapping[str, str], cb: Codebook,
) -> CodedUnits:
    """Return the coded units of ``sheets`` (rows with an empty ``human`` are skipped).

    A sheet written by ``stance_sheet`` carries each unit's ``text``, ``paragraph`` and
    ``before``, which are used as they are. Otherwise a sheet gives each unit by offsets
    (``start, end`` or ``raw_start, raw_end`` into ``texts[article_id]``, checked against
    ``sha1`` when present) or, for articles not in ``texts``, by its ``text`` and ``context``
    columns (the context then stands for the paragraph). A sheet's own ``text`` column is the
    unit's text (a sentence's narration with its quotes cut out, as ``stance-sheet`` writes it).
    """
    from ..evaluate.stance import sha1

    out = CodedUnits([], [], [], [])
    sentences: dict[str, list[tuple[int, int, int]]] = {}
    for sheet in sheets:
        name = "sheet" if isinstance(sheet, pd.DataFrame) else str(sheet)
        df = read_sheet(sheet)
        df = df.rename(columns={"raw_start": "start", "raw_end": "end"})
        for col in ("article_id", "unit", "human"):
            if col not in df:
                raise SheetError(f"{name}: no {col!r} column (columns: {', '.join(df.columns)})")
        for i, r in enumerate(df.to_dict("records")):
            label = str(r["human"]).strip().lower()
            if not label:
                continue
            where = f"{name}: row {i + 1} ({r['article_id']})"
            if label not in ALL_LABELS:
                raise SheetError(f"{where}: label {r['human']!r} is not one of "
                                 f"{', '.join(ALL_LABELS)} (none = not about the target)")
            aid, unit = str(r["article_id"]), str(r["unit"])
            text = str(r.get("text") or "") or None
            speaker = str(r.get("speaker") or "")
            if str(r.get("paragraph") or "") and text:
                # a sheet from stance-sheet carries what the coder reads (offsets index the
                # loader's text, which need not be the raw text of --articles)
                before = str(r.get("before") or "")
                view = UnitView(text=text, unit=unit, speaker=speaker,
                                paragraph=str(r["paragraph"]),
                                before=[before[a:b] for a, b in split_sentences(before)])
                uid = str(r.get("unit_key") or f"{aid}:{unit}:{r.get('unit_id', i)}")
            elif aid in texts and str(r.get("start", "")).strip() not in ("", "nan"):
                full = texts[aid]
                s, e = int(float(r["start"])), int(float(r["end"]))
                want = str(r.get("sha1") or "")
                if want and sha1(full[s:e]) != want:
                    raise SheetError(f"{where}: [{s}:{e}] text changed (sha1 {sha1(full[s:e])} "
                                     f"!= {want}): the sheet was coded on another version")
                if aid not in sentences:
                    sentences[aid] = article_sentences(full)
                view = view_in_text(full, sentences[aid], s, e, unit, text=text, speaker=speaker,
                                    context_sentences=cb.context_sentences)
                uid = f"{aid}[{s}:{e}]"
            elif text:
                view = UnitView(text=text, unit=unit, speaker=speaker,
                                paragraph=str(r.get("context") or "") or text)
                uid = str(r.get("unit_key") or f"{aid}:{unit}:{r.get('unit_id', i)}")
            else:
                raise SheetError(f"{where}: neither offsets into a known article nor a text: "
                                 "pass the articles with --articles")
            out.views.append(view)
            out.labels.append(label)
            out.ids.append(uid)
            out.articles.append(aid)
    if not len(out):
        raise SheetError("no coded rows in " + ", ".join(
            "sheet" if isinstance(s, pd.DataFrame) else str(s) for s in sheets)
            + ": fill the `human` column (favor, against, neutral or none) first")
    return out


def fit(x: np.ndarray, labels: Sequence[str], ids: Sequence[str] | None = None, *,
        c_relevance: float = C_RELEVANCE, c_stance: float = C_STANCE) -> dict[str, np.ndarray]:
    """Return the model's arrays fitted on ``x``: scaling, relevance and stance weights, and
    the coded units the nearest-units vote reads (``knn_arrays``)."""
    LogisticRegression = _sklearn()
    y = np.array(labels)
    mean = x.mean(axis=0)
    spread = x.std(axis=0)
    scale = np.ones(x.shape[1])
    scale[-N_LEXICON:] = np.where(spread[-N_LEXICON:] > 0, spread[-N_LEXICON:], 1.0)
    z = (x - mean) / scale
    relevant = y != "none"
    if relevant.all() or not relevant.any():
        raise SheetError("training needs units both about the target and not (label none)")
    rel = LogisticRegression(C=c_relevance, class_weight="balanced", max_iter=5000)
    rel.fit(z, relevant)
    present = [k for k in STANCES if (y[relevant] == k).any()]
    if len(present) < 2:
        raise SheetError("training needs at least two of favor, against, neutral")
    st = LogisticRegression(C=c_stance, class_weight="balanced", max_iter=5000)
    st.fit(z[relevant], y[relevant])
    # a stance the sheets never use gets no probability
    coef = np.zeros((3, x.shape[1]))
    intercept = np.full(3, -1e4)
    for j, k in enumerate(st.classes_):
        row = STANCES.index(k)
        coef[row] = st.coef_[j] if len(st.classes_) > 2 else (st.coef_[0] if j else -st.coef_[0])
        intercept[row] = (st.intercept_[j] if len(st.classes_) > 2
                          else (st.intercept_[0] if j else -st.intercept_[0]))
    return {
        "mean": mean.astype(np.float32), "scale": scale.astype(np.float32),
        "rel_coef": rel.coef_[0].astype(np.float32),
        "rel_intercept": np.float32(rel.intercept_[0]),
        "stance_coef": coef.astype(np.float32), "stance_intercept": intercept.astype(np.float32),
        **knn_arrays(x, labels, ids if ids is not None else [str(i) for i in range(len(y))]),
    }


def _folds(labels: Sequence[str], groups: Sequence[str], k: int, seed: int) -> list[np.ndarray]:
    """Return the test indices of ``k`` folds, whole articles only (stratified by label)."""
    from sklearn.model_selection import StratifiedGroupKFold

    splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    return [test for _, test in splitter.split(np.zeros(len(labels)), labels, groups)]


def _bootstrap(truth: Sequence[str], pred: Sequence[str], groups: Sequence[str],
               *, n: int = 1000, seed: int = 0) -> tuple[float, float]:
    """Return the 95% interval of Cohen's kappa, resampling whole articles (units of one
    article are not independent)."""
    by: dict[str, list[int]] = {}
    for i, g in enumerate(groups):
        by.setdefault(g, []).append(i)
    keys = sorted(by)
    rng = random.Random(seed)
    values = []
    for _ in range(n):
        idx = [i for g in rng.choices(keys, k=len(keys)) for i in by[g]]
        values.append(cohen_kappa([truth[i] for i in idx], [pred[i] for i in idx]))
    return float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))


def _relevance(labels: Sequence[str]) -> list[str]:
    return ["none" if k == "none" else "target" for k in labels]


def per_class(truth: Sequence[str], pred: Sequence[str]) -> dict[str, dict[str, float]]:
    """Return precision, recall and support per label.

    >>> per_class(["a", "a", "b"], ["a", "b", "b"])["a"]
    {'precision': 1.0, 'recall': 0.5, 'support': 2}
    """
    out = {}
    for k in sorted(set(truth) | set(pred), key=lambda k: (k not in ALL_LABELS, k)):
        tp = sum(t == k and p == k for t, p in zip(truth, pred, strict=True))
        np_, nt = list(pred).count(k), list(truth).count(k)
        out[k] = {"precision": round(tp / np_, 4) if np_ else 0.0,
                  "recall": round(tp / nt, 4) if nt else 0.0, "support": nt}
    return out


def cross_validate(
    x: np.ndarray, data: CodedUnits, *, k: int = 5, seed: int = 0,
    fractions: Sequence[float] = FRACTIONS, **params: float,
) -> dict[str, Any]:
    """Return grouped k-fold cross-validated agreement: kappa (4 labels) and relevance kappa
    with bootstrap 95% intervals, per-class precision/recall, the learning curve (kappa when
    each fold trains on that fraction of its training articles) and the abstention trade-off."""
    labels, groups = list(data.labels), list(data.articles)
    folds = _folds(labels, groups, k, seed)
    curve = {}
    probs_full = np.zeros((len(labels), 4))
    for frac in fractions:
        pred = [""] * len(labels)
        for f, test in enumerate(folds):
            train = np.setdiff1d(np.arange(len(labels)), test)
            arts = sorted({groups[i] for i in train})
            keep = set(random.Random(seed + f).sample(arts, max(2, round(frac * len(arts)))))
            train = np.array([i for i in train if groups[i] in keep])
            head = StanceModel(fit(x[train], [labels[i] for i in train], **params),
                               {"confidence_threshold": 0.0})
            p = head.probabilities(x[test])
            for j, i in enumerate(test):
                pred[i] = ALL_LABELS[int(p[j].argmax())]
            if frac == 1.0:
                probs_full[test] = p
        curve[f"{int(frac * 100)}%"] = {
            "kappa": cohen_kappa(labels, pred),
            "relevance_kappa": cohen_kappa(_relevance(labels), _relevance(pred)),
        }
    # one temperature, fitted on the out-of-fold probabilities, makes the confidence calibrated
    # (the labels do not change: the order of a row's probabilities is kept)
    temperature = fit_temperature(probs_full, labels)
    probs_full = calibrate(probs_full, temperature)
    pred = [ALL_LABELS[int(i)] for i in probs_full.argmax(axis=1)]
    lo, hi = _bootstrap(labels, pred, groups)
    rlo, rhi = _bootstrap(_relevance(labels), _relevance(pred), groups)
    tradeoff = []
    for t in THRESHOLDS:
        decided, conf = decide(probs_full, t)
        keep = [i for i, d in enumerate(decided) if d != "needs_coding"]
        tradeoff.append({
            "threshold": t, "auto_coded_share": round(len(keep) / len(labels), 4),
            "kappa_on_auto_coded": cohen_kappa([labels[i] for i in keep],
                                               [pred[i] for i in keep]) if keep else None,
            "accuracy_on_auto_coded": round(float(np.mean([labels[i] == pred[i]
                                                           for i in keep])), 4) if keep else None,
        })
    conf = probs_full.max(axis=1)
    calibration = []
    for a, b in ((0.0, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.01)):
        sel = (conf >= a) & (conf < b)
        if sel.any():
            acc = float(np.mean([labels[i] == pred[i] for i in np.flatnonzero(sel)]))
            calibration.append({"confidence": f"{a:.1f}-{min(b, 1.0):.1f}", "n": int(sel.sum()),
                                "mean_confidence": round(float(conf[sel].mean()), 4),
                                "accuracy": round(acc, 4)})
    return {
        "n": len(labels), "articles": len(set(groups)), "folds": k, "seed": seed,
        "kappa": cohen_kappa(labels, pred), "kappa_ci95": [round(lo, 4), round(hi, 4)],
        "relevance_kappa": cohen_kappa(_relevance(labels), _relevance(pred)),
        "relevance_kappa_ci95": [round(rlo, 4), round(rhi, 4)],
        "accuracy": round(float(np.mean([a == b for a, b in zip(labels, pred, strict=True)])), 4),
        "per_class": per_class(labels, pred),
        "learning_curve": curve, "abstention": tradeoff, "calibration": calibration,
        "temperature": temperature,
        "predictions": pred, "probabilities": probs_full,
    }


def choose_threshold(tradeoff: Sequence[Mapping[str, Any]],
                     target: float = TARGET_KAPPA) -> float:
    """Return the lowest threshold whose kappa on the auto-coded units reaches ``target`` (the
    highest tried when none does)."""
    for row in tradeoff:
        if row["kappa_on_auto_coded"] is not None and row["kappa_on_auto_coded"] >= target:
            return float(row["threshold"])
    return float(tradeoff[-1]["threshold"])


def train(
    sheets: Sequence[str | Path | pd.DataFrame], *, codebook: Codebook | str | Path,
    texts: Mapping[str, str] | None = None, cache: EmbeddingCache | None = None,
    folds: int = 5, seed: int = 0, fractions: Sequence[float] = FRACTIONS,
) -> tuple[StanceModel, dict[str, Any]]:
    """Return the model trained on every coded unit of ``sheets`` and its cross-validated
    agreement (``cross_validate``; folds grouped by article). The abstention threshold is the
    lowest at which the cross-validated kappa on auto-coded units reaches ``TARGET_KAPPA``."""
    _sklearn()
    cb = _codebook(codebook)
    data = coded_units(sheets, texts or {}, cb)
    cache = cache or EmbeddingCache()
    x = features(data.views, cb, cache)
    cache.save()
    n_articles = len(set(data.articles))
    cv = None
    if n_articles >= folds:
        cv = cross_validate(x, data, k=folds, seed=seed, fractions=fractions)
    arrays = fit(x, data.labels, data.ids)
    counts = {k: data.labels.count(k) for k in ALL_LABELS}
    threshold = choose_threshold(cv["abstention"]) if cv else 0.5
    summary = {k: v for k, v in (cv or {}).items() if k not in ("predictions", "probabilities")}
    meta = {
        "codebook": cb.name, "embedding_model": model_id(), "feature_version": FEATURE_VERSION,
        "features": FEATURES,
        "head": "two logistic regressions (about the target? then favor/against/neutral), "
                f"C={C_RELEVANCE}/{C_STANCE}, balanced class weights, embeddings centred on the "
                "training mean, lexicon features standardised; "
                f"mixed at {KNN_WEIGHT} with the vote of the {KNN_K} nearest coded units",
        "confidence_threshold": threshold,
        "temperature": cv["temperature"] if cv else 1.0,
        "trained_on": {"units": len(data), "articles": n_articles, "labels": counts,
                       "sheets": [_sheet_name(s) for s in sheets]},
        "cross_validation": summary,
    }
    return StanceModel(arrays, meta), cv or {}


def _sheet_name(sheet: str | Path | pd.DataFrame) -> str:
    return "DataFrame" if isinstance(sheet, pd.DataFrame) else Path(sheet).name


def format_report(cv: Mapping[str, Any]) -> str:
    """Return the cross-validation report as text (what ``toolkit stance-train`` prints)."""
    if not cv:
        return "too few articles for a grouped cross-validation (need one per fold)"
    lines = [
        f"{cv['folds']}-fold cross-validation grouped by article: {cv['n']} units, "
        f"{cv['articles']} articles",
        f"  kappa (favor/against/neutral/none)  {cv['kappa']:.3f}  "
        f"95% CI {cv['kappa_ci95'][0]:.3f}-{cv['kappa_ci95'][1]:.3f}",
        f"  relevance kappa (target vs none)    {cv['relevance_kappa']:.3f}  "
        f"95% CI {cv['relevance_kappa_ci95'][0]:.3f}-{cv['relevance_kappa_ci95'][1]:.3f}",
        f"  accuracy                            {cv['accuracy']:.3f}",
        "  per class:        precision  recall  support",
    ]
    for k, m in cv["per_class"].items():
        lines.append(f"    {k:<16} {m['precision']:9.3f} {m['recall']:7.3f} {m['support']:8d}")
    lines.append("  learning curve (share of training articles): "
                 + ", ".join(f"{f} {v['kappa']:.3f} (relevance {v['relevance_kappa']:.3f})"
                             for f, v in cv["learning_curve"].items()))
    lines.append("  abstention: threshold -> auto-coded share, kappa on them")
    for row in cv["abstention"]:
        kap = row["kappa_on_auto_coded"]
        lines.append(f"    {row['threshold']:.1f}  {row['auto_coded_share']:.3f}  "
                     + (f"{kap:.3f}" if kap is not None else "-"))
    lines.append(f"  calibration (temperature {cv['temperature']:.2f}): confidence band -> n, "
                 "mean confidence, accuracy")
    for row in cv["calibration"]:
        lines.append(f"    {row['confidence']}  {row['n']:5d}  {row['mean_confidence']:.3f}  "
                     f"{row['accuracy']:.3f}")
    return "\n".join(lines)
