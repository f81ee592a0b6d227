"""Peak memory of `toolkit annotate` by the shape of one article: one long paragraph or many.

    python benchmarks/paragraph_memory.py --mb 20 --shape one-paragraph
    python benchmarks/paragraph_memory.py --mb 1 --shape paragraphs [--json]

Writes one article of about MB megabytes into a temporary folder (news-like sentences; with
``one-paragraph`` they are pasted with single newlines, which the loader joins into one paragraph,
as text copied from some pages arrives), runs ``toolkit annotate FILE --out TMP --no-cache
--quiet --codebook ''`` in its own process and prints the wall time and the peak RSS of that
process and its workers (``wait4``'s ``ru_maxrss``). A benchmark, not a test: the figures depend
on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SENTENCES = [
    'China said on Friday it was ready to play a "constructive role" in ending the war.',
    "The foreign ministry spokesman, Wang Wenbin, told reporters in Beijing that talks were "
    "the only way out.",
    "Ukraine's president, Volodymyr Zelensky, said he would consider any plan that respected "
    "his country's borders.",
    "Trade between the two countries rose 30% to $190 billion last year, customs data showed.",
    '"We will not take sides," the ambassador said, adding that sanctions "solve nothing".',
    "Analysts in Washington and Brussels doubted that Beijing would press Moscow hard.",
]


def article_text(megabytes: float, shape: str) -> str:
    """Return an article of about ``megabytes`` MB: a headline, then the sentences either as one
    paragraph of lines (``one-paragraph``) or as paragraphs of three sentences."""
    target = int(megabytes * 1024 * 1024)
    parts, size, n = [], 0, 0
    while size < target:
        sentence = SENTENCES[n % len(SENTENCES)].replace("Friday", f"day {n}")
        parts.append(sentence)
        size += len(sentence) + 1
        n += 1
    if shape == "one-paragraph":
        body = "\n".join(parts)
    else:
        body = "\n\n".join(" ".join(parts[i:i + 3]) for i in range(0, len(parts), 3))
    return "China offers to mediate\n\n" + body + "\n"


def measure(megabytes: float, shape: str) -> dict:
    """Return the wall seconds and peak RSS (MB) of one `toolkit annotate` run."""
    with tempfile.TemporaryDirectory() as folder:
        article = Path(folder) / f"{shape}.txt"
        article.write_text(article_text(megabytes, shape), "utf-8")
        command = [sys.executable, "-m", "toolkit", "annotate", str(article), "--out",
                   str(Path(folder) / "out"), "--no-cache", "--quiet", "--codebook", ""]
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        out, err = proc.stdout.read().decode(), proc.stderr.read().decode()
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            raise SystemExit(f"toolkit annotate failed ({proc.returncode}):\n{err}")
    return {"mb": megabytes, "shape": shape, "seconds": round(seconds, 1),
            "peak_rss_mb": round(usage.ru_maxrss / 1024), "command": " ".join(command[1:4]),
            "output": out.strip().splitlines()[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=float, default=1.0, help="article size (default 1)")
    parser.add_argument("--shape", choices=["one-paragraph", "paragraphs"], default="paragraphs")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    result = measure(args.mb, args.shape)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['mb']:g} MB, {result['shape']}: {result['seconds']} s, peak RSS "
              f"{result['peak_rss_mb']} MB ({result['output']})")


if __name__ == "__main__":
    main()
