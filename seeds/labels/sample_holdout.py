"""Draw a fresh held-out sample of sentences for blind stance coding (china_mediation).

Frame (independent of any machine rule): every sentence of the raw `text` of
../shared/data/articles_cn_ru_ua.jsonl (toolkit.stance.split_sentences) that
- does not overlap a span already in the label files the round excludes,
- has >= 8 words (drops headings/captions),
- has an actor term (case-sensitive word match) in itself or in the two sentences before it.
Stratum A: candidates with a broad topic word in the sentence itself; B: the rest.

Round 1 (cn_ru_ua_china_mediation_holdout.csv): excludes cn_ru_ua_china_mediation.csv; 75 from
A, 25 from B with random.Random(20261128), at most 6 per article.
Round 2 (cn_ru_ua_china_mediation_holdout2.csv): also excludes the round-1 holdout; every A
candidate left (none were), 260 from B with random.Random(20261129), at most 14 per article.

Run from the project root: `python seeds/labels/sample_holdout.py [--round 2]`.
Writes ./holdout_sample.csv or ./holdout2_sample.csv (article_id,start,end,stratum).
"""
from __future__ import annotations

import argparse
import csv
import json
import random
import re
from collections import Counter
from pathlib import Path

from toolkit.stance import split_sentences

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[2] / "shared" / "data" / "articles_cn_ru_ua.jsonl"
DEV = HERE / "cn_ru_ua_china_mediation.csv"
HOLDOUT1 = HERE / "cn_ru_ua_china_mediation_holdout.csv"
# round -> (label files excluded, seed, draws from A (None: all), draws from B, cap per article,
# output in the current folder)
ROUNDS = {
    1: ([DEV], 20261128, 75, 25, 6, Path("holdout_sample.csv")),
    2: ([DEV, HOLDOUT1], 20261129, None, 260, 14, Path("holdout2_sample.csv")),
}

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


def existing_spans(paths: list[Path]) -> dict[str, list[tuple[int, int]]]:
    spans: dict[str, list[tuple[int, int]]] = {}
    for path in paths:
        with path.open() as fh:
            rows = csv.DictReader(line for line in fh if not line.startswith("#"))
            for r in rows:
                spans.setdefault(r["article_id"], []).append((int(r["start"]), int(r["end"])))
    return spans


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--round", type=int, choices=sorted(ROUNDS), default=1)
    exclude, seed, n_a, n_b, cap, out = ROUNDS[parser.parse_args().round]
    taken = existing_spans(exclude)
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
    rng = random.Random(seed)
    per_article: Counter[str] = Counter()
    drawn: list[tuple[str, int, int, str]] = []
    for stratum, n in (("A", len(frame["A"]) if n_a is None else n_a), ("B", n_b)):
        pool = list(frame[stratum])
        rng.shuffle(pool)
        got = 0
        for aid, s, e in pool:  # walking a shuffled pool = redrawing when the cap is hit
            if got == n:
                break
            if per_article[aid] >= cap:
                continue
            per_article[aid] += 1
            drawn.append((aid, s, e, stratum))
            got += 1
        print(f"drawn from {stratum}: {got}")
    drawn.sort(key=lambda r: (r[0], r[1]))
    with out.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["article_id", "start", "end", "stratum"])
        w.writerows(drawn)
    print(f"articles: {len(per_article)}; max per article: {max(per_article.values())}; "
          f"wrote {out}")


if __name__ == "__main__":
    main()
