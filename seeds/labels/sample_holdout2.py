"""Draw a second fresh held-out sample of sentences for blind stance coding (china_mediation).

Frame (independent of any machine rule; the same definition as sample_holdout.py): every
sentence of the raw `text` of ../shared/data/articles_cn_ru_ua.jsonl
(toolkit.stance.split_sentences) that
- does not overlap a span already in seeds/labels/cn_ru_ua_china_mediation.csv or
  seeds/labels/cn_ru_ua_china_mediation_holdout.csv,
- has >= 8 words (drops headings/captions),
- has an actor term (case-sensitive word match) in itself or in the two sentences before it.
Stratum A: candidates with a broad topic word in the sentence itself; B: the rest.
The first holdout took all of A, so A is (nearly) empty: take every remaining A candidate and
260 from B with random.Random(20261129), at most 14 per article overall.
Run from the project root: `python seeds/labels/sample_holdout2.py`.
Writes ./holdout2_sample.csv (article_id,start,end,stratum).
"""
from __future__ import annotations

import csv
import json
import random
import re
from collections import Counter
from pathlib import Path

from toolkit.stance import split_sentences

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[2] / "shared" / "data" / "articles_cn_ru_ua.jsonl"
LABELS = [HERE / "cn_ru_ua_china_mediation.csv", HERE / "cn_ru_ua_china_mediation_holdout.csv"]
OUT = Path("holdout2_sample.csv")  # the draw, in the current folder
SEED = 20261129
N_B, CAP = 260, 14  # N_A is "all that remain"

ACTORS = ["China", "Chinese", "Beijing", "Xi", "Xi Jinping", "Wang Yi", "Qin Gang", "Li Hui",
          "Wang Wenbin", "Zhao Lijian", "Hua Chunying", "Mao Ning"]
ACTOR_RE = re.compile(
    r"\b(?:" + "|".join(re.escape(a) for a in sorted(ACTORS, key=len, reverse=True)) + r")\b"
)
TOPIC_RE = re.compile(
    r"\b(?:peace|mediat\w*|broker\w*|neutral\w*|impartial\w*|talks|negotiat\w*|ceasefire|cease-fire|"
    r"truce|dialogue|envoy|settlement|proposal|plan|position|side|condemn\w*|"
    r"end (?:to )?the (?:war|conflict|fighting)|diplomac\w*|balanced)\b",
    re.IGNORECASE,
)


def existing_spans() -> dict[str, list[tuple[int, int]]]:
    spans: dict[str, list[tuple[int, int]]] = {}
    for path in LABELS:
        with path.open() as fh:
            rows = csv.DictReader(line for line in fh if not line.startswith("#"))
            for r in rows:
                spans.setdefault(r["article_id"], []).append((int(r["start"]), int(r["end"])))
    return spans


def main() -> None:
    taken = existing_spans()
    frame: dict[str, list[tuple[str, int, int]]] = {"A": [], "B": []}
    with DATA.open() as fh:
        for line in fh:
            rec = json.loads(line)
            aid, text = rec["id"], rec["text"]
            sents = split_sentences(text)
            for i, (s, e) in enumerate(sents):
                if any(s < te and ts < e for ts, te in taken.get(aid, [])):
                    continue
                if len(text[s:e].split()) < 8:
                    continue
                window = [text[a:b] for a, b in sents[max(0, i - 2) : i + 1]]
                if not any(ACTOR_RE.search(w) for w in window):
                    continue
                frame["A" if TOPIC_RE.search(text[s:e]) else "B"].append((aid, s, e))
    total = len(frame["A"]) + len(frame["B"])
    print(f"frame: A={len(frame['A'])} B={len(frame['B'])} total={total}")
    rng = random.Random(SEED)
    per_article: Counter[str] = Counter()
    drawn: list[tuple[str, int, int, str]] = []
    for stratum, n in (("A", len(frame["A"])), ("B", N_B)):
        pool = list(frame[stratum])
        rng.shuffle(pool)
        got = 0
        for aid, s, e in pool:  # walking a shuffled pool = redrawing when the cap is hit
            if got == n:
                break
            if per_article[aid] >= CAP:
                continue
            per_article[aid] += 1
            drawn.append((aid, s, e, stratum))
            got += 1
        print(f"drawn from {stratum}: {got}")
    drawn.sort(key=lambda r: (r[0], r[1]))
    with OUT.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["article_id", "start", "end", "stratum"])
        w.writerows(drawn)
    print(f"articles: {len(per_article)}; max per article: {max(per_article.values())}; "
          f"wrote {OUT}")


if __name__ == "__main__":
    main()
