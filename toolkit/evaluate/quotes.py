"""Score quote extraction against hand-labelled gold quotes, beside textacy's baseline.

Gold format (JSONL, one article per line)::

    {"id": "a1",
     "text": "“We will win,” Smith said. ...",
     "quotes": [{"text": "We will win", "speaker": "Smith",
                 "start": 1, "end": 12,               # optional: offsets into "text"
                 "spans": [[1, 12]],                  # optional: several pieces of one quote
                 "kind": "direct"}]}                  # optional: direct (default) | indirect

- ``text`` is the article body; paragraphs are separated by a blank line (``"\\n\\n"``).
- ``quotes[].text`` is the quoted words (with or without the quote marks: scoring counts word
  tokens, and marks are not words). Without ``start``/``end`` the text is looked up in the article
  (first occurrence); a quote that cannot be found still counts in recall.
- ``quotes[].speaker`` is who is quoted, as written in the article ("Hillary Clinton", "Clinton",
  "a spokesman", even "he").
- A file of the PolNeAR corpus (records with ``attributions``) is accepted as is and converted
  with :func:`toolkit.evaluate.polnear.convert_polnear`.

Scoring rules:

- A predicted quote matches a gold quote when it covers at least 30% of the gold quote's word
  tokens (the Gender Gap Tracker's rule); matches are one-to-one, best overlap first.
  Precision = matched / predicted, recall = matched / gold, F1 their harmonic mean.
- Gold quotes with the same content but several attributions count once; a speaker is right when
  it matches any of them.
- ``kinds`` names the toolkit's quote kinds that are scored against the gold's quoted speech
  (gold kinds ``direct`` and ``partial``). The default scores ``direct`` quotes only: PolNeAR,
  like PARC, files a quoted fragment inside reported speech (``Sanders said the breaks “do
  nothing”``) as an *indirect* attribution, so scoring ``partial`` quotes as direct costs
  precision there (measured on polnear_dev: F1 0.69 with partial quotes, 0.91 without); pass
  ``kinds=("direct", "partial")`` for a gold set that labels quoted fragments as quotes.
  Reported speech (``indirect``) is always scored separately against gold ``indirect`` quotes.
- Predicted quotes that share one attribution (the same speaker words, as in
  ``“A,” he said. “B.”``) are scored as one quote, like the gold's multi-span quotes.
- Speaker accuracy is over matched quotes. Names are compared after case-folding, dropping
  anything after a comma or parenthesis (the appositive), titles and articles
  ("Rep.", "Mr.", "the") and a possessive ’s; two names match when the words of one are all in the
  other ("Clinton" vs "Hillary Clinton"). The toolkit's prediction is right when either its
  canonical speaker or its speaker words (``speaker_mention``) match, because gold speakers are
  the annotated words, pronouns included.
- textacy's baseline is ``textacy.extract.triples.direct_quotations`` on the whole article parsed
  by the full ``en_core_web_sm`` pipeline; textacy raises on an odd number of quote marks (e.g.
  apostrophes typed as straight quotes), in which case the article counts as zero predictions
  and ``articles_raised`` says how many did.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..errors import GoldFormatError
from . import prf, read_jsonl

_WORD = re.compile(r"\w+")
_NAME_DROP = frozenset(
    "the a an mr mrs ms dr sen rep gov gen prof president senator representative governor "
    "former rev reverend sir".split()
)


# --- gold --------------------------------------------------------------------------------------


def read_gold(path: str | Path) -> list[dict]:
    """Return the gold articles of ``path`` (the JSONL format above, or a PolNeAR file)."""
    path = Path(path)
    if not path.exists():
        raise GoldFormatError.at(str(path), "no such file (pass --gold FILE, a JSONL gold file)")
    if not path.is_file():
        raise GoldFormatError.at(str(path), "not a file (pass --gold FILE, a JSONL gold file)")
    try:
        with path.open(encoding="utf-8") as handle:
            first = next((line for line in handle if line.strip()), "")
        head = json.loads(first) if first else {}
    except UnicodeDecodeError:
        raise GoldFormatError.at(str(path), "not UTF-8: re-save the gold file as UTF-8") from None
    except (json.JSONDecodeError, RecursionError, ValueError) as err:
        raise GoldFormatError.at(str(path), f"not JSON lines ({type(err).__name__})",
                                 where="line 1") from None
    if isinstance(head, dict) and "attributions" in head:
        from .polnear import convert_polnear

        return list(convert_polnear(path))
    articles = []
    for n, row in read_jsonl(path):
        _check_gold_row(path, n, row)
        articles.append(row)
    return articles


def _check_gold_row(path: Path, n: int, row: object) -> None:
    """Raise GoldFormatError naming the line and the field unless ``row`` is a gold article."""
    def bad(reason: str) -> GoldFormatError:
        return GoldFormatError.at(str(path), reason, where=f"line {n}")

    if not isinstance(row, dict):
        raise bad("not a JSON object (expected {\"id\": ..., \"text\": ..., \"quotes\": [...]})")
    missing = [f for f in ("id", "text", "quotes") if f not in row]
    if missing:
        raise bad(f"missing field(s) {', '.join(missing)} (expected id, text, quotes)")
    if isinstance(row["id"], bool) or not isinstance(row["id"], (str, int)):
        raise bad("\"id\" must be a string or a whole number")
    text = row["text"]
    if not isinstance(text, str) or not text.strip():
        raise bad("\"text\" must be the article's text (a non-empty string)")
    if not isinstance(row["quotes"], list):
        raise bad("\"quotes\" must be a list of quote objects")
    for i, q in enumerate(row["quotes"], 1):
        if not isinstance(q, dict) or "text" not in q or "speaker" not in q:
            raise bad(f"quote {i}: a quote needs \"text\" and \"speaker\"")
        if not isinstance(q["text"], str) or not isinstance(q["speaker"], str):
            raise bad(f"quote {i}: \"text\" and \"speaker\" must be strings")
        if not isinstance(q.get("kind", "direct"), str):
            raise bad(f"quote {i}: \"kind\" must be a string (direct, partial, indirect)")
        spans = q.get("spans") or ([[q.get("start"), q.get("end")]]
                                   if "start" in q or "end" in q else [])
        if not isinstance(spans, list):
            raise bad(f"quote {i}: \"spans\" must be a list of [start, end] pairs")
        for span in spans:
            if not (isinstance(span, (list, tuple)) and len(span) == 2
                    and all(isinstance(x, int) and not isinstance(x, bool) for x in span)
                    and 0 <= span[0] < span[1] <= len(text)):
                raise bad(f"quote {i}: span {json.dumps(span)} is not [start, end] with "
                          f"0 <= start < end <= {len(text)} (the text's length)")


def _gold_spans(quote: dict, text: str) -> list[tuple[int, int]]:
    """Return the character spans of a gold quote, locating its text when offsets are absent."""
    if quote.get("spans"):
        return [(int(s), int(e)) for s, e in quote["spans"]]
    if "start" in quote and "end" in quote:
        return [(int(quote["start"]), int(quote["end"]))]
    words = _WORD.findall(quote["text"])
    if not words:
        return []
    pattern = r"\W+".join(re.escape(w) for w in words)
    m = re.search(pattern, text, flags=re.IGNORECASE)
    return [(m.start(), m.end())] if m else []


def _tokens(text: str, spans: Iterable[tuple[int, int]]) -> frozenset[int]:
    """Return the start offsets of the word tokens of ``text`` lying inside ``spans``."""
    spans = list(spans)
    out = set()
    for m in _WORD.finditer(text):
        if any(s <= m.start() and m.end() <= e for s, e in spans):
            out.add(m.start())
    return frozenset(out)


# --- names -------------------------------------------------------------------------------------


def name_words(name: str) -> frozenset[str]:
    """Return the comparable words of a speaker name.

    >>> sorted(name_words("Rep. G.K. Butterfield (D-N.C.), head of the caucus"))
    ['butterfield', 'gk']
    >>> sorted(name_words("Clinton’s"))
    ['clinton']
    """
    name = re.split(r"[,(]", name, maxsplit=1)[0].casefold()
    name = re.sub(r"[’']s\b", "", name).replace(".", "")
    return frozenset(w for w in _WORD.findall(name) if w not in _NAME_DROP)


def same_speaker(predicted: Sequence[str], gold: Sequence[str]) -> bool:
    """Return whether any predicted name matches any gold name (word containment).

    >>> same_speaker(["Hillary Clinton"], ["Clinton"])
    True
    >>> same_speaker(["Donald Trump", "he"], ["Flynn, a top Trump surrogate,"])
    False
    >>> same_speaker(["Barack Obama", "he"], ["he"])
    True
    """
    for p in predicted:
        pw = name_words(p)
        if not pw:
            continue
        for g in gold:
            gw = name_words(g)
            if gw and (pw <= gw or gw <= pw):
                return True
    return False


# --- scoring -----------------------------------------------------------------------------------


def _score(pairs: list[tuple[list[dict], list[dict]]]) -> dict:
    """Return P/R/F1 and speaker accuracy over (gold, predicted) lists of prepared quotes."""
    n_gold = n_pred = n_matched = n_right = 0
    for gold, pred in pairs:
        n_gold += len(gold)
        n_pred += len(pred)
        candidates = []
        for gi, g in enumerate(gold):
            if not g["tokens"]:
                continue
            for pi, p in enumerate(pred):
                overlap = len(g["tokens"] & p["tokens"]) / len(g["tokens"])
                if overlap >= 0.3:
                    candidates.append((overlap, gi, pi))
        used_g, used_p = set(), set()
        for _, gi, pi in sorted(candidates, key=lambda c: (-c[0], c[1], c[2])):
            if gi in used_g or pi in used_p:
                continue
            used_g.add(gi)
            used_p.add(pi)
            n_matched += 1
            n_right += same_speaker(pred[pi]["speakers"], gold[gi]["speakers"])
    return {
        **prf(n_matched, n_pred, n_gold),
        "speaker_accuracy": round(n_right / n_matched, 4) if n_matched else 0.0,
        "n_gold": n_gold,
        "n_pred": n_pred,
        "n_matched": n_matched,
    }


def _prepare_gold(article: dict, kinds: Sequence[str]) -> list[dict]:
    grouped: dict[frozenset[int], dict] = {}
    for q in article["quotes"]:
        kind = q.get("kind", "direct")
        if kind not in kinds and not (kind in ("direct", "partial") and
                                      {"direct", "partial"} & set(kinds)):
            continue
        tokens = _tokens(article["text"], _gold_spans(q, article["text"]))
        key = tokens or frozenset({-len(grouped) - 1})  # unlocated quotes stay apart
        entry = grouped.setdefault(key, {"tokens": tokens, "speakers": []})
        entry["speakers"].append(q.get("speaker", ""))
    return list(grouped.values())


def _prepare_ours(text: str, quotes: Sequence, kinds: Sequence[str]) -> list[dict]:
    """Return our quotes of ``kinds`` as scoring items, one per attribution."""
    wanted = set(kinds)
    items: list[dict] = []
    by_attribution: dict[tuple[int, int, str], dict] = {}
    for q in quotes:
        if q.kind not in wanted:
            continue
        family = "indirect" if q.kind == "indirect" else "quoted"
        tokens = _tokens(text, [(q.start, q.end)])
        key = (q.speaker_start, q.speaker_end, family)
        if q.speaker_start >= 0 and key in by_attribution:
            item = by_attribution[key]
            item["tokens"] = item["tokens"] | tokens
            continue
        item = {"tokens": tokens, "speakers": [q.speaker, q.speaker_mention]}
        items.append(item)
        if q.speaker_start >= 0:
            by_attribution[key] = item
    return items


def _textacy_quotes(doc) -> list[dict]:
    from textacy.extract.triples import direct_quotations

    items = []
    for triple in direct_quotations(doc):
        content = triple.content
        speaker = " ".join(t.text for t in triple.speaker)
        tokens = _tokens(doc.text, [(content.start_char, content.end_char)])
        items.append({"tokens": tokens, "speakers": [speaker]})
    return items


def _full_model():
    """Return the full English pipeline (textacy matches cue verbs on lemmas)."""
    import spacy

    from ..nlp import installed_model

    return spacy.load(installed_model())


def evaluate_quotes(
    gold_path: str | Path,
    *,
    kinds: Sequence[str] = ("direct",),
    progress: bool = False,
    baseline: bool = True,
) -> dict:
    """Return quote P/R/F1 and speaker accuracy for the toolkit and for textacy's baseline.

    The result is ``{"toolkit": {...}, "textacy": {...}, "toolkit_indirect": {...},
    "articles": n}``; each score dict has precision, recall, f1, speaker_accuracy, n_gold,
    n_pred, n_matched; ``textacy`` also has ``articles_raised``. ``toolkit_indirect`` scores the
    toolkit's reported speech against gold quotes of kind ``indirect`` (when the gold has any).
    """
    from ..article import Article
    from ..extract.entities import extract_entities
    from ..extract.quotes import extract_quotes
    from ..nlp import parse

    gold = read_gold(gold_path)
    articles = [
        Article.build(article_id=str(g["id"]), path=str(gold_path),
                      paragraphs=g["text"].split("\n\n"))
        for g in gold
    ]
    ours, ours_indirect, theirs = [], [], []
    stream = parse(articles)
    if progress:
        from tqdm import tqdm

        stream = tqdm(stream, total=len(articles), desc="toolkit", unit="article")
    for g, parsed in zip(gold, stream, strict=True):
        assert parsed.article.text == g["text"]
        quotes = extract_quotes(parsed, extract_entities(parsed))
        ours.append((_prepare_gold(g, kinds), _prepare_ours(g["text"], quotes, kinds)))
        ours_indirect.append((_prepare_gold(g, ("indirect",)),
                              _prepare_ours(g["text"], quotes, ("indirect",))))
    result = {"toolkit": _score(ours)}
    if any(gi for gi, _ in ours_indirect):
        result["toolkit_indirect"] = _score(ours_indirect)
    if baseline:
        nlp = _full_model()
        raised = 0
        texts = (g["text"] for g in gold)
        docs = nlp.pipe(texts, batch_size=16)
        if progress:
            from tqdm import tqdm

            docs = tqdm(docs, total=len(gold), desc="textacy", unit="article")
        for (gold_items, _), doc in zip(ours, docs, strict=True):
            try:
                preds = _textacy_quotes(doc)
            except Exception:  # noqa: BLE001 - textacy raises ValueError/IndexError on odd marks
                raised += 1
                preds = []
            theirs.append((gold_items, preds))
        result["textacy"] = {**_score(theirs), "articles_raised": raised}
    result["articles"] = len(gold)
    return result
