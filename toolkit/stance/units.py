"""Units of a corpus (quotes, narration sentences) and the stance table built from them."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..paths import DEFAULT_CODEBOOK
from .codebook import Codebook, _codebook
from .coder import _actor_terms, code_text
from .phrases import _tokens

_log = logging.getLogger(__name__)

STANCE_COLUMNS = [
    "article_id", "unit", "unit_id", "speaker", "target", "stance", "score", "evidence",
    "polarity", "text", "start", "end", "coder", "confidence", "p_favor", "p_against",
    "p_neutral", "p_none", "similar",
]

def _frame(corpus: Any, name: str) -> pd.DataFrame:
    value = corpus.get(name) if isinstance(corpus, Mapping) else getattr(corpus, name, None)
    return value if isinstance(value, pd.DataFrame) else pd.DataFrame()


def _polarity(text: str) -> float:
    from ..extract.sentiment import sentiment

    return sentiment(text)[0]


def _frame_sentences(unit: str, own: Sequence[str]) -> list[str]:
    """Return the sentences a quote ``unit`` sits in that say more than the quote itself.

    A quote that is a whole sentence would otherwise become its own last context sentence and
    hide the speaker named in the sentence before it ("Mao Ning said ... " then "“We have been
    promoting peace talks.”"); a sentence that adds an attribution ("..., Mao said") stays.
    """
    out = []
    for sentence in own:
        rest = sentence.replace(unit, " ") if unit in sentence else sentence
        if unit not in sentence or re.search(r"[^\W\d_]{2,}", rest):
            out.append(sentence)
    return out


def _narration(text: str, start: int, spans: list[tuple[int, int]]) -> str:
    """Return sentence ``text`` (at ``start``) with quoted spans replaced by ' … '."""
    pieces, pos = [], 0
    for s, e in sorted(spans):
        s, e = max(s - start, 0), min(e - start, len(text))
        if s > pos:
            pieces.append(text[pos:s])
        pos = max(pos, e)
    pieces.append(text[pos:])
    return " … ".join(p.strip() for p in pieces if p.strip())


def _units(corpus: Any, cb: Codebook) -> Iterator[dict[str, Any]]:
    """Yield every unit the coder reads, article by article: each quote, then each sentence's
    narration (quoted spans cut out, so no quote is coded twice; fewer than four words left gives
    no unit).

    Keys: article_id, unit, unit_id, speaker, text, start, end, context (the sentences read with
    the unit: the ``context_sentences`` before it, and for a quote the narration of its own
    sentence), actor_in_unit (the entities layer found an actor in the unit itself) and polarity
    (the quotes table's, or None).
    """
    articles, sentences = _frame(corpus, "articles"), _frame(corpus, "sentences")
    quotes, entities = _frame(corpus, "quotes"), _frame(corpus, "entities")
    outlet = {}
    if not articles.empty:
        for row in articles.itertuples(index=False):
            outlet[row.article_id] = getattr(row, "outlet", "") or row.article_id
    actor_spans: dict[str, list[tuple[int, int]]] = {}
    if not entities.empty and cb.actor_entities and "canonical" in entities:
        hit = entities[entities["canonical"].isin(cb.actor_entities)]
        for row in hit.itertuples(index=False):
            actor_spans.setdefault(row.article_id, []).append((int(row.start), int(row.end)))
    article_ids = sorted(set(sentences.get("article_id", [])) | set(quotes.get("article_id", [])))
    for aid in article_ids:
        sents = (
            sentences[sentences["article_id"] == aid].sort_values("start")
            if not sentences.empty else pd.DataFrame(columns=["start", "end", "text"])
        )
        s_rows = list(sents.itertuples(index=False))
        qs = quotes[quotes["article_id"] == aid] if not quotes.empty else pd.DataFrame()
        q_rows = list(qs.itertuples(index=False)) if not qs.empty else []
        spans = actor_spans.get(aid, [])

        def has_actor(s: int, e: int, outside: Sequence[tuple[int, int]] = (),
                      spans: list[tuple[int, int]] = spans) -> bool:
            # for narration, a mention inside a quote is the quote's, not the narrator's
            return any(s <= a < e and not any(qs <= a < qe for qs, qe in outside)
                       for a, _ in spans)

        for q in q_rows:
            before = [r.text for r in s_rows if r.end <= int(q.start)]
            own = [r.text for r in s_rows if r.start < int(q.end) and r.end > int(q.start)]
            pol = getattr(q, "polarity", None)
            yield {
                "article_id": aid, "unit": "quote", "unit_id": int(q.quote_id),
                "speaker": getattr(q, "speaker", "") or "(unknown)", "text": q.text,
                "start": int(q.start), "end": int(q.end),
                "context": before[-cb.context_sentences :] + _frame_sentences(q.text, own),
                "actor_in_unit": has_actor(int(q.start), int(q.end)),
                "polarity": float(pol) if pol is not None and pol == pol else None,
            }
        name = outlet.get(aid, aid)
        for i, s in enumerate(s_rows):
            inside = [(int(q.start), int(q.end)) for q in q_rows
                      if q.start < s.end and q.end > s.start]
            text = _narration(s.text, int(s.start), inside) if inside else s.text
            if len(re.findall(r"[^\W\d_]{2,}", text)) < 4:
                continue
            yield {
                "article_id": aid, "unit": "sentence", "unit_id": int(s.sentence_id),
                "speaker": f"narration: {name}", "text": text,
                "start": int(s.start), "end": int(s.end),
                "context": [r.text for r in s_rows[max(0, i - cb.context_sentences) : i]],
                "actor_in_unit": has_actor(int(s.start), int(s.end), inside),
                "polarity": None,
            }


def stance(
    corpus: Any,
    codebook: Codebook | str = DEFAULT_CODEBOOK,
    *,
    coder: Literal["auto", "model", "lexicon"] = "auto",
    include_none: bool = False,
    cache_dir: str | Path | None = None,
) -> pd.DataFrame:
    """Return one stance row per quote and per non-quote sentence about the codebook's target.

    ``corpus`` has DataFrames ``articles``, ``sentences``, ``quotes`` and optionally ``entities``
    (attributes or mapping keys). Sentence units are coded on their narration only: quoted
    spans are cut out, and a sentence with fewer than four words left (a quote plus "said Li")
    gives no row, so no quote is counted twice.

    ``coder="auto"`` uses the codebook's trained model (``NAME.model.npz`` beside its TOML) when
    there is one, else its lexicon, and says which in the ``coder`` column (and in a log
    warning); "model" requires the model, "lexicon" ignores it. The model codes every unit in
    the actor frame (``candidate_units``): a unit whose most probable label is below the model's
    confidence threshold is ``needs_coding`` (a human should code it), one confidently ``none``
    gets no row unless ``include_none``. ``cache_dir`` keeps the unit embeddings between runs.

    Columns: article_id, unit (quote|sentence), unit_id, speaker ("narration: <outlet>" for
    sentences), target, stance, score (lexicon cue score; model: P(favor) - P(against)),
    evidence (the lexicon cues that fired), polarity, text, start, end, coder (model|lexicon),
    confidence (probability of the chosen label; lexicon: empty), p_favor, p_against,
    p_neutral, p_none, similar (the most similar coded training units, "id=label; ...");
    sorted by article, position, unit.
    """
    cb = _codebook(codebook)
    model = _model_for(cb, coder)
    if model is None:
        rows = []
        for u in _units(corpus, cb):
            call = code_text(u["text"], codebook=cb, context=u["context"], unit=u["unit"],
                             actor_in_unit=u["actor_in_unit"])
            if not call.relevant and not include_none:
                continue
            polarity = u["polarity"] if u["polarity"] is not None else _polarity(u["text"])
            label = call.stance if call.relevant else "none"
            rows.append(_stance_row(u, cb, label, call.score, call.evidence, polarity)
                        | {"coder": "lexicon"})
        return _stance_frame(rows)
    return _model_stance(corpus, cb, model, include_none=include_none, cache_dir=cache_dir)


def _model_for(cb: Codebook, coder: str) -> Any:
    """Return the codebook's trained StanceModel, or None for the lexicon (logged)."""
    from .model import load_model, model_paths

    if coder not in ("auto", "model", "lexicon"):
        raise ValueError(f"coder must be 'auto', 'model' or 'lexicon', not {coder!r}")
    if coder == "lexicon":
        return None
    npz, meta = model_paths(cb.path)
    if coder == "auto" and not npz.exists() and not meta.exists():
        _log.warning("codebook %s has no trained model (%s): coding with its lexicon; train one "
                     "with `toolkit stance-train`", cb.name, npz.name)
        return None
    return load_model(npz, codebook=cb)


def _sentence_rows(corpus: Any) -> dict[str, list[tuple[int, int, int, str]]]:
    sentences = _frame(corpus, "sentences")
    out: dict[str, list[tuple[int, int, int, str]]] = {}
    if sentences.empty:
        return out
    para = sentences["paragraph"] if "paragraph" in sentences else sentences["sentence_id"]
    df = sentences.assign(para_=para).sort_values(["article_id", "start"])
    for r in df.itertuples(index=False):
        out.setdefault(r.article_id, []).append((int(r.start), int(r.end), int(r.para_), r.text))
    return out


def _model_stance(corpus: Any, cb: Codebook, model: Any, *, include_none: bool,
                  cache_dir: str | Path | None) -> pd.DataFrame:
    from .embed import EmbeddingCache
    from .model import ALL_LABELS, decide, features, view_in_sentences

    units = [u for u in _units(corpus, cb) if _in_frame(u, cb)]
    by_article = _sentence_rows(corpus)
    views = [view_in_sentences(by_article.get(u["article_id"], []), u["start"], u["end"],
                               u["unit"], text=u["text"], speaker=u["speaker"],
                               context_sentences=cb.context_sentences) for u in units]
    cache = EmbeddingCache(Path(cache_dir) / "stance_embeddings.npz" if cache_dir else None)
    x = features(views, cb, cache)
    cache.save()
    probs = model.probabilities(x) if len(units) else np.zeros((0, 4))
    labels, confidence = decide(probs, model.threshold)
    similar = model.neighbours(x) if len(units) else []
    rows = []
    for i, u in enumerate(units):
        if labels[i] == "none" and not include_none:
            continue
        call = code_text(u["text"], codebook=cb, context=u["context"], unit=u["unit"],
                         actor_in_unit=u["actor_in_unit"])
        polarity = u["polarity"] if u["polarity"] is not None else _polarity(u["text"])
        p = dict(zip(ALL_LABELS, probs[i].round(4).tolist(), strict=True))
        rows.append(_stance_row(u, cb, labels[i], round(p["favor"] - p["against"], 4),
                                call.evidence if call.relevant else "", polarity) | {
            "coder": "model", "confidence": round(float(confidence[i]), 4),
            **{f"p_{k}": v for k, v in p.items()},
            "similar": "; ".join(f"{uid}={lab}" for uid, lab in similar[i]),
        })
    return _stance_frame(rows)


def _in_frame(u: dict[str, Any], cb: Codebook) -> bool:
    """Return whether unit ``u`` names one of the codebook's actors, in itself or in the
    sentences read with it (the frame the model and the coding sheets draw from)."""
    return bool(u["actor_in_unit"] or any(
        _actor_terms(_tokens(text), text, cb) for text in [u["text"], *u["context"]]))


def _stance_row(u: dict[str, Any], cb: Codebook, stance: str, score: float, evidence: str,
                polarity: float | None) -> dict[str, Any]:
    """Return a stance-table row (STANCE_COLUMNS) for unit ``u`` of ``_units``."""
    return {
        "article_id": u["article_id"], "unit": u["unit"], "unit_id": u["unit_id"],
        "speaker": u["speaker"], "target": cb.name, "stance": stance, "score": score,
        "evidence": evidence, "polarity": polarity, "text": u["text"], "start": u["start"],
        "end": u["end"],
    }


def _stance_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Return the rows as a stance table, sorted by article, position, unit."""
    out = pd.DataFrame(rows, columns=STANCE_COLUMNS)
    return out.sort_values(["article_id", "start", "unit", "unit_id"], kind="stable").reset_index(
        drop=True
    )


def candidate_units(corpus: Any, codebook: Codebook | str = DEFAULT_CODEBOOK) -> pd.DataFrame:
    """Return every unit that names one of the codebook's actors, in itself or in the sentences
    read with it, whether or not the machine finds it about the target: the frame a hand-coding
    sheet should draw from, so that coders also see the units the relevance rule misses.

    Columns as ``stance`` (stance, score and evidence empty), same order.
    """
    cb = _codebook(codebook)
    rows = []
    for u in _units(corpus, cb):
        if not _in_frame(u, cb):
            continue
        rows.append(_stance_row(u, cb, "", float("nan"), "", u["polarity"]))
    return _stance_frame(rows)


# ---------------------------------------------------------------------------------------------
# aggregates


def stance_by(
    stance_df: pd.DataFrame,
    by: Literal["speaker", "article", "outlet"] = "speaker",
    corpus: Any = None,
) -> pd.DataFrame:
    """Return a tidy table (group, stance, n, share, mean_score), one row per group and stance.

    ``by="outlet"`` needs ``corpus`` (its ``articles`` frame maps article_id to outlet).

    >>> df = pd.DataFrame({"article_id": ["a", "a", "b"], "speaker": ["Li", "Li", "Wan"],
    ...                    "stance": ["against", "favor", "against"], "score": [-1.0, 1.0, -2.0]})
    >>> stance_by(df, "speaker").to_dict("records")[0]
    {'group': 'Li', 'stance': 'against', 'n': 1, 'share': 0.5, 'mean_score': -1.0}
    """
    if by not in ("speaker", "article", "outlet"):
        raise ValueError(f"by={by!r}: expected 'speaker', 'article' or 'outlet'")
    df = stance_df.copy()
    if by == "speaker":
        df["group"] = df["speaker"]
    elif by == "article":
        df["group"] = df["article_id"]
    else:
        articles = _frame(corpus, "articles") if corpus is not None else pd.DataFrame()
        if articles.empty:
            raise ValueError("stance_by(by='outlet') needs corpus= with an articles frame")
        outlet = dict(zip(articles["article_id"], articles["outlet"], strict=True))
        df["group"] = df["article_id"].map(outlet)
    cols = ["group", "stance", "n", "share", "mean_score"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    g = df.groupby(["group", "stance"]).agg(n=("stance", "size"), mean_score=("score", "mean"))
    g = g.reset_index()
    g["share"] = (g["n"] / g.groupby("group")["n"].transform("sum")).round(4)
    g["mean_score"] = g["mean_score"].round(4)
    g["n"] = g["n"].astype(int)
    return g[cols].sort_values(["group", "stance"]).reset_index(drop=True)
