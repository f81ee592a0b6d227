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
  ("Rep.", "Mr.", "Professor", "the"), what follows "of"/"from"/"at"/"who" ("Mr. Nevins of
  Showtime") and a possessive ’s; two names match when the words of one are all in the other
  ("Clinton" vs "Hillary Clinton"); a pair of speakers ("Mr. Autor and Mr. Hanson") matches
  either one, an acronym matches the initials of a name ("IMF"), and a plural its singular.
  The toolkit's prediction is right when either its canonical speaker or its speaker words
  (``speaker_mention``) match, because gold speakers are the annotated words, pronouns included.
- The **strict** measure (``result["strict"]``) is the one users of the tables see. Every
  predicted quote (direct, partial, reported) is matched one-to-one, by the same 30% rule, against
  every gold attribution of any kind, so a predicted quote that matches no gold attribution is
  wrong, and a quoted fragment counted beside the reported speech holding it is one too many
  (the toolkit marks such a fragment with ``part_of``, and it is scored with its row).
  Precision is per predicted kind; recall is per gold kind, a gold attribution matched by a
  prediction of any kind, except that a gold direct quote needs a predicted direct quote.
  Speaker accuracy is over matched quotes whose gold speaker is a proper name
  (:func:`is_proper_name`), comparing the toolkit's canonical ``speaker`` only (a pronoun or a
  bare description in ``speaker_mention`` does not tell a user who spoke); ``speaker_errors``
  sorts the wrong ones by what the toolkit gave: ``none`` (no speaker), ``pronoun`` (a pronoun
  resolved wrongly or not at all), ``description`` (a description such as "the mayor" left
  unresolved or resolved wrongly) and ``other_name`` (another person or organisation named).
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
from ..extract.quotes import _speaker_noun
from . import prf, read_jsonl

_WORD = re.compile(r"\w+")
_NAME_DROP = frozenset(
    "the a an mr mrs ms dr sen rep gov gen prof president senator representative governor "
    "former rev reverend sir professor professors admiral justice judge pres secretary mayor "
    "host chairman jr sr lord lady dame".split()
)
# what follows a name and is not part of it: "Mr. Nevins of Showtime", "Smith, who ..."
_NAME_TAIL = re.compile(r"\s(?:of|from|at|who|which)\s.*$")


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
    name = _NAME_TAIL.sub("", re.split(r"[,(]", name, maxsplit=1)[0]).casefold()
    name = re.sub(r"[’']s\b", "", name).replace(".", "")
    words = _WORD.findall(name)
    # a title alone ("the mayor", "the president") is all the name there is
    return frozenset(w for w in words if w not in _NAME_DROP) or \
        frozenset(w for w in words if w not in ("the", "a", "an"))


def _name_forms(name: str) -> list[frozenset[str]]:
    """Return the comparable forms of a speaker name: its words, each speaker of a pair
    ("Mr. Autor and Mr. Hanson"), the initials of a name of several words ("International
    Monetary Fund" is "imf") and the singular of a plural ("Russians" is "russian").

    >>> sorted(sorted(f) for f in _name_forms("Mr. Autor and Mr. Hanson"))
    [['and', 'autor', 'hanson'], ['autor'], ['hanson']]
    >>> sorted(sorted(f) for f in _name_forms("International Monetary Fund"))
    [['fund', 'international', 'monetary'], ['imf']]
    """
    words = name_words(name)
    forms = [words] if words else []
    head = _NAME_TAIL.sub("", re.split(r"[,(]", name, maxsplit=1)[0])
    if re.search(r"\s(?:and|&)\s", head):
        forms += [w for part in re.split(r"\s(?:and|&)\s", head) if (w := name_words(part))]
        return forms
    capitals = [w for w in head.split() if w[:1].isupper() and w.lower() not in ("the", "of")]
    if len(capitals) >= 2 and len(capitals) == len([w for w in head.split()
                                                    if w.lower() not in ("the", "of", "and")]):
        forms.append(frozenset({"".join(w[0] for w in capitals).casefold()}))
    if len(words) == 1 and (w := next(iter(words))).endswith("s") and len(w) > 3:
        forms.append(frozenset({w[:-1]}))
    return forms


def same_speaker(predicted: Sequence[str], gold: Sequence[str]) -> bool:
    """Return whether any predicted name matches any gold name (word containment).

    >>> same_speaker(["Hillary Clinton"], ["Clinton"])
    True
    >>> same_speaker(["Donald Trump", "he"], ["Flynn, a top Trump surrogate,"])
    False
    >>> same_speaker(["Barack Obama", "he"], ["he"])
    True
    >>> same_speaker(["Richard Alba"], ["Professor Alba"])
    True
    >>> same_speaker(["AP"], ["Associated Press"])
    True
    """
    for p in predicted:
        for pw in _name_forms(p):
            for g in gold:
                if any(pw <= gw or gw <= pw for gw in _name_forms(g)):
                    return True
    return False


_PRONOUNS = frozenset("i we you he she it they him her them his its their who which that this "
                      "these those one".split())
# where the name part of a gold speaker ends: "Mr. Morgan of the Sierra Club", "a longtime
# adviser to Trump", "a count by The Associated Press", "figures reported on Sunday"
_PREP_CUT = re.compile(r"\s(?:of|from|for|at|in|on|to|by|with|like|who|which|that|and his|"
                       r"and her|known|calling|close|reported|released|posted|published|"
                       r"provided|--|—|–)\s.*$")


def is_proper_name(speaker: str) -> bool:
    """Return whether a gold speaker is a proper name (its head word is capitalised), not a
    pronoun or a description.

    >>> [is_proper_name(s) for s in ("Mr. Obama", "Sen. David Perdue (R-Ga.)", "WALLACE")]
    [True, True, True]
    >>> [is_proper_name(s) for s in ("he", "The Republican nominee", "The Clinton campaign", "")]
    [False, False, False, False]
    >>> [is_proper_name(s) for s in ("a longtime adviser to Trump", "a study by Oxford Economics")]
    [False, False]
    >>> is_proper_name("Authorities")
    False
    """
    head = _PREP_CUT.sub("", re.split(r"[,(]", speaker, maxsplit=1)[0].strip())
    head = re.sub(r"[’']s?$", "", head).strip(" .:;\"“”")
    words = [w for w in head.split() if w.lower() not in ("the", "a", "an")]
    if len(words) == 1 and _speaker_noun(words[0]) is not None:
        return False  # "Authorities", "Police": a common noun capitalised to open a sentence
    return bool(words) and words[-1][:1].isupper() and words[-1].lower() not in _PRONOUNS


def _speaker_error(item: dict) -> str:
    """Return the kind of a wrong speaker: none, pronoun, description or other_name."""
    mention, speaker = item["mention"].strip(), item["speakers"][0].strip()
    if not mention and not speaker:
        return "none"
    if mention.lower() in _PRONOUNS:
        return "pronoun"
    if mention and not is_proper_name(mention):
        return "description"
    return "other_name" if speaker else "none"


# --- scoring -----------------------------------------------------------------------------------


def _match(gold: list[dict], pred: list[dict]) -> list[tuple[int, int]]:
    """Return the one-to-one ``(gold index, predicted index)`` matches: a prediction covering
    at least 30% of a gold quote's tokens, best overlap first."""
    candidates = []
    for gi, g in enumerate(gold):
        if not g["tokens"]:
            continue
        for pi, p in enumerate(pred):
            overlap = len(g["tokens"] & p["tokens"]) / len(g["tokens"])
            if overlap >= 0.3:
                candidates.append((overlap, gi, pi))
    used_g, used_p, out = set(), set(), []
    for _, gi, pi in sorted(candidates, key=lambda c: (-c[0], c[1], c[2])):
        if gi not in used_g and pi not in used_p:
            used_g.add(gi)
            used_p.add(pi)
            out.append((gi, pi))
    return out


def _score(pairs: list[tuple[list[dict], list[dict]]]) -> dict:
    """Return P/R/F1 and speaker accuracy over (gold, predicted) lists of prepared quotes."""
    n_gold = n_pred = n_matched = n_right = 0
    for gold, pred in pairs:
        n_gold += len(gold)
        n_pred += len(pred)
        for gi, pi in _match(gold, pred):
            n_matched += 1
            n_right += same_speaker(pred[pi]["speakers"], gold[gi]["speakers"])
    return {
        **prf(n_matched, n_pred, n_gold),
        "speaker_accuracy": round(n_right / n_matched, 4) if n_matched else 0.0,
        "n_gold": n_gold,
        "n_pred": n_pred,
        "n_matched": n_matched,
    }


def _score_strict(pairs: list[tuple[list[dict], list[dict]]]) -> dict:
    """Return the strict scores over (gold, predicted) lists of every kind (see the module
    docstring): P/R/F1 per kind and over all, speaker accuracy on proper-name gold speakers
    (all matched quotes and per kind) and the count of each kind of speaker error."""
    pred_kinds = ("direct", "partial", "indirect")
    n_pred = dict.fromkeys(pred_kinds, 0)
    n_pred_matched = dict.fromkeys(pred_kinds, 0)
    n_gold: dict[str, int] = {}
    n_gold_matched: dict[str, int] = {}
    n_direct_pairs = 0  # gold direct quotes matched by a predicted direct quote
    named = dict.fromkeys(pred_kinds, 0)
    named_right = dict.fromkeys(pred_kinds, 0)
    errors = dict.fromkeys(("none", "pronoun", "description", "other_name"), 0)
    for gold, pred in pairs:
        for g in gold:
            n_gold[g["kind"]] = n_gold.get(g["kind"], 0) + 1
        for p in pred:
            n_pred[p["kind"]] += 1
        for gi, pi in _match(gold, pred):
            g, p = gold[gi], pred[pi]
            n_pred_matched[p["kind"]] += 1
            n_gold_matched[g["kind"]] = n_gold_matched.get(g["kind"], 0) + 1
            n_direct_pairs += g["kind"] == "direct" and p["kind"] == "direct"
            names = [s for s in g["speakers"] if is_proper_name(s)]
            if not names:
                continue
            named[p["kind"]] += 1
            if same_speaker(p["speakers"][:1], names):
                named_right[p["kind"]] += 1
            else:
                errors[_speaker_error(p)] += 1
    total_named = sum(named.values())
    result: dict = {}
    for kind in pred_kinds:
        gold_kind = kind if kind != "partial" else None
        if kind == "direct":
            scores = prf(n_direct_pairs, n_pred["direct"], n_gold.get("direct", 0))
            scores["precision"] = round(n_pred_matched["direct"] / n_pred["direct"], 4) \
                if n_pred["direct"] else 0.0
            p, r = scores["precision"], scores["recall"]
            scores["f1"] = round(2 * p * r / (p + r), 4) if p + r else 0.0
        else:
            scores = prf(n_pred_matched[kind], n_pred[kind], n_gold.get(gold_kind or "", 0))
            if gold_kind is None:
                scores = {"precision": scores["precision"]}
            else:
                scores["recall"] = round(n_gold_matched.get(kind, 0) / n_gold[kind], 4) \
                    if n_gold.get(kind) else 0.0
                p, r = scores["precision"], scores["recall"]
                scores["f1"] = round(2 * p * r / (p + r), 4) if p + r else 0.0
        scores["n_pred"] = n_pred[kind]
        scores["speaker_accuracy"] = round(named_right[kind] / named[kind], 4) \
            if named[kind] else 0.0
        scores["n_named"] = named[kind]
        result[kind] = scores
    result["all"] = {
        **prf(sum(n_pred_matched.values()), sum(n_pred.values()), sum(n_gold.values())),
        "speaker_accuracy": round(sum(named_right.values()) / total_named, 4)
        if total_named else 0.0,
        "n_named": total_named,
        "n_gold": sum(n_gold.values()),
        "n_pred": sum(n_pred.values()),
    }
    result["speaker_errors"] = errors
    return result


def _prepare_gold_all(article: dict) -> list[dict]:
    """Return every gold attribution of ``article`` as a scoring item with its kind (quotes of
    the same content count once; ``partial`` gold quotes are filed as ``direct``)."""
    grouped: dict[tuple[frozenset[int], str], dict] = {}
    for q in article["quotes"]:
        kind = "indirect" if q.get("kind", "direct") == "indirect" else "direct"
        tokens = _tokens(article["text"], _gold_spans(q, article["text"]))
        key = (tokens or frozenset({-len(grouped) - 1}), kind)
        entry = grouped.setdefault(key, {"tokens": tokens, "speakers": [], "kind": kind})
        entry["speakers"].append(q.get("speaker", ""))
    return list(grouped.values())


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


def _prepare_ours(text: str, quotes: Sequence, kinds: Sequence[str], *,
                  strict: bool = False) -> list[dict]:
    """Return our quotes of ``kinds`` as scoring items, one per attribution (``strict``: a
    quoted fragment marked as part of a reported-speech row is that row's, not an item)."""
    wanted = set(kinds)
    items: list[dict] = []
    by_attribution: dict[tuple[int, int, str], dict] = {}
    for q in quotes:
        if q.kind not in wanted or (strict and getattr(q, "part_of", -1) >= 0):
            continue
        family = "indirect" if q.kind == "indirect" else "quoted"
        tokens = _tokens(text, [(q.start, q.end)])
        key = (q.speaker_start, q.speaker_end, family)
        if q.speaker_start >= 0 and key in by_attribution:
            item = by_attribution[key]
            item["tokens"] = item["tokens"] | tokens
            continue
        item = {"tokens": tokens, "speakers": [q.speaker, q.speaker_mention], "kind": q.kind,
                "mention": q.speaker_mention}
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
    ours, ours_indirect, ours_all, theirs = [], [], [], []
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
        ours_all.append((_prepare_gold_all(g), _prepare_ours(
            g["text"], quotes, ("direct", "partial", "indirect"), strict=True)))
    result = {"toolkit": _score(ours)}
    if any(gi for gi, _ in ours_indirect):
        result["toolkit_indirect"] = _score(ours_indirect)
    result["strict"] = _score_strict(ours_all)
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
