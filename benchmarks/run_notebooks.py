"""How long the main job's notebook step takes, one notebook at a time against side by side.

Runs ``toolkit run`` once on the seeds to fill the annotation cache, then executes the four
curated notebooks on the same inputs with ``jobs=1`` and with ``jobs=N`` (each twice, the best
kept), and prints the wall times. Nothing is written into the project (outputs go to a temp dir).

    python benchmarks/run_notebooks.py [--jobs N]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from toolkit import paths
from toolkit.run import execute_all, notebooks, run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 1))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        started = time.perf_counter()
        run([paths.SEEDS_DIR], out_dir=out, figures_dir=Path(tmp) / "figures", say=lambda _: None)
        print(f"toolkit run on the seeds, cold cache: {time.perf_counter() - started:.1f} s")
        os.environ["TOOLKIT_FIGURES_DIR"] = str(Path(tmp) / "figures")
        params = {"articles": [str(paths.SEEDS_DIR)], "codebook": paths.DEFAULT_CODEBOOK,
                  "cache_dir": str(out / ".cache")}
        for jobs in (1, args.jobs):
            best = float("inf")
            for _ in range(2):
                started = time.perf_counter()
                execute_all(notebooks(), Path(tmp) / f"nb{jobs}", params, say=lambda _: None,
                            jobs=jobs)
                best = min(best, time.perf_counter() - started)
            print(f"4 notebooks, warm cache, jobs={jobs}: {best:.1f} s")


if __name__ == "__main__":
    main()
