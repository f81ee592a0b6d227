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

from ..errors import ToolkitError
from .codebook import Codebook
from .coder import _actor_terms, _topic_terms, code_text
from .embed import EmbeddingCache, model_id
from .phrases import _tokens, split_sentences

FEATURE_VERSION = 1
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
    return UnitView(text=text, unit=unit, speaker=speaker, paragraph=paragraph or text,
                    before=before, own=own)


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


def lexicon_features(view: UnitView, cb: Codebook) -> np.ndarray:
    """Return the lexicon's view of a unit as numbers: the lexicon coder's relevance and
    clipped score, the speaker type, and whether actor and topic terms occur in the unit and in
    its paragraph."""
    from .units import _frame_sentences

    own = _frame_sentences(view.text, view.own) if view.unit == "quote" else []
    call = code_text(view.text, codebook=cb, context=view.before + own,
                     unit="quote" if view.unit == "quote" else "sentence")
    tok, ptok = _tokens(view.text), _tokens(view.paragraph)
    kind = speaker_type(view, cb)
    return np.array([
        float(call.relevant),
        float(np.clip(call.score, -3, 3)) * float(call.relevant),
        float(call.relevant and call.stance == "favor"),
        float(call.relevant and call.stance == "against"),
        *(float(kind == k) for k in SPEAKER_TYPES),
        float(bool(_actor_terms(tok, view.text, cb))),
        float(bool(_topic_terms(tok, view.text, cb))),
        float(bool(_actor_terms(ptok, view.paragraph, cb))),
        float(bool(_topic_terms(ptok, view.paragraph, cb))),
    ], dtype=np.float32)


def features(views: Sequence[UnitView], cb: Codebook, cache: EmbeddingCache) -> np.ndarray:
    """Return the feature matrix of ``views``: embeddings of the unit, its paragraph and the
    passage before it, then ``lexicon_features``."""
    if not views:
        return np.zeros((0, 3 * 384 + 11), dtype=np.float32)
    unit = cache.embed(v.text for v in views)
    para = cache.embed(v.paragraph for v in views)
    before = cache.embed(" ".join(v.before) for v in views)
    lex = np.stack([lexicon_features(v, cb) for v in views])
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
        """Return P(favor, against, neutral, none) per row of the feature matrix ``x``."""
        a = self.arrays
        z = (x - a["mean"]) / a["scale"]
        p_rel = 1.0 / (1.0 + np.exp(-(z @ a["rel_coef"] + a["rel_intercept"])))
        logits = z @ a["stance_coef"].T + a["stance_intercept"]
        logits -= logits.max(axis=1, keepdims=True)
        p_st = np.exp(logits)
        p_st /= p_st.sum(axis=1, keepdims=True)
        return np.hstack([p_rel[:, None] * p_st, (1.0 - p_rel)[:, None]])

    def neighbours(self, x: np.ndarray, k: int = 3) -> list[list[tuple[str, str]]]:
        """Return, per row, the ``k`` most similar coded training units (id, label) by the
        cosine of their unit embeddings (the first 384 features)."""
        train = self.arrays["nn_vectors"].astype(np.float32)
        sims = x[:, :384] @ train.T
        order = np.argsort(-sims, axis=1, kind="stable")[:, :k]
        ids, labels = self.arrays["nn_ids"], self.arrays["nn_labels"]
        return [[(str(ids[j]), str(labels[j])) for j in row] for row in order]


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
           f"{codebook.name if codebook else 'NAME'}`, or restore the file from the repository")
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
