"""Scores of the entity layer against CoNLL-2003: precision, recall, F1 per type, toolkit vs spaCy.

The gold file is read in its original IOB1 format (``word POS chunk tag`` per line, blank lines
between sentences, ``-DOCSTART-`` lines between documents). Both systems run on the gold tokens
with the gold sentence starts, so the scores measure entity recognition, not tokenisation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import GoldFormatError
from . import prf

TYPES = ("PER", "LOC", "ORG")
# The raw model's labels, mapped to CoNLL types; every other label (NORP, DATE, ...) is not scored.
SPACY_TO_CONLL = {"PERSON": "PER", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC", "ORG": "ORG"}
# The toolkit's kinds, mapped the same way: groups (demonyms, NORP) are CoNLL's MISC, so unscored.
KIND_TO_CONLL = {"person": "PER", "country": "LOC", "place": "LOC", "organization": "ORG"}
_TAG = re.compile(r"^(?:O|[IB]-(?:PER|LOC|ORG|MISC))$")

Span = tuple[int, int, str]  # (first token, end token exclusive, type), within one document


@dataclass
class GoldDocument:
    """One CoNLL document: its tokens, where sentences start, and its gold entity spans."""

    words: list[str] = field(default_factory=list)
    sent_starts: list[bool] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)


def _spans_from_iob1(tags: list[str]) -> list[Span]:
    """Return the entity spans of one sentence's IOB1 tags (``B-`` only splits same-type runs).

    >>> _spans_from_iob1(["I-PER", "I-PER", "O", "I-LOC", "B-LOC", "I-ORG"])
    [(0, 2, 'PER'), (3, 4, 'LOC'), (4, 5, 'LOC'), (5, 6, 'ORG')]
    """
    spans: list[Span] = []
    start, current = -1, ""
    for i, tag in enumerate([*tags, "O"]):
        kind = tag[2:] if tag != "O" else ""
        begins = tag.startswith("B-") or kind != current
        if current and (begins or not kind):
            spans.append((start, i, current))
            current = ""
        if kind and (begins or not current):
            start, current = i, kind
    return spans


def read_conll(path: str | Path) -> list[GoldDocument]:
    """Return the documents of a CoNLL-2003 IOB1 file, each with tokens, sentence starts and spans.

    Text before the first ``-DOCSTART-`` line is a document too: in ``eng.testb`` that line comes
    at the very end of the file.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise GoldFormatError(
            f"{path}: no such file "
            "(pass the CoNLL-2003 file, e.g. ../shared/data/conll2003/eng.testb)"
        ) from None
    except UnicodeDecodeError as exc:
        raise GoldFormatError(
            f"{path}: not UTF-8 text ({exc.reason}); is this a CoNLL file?"
        ) from None
    docs: list[GoldDocument] = []
    doc = GoldDocument()
    sentence_tags: list[str] = []

    def close_sentence() -> None:
        if sentence_tags:
            offset = len(doc.words) - len(sentence_tags)
            doc.spans.extend(
                (s + offset, e + offset, t) for s, e, t in _spans_from_iob1(sentence_tags)
            )
            sentence_tags.clear()

    def close_document() -> None:
        nonlocal doc
        close_sentence()
        if doc.words:
            docs.append(doc)
        doc = GoldDocument()

    for number, line in enumerate(lines, start=1):
        fields = line.split()
        if not fields:
            close_sentence()
            continue
        if fields[0] == "-DOCSTART-":
            close_document()
            continue
        if len(fields) != 4:
            raise GoldFormatError(
                f"{path}: line {number}: "
                "expected 4 space-separated fields (word POS chunk NER tag), "
                f"found {len(fields)}: {line[:80]!r}"
            )
        tag = fields[3]
        if not _TAG.match(tag):
            raise GoldFormatError(
                f"{path}: line {number}: unknown NER tag {tag!r} (expected O, I-X or B-X with X in "
                "PER, LOC, ORG, MISC)"
            )
        doc.sent_starts.append(not sentence_tags)
        doc.words.append(fields[0])
        sentence_tags.append(tag)
    close_document()
    if not docs:
        raise GoldFormatError(f"{path}: no tokens found; is this a CoNLL-2003 file?")
    return docs


def _docs_from_gold(gold: list[GoldDocument]) -> Iterator[object]:
    """Yield one spaCy Doc per gold document, built from the gold words, parsed by the pipeline."""
    from spacy.tokens import Doc

    from ..nlp import load_model

    nlp = load_model()
    for g in gold:
        doc = Doc(nlp.vocab, words=g.words, spaces=[True] * len(g.words), sent_starts=g.sent_starts)
        for _name, proc in nlp.pipeline:
            doc = proc(doc)
        yield doc


def _score(
    gold: Iterable[set[Span]], predicted: Iterable[set[Span]]
) -> dict[str, dict[str, float]]:
    """Return micro precision, recall, F1 and gold support per type and overall (exact spans)."""
    counts = {t: [0, 0, 0] for t in (*TYPES, "overall")}  # true positives, predicted, gold
    for g, p in zip(gold, predicted, strict=True):
        for t in TYPES:
            gt = {s for s in g if s[2] == t}
            pt = {s for s in p if s[2] == t}
            for key in (t, "overall"):
                counts[key][0] += len(gt & pt)
                counts[key][1] += len(pt)
                counts[key][2] += len(gt)
    out: dict[str, dict[str, float]] = {}
    for key, (tp, npred, ngold) in counts.items():
        out[key] = {**prf(tp, npred, ngold), "support": ngold}
    return out


def _toolkit_spans(doc, index: int) -> set[Span]:  # doc: spacy.tokens.Doc
    """Return the toolkit layer's PER/LOC/ORG spans on a gold-token Doc, as token spans."""
    from ..article import Article
    from ..extract.entities import extract_entities
    from ..nlp import Chunk, Parsed

    article = Article.build(article_id=f"conll-{index}", path="", paragraphs=[doc.text])
    parsed = Parsed(article, [Chunk(start=0, paragraph=0, doc=doc, text=doc.text)])
    starts = {tok.idx: tok.i for tok in doc}
    ends = {tok.idx + len(tok.text): tok.i + 1 for tok in doc}
    spans: set[Span] = set()
    for m in extract_entities(parsed):
        kind = KIND_TO_CONLL.get(m.kind)
        if kind is None or m.how == "description":  # "the Belarusian leader" is no named entity
            continue
        if m.start in starts and m.end in ends:
            spans.add((starts[m.start], ends[m.end], kind))
        else:  # a span that cuts a gold token can never match; count it as a wrong prediction
            spans.add((-1 - len(spans), -1, kind))
    return spans


def evaluate_entities(conll_path: str | Path, *, progress: bool = False) -> dict:
    """Return PER/LOC/ORG precision, recall, F1 and support for the toolkit and for raw spaCy.

    The result is ``{"toolkit": {"PER": {...}, "LOC": ..., "ORG": ..., "overall": ...},
    "spacy": {...}}``; both systems see the same parse of the gold tokens.
    """
    gold = read_conll(conll_path)
    docs: Iterable[object] = _docs_from_gold(gold)
    if progress:
        from tqdm.auto import tqdm

        docs = tqdm(docs, total=len(gold), desc="CoNLL documents", unit="doc")
    raw: list[set[Span]] = []
    ours: list[set[Span]] = []
    for index, doc in enumerate(docs):
        raw.append(
            {
                (e.start, e.end, SPACY_TO_CONLL[e.label_])
                for e in doc.ents
                if e.label_ in SPACY_TO_CONLL
            }
        )
        ours.append(_toolkit_spans(doc, index))
    truth = [set(g.spans) for g in gold]
    return {"toolkit": _score(truth, ours), "spacy": _score(truth, raw)}
