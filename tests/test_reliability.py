"""Reliability of real runs: SIGKILL at many points loses nothing, outputs are deterministic, and
article content never becomes live markup in the report.

Kill tests: a completed run gives the reference bytes; the same command is then SIGKILLed at
fixed fractions of the completed run's duration and four times inside its write phase (found
by polling the output files for the first change, then waiting 0 to 300 ms). What is asserted
does not depend on where the kill lands: every output is either the previous complete file or
the new complete file, and no other file (no temporary file) exists in the output folder.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "000_a1bbb6199e38b69c.txt"
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CORPUS = SHARED / "articles_cn_ru_ua.jsonl"
# The CLI, with every output written in 16 KB pieces a few milliseconds apart: the write phase
# then lasts long enough for a kill to land inside a file being written (real disks can be that
# slow; the test machine's page cache is not). Only the test's child process is slowed.
SLOW_WRITES = """
import sys, time
import toolkit.io as tio

class Throttled:
    def __init__(self, fh):
        self.fh = fh
    def write(self, data):
        view = memoryview(data).cast("B")
        for i in range(0, len(view), 16384):
            self.fh.write(view[i:i + 16384])
            self.fh.flush()
            time.sleep(0.003)
        return len(view)
    def __getattr__(self, name):
        return getattr(self.fh, name)
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        self.fh.close()

_file = tio._Pending.file
tio._Pending.file = lambda self: Throttled(_file(self))
from toolkit.cli import main
sys.exit(main(sys.argv[1:]))
"""
TOOLKIT = [sys.executable, "-c", SLOW_WRITES]
KILL_FRACTIONS = (0.1, 0.25, 0.4, 0.55, 0.7, 0.85, 0.95)
# Kills inside the write phase: this long after the first output file changed.
WRITE_PHASE_DELAYS = ("write+0", "write+0.03", "write+0.1", "write+0.3")
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": "0"}


# ------------------------------------------------------------------------------------ helpers


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Return every file under ``folder`` (relative name -> bytes), hidden ones included."""
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _all_names(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def _descendants(pid: int) -> list[int]:
    """Return the pids of every process below ``pid`` (kernels papermill started, workers)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _kill_tree(proc: subprocess.Popen) -> None:
    """SIGKILL ``proc`` and every process it started (each by its own pid)."""
    victims = _descendants(proc.pid)  # listed first: the kill itself must not wait
    proc.kill()
    for pid in victims:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(timeout=60)


def _start(args: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(TOOLKIT + args, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def _run_to_completion(args: list[str], cwd: Path) -> float:
    started = time.monotonic()
    proc = subprocess.run(TOOLKIT + args, cwd=cwd, env=ENV, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return time.monotonic() - started


def _kill_after(args: list[str], cwd: Path, seconds: float) -> float | None:
    """Run, SIGKILL after ``seconds`` (polling, not sleeping, so the kill is on time); return
    None when the process was still running when killed, else the seconds it took to finish."""
    started = time.monotonic()
    proc = _start(args, cwd)
    deadline = started + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.005)
    finished = None if proc.poll() is None else time.monotonic() - started
    _kill_tree(proc)
    return finished


def _kill_at_first_write(args: list[str], cwd: Path, watched: Path, timeout: float,
                         delay: float = 0.0) -> bool:
    """Run, SIGKILL ``delay`` seconds after any file under ``watched`` first changes; return
    whether one did."""
    def state(path: Path) -> tuple[int, int, int]:
        st = path.stat()
        return st.st_ino, st.st_size, st.st_mtime_ns  # renamed over, or written in place

    before = {p: state(p) for p in watched.rglob("*") if p.is_file()}
    proc = _start(args, cwd)
    # the timeout only guards against a hang: on a loaded machine a run may take many times its
    # reference, and a kill that never came is a failed test, not a finding
    deadline = time.monotonic() + max(timeout, 600.0)
    changed = False
    while time.monotonic() < deadline and proc.poll() is None and not changed:
        for path, seen in before.items():
            try:
                if state(path) != seen:
                    changed = True
                    break
            except FileNotFoundError:
                changed = True  # a real bug (a moment without the file) — the asserts catch it
                break
    until = time.monotonic() + delay
    while time.monotonic() < until and proc.poll() is None:
        pass  # busy-wait: a sleep's wake-up jitter is as long as the delay itself
    _kill_tree(proc)
    return changed


# ------------------------------------------------------------------------------------ corpus


def _write_corpus(folder: Path, n: int, *, synthetic: bool = False) -> list[str]:
    """Write the seed and ``n`` more articles into ``folder`` (the shared corpus's first ``n``
    when it is there, unless ``synthetic``); return the paths to pass."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SEED, folder / SEED.name)
    if CORPUS.exists() and not synthetic:
        lines = CORPUS.read_text("utf-8").splitlines()[:n]
        (folder / "more.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    else:  # synthetic: the seed's paragraphs rotated, so every copy is a distinct article
        paragraphs = [p for p in SEED.read_text("utf-8").split("\n\n") if p.strip()]
        for i in range(1, n + 1):
            k = i % len(paragraphs)
            rotated = [f"Copy {i} of the seed"] + paragraphs[k:] + paragraphs[:k]
            (folder / f"copy-{i:02d}.txt").write_text("\n\n".join(rotated), "utf-8")
    return [str(folder)]


# ------------------------------------------------------------------------------------ annotate


@pytest.mark.slow
def test_sigkill_at_many_points_of_annotate_loses_nothing(tmp_path):
    old_in = _write_corpus(tmp_path / "old-in", 5)
    new_in = _write_corpus(tmp_path / "new-in", 10)
    options = ["--no-cache", "--quiet", "--format", "both"]

    _run_to_completion(["annotate", *old_in, "--out", str(tmp_path / "old"), *options], tmp_path)
    duration = _run_to_completion(["annotate", *new_in, "--out", str(tmp_path / "new"),
                                   *options], tmp_path)
    old, new = _snapshot(tmp_path / "old"), _snapshot(tmp_path / "new")
    assert set(old) == set(new) and len(old) == 16  # 8 tables, CSV + Parquet
    assert sum(old[n] != new[n] for n in old) >= 10  # the runs really write different bytes

    outcomes = []
    for i, fraction in enumerate([*KILL_FRACTIONS, *WRITE_PHASE_DELAYS]):
        out = tmp_path / f"kill-{i}"
        shutil.copytree(tmp_path / "old", out)
        args = ["annotate", *new_in, "--out", str(out), *options]
        if isinstance(fraction, str):
            killed_mid_run = _kill_at_first_write(args, tmp_path, out, timeout=5 * duration,
                                                  delay=float(fraction.split("+")[1]))
            assert killed_mid_run, "the run never replaced an output"
        else:
            finished = _kill_after(args, tmp_path, fraction * duration)
            if finished is not None:  # the machine got faster than the reference run: kill a
                duration = min(duration, finished)  # fresh copy at this run's own pace
                shutil.rmtree(out)
                shutil.copytree(tmp_path / "old", out)
                finished = _kill_after(args, tmp_path, fraction * duration)
            killed_mid_run = finished is None
        after = _snapshot(out)
        assert _all_names(out) == sorted(old), f"kill {fraction}: extra or missing files"
        for name, data in after.items():
            assert data in (old[name], new[name]), f"kill at {fraction}: {name} is partial"
        n_new = sum(after[n] == new[n] != old[n] for n in after)
        if isinstance(fraction, str):
            assert n_new >= 1  # the trigger saw a change: at least one file is the new one
        outcomes.append((fraction, killed_mid_run, n_new))
    # most kills must land while the run is still going, or the test proves little; the late
    # timed kills may miss when this run is faster than the reference run it is timed by, and
    # the write phase may be over within 0.3 s on a fast disk
    assert sum(alive for f, alive, _ in outcomes if isinstance(f, float)) >= 4, outcomes
    assert sum(alive for f, alive, _ in outcomes if isinstance(f, str)) >= 3, outcomes
    print("annotate kill points (fraction, killed mid-run, files already new):", outcomes)


# Progress as tqdm draws it once a chunk of articles is done: "annotating:  13%|█▎  | 8/61 [...".
PROGRESS_DONE = re.compile(rb"annotating: +\d+%\|[^|]*\| *[1-9]\d* */ *\d+")


def _read_until(proc: subprocess.Popen, pattern: re.Pattern, timeout: float) -> bytes:
    """Return what ``proc`` wrote on stderr until ``pattern`` appears in it (waiting on the pipe,
    not sleeping); fail if it ends or ``timeout`` passes first."""
    import select

    seen, deadline = b"", time.monotonic() + timeout
    while not pattern.search(seen):
        left = deadline - time.monotonic()
        ready = select.select([proc.stderr], [], [], max(left, 0))[0] if left > 0 else []
        chunk = os.read(proc.stderr.fileno(), 65536) if ready else b""
        assert chunk, f"no {pattern.pattern!r} on stderr (exit {proc.poll()}): {seen[-2000:]!r}"
        seen += chunk
    return seen


def _cmdline(pid: int) -> bytes:
    return Path(f"/proc/{pid}/cmdline").read_bytes()


def _ignores_sigint(pid: int) -> bool:
    """Return whether process ``pid`` ignores SIGINT (its SigIgn mask in /proc)."""
    mask = re.search(r"SigIgn:\s+([0-9a-f]+)", Path(f"/proc/{pid}/status").read_text())[1]
    return bool(int(mask, 16) >> (signal.SIGINT - 1) & 1)


@pytest.mark.slow
def test_ctrl_c_with_two_workers_stops_cleanly(tmp_path):
    """Ctrl-C reaches the whole foreground process group, workers included: only the parent
    answers it, with one clean message, a non-zero exit, and nothing written into OUT."""
    paths = _write_corpus(tmp_path / "in", 60, synthetic=True)
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "toolkit", "annotate", *paths, "--out", str(out), "--no-cache",
         "--workers", "2", "--codebook", ""],
        cwd=tmp_path, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True)  # its own process group, as a terminal's foreground job
    try:
        before = _read_until(proc, PROGRESS_DONE, timeout=600)
        workers = [pid for pid in _descendants(proc.pid) if _cmdline(pid) == _cmdline(proc.pid)]
        assert len(workers) == 2  # forked from the parent
        assert all(_ignores_sigint(pid) for pid in workers)  # only the parent will answer
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C does
        _, rest = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            _kill_tree(proc)
    err = (before + rest).decode("utf-8", "replace")
    assert "Traceback" not in err, err[-3000:]
    assert "KeyboardInterrupt" not in err, err[-3000:]
    assert err.rstrip().endswith(
        "interrupted; outputs already written are complete, nothing half-written remains"), err
    assert proc.returncode == 130
    assert not re.search(r"annotated \d+ article", err)  # it stopped before the end
    assert _all_names(out) == []  # no table, no temporary file
    assert _descendants(proc.pid) == []  # no worker left behind


def _kill_when(args: list[str], cwd: Path, ready, timeout: float, delay: float) -> bool:
    """Run, SIGKILL ``delay`` seconds after ``ready()`` first holds; return whether it did."""
    proc = _start(args, cwd)
    deadline = time.monotonic() + timeout
    seen = False
    while time.monotonic() < deadline and proc.poll() is None and not seen:
        seen = ready()
    until = time.monotonic() + delay
    while time.monotonic() < until and proc.poll() is None:
        pass  # busy-wait: a sleep's wake-up jitter is as long as the delay itself
    alive = proc.poll() is None
    _kill_tree(proc)
    return seen and alive


def _datasets(folder: Path) -> dict[str, dict[str, bytes]]:
    """Return each visible Parquet dataset folder under ``folder`` (table -> its files)."""
    return {d.name: _snapshot(d) for d in sorted(folder.iterdir())
            if d.is_dir() and not d.name.startswith(".")}


@pytest.mark.slow
def test_sigkill_while_writing_article_partitions_loses_nothing(tmp_path):
    """``--partition-by-article``: killed at several points, every table's dataset is the old
    run's or the new run's, whole; at most one table (the one between its two renames) is
    missing; the next run sweeps what the killed one left and completes."""
    old_in = _write_corpus(tmp_path / "old-in", 3)
    new_in = _write_corpus(tmp_path / "new-in", 6)
    options = ["--no-cache", "--quiet", "--format", "parquet", "--partition-by-article"]
    _run_to_completion(["annotate", *old_in, "--out", str(tmp_path / "old"), *options], tmp_path)
    duration = _run_to_completion(["annotate", *new_in, "--out", str(tmp_path / "new"),
                                   *options], tmp_path)
    old, new = _datasets(tmp_path / "old"), _datasets(tmp_path / "new")
    assert set(old) == set(new) and len(old) >= 6
    assert all(old[t] != new[t] for t in ("articles", "sentences", "entities"))

    outcomes = []
    changed = [t for t in old if old[t] != new[t]]
    # The timed kills (fractions of a reference run) can miss when the run is faster than its
    # reference; the event-triggered ones fire on what the run does and must all land mid-run.
    for i, point in enumerate((0.3, 0.6, "staging+0", "staging+0.01", "staging+0.03", "swap+0")):
        out = tmp_path / f"kill-{i}"
        shutil.copytree(tmp_path / "old", out)
        args = ["annotate", *new_in, "--out", str(out), *options]
        if isinstance(point, float):
            alive = _kill_after(args, tmp_path, point * duration) is None
        elif point.startswith("staging"):  # while the workers' files go into staging folders
            alive = _kill_when(args, tmp_path, lambda o=out: any(o.glob(".*.partial-*")),
                               timeout=5 * duration, delay=float(point.split("+")[1]))
        else:  # as soon as the first dataset has been swapped in
            alive = _kill_at_first_write(args, tmp_path, out, timeout=5 * duration)
        after = _datasets(out)
        assert set(after) <= set(old) and len(after) >= len(old) - 1, (point, sorted(after))
        for table, files in after.items():
            assert files in (old[table], new[table]), f"kill at {point}: {table} is mixed"
        outcomes.append((point, alive, sum(after.get(t) == new[t] for t in changed)))
    timed = [alive for point, alive, _ in outcomes if isinstance(point, float)]
    assert any(timed), outcomes  # at least one timed kill landed mid-run
    assert all(alive for point, alive, _ in outcomes if isinstance(point, str)), outcomes
    assert outcomes[-1][2] >= 1, outcomes  # the swap kill saw a new dataset in place
    # the next run over a killed folder removes the leftovers and writes the new datasets
    _run_to_completion(["annotate", *new_in, "--out", str(out), *options], tmp_path)
    assert _datasets(out) == new
    assert not [p for p in out.iterdir() if p.name.startswith(".") and "partial" in p.name]
    print("partition kill points (point, killed mid-run, tables already new):", outcomes)


# ------------------------------------------------------------------------------------ toolkit run


def _complete(name: str, data: bytes) -> bool:
    """Return whether a run output is a whole file of its kind."""
    if name.endswith(".png"):
        return data.startswith(b"\x89PNG") and data.endswith(b"IEND\xaeB`\x82")
    if name.endswith(".svg"):
        return data.rstrip().endswith(b"</svg>")
    if name.endswith(".html"):
        return data.rstrip().endswith(b"</html>")
    if name.endswith(".ipynb"):
        return bool(json.loads(data)["cells"])
    if name.endswith(".csv"):
        return data.endswith(b"\n")
    if name.endswith(".parquet"):  # the annotation cache
        return data.startswith(b"PAR1") and data.endswith(b"PAR1")
    if name.endswith(".json"):  # the cache's manifest
        return isinstance(json.loads(data), dict)
    if name.endswith(".npz"):  # the story-group signatures kept with the cache
        import io
        import zipfile

        try:
            return zipfile.ZipFile(io.BytesIO(data)).testzip() is None
        except zipfile.BadZipFile:
            return False
    return False


@pytest.mark.slow
def test_sigkill_at_three_points_of_toolkit_run_loses_nothing(tmp_path):
    """``toolkit run`` on the seed: killed at 3 points, every output is complete and the
    deterministic ones (tables, figure CSVs) are byte-identical to a completed run's."""
    args = ["run", "--articles", str(SEED), "--out"]
    duration = _run_to_completion([*args, str(tmp_path / "done")], tmp_path)
    done = _snapshot(tmp_path / "done")
    assert len([n for n in done if n.startswith("figures/")]) >= 3
    killed = []
    for i, fraction in enumerate((0.25, 0.5, "notebook written")):
        out = tmp_path / f"kill-{i}"
        shutil.copytree(tmp_path / "done", out)
        if fraction == "notebook written":  # mid-run: notebooks 2-4 are still to come
            killed.append(_kill_at_first_write([*args, str(out)], tmp_path, out / "notebooks",
                                               timeout=3 * duration))
        else:
            killed.append(_kill_after([*args, str(out)], tmp_path, fraction * duration) is None)
        after = _snapshot(out)
        assert _all_names(out) == _all_names(tmp_path / "done"), f"kill at {fraction}"
        for name, data in after.items():
            assert _complete(name, data), f"kill at {fraction}: {name} is partial"
            if name.startswith("tables/") or name.endswith(".csv"):
                assert data == done[name], f"kill at {fraction}: {name} changed"
    assert killed[2] and sum(killed) >= 2, killed  # the kills landed while the run was going


# ------------------------------------------------------------------------------------ determinism


@pytest.fixture(scope="module")
def two_annotations(tmp_path_factory):
    """Annotate the same articles twice, the second time with the files in another order."""
    tmp = tmp_path_factory.mktemp("determinism")
    (folder,) = _write_corpus(tmp / "in", 6)
    files = sorted(Path(folder).iterdir())
    first = ["annotate", *map(str, files), "--out", str(tmp / "a"), "--no-cache", "--quiet",
             "--format", "both"]
    second = ["annotate", *map(str, reversed(files)), "--out", str(tmp / "b"), "--no-cache",
              "--quiet", "--format", "both"]
    _run_to_completion(first, tmp)
    _run_to_completion(second, tmp)
    return _snapshot(tmp / "a"), _snapshot(tmp / "b")


@pytest.mark.slow
def test_annotating_twice_in_any_file_order_gives_identical_bytes(two_annotations):
    a, b = two_annotations
    assert len(a) == 16
    assert a == b


@pytest.mark.slow
def test_tables_are_sorted_with_stable_ids(two_annotations):
    import io

    import pandas as pd

    a, _ = two_annotations
    for name in ("sentences", "entities", "quotes", "amounts", "stance"):
        df = pd.read_csv(io.BytesIO(a[f"{name}.csv"]), keep_default_na=False)
        assert list(df["article_id"]) == sorted(df["article_id"]), name
        if "start" in df:
            for _, rows in df.groupby("article_id", sort=False):
                assert list(rows["start"]) == sorted(rows["start"]) or name in ("quotes",
                                                                                 "amounts")


def test_figure_files_are_byte_identical_across_runs(tmp_path):
    import pandas as pd

    from toolkit import plot

    df = pd.DataFrame({"name": ["Xi Jinping", "Putin", "Zelensky", "Biden"],
                       "n": [12, 9, 9, 1.5]})
    runs = []
    for k in range(2):
        fig, data = plot.bar_counts(df, label="name", value="n", title="Who is named",
                                    xlabel="Mentions", source="test")
        runs.append(_snapshot_paths(plot.save_figure(fig, data, "01-people",
                                                     out_dir=tmp_path / str(k))))
        plot.close(fig)
    assert runs[0] == runs[1]
    assert runs[0]["csv"] == b"name,n\nXi Jinping,12\nPutin,9\nZelensky,9\nBiden,1.5\n"


def _snapshot_paths(paths: dict[str, Path]) -> dict[str, bytes]:
    return {k: p.read_bytes() for k, p in paths.items()}


# ------------------------------------------------------------------------------------ untrusted

EVIL = ('<script>alert(1)</script> <img src=x onerror=alert(1)> '
        '<a href="javascript:alert(1)">x</a> <svg onload=alert(1)></svg>')


class _LiveMarkup(HTMLParser):
    """Collects what a browser would run: scripts with article code, on* handlers, js: links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self._in_script = tag == "script"
        for name, value in attrs:
            value = (value or "").strip().lower()
            if name.lower().startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if name.lower() in ("href", "src", "action", "formaction", "xlink:href") and \
                    re.sub(r"\s", "", value).startswith(("javascript:", "data:text/html")):
                self.found.append(f"<{tag} {name}={value}>")

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and "alert(" in data:
            self.found.append(f"<script>{data[:60]}")


def live_markup(html: str) -> list[str]:
    """Return the live markup in ``html`` an article could have smuggled in."""
    parser = _LiveMarkup()
    parser.feed(html)
    return parser.found


def test_live_markup_detector_can_fail():
    assert live_markup(EVIL) == ["<script>alert(1)", "<img onerror=...>",
                                 "<a href=javascript:alert(1)>", "<svg onload=...>"]
    assert live_markup("&lt;script&gt;alert(1)&lt;/script&gt; onerror=alert(1)") == []


def _evil_notebook(path: Path) -> None:
    import nbformat
    import pandas as pd
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    df = pd.DataFrame({"article_id": ["evil"], "text": [EVIL]})
    nb = new_notebook(cells=[
        new_markdown_cell("# Report"),
        new_code_cell("df", execution_count=1, outputs=[new_output(
            "execute_result", execution_count=1,
            data={"text/html": df._repr_html_(), "text/plain": repr(df)})]),
        new_code_cell("print(text)", outputs=[new_output("stream", name="stdout",
                                                         text=EVIL + "\n")]),
        # what a careless notebook could do: display the article's HTML or Markdown as such
        new_code_cell("HTML(text)", outputs=[new_output(
            "display_data", data={"text/html": EVIL, "text/plain": "<HTML>"})]),
        new_code_cell("Markdown(text)", outputs=[new_output(
            "display_data", data={"text/markdown": EVIL, "text/plain": "<Markdown>"})]),
        new_code_cell("SVG(text)", outputs=[new_output(
            "display_data", data={"image/svg+xml": '<svg xmlns="http://www.w3.org/2000/svg" '
                                  'onload="alert(1)"><script>alert(2)</script></svg>'})]),
        new_code_cell("Javascript(text)", outputs=[new_output(
            "display_data", data={"application/javascript": "alert(3)", "text/plain": "js"})]),
    ])
    nbformat.write(nb, path)


@pytest.mark.filterwarnings("error::UserWarning")  # no output left empty by the sanitizer
def test_article_markup_does_not_survive_into_the_html_report(tmp_path):
    from toolkit.run import html_report

    _evil_notebook(tmp_path / "01-evil.ipynb")
    index = html_report([tmp_path / "01-evil.ipynb"], tmp_path / "report")
    page = (tmp_path / "report" / "01-evil.html").read_text("utf-8")
    assert live_markup(page) == []
    assert "alert(3)" not in page and "alert(2)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the text is shown, as text
    assert live_markup(index.read_text("utf-8")) == []


@pytest.mark.slow
def test_executed_notebook_showing_an_html_article_gives_a_safe_report(tmp_path):
    """The real path: loader -> a notebook executed by papermill -> nbconvert report."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    from toolkit.run import execute_notebook, html_report

    page = tmp_path / "evil.html"
    page.write_text(f"<html><head><title>Evil page</title></head><body><article>"
                    f"<h1>Evil page</h1><p>China said the plan is fair. {EVIL}</p>"
                    f"<p>The ministry &lt;script&gt;alert(9)&lt;/script&gt; added more.</p>"
                    f"</article></body></html>", "utf-8")
    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "language": "python",
                                               "display_name": "Python 3"}}, cells=[
        new_code_cell("articles = []", metadata={"tags": ["parameters"]}),
        new_code_cell("import pandas as pd\nfrom toolkit import load_articles\n"
                      "loaded = load_articles(articles)\n"
                      "df = pd.DataFrame({'text': [a.text for a in loaded] + [EVIL]})\n"
                      "print(df.text.tolist())\ndf"),
    ])
    nb.cells[1].source = f"EVIL = {EVIL!r}\n" + nb.cells[1].source
    nbformat.write(nb, tmp_path / "src.ipynb")
    done = execute_notebook(tmp_path / "src.ipynb", tmp_path / "out" / "01-evil.ipynb",
                            {"articles": [str(page)]})
    report = html_report([done], tmp_path / "report")
    html = (tmp_path / "report" / "01-evil.html").read_text("utf-8")
    assert live_markup(html) == []
    # the page's escaped text is article text ("<script>" as words): shown, never run
    assert "The ministry &lt;script&gt;alert(9)&lt;/script&gt; added more." in html
    assert live_markup(report.read_text("utf-8")) == []


def test_loader_keeps_no_live_markup_from_an_html_article(tmp_path):
    from toolkit import load_articles

    (tmp_path / "evil.html").write_text(
        "<html><head><title>Evil page</title><script>alert(0)</script></head><body>"
        f"<article><h1>Evil page</h1><p>China said {EVIL} the plan is fair.</p>"
        "<p>The ministry added that talks would go on <a href='javascript:alert(5)'>here</a>"
        " and <b onclick='alert(6)'>there</b>.</p></article></body></html>", "utf-8")
    (article,) = load_articles(tmp_path)
    assert "the plan is fair." in article.text and "talks would go on here" in article.text
    for text in (article.text, article.title, *article.paragraphs):
        assert not re.search(r"<\s*(script|img|a|svg|b)\b|onerror|onclick|onload|javascript:",
                             text, re.IGNORECASE), text
        assert "alert(" not in text


@pytest.mark.slow
def test_sigkill_while_the_cache_is_written_leaves_no_temporary_file(tmp_path):
    """With the annotation cache on (the default), kill the run when its first cache file
    appears: the cache folder and the tables hold whole files only, no temporary ones."""
    corpus = _write_corpus(tmp_path / "in", 4)
    out = tmp_path / "out"
    proc = _start(["annotate", *corpus, "--out", str(out), "--quiet"], tmp_path)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and proc.poll() is None:
        if (out / ".cache").exists() and any(p.is_file() for p in (out / ".cache").rglob("*")):
            break
    alive = proc.poll() is None
    _kill_tree(proc)
    assert alive, "the run ended before a cache file appeared"
    names = _all_names(out)
    assert not [n for n in names if n.endswith(".tmp") or "/." in "/" + n.replace(".cache", "")]
    # the next run reads what the killed run cached and finishes
    _run_to_completion(["annotate", *corpus, "--out", str(out), "--quiet"], tmp_path)
    assert (out / "quotes.csv").exists()
