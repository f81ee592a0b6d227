"""Stance agreement with the project's hand-coded labels in ``seeds/labels/``."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..paths import DEFAULT_CODEBOOK
from ..stance.agreement import stance_agreement
from ..stance.codebook import Codebook, _codebook
from ..stance.coder import code_text
from ..stance.phrases import split_sentences
from ..stance.sheets import _read_sheet
from ..stance.units import _frame_sentences


def sha1(text: str) -> str:
    """Return the first 12 hex digits of the SHA-1 of ``text`` (labels store it, not the text).

    >>> sha1("abc")
    'a9993e364706'
    """
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def label_agreement(
    labels: pd.DataFrame | str | Path,
    texts: Mapping[str, str],
    *,
    codebook: Codebook | str = DEFAULT_CODEBOOK,
) -> dict[str, dict[str, Any]]:
    """Return agreement (see ``stance_agreement``) of the machine with a hand-labelled file,
    per ``split`` value ("all" for every row), plus the scored rows under key "rows".

    ``labels`` is a DataFrame or a CSV path (``#`` lines are comments) with article_id, unit,
    start, end, human and optionally sha1 and split.
    """
    df = _read_sheet(labels)
    scored = score_spans(df, texts, codebook=codebook)
    out: dict[str, Any] = {"all": stance_agreement(scored)}
    if "split" in scored:
        for split, part in scored.groupby("split"):
            out[str(split)] = stance_agreement(part)
    out["rows"] = scored
    return out


def score_spans(
    labels: pd.DataFrame, texts: Mapping[str, str], *, codebook: Codebook | str = DEFAULT_CODEBOOK
) -> pd.DataFrame:
    """Return ``labels`` with ``text``, ``context``, ``machine`` (favor|against|neutral|none),
    ``score``, ``evidence`` and ``relevance`` (the relevance rule that fired).

    ``labels`` has article_id, unit, start, end (offsets into ``texts[article_id]``) and
    optionally sha1 (checked: a mismatch means the text changed and raises ValueError). The
    machine codes the span text with the ``context_sentences`` sentences before it (and, for a
    quote, the sentence it sits in) as context; "none" when not about the target.
    """
    cb = _codebook(codebook)
    out = labels.copy()
    cache: dict[str, list[tuple[int, int]]] = {}
    unit_texts, contexts, machine, scores, evidence, why = [], [], [], [], [], []
    for r in out.itertuples(index=False):
        full = texts[str(r.article_id)]
        s, e = int(r.start), int(r.end)
        unit_text = full[s:e]
        want = getattr(r, "sha1", "")
        if want and sha1(unit_text) != want:
            raise ValueError(
                f"{r.article_id} [{s}:{e}]: text changed (sha1 {sha1(unit_text)} != {want})"
            )
        if str(r.article_id) not in cache:
            cache[str(r.article_id)] = split_sentences(full)
        sents = cache[str(r.article_id)]
        before = [full[a:b] for a, b in sents if b <= s][-cb.context_sentences :]
        own = [full[a:b] for a, b in sents if a < e and b > s and (a, b) != (s, e)]
        if r.unit == "quote":
            own = _frame_sentences(unit_text, own)
        call = code_text(unit_text, codebook=cb, context=before + own,
                         unit="quote" if r.unit == "quote" else "sentence")
        unit_texts.append(unit_text)
        contexts.append(" ".join(before + own))
        machine.append(call.stance if call.relevant else "none")
        scores.append(call.score)
        evidence.append(call.evidence)
        why.append(call.relevance)
    out["text"], out["context"], out["machine"] = unit_texts, contexts, machine
    out["score"], out["evidence"], out["relevance"] = scores, evidence, why
    return out


def evaluate_stance(
    *, codebook: Codebook | str = DEFAULT_CODEBOOK, splits: Sequence[str] | None = None,
) -> dict[str, dict[str, Any]]:
    """Return agreement of the machine with the hand-coded labels in ``seeds/labels/``.

    Keys: "seed" (the seed article's 29 units) and, when ``../shared/data`` is present, one per
    ``split`` of the cn_ru_ua labels ("tune", "score": development; "holdout": the fresh units
    coded blind, never used while writing the rules); each value has cohen_kappa, accuracy, n,
    per_class and confusion (see ``stance_agreement``). ``splits`` limits the cn_ru_ua splits
    reported (e.g. ``["tune"]`` while developing, so the scoring half stays unread).
    """
    import json

    from ..loader import load_articles
    from ..paths import SEEDS_DIR, SHARED_DATA_DIR

    labels = SEEDS_DIR / "labels"
    seed = load_articles([str(SEEDS_DIR / "000_a1bbb6199e38b69c.txt")])[0]
    sheet = _read_sheet(labels / "seed_china_mediation.csv").drop(columns=["text"])
    out: dict[str, dict[str, Any]] = {
        "seed": label_agreement(sheet, {seed.article_id: seed.text}, codebook=codebook)["all"]
    }
    jsonl = SHARED_DATA_DIR / "articles_cn_ru_ua.jsonl"
    if jsonl.exists():
        with jsonl.open(encoding="utf-8") as f:
            raw = {r["id"]: r["text"] for r in map(json.loads, f)}
        # the development file (splits tune, score) and the fresh blind-coded holdout file
        rows = pd.concat(
            [_read_sheet(path) for path in sorted(labels.glob("cn_ru_ua_china_mediation*.csv"))],
            ignore_index=True,
        )
        for split in sorted(set(rows["split"])):
            if splits is None or split in splits:
                part = rows[rows["split"] == split]
                out[split] = label_agreement(part, raw, codebook=codebook)["all"]
    return out


def main() -> None:  # pragma: no cover - a reproduction entry point
    """Print agreement with the hand-coded labels (``evaluate_stance``), one line per sheet."""
    for name, agreement in evaluate_stance().items():
        print(f"{name:6} n={agreement['n']:3} kappa={agreement['cohen_kappa']:.3f} "
              f"accuracy={agreement['accuracy']:.3f}")


if __name__ == "__main__":
    main()
