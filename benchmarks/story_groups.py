"""Precision, recall and cost of the story groups (toolkit.stories) on a corpus built here.

    python benchmarks/story_groups.py                      # built corpus: precision / recall
    python benchmarks/story_groups.py --cost               # + seconds on BBC 2,225 (also with
                                                           #   the signatures cached), its groups
    python benchmarks/story_groups.py --annotate 300       # + annotate 300 articles with/without
    ... --json                                             # one JSON object instead of text

The test corpus is built in memory, seeded (``--seed``), from ``../shared/data`` and never
written anywhere: ``--bases`` BBC articles drawn at random plus the 29 articles of
``articles_cn_ru_ua.jsonl`` are the originals (any original sharing 30 % of its shingles with
another original is dropped first, so that no two originals are one story: the BBC set has real
near-duplicates). Every other original then gets one copy of each kind in ``VARIANTS``:

  headline   the same body under a new title and outlet
  trimmed    the first 60 % of the paragraphs (at least one)
  trimmed30  the first 30 % of the paragraphs (a heavily cut wire copy)
  inserted   a paragraph from an article outside the corpus inserted in the middle
  outlet     another outlet's name in the body ("BBC" -> "Reuters"), a "(Reuters) -" lead
  dateline   a new dateline and byline paragraph on top, another date
  combined   trimmed to 70 %, a new headline, a dateline and an inserted paragraph
  light      one word in 20 replaced by another word (a light copy-edit)
  heavy      one word in 8 replaced: a rewrite, expected to be missed at the threshold

The originals are the negatives: distinct stories, many on the same topic (BBC articles of
one category, the 29 on China–Russia–Ukraine). Scores are pairwise: a pair of articles is
positive when both are the same story (an original and its copies); precision and recall are
over all pairs of the corpus, and recall is also given per kind of copy (the share of that
kind's copies grouped with their original).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
BBC = SHARED / "bbc_news_2225.jsonl"
CN_RU_UA = SHARED / "articles_cn_ru_ua.jsonl"
VARIANTS = ("headline", "trimmed", "trimmed30", "inserted", "outlet", "dateline", "combined",
            "light", "heavy")
OVERLAP_BETWEEN_ORIGINALS = 0.3


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime


def build_corpus(*, bases: int = 200, seed: int = 19):
    """Return (articles, truth, kinds): the built corpus, each article's true story, and each
    copy's kind ("original" for the originals)."""
    from toolkit import load_articles
    from toolkit.stories import containment, shingles

    rng = random.Random(seed)
    bbc = list(load_articles(BBC))
    rng.shuffle(bbc)
    pool, spare = bbc[:bases], bbc[bases:]
    originals = sorted(pool + list(load_articles(CN_RU_UA)), key=lambda a: a.article_id)
    sets = {a.article_id: shingles(a.text) for a in originals}
    drop = set()
    for a, b in combinations(originals, 2):
        if a.article_id not in drop and b.article_id not in drop and containment(
                sets[a.article_id], sets[b.article_id]) >= OVERLAP_BETWEEN_ORIGINALS:
            drop.add(b.article_id)
    originals = [a for a in originals if a.article_id not in drop]
    articles, truth, kinds = list(originals), {}, {}
    for a in originals:
        truth[a.article_id], kinds[a.article_id] = a.article_id, "original"
    fillers = iter(p for a in spare for p in a.paragraphs if len(p.split()) >= 25)
    for n, original in enumerate(originals):
        if n % 2:  # half the originals have no copy at all
            continue
        for kind in VARIANTS:
            copy = _copy(original, kind, rng=rng, filler=next(fillers))
            articles.append(copy)
            truth[copy.article_id], kinds[copy.article_id] = original.article_id, kind
    return articles, truth, kinds, sorted(drop)


def _copy(a, kind: str, *, rng: random.Random, filler: str):
    paragraphs = list(a.paragraphs)
    title, outlet, published = a.title, a.outlet, a.published
    if kind in ("headline", "combined"):
        title, outlet = f"{a.title.split(':')[0]}: what we know", "Daily Wire Service"
    if kind in ("trimmed", "trimmed30", "combined"):
        share = {"trimmed": 0.6, "trimmed30": 0.3, "combined": 0.7}[kind]
        paragraphs = paragraphs[:max(1, round(len(paragraphs) * share))]
    if kind in ("inserted", "combined"):
        paragraphs.insert(len(paragraphs) // 2, filler)
    if kind == "outlet":
        paragraphs = [p.replace("BBC", "Reuters").replace("CNN", "Reuters") for p in paragraphs]
        paragraphs[0] = "(Reuters) - " + paragraphs[0]
        outlet = "Reuters"
    if kind in ("dateline", "combined"):
        paragraphs = ["By Alex Morgan, Staff Writer", "LONDON, March 3 (AP) — " + paragraphs[0],
                      *paragraphs[1:]]
        published = "2005-03-03"
    if kind in ("light", "heavy"):
        every = 20 if kind == "light" else 8
        words = [w for p in a.paragraphs for w in p.split()]
        out, i = [], 0
        for p in paragraphs:
            new = []
            for w in p.split():
                i += 1
                new.append(rng.choice(words) if i % every == 0 else w)
            out.append(" ".join(new))
        paragraphs = out
    return a.build(article_id=f"{a.article_id}~{kind}", path=f"built/{kind}",
                   paragraphs=paragraphs, title=title, outlet=outlet,
                   published=published, url="", authors=a.authors)


def score(articles, truth: dict[str, str], kinds: dict[str, str]) -> dict:
    """Return pairwise precision and recall of toolkit.stories on the built corpus."""
    from toolkit.stories import story_groups

    groups = story_groups(articles)
    predicted = dict(zip(groups["article_id"], groups["story_id"], strict=True))
    ids = sorted(predicted)
    tp = fp = fn = 0
    same_topic_fp = 0
    for a, b in combinations(ids, 2):
        gold, guess = truth[a] == truth[b], predicted[a] == predicted[b]
        tp += gold and guess
        fp += guess and not gold
        fn += gold and not guess
        if guess and not gold and a.split("/")[0] == b.split("/")[0]:
            same_topic_fp += 1
    per_kind = {}
    for kind in VARIANTS:
        copies = [i for i in ids if kinds[i] == kind]
        grouped = sum(predicted[i] == predicted[truth[i]] for i in copies)
        per_kind[kind] = {"copies": len(copies), "recall": grouped / len(copies)}
    originals = [i for i in ids if kinds[i] == "original"]
    negatives = len(originals) * (len(originals) - 1) // 2
    return {
        "articles": len(ids), "originals": len(originals), "copies": len(ids) - len(originals),
        "positive_pairs": tp + fn, "negative_pairs_between_originals": negatives,
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
        "false_pairs": fp, "false_pairs_same_topic": same_topic_fp, "missed_pairs": fn,
        "recall_by_kind": per_kind,
    }


def cost() -> dict:
    """Return the seconds story_groups takes on BBC 2,225 (the first call, which imports
    datasketch and scipy, then the best of 3), and the groups found."""
    from toolkit import load_articles
    from toolkit.stories import containment, shingles, story_groups

    articles = list(load_articles(BBC))
    runs = []
    for _ in range(4):
        start, cpu = time.perf_counter(), _cpu()
        groups = story_groups(articles)
        runs.append((time.perf_counter() - start, _cpu() - cpu))
    with tempfile.TemporaryDirectory() as cache:  # a re-run whose signatures are cached
        story_groups(articles, cache_dir=cache)
        start, cpu = time.perf_counter(), _cpu()
        assert story_groups(articles, cache_dir=cache).equals(groups)
        cached = (time.perf_counter() - start, _cpu() - cpu)
    by_id = {a.article_id: a for a in articles}
    found = []
    for story_id, members in groups.groupby("story_id"):
        if len(members) > 1:
            ids = sorted(members["article_id"])
            found.append({
                "story_id": story_id, "articles": ids,
                "titles": [by_id[i].title for i in ids],
                "containment": round(containment(shingles(by_id[ids[0]].text),
                                                 shingles(by_id[ids[1]].text)), 3)})
    out = {"articles": len(articles), "words": sum(a.word_count for a in articles),
           "first_seconds": runs[0][0], "first_cpu_seconds": runs[0][1],
           "seconds": min(r[0] for r in runs[1:]), "cpu_seconds": min(r[1] for r in runs[1:]),
           "cached_seconds": cached[0], "cached_cpu_seconds": cached[1],
           "groups": found, "copies": int((groups["copy_of"] != "").sum())}
    return out


def annotate_with_and_without(n: int) -> dict:
    """Return the seconds of one annotate run on the first n BBC articles with story groups and
    one without (story_groups replaced by a stub giving every article its own story)."""
    import pandas as pd

    import toolkit.stories
    from toolkit import annotate, load_articles

    articles = list(load_articles(BBC))[:n]
    real = toolkit.stories.story_groups

    def alone(arts):
        ids = [a.article_id for a in arts]
        return pd.DataFrame({"article_id": ids, "story_id": ids, "copy_of": [""] * len(ids)})

    out = {"articles": len(articles)}
    annotate(articles[:2], progress=False)  # model loaded before either clock starts
    for name, fn in (("without", alone), ("with", real)):
        toolkit.stories.story_groups = fn
        try:
            start, cpu = time.perf_counter(), _cpu()
            annotate(articles, progress=False)
            out[f"{name}_seconds"] = time.perf_counter() - start
            out[f"{name}_cpu_seconds"] = _cpu() - cpu
        finally:
            toolkit.stories.story_groups = real
    start = time.perf_counter()
    real(articles)
    out["grouping_seconds"] = time.perf_counter() - start
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bases", type=int, default=200, help="BBC originals (default 200)")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--cost", action="store_true", help="time grouping on BBC 2,225")
    parser.add_argument("--annotate", type=int, default=0, metavar="N",
                        help="time annotate on N BBC articles with and without grouping")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not BBC.is_file() or not CN_RU_UA.is_file():
        print(f"{SHARED}: the shared data (bbc_news_2225.jsonl, articles_cn_ru_ua.jsonl) is "
              "not here; this benchmark needs it", file=sys.stderr)
        return 2
    articles, truth, kinds, dropped = build_corpus(bases=args.bases, seed=args.seed)
    result = {"built": score(articles, truth, kinds), "originals_dropped": dropped}
    if args.cost:
        result["cost"] = cost()
    if args.annotate:
        result["annotate"] = annotate_with_and_without(args.annotate)
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        _print(result)
    return 0


def _print(result: dict) -> None:
    b = result["built"]
    print(f"built corpus: {b['articles']} articles = {b['originals']} originals + "
          f"{b['copies']} copies ({len(result['originals_dropped'])} originals dropped as "
          "overlapping another)")
    print(f"pairwise precision {b['precision']:.3f}, recall {b['recall']:.3f} "
          f"({b['positive_pairs']} positive pairs, {b['false_pairs']} false, "
          f"{b['missed_pairs']} missed)")
    for kind, r in b["recall_by_kind"].items():
        print(f"  {kind:10} recall {r['recall']:.3f} of {r['copies']}")
    if "cost" in result:
        c = result["cost"]
        print(f"BBC: {c['articles']} articles, {c['words']:,} words: grouping "
              f"{c['seconds']:.2f} s wall, {c['cpu_seconds']:.2f} s CPU (first call, imports "
              f"included: {c['first_seconds']:.2f} s; signatures cached: "
              f"{c['cached_seconds']:.2f} s, {c['cached_cpu_seconds']:.2f} s CPU); "
              f"{len(c['groups'])} groups, {c['copies']} copies")
        for g in c["groups"]:
            print(f"  {g['containment']:.2f} {' | '.join(g['articles'])}: {g['titles'][0]!r}"
                  f" / {g['titles'][1]!r}")
    if "annotate" in result:
        print("annotate:", json.dumps(result["annotate"]))


if __name__ == "__main__":
    raise SystemExit(main())
