"""Throughput of toolkit.annotate against the stack a user would otherwise build by hand.

    python benchmarks/annotate_speed.py --corpus ../shared/data/bbc_news_2225.jsonl
        [--n N] [--workers W]
    python benchmarks/annotate_speed.py --corpus PATH --incremental   # cache: full run, then +1
    python benchmarks/annotate_speed.py --corpus PATH --breakdown     # spaCy vs each layer

(a) hand-built: spacy.load of the full en_core_web_sm pipeline, nlp.pipe over whole articles,
    TextBlob sentiment per sentence, textacy's direct_quotations (per article; articles where it
    raises count as done).
(b) toolkit.annotate with every layer on (sentences + sentiment, entities, quotes, amounts).
Each runs in its own process on the same articles so that peak RSS is measured separately.
Both time the model loading but not the library imports. Prints words/s for each (wall clock,
and per CPU-second of the process and its workers, which a busy machine disturbs less), the
ratio toolkit/hand-built, and the peak RSS of the main process (and of the largest worker) in MB;
--json for one object.
--incremental times toolkit.annotate with a fresh cache on the first N articles, then again on
those plus one new article (the next article of the corpus), and prints both times, their ratio
and how many articles the second run annotated.
--breakdown runs the toolkit's parse and layers in one process and prints the seconds per million
words spent in spaCy and in each layer, and the layers' share of the two together.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path


def _articles(corpus: str, n: int | None):
    from toolkit import load_articles

    articles = list(load_articles(corpus))
    return articles[:n] if n else articles


def run_baseline(corpus: str, n: int | None, workers: int) -> dict:
    """Return timing of the hand-built stack on the articles."""
    import spacy
    from textacy.extract.triples import direct_quotations
    from textblob import TextBlob

    from toolkit.nlp import installed_model

    articles = _articles(corpus, n)
    name = installed_model()
    start, cpu = time.perf_counter(), _cpu()
    nlp = spacy.load(name)
    raised = 0
    for doc in nlp.pipe((a.text for a in articles), batch_size=64, n_process=workers):
        for sent in doc.sents:
            _ = TextBlob(sent.text).sentiment
        try:
            list(direct_quotations(doc))
        except Exception:  # textacy raises on odd numbers of quote marks; a user would skip
            raised += 1
    seconds, cpu = time.perf_counter() - start, _cpu() - cpu
    return {"seconds": seconds, "textacy_raised": raised, **_common(articles, seconds, cpu)}


def run_toolkit(corpus: str, n: int | None, workers: int) -> dict:
    """Return timing of toolkit.annotate (all layers) on the articles."""
    import spacy  # noqa: F401  imported before the clock starts, as in run_baseline
    import textblob  # noqa: F401

    from toolkit import annotate

    articles = _articles(corpus, n)
    start, cpu = time.perf_counter(), _cpu()
    corpus_ = annotate(articles, workers=workers, progress=False)
    seconds, cpu = time.perf_counter() - start, _cpu() - cpu
    rows = {name: len(t) for name, t in corpus_.tables().items()}
    return {"seconds": seconds, "rows": rows, **_common(articles, seconds, cpu)}


def run_incremental(corpus: str, n: int | None, workers: int) -> dict:
    """Return the time of a full cached run on N articles and of the re-run with one more."""
    import json as json_
    import tempfile

    import spacy  # noqa: F401
    import textblob  # noqa: F401

    from toolkit import annotate

    everything = _articles(corpus, None)
    n = min(n or len(everything) - 1, len(everything) - 1)
    first, second = everything[:n], everything[:n + 1]
    cache = Path(tempfile.mkdtemp(prefix="annotate-speed-cache-"))
    try:
        start = time.perf_counter()
        annotate(first, workers=workers, progress=False, cache_dir=cache)
        full = time.perf_counter() - start
        before = {p.name for p in cache.glob("*.json")}
        start = time.perf_counter()
        annotate(second, workers=workers, progress=False, cache_dir=cache)
        rerun = time.perf_counter() - start
        new = [json_.loads(p.read_text())["articles"] for p in cache.glob("*.json")
               if p.name not in before]
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return {"articles": n, "full_seconds": full, "rerun_seconds": rerun,
            "rerun_share": rerun / full, "rerun_annotated": sum(new),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_breakdown(corpus: str, n: int | None, workers: int) -> dict:
    """Return the seconds per million words of spaCy's parse and of each toolkit layer (one
    process, chunks of articles as ``toolkit.annotate`` cuts them; model loading not timed)."""
    import spacy  # noqa: F401
    import textblob  # noqa: F401

    from toolkit.annotate import CHUNK_ARTICLES, annotate_parsed
    from toolkit.nlp import load_model, parse

    articles = _articles(corpus, n)
    load_model()
    timings = {"spacy": 0.0}
    for i in range(0, len(articles), CHUNK_ARTICLES):
        parsed_articles = parse(articles[i:i + CHUNK_ARTICLES])
        while True:
            start = time.perf_counter()
            parsed = next(parsed_articles, None)
            timings["spacy"] += time.perf_counter() - start
            if parsed is None:
                break
            annotate_parsed(parsed, timings=timings)
    words = sum(len(a.text.split()) for a in articles)
    per_mw = {name: seconds * 1e6 / words for name, seconds in timings.items()}
    layers = sum(v for k, v in per_mw.items() if k != "spacy")
    return {"articles": len(articles), "words": words, "seconds_per_million_words": per_mw,
            "layers_share": layers / (layers + per_mw["spacy"])}


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _common(articles, seconds: float, cpu: float | None = None) -> dict:
    words = sum(len(a.text.split()) for a in articles)
    return {
        "articles": len(articles),
        "words": words,
        "words_per_s": words / seconds,
        "words_per_cpu_s": words / cpu if cpu else None,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "worker_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", required=True, help="articles (any format toolkit loads)")
    parser.add_argument("--n", type=int, help="only the first N articles")
    parser.add_argument("--workers", type=int, default=1, help="processes for both stacks")
    parser.add_argument("--incremental", action="store_true",
                        help="time a full run with the cache, then the re-run with one new article")
    parser.add_argument("--breakdown", action="store_true",
                        help="time spaCy and each toolkit layer separately (toolkit only)")
    parser.add_argument("--only", choices=["baseline", "toolkit", "incremental", "breakdown"],
                        help=argparse.SUPPRESS)
    parser.add_argument("--skip-baseline", action="store_true", help="time the toolkit only")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    if args.only:
        run = {"baseline": run_baseline, "toolkit": run_toolkit,
               "incremental": run_incremental, "breakdown": run_breakdown}[args.only]
        print(json.dumps(run(args.corpus, args.n, args.workers)))
        return 0

    results = {}
    if args.incremental or args.breakdown:
        stacks = ["incremental" if args.incremental else "breakdown"]
    else:
        stacks = ["toolkit"] if args.skip_baseline else ["baseline", "toolkit"]
    for which in stacks:
        cmd = [sys.executable, __file__, "--corpus", args.corpus, "--workers", str(args.workers),
               "--only", which] + (["--n", str(args.n)] if args.n else [])
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        results[which] = json.loads(out.strip().splitlines()[-1])
    if "baseline" in results:
        results["ratio"] = results["toolkit"]["words_per_s"] / results["baseline"]["words_per_s"]
    results["machine"] = (f"{platform.machine()}, {os.cpu_count()} CPUs, Python "
                          f"{platform.python_version()}, workers={args.workers}, load average "
                          f"{os.getloadavg()[0]:.2f} at the end")
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    for which in ("baseline", "toolkit"):
        if which in results:
            r = results[which]
            print(f"{which:<9} {r['articles']} articles, {r['words']:,} words in "
                  f"{r['seconds']:.1f} s:"
                  f" {r['words_per_s']:,.0f} words/s ({r['words_per_cpu_s']:,.0f} per CPU-second),"
                  f" peak RSS {r['peak_rss_mb']:.0f} MB (largest worker"
                  f" {r['worker_peak_rss_mb']:.0f} MB)")
    if "ratio" in results:
        cpu = results["toolkit"]["words_per_cpu_s"] / results["baseline"]["words_per_cpu_s"]
        print(f"ratio toolkit/hand-built: {results['ratio']:.2f} (per CPU-second: {cpu:.2f})")
    if "incremental" in results:
        r = results["incremental"]
        print(f"incremental: full run on {r['articles']} articles {r['full_seconds']:.1f} s; "
              f"re-run with one new article {r['rerun_seconds']:.2f} s "
              f"({100 * r['rerun_share']:.1f}% of the full run), annotated "
              f"{r['rerun_annotated']} article(s); peak RSS {r['peak_rss_mb']:.0f} MB")
    if "breakdown" in results:
        r = results["breakdown"]
        times = ", ".join(f"{name} {seconds:.1f}"
                          for name, seconds in r["seconds_per_million_words"].items())
        print(f"breakdown on {r['articles']} articles, {r['words']:,} words, seconds per million "
              f"words: {times}; the layers' share: {100 * r['layers_share']:.1f}%")
    print(results["machine"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
