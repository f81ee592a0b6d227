"""The learned stance coder: features of a unit, and a trained head applied with numpy only.

A unit is read as a coder reads it: its own text, its paragraph, the passage before it and who
speaks (the article's narration, one of the codebook's actors, or another speaker). Each text is
a MiniLM sentence embedding (``toolkit.stance.embed``); the lexicon coder's cue score and its
relevance rule join them as a few extra numbers. Two logistic heads decide: first whether the
unit is about the target, then favor / against / neutral. They are trained by
``toolkit.stance.train`` (scikit-learn) and stored beside the codebook as ``NAME.model.npz``
(weights, feature scaling, the training units' ids, labels and unit vectors for "most similar
coded units") plus ``NAME.model.json`` (what was trained on, how well it did, the embedding
model and the SHA-256 of the ``.npz``, checked when loading).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ToolkitError
from .codebook import Codebook
from .coder import _actor_terms, _topic_terms, code_text
from .embed import EmbeddingCache, model_id
from .phrases import _tokens, split_sentences

FEATURE_VERSION = 2
STANCES = ("favor", "against", "neutral")
ALL_LABELS = (*STANCES, "none")
SPEAKER_TYPES = ("narration", "actor", "other")
NEEDS_CODING = "needs_coding"


class StanceModelError(ToolkitError):
    """A trained stance model file is missing, altered or made for other vectors."""


@dataclass
class UnitView:
    """What the learned coder reads of one unit: its text, paragraph, the passage before, and
    who speaks."""

    text: str
    unit: str  # "sentence" | "quote"
    speaker: str = ""  # the quote's attributed speaker ("" or "(unknown)" when not known)
    paragraph: str = ""
    before: list[str] = field(default_factory=list)  # the sentences before the unit
    own: list[str] = field(default_factory=list)  # for a quote: the sentence(s) it sits in
    previous: str = ""  # the paragraph before the unit's
    paragraph_index: int = 0  # 0 = the article's first paragraph


def article_sentences(text: str) -> list[tuple[int, int, int]]:
    """Return ``(start, end, paragraph)`` of each sentence of a raw article ``text``: paragraphs
    are blocks split by blank lines (how the JSONL texts and the loader separate them).

    >>> article_sentences("One here. Two there.\\n\\nThree.")
    [(0, 9, 0), (10, 20, 0), (22, 28, 1)]
    """
    breaks = [m.end() for m in re.finditer(r"\n\s*\n", text)]
    out = []
    for s, e in split_sentences(text):
        out.append((s, e, sum(b <= s for b in breaks)))
    return out


def view_in_text(
    full: str, sentences: Sequence[tuple[int, int, int]], start: int, end: int, unit: str,
    *, text: str | None = None, speaker: str = "", context_sentences: int = 2,
) -> UnitView:
    """Return the UnitView of the span ``full[start:end]`` (``text`` overrides the unit's text:
    a sentence's narration with its quotes cut out); ``sentences`` as ``article_sentences``."""
    rows = [(s, e, p, full[s:e]) for s, e, p in sentences]
    return view_in_sentences(rows, start, end, unit,
                             text=full[start:end] if text is None else text, speaker=speaker,
                             context_sentences=context_sentences)


def view_in_sentences(
    rows: Sequence[tuple[int, int, int, str]], start: int, end: int, unit: str, *, text: str,
    speaker: str = "", context_sentences: int = 2,
) -> UnitView:
    """Return the UnitView of a unit at ``[start:end]`` among an article's sentence ``rows``
    ``(start, end, paragraph, text)`` in order: the paragraph of its first sentence, the
    ``context_sentences`` sentences before it, and (for a quote) the sentences it sits in."""
    inside = [i for i, (s, e, _, _) in enumerate(rows) if s < end and e > start]
    first = inside[0] if inside else next(
        (i for i, r in enumerate(rows) if r[0] >= start), len(rows))
    para = rows[first][2] if first < len(rows) else None
    paragraph = " ".join(t for _, _, p, t in rows if p == para)
    before = [t for _, _, _, t in rows[max(0, first - context_sentences) : first]]
    own = [rows[i][3] for i in inside if (rows[i][0], rows[i][1]) != (start, end)]
    paras = sorted({p for _, _, p, _ in rows})
    index = paras.index(para) if para in paras else 0
    previous = " ".join(t for _, _, p, t in rows if index and p == paras[index - 1])
    return UnitView(text=text, unit=unit, speaker=speaker, paragraph=paragraph or text,
                    before=before, own=own, previous=previous, paragraph_index=index)


def speaker_type(view: UnitView, cb: Codebook) -> str:
    """Return "narration" (a sentence: the article's voice), "actor" (a quote by one of the
    codebook's actors: its speaker, or when none is known its own sentence, names one) or
    "other"."""
    if view.unit != "quote":
        return "narration"
    who = view.speaker if view.speaker not in ("", "(unknown)") else ""
    if not who:
        who = " ".join(s.replace(view.text, " ") for s in view.own)
    return "actor" if _actor_terms(_tokens(who), who, cb) else "other"


def lexicon_features(view: UnitView, cb: Codebook,
                     about: dict[str, bool] | None = None) -> np.ndarray:
    """Return the lexicon's view of a unit as numbers: the lexicon coder's relevance and
    clipped score, the speaker type, whether actor and topic terms occur in the unit, its
    paragraph, the sentences before and the paragraph before, the share of the paragraph's
    sentences the lexicon finds about the target (the paragraph is arguing the point: rule 2's
    discourse case), and how far into the article the paragraph is. ``about`` memoises the
    lexicon's relevance of a sentence (a paragraph's sentences are read once per unit in it)."""
    from .units import _frame_sentences

    own = _frame_sentences(view.text, view.own) if view.unit == "quote" else []
    call = code_text(view.text, codebook=cb, context=view.before + own,
                     unit="quote" if view.unit == "quote" else "sentence")
    kind = speaker_type(view, cb)

    def has(terms: Any, text: str) -> float:
        return float(bool(text) and bool(terms(_tokens(text), text, cb)))

    before = " ".join(view.before)
    sents = [view.paragraph[a:b] for a, b in split_sentences(view.paragraph)]
    about = {} if about is None else about
    for t in sents:
        if t not in about:
            about[t] = code_text(t, codebook=cb).relevant
    share = float(np.mean([about[t] for t in sents])) if sents else 0.0
    return np.array([
        float(call.relevant),
        float(np.clip(call.score, -3, 3)) * float(call.relevant),
        float(call.relevant and call.stance == "favor"),
        float(call.relevant and call.stance == "against"),
        *(float(kind == k) for k in SPEAKER_TYPES),
        has(_actor_terms, view.text), has(_topic_terms, view.text),
        has(_actor_terms, view.paragraph), has(_topic_terms, view.paragraph),
        has(_topic_terms, before), has(_topic_terms, view.previous),
        share,
        float(np.log1p(view.paragraph_index)),
    ], dtype=np.float32)


N_LEXICON = 15
N_TEXTS = 3  # unit, paragraph, the sentences before
# the nearest coded units vote too: their labels, weighted by exp(KNN_TEMPERATURE x cosine) over
# the unit and paragraph embeddings, each label's vote divided by its share of the training
# data, mixed with the logistic heads' probabilities at KNN_WEIGHT (chosen by grouped CV among
# k = 10/30 and weights 0.3/0.5/0.7)
KNN_K = 10
KNN_TEMPERATURE = 20.0
KNN_WEIGHT = 0.5


def features(views: Sequence[UnitView], cb: Codebook, cache: EmbeddingCache) -> np.ndarray:
    """Return the feature matrix of ``views``: embeddings of the unit, its paragraph and the
    sentences before it, then ``lexicon_features``. (An embedding of the paragraph before was
    tried and lowered the grouped cross-validated kappa, 0.466 to 0.455.)"""
    if not views:
        return np.zeros((0, N_TEXTS * 384 + N_LEXICON), dtype=np.float32)
    unit = cache.embed(v.text for v in views)
    para = cache.embed(v.paragraph for v in views)
    before = cache.embed(" ".join(v.before) for v in views)
    about: dict[str, bool] = {}
    lex = np.stack([lexicon_features(v, cb, about) for v in views])
    return np.hstack([unit, para, before, lex]).astype(np.float32)


# ---------------------------------------------------------------------------------------------
# the trained head


def model_paths(codebook_path: str | Path) -> tuple[Path, Path]:
    """Return the ``.model.npz`` and ``.model.json`` paths beside a codebook TOML."""
    p = Path(codebook_path)
    stem = p.name[: -len(".toml")] if p.name.endswith(".toml") else p.name
    return p.with_name(stem + ".model.npz"), p.with_name(stem + ".model.json")


def _file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class StanceModel:
    """A trained two-stage head (relevance, then favor/against/neutral) and its metadata."""

    arrays: dict[str, np.ndarray]
    meta: dict[str, Any]

    @property
    def threshold(self) -> float:
        """The confidence under which a unit is ``needs_coding``."""
        return float(self.meta["confidence_threshold"])

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        """Return P(favor, against, neutral, none) per row of the feature matrix ``x``: the
        two logistic heads (P(none) = 1 - P(about the target); each stance = P(about) x
        P(stance | about)) mixed with the nearest coded units' vote."""
        a = self.arrays
        z = (x - a["mean"]) / a["scale"]
        p_rel = 1.0 / (1.0 + np.exp(-(z @ a["rel_coef"] + a["rel_intercept"])))
        logits = z @ a["stance_coef"].T + a["stance_intercept"]
        logits -= logits.max(axis=1, keepdims=True)
        p_st = np.exp(logits)
        p_st /= p_st.sum(axis=1, keepdims=True)
        heads = np.hstack([p_rel[:, None] * p_st, (1.0 - p_rel)[:, None]])
        if not len(x):
            return heads
        sims, idx = self._nearest(x, KNN_K)
        w = np.exp(KNN_TEMPERATURE * (sims - sims.max(axis=1, keepdims=True)))
        onehot = (self.arrays["knn_labels"][:, None] == np.array(ALL_LABELS)).astype(float)
        vote = (w[:, :, None] * onehot[idx]).sum(axis=1) / w.sum(axis=1, keepdims=True)
        prior = np.maximum(onehot.mean(axis=0), 1e-9)
        vote = vote / prior
        vote /= np.maximum(vote.sum(axis=1, keepdims=True), 1e-12)
        return calibrate((1.0 - KNN_WEIGHT) * heads + KNN_WEIGHT * vote,
                         float(self.meta.get("temperature", 1.0)))

    def _nearest(self, x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Return the cosines and indices of the ``k`` nearest coded units (unit + paragraph
        embeddings), nearest first."""
        e = x[:, :768] / np.maximum(np.linalg.norm(x[:, :768], axis=1, keepdims=True), 1e-12)
        train = self.arrays["knn_vectors"].astype(np.float32)
        sims = e @ train.T
        k = min(k, train.shape[0])
        idx = np.argsort(-sims, axis=1, kind="stable")[:, :k]
        return np.take_along_axis(sims, idx, axis=1), idx

    def neighbours(self, x: np.ndarray, k: int = 3) -> list[list[tuple[str, str]]]:
        """Return, per row, the ``k`` most similar coded training units (id, label) by the
        cosine of their unit + paragraph embeddings."""
        _, order = self._nearest(x, k)
        ids, labels = self.arrays["knn_ids"], self.arrays["knn_labels"]
        return [[(str(ids[j]), str(labels[j])) for j in row] for row in order]


def knn_arrays(x: np.ndarray, labels: Sequence[str], ids: Sequence[str]) -> dict[str, np.ndarray]:
    """Return the arrays the nearest-units vote and evidence need: the training units'
    normalised unit + paragraph embeddings (float16), labels and ids (never their text)."""
    e = x[:, :768] / np.maximum(np.linalg.norm(x[:, :768], axis=1, keepdims=True), 1e-12)
    return {"knn_vectors": e.astype(np.float16), "knn_labels": np.array(labels),
            "knn_ids": np.array(ids)}


def save_model(model: StanceModel, npz_path: str | Path) -> tuple[Path, Path]:
    """Write the model's ``.npz`` and its ``.json`` (with the ``.npz``'s SHA-256); return both."""
    from ..io import write_atomic

    npz_path = Path(npz_path)
    json_path = npz_path.with_suffix(".json")
    write_atomic(npz_path, lambda fh: np.savez_compressed(fh, **model.arrays))
    meta = dict(model.meta, npz_sha256=_file_sha256(npz_path))
    data = (json.dumps(meta, indent=2, sort_keys=True) + "\n").encode("utf-8")
    write_atomic(json_path, lambda fh: fh.write(data))
    return npz_path, json_path


def load_model(npz_path: str | Path, *, codebook: Codebook | None = None) -> StanceModel:
    """Return the StanceModel stored at ``npz_path`` (and its ``.json`` beside it); raise
    StanceModelError naming the file and the fix when it is missing, altered or was trained for
    other vectors or another codebook."""
    npz_path = Path(npz_path)
    json_path = npz_path.with_suffix(".json")
    fix = ("retrain it with `toolkit stance-train SHEET... --codebook "
           f"{codebook.name if codebook else 'NAME'}` or restore the file from the repository; "
           "or code with the codebook's lexicon instead: stance(..., coder='lexicon')")
    for p in (npz_path, json_path):
        if not p.exists():
            raise StanceModelError(f"{p}: missing; {fix}")
    try:
        meta = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise StanceModelError(f"{json_path}: not readable JSON ({err}); {fix}") from err
    got = _file_sha256(npz_path)
    if got != meta.get("npz_sha256"):
        raise StanceModelError(
            f"{npz_path}: SHA-256 {got[:12]}... differs from {json_path.name}'s "
            f"{str(meta.get('npz_sha256'))[:12]}... (the file was altered or belongs to another "
            f"training run); {fix}"
        )
    if meta.get("embedding_model") != model_id() or meta.get("feature_version") != FEATURE_VERSION:
        raise StanceModelError(
            f"{json_path}: trained on {meta.get('embedding_model')} features "
            f"v{meta.get('feature_version')}, this toolkit computes {model_id()} v"
            f"{FEATURE_VERSION}; {fix}"
        )
    if codebook is not None and meta.get("codebook") != codebook.name:
        raise StanceModelError(
            f"{json_path}: trained for codebook {meta.get('codebook')!r}, not {codebook.name!r}; "
            f"{fix}"
        )
    with np.load(npz_path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    return StanceModel(arrays, meta)


def calibrate(probs: np.ndarray, temperature: float) -> np.ndarray:
    """Return ``probs`` sharpened (temperature < 1) or flattened (> 1): p^(1/T), renormalised.

    >>> calibrate(np.array([[0.6, 0.2, 0.1, 0.1]]), 0.5).round(3).tolist()
    [[0.857, 0.095, 0.024, 0.024]]
    """
    if temperature == 1.0:
        return probs
    p = np.power(np.maximum(probs, 1e-12), 1.0 / temperature)
    return p / p.sum(axis=1, keepdims=True)


def fit_temperature(probs: np.ndarray, labels: Sequence[str]) -> float:
    """Return the temperature (0.3 to 2.0, step 0.05) that minimises the log loss of the
    out-of-fold ``probs`` against the coded ``labels``: one number, so the confidence means
    what it says (of units coded at confidence 0.7, about 70% agree with the coder)."""
    truth = np.array([ALL_LABELS.index(k) for k in labels])
    best, best_loss = 1.0, float("inf")
    for t in np.arange(0.3, 2.001, 0.05):
        p = calibrate(probs, float(t))
        loss = -float(np.mean(np.log(np.maximum(p[np.arange(len(truth)), truth], 1e-12))))
        if loss < best_loss - 1e-9:
            best, best_loss = round(float(t), 2), loss
    return best


def decide(probs: np.ndarray, threshold: float) -> tuple[list[str], np.ndarray]:
    """Return the label per row (the most probable of favor/against/neutral/none, or
    ``needs_coding`` when its probability is under ``threshold``) and the confidence (that
    probability).

    >>> decide(np.array([[0.7, 0.1, 0.1, 0.1], [0.3, 0.3, 0.2, 0.2]]), 0.5)[0]
    ['favor', 'needs_coding']
    """
    best = probs.argmax(axis=1)
    conf = probs[np.arange(len(probs)), best]
    labels = [ALL_LABELS[b] if c >= threshold else NEEDS_CODING
              for b, c in zip(best, conf, strict=True)]
    return labels, conf


def model_card(codebook: Codebook | str | Path) -> pd.DataFrame:
    """Return what a reader needs to know of a codebook's coder, as a two-column table
    (``measure``, ``value``): which coder runs, what it was trained on, and its agreement with
    human coders by cross-validation grouped by article, as stored with the model."""
    from .codebook import _codebook

    cb = _codebook(codebook)
    npz, meta_path = model_paths(cb.path)
    if not npz.exists():
        return pd.DataFrame({"measure": ["coder"], "value": [
            "lexicon: this codebook has no trained model; its agreement with human coders is "
            "not measured here (train one with `toolkit stance-train`)"]})
    meta = load_model(npz, codebook=cb).meta
    cv, trained = meta["cross_validation"], meta["trained_on"]
    labels = ", ".join(f"{n} {k}" for k, n in sorted(trained["labels"].items()))
    rows = [
        ("coder", f"model ({meta['embedding_model']} features; {meta['head']})"),
        ("trained on", f"{trained['units']:,} hand-coded units from {trained['articles']} "
                       f"articles ({labels})"),
        ("cross-validation", f"{cv['folds']} folds grouped by article"),
        ("Cohen's kappa, 4 labels", f"{cv['kappa']:.2f} (95% CI {cv['kappa_ci95'][0]:.2f}–"
                                    f"{cv['kappa_ci95'][1]:.2f})"),
        ("Cohen's kappa, about the target or not", f"{cv['relevance_kappa']:.2f} (95% CI "
         f"{cv['relevance_kappa_ci95'][0]:.2f}–{cv['relevance_kappa_ci95'][1]:.2f})"),
        ("accuracy, 4 labels", f"{cv['accuracy']:.2f}"),
    ]
    for label, pr in sorted(cv["per_class"].items()):
        rows.append((f"{label}: precision / recall",
                     f"{pr['precision']:.2f} / {pr['recall']:.2f} ({pr['support']} units)"))
    threshold = meta["confidence_threshold"]
    for row in cv["abstention"]:
        if abs(row["threshold"] - threshold) < 1e-9:
            rows.append((f"auto-coded at confidence ≥ {threshold:.2f}",
                         f"{row['auto_coded_share']:.0%} of units, kappa "
                         f"{row['kappa_on_auto_coded']:.2f} on them; the rest are needs_coding"))
    curve = ", ".join(f"{k} {v['kappa']:.2f}" for k, v in
                      sorted(cv["learning_curve"].items(), key=lambda kv: float(kv[0][:-1])))
    rows.append(("learning curve (kappa by share of the training data)", curve))
    return pd.DataFrame(rows, columns=["measure", "value"])
