"""Convert the PolNeAR attribution corpus into the toolkit's quote gold format.

PolNeAR (networkdynamics/PolNeAR) annotates attributions: a source span, a cue span and content
spans, all character offsets into the article text, plus ``is_direct_quote``. Some articles were
annotated by several annotators (the dev split has 84 articles in 94 annotation files); the
converter keeps **one annotation file per article: the one with the most attributions** (the most
complete; ties go to the first in the file), so no quote is counted twice.

Each attribution becomes one gold quote:
``{"text", "speaker", "start", "end", "spans", "kind", "cue"}`` where ``text`` joins the content
spans with a space, ``start``/``end`` are the first and last content offsets, ``spans`` lists every
content span (a direct quote interrupted by its attribution, ``“A,” he said. “B.”``, is one
attribution with two spans), ``speaker`` is the source text as annotated (a name, a description or
a pronoun such as "he") and ``kind`` is ``direct`` when ``is_direct_quote`` is true, else
``indirect``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..errors import GoldFormatError
from . import read_jsonl


def _attribution(att: dict, text: str) -> dict | None:
    spans = sorted(tuple(s) for c in att.get("content", []) for s in c.get("spans", []))
    if not spans:
        return None
    source = " ".join(s.get("text", "") for s in att.get("source", [])).strip()
    cue = " ".join(c.get("text", "") for c in att.get("cue", [])).strip()
    return {
        "text": " ".join(text[s:e] for s, e in spans),
        "speaker": source,
        "start": spans[0][0],
        "end": spans[-1][1],
        "spans": [list(s) for s in spans],
        "kind": "direct" if att.get("is_direct_quote") else "indirect",
        "cue": cue,
    }


def convert_polnear(path: str | Path) -> Iterator[dict]:
    """Yield one gold article ``{"id", "text", "quotes"}`` per PolNeAR article, in file order."""
    path = Path(path)
    chosen: dict[str, dict] = {}
    order: list[str] = []
    for n, row in read_jsonl(path):
        try:
            key, atts = row["article"], row["attributions"]
            row["text"]
        except (KeyError, TypeError) as err:
            raise GoldFormatError.at(
                str(path), f"not a PolNeAR record ({err}); expected fields article, text, "
                "attributions", where=f"line {n}") from err
        if key not in chosen:
            order.append(key)
            chosen[key] = row
        elif len(atts) > len(chosen[key]["attributions"]):
            chosen[key] = row
    for key in order:
        row = chosen[key]
        quotes = [q for a in row["attributions"] if (q := _attribution(a, row["text"]))]
        quotes.sort(key=lambda q: (q["start"], q["end"]))
        yield {"id": key, "text": row["text"], "quotes": quotes}
