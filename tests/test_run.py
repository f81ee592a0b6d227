"""The main job's HTML report shows prose and tables as markup (and, see test_reliability, runs
nothing from an article)."""

from __future__ import annotations

import os

import nbformat
import pandas as pd
import pytest
from conftest import SHARED, needs_shared
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from toolkit.run import html_report


def test_report_renders_headings_and_tables_as_markup(tmp_path):
    table = ("<table class='dataframe'><thead><tr><th>speaker</th></tr></thead>"
             "<tbody><tr><td>Li Mingjiang</td></tr></tbody></table>")
    cell = new_code_cell("df", outputs=[new_output(
        "execute_result", data={"text/html": "<style scoped>td {color: #abc123}</style>" + table,
                                "text/plain": "df"}, execution_count=1)])
    nb = new_notebook(cells=[new_markdown_cell("# A title\n\nSome **prose**."), cell])
    path = tmp_path / "01-x.ipynb"
    nbformat.write(nb, path)
    index = html_report([path], tmp_path / "report")
    page = (tmp_path / "report" / "01-x.html").read_text(encoding="utf-8")
    assert "<h1" in page and "<strong>prose</strong>" in page
    assert "<th>speaker</th>" in page and "<td>Li Mingjiang</td>" in page
    assert "&lt;h1" not in page and "&lt;table" not in page  # nothing escaped into visible text
    assert "#abc123" not in page  # the output's style element is dropped with its content
    assert "<a href='01-x.html'>A title</a>" in index.read_text(encoding="utf-8")


def test_report_index_lists_the_articles_and_shows_every_figure_with_its_finding(tmp_path):
    from toolkit import plot

    nb = new_notebook(cells=[new_markdown_cell("# 01 · Who is named\n\nProse.")])
    nbformat.write(nb, tmp_path / "01-x.ipynb")
    fig, data = plot.bar_counts(pd.DataFrame({"name": ["Xi", "Putin"], "n": [3, 2]}),
                                label="name", value="n", title="Xi is named most (3 times)",
                                xlabel="Mentions", source="s")
    figures = list(plot.save_figure(fig, data, "01-people", out_dir=tmp_path / "fig").values())
    articles = pd.DataFrame({"outlet": ["CNN", ""], "published": ["2023-02-27", "2023-03-01"],
                             "title": ["<script>alert(1)</script>", "Two"]})
    index = html_report([tmp_path / "01-x.ipynb"], tmp_path / "report", articles=articles,
                        figures=figures).read_text(encoding="utf-8")
    assert "2 article(s) from 2 outlet(s), 2023-02-27 to 2023-03-01" in index
    assert "&lt;script&gt;" in index and "<script>" not in index
    assert "<img src='figures/01-people.png' alt='Xi is named most (3 times)'>" in index
    assert "<figcaption><b>Figure 1.</b> Xi is named most (3 times)." in index
    for ext in ("png", "csv"):
        assert (tmp_path / "report" / "figures" / f"01-people.{ext}").read_bytes() == \
            (tmp_path / "fig" / f"01-people.{ext}").read_bytes()
    assert "<a href='figures/01-people.csv'>" in index
    assert "<a href='01-x.html'>01 · Who is named</a>" in index


@needs_shared
def test_main_job_on_a_104_article_corpus_writes_every_figure_and_its_data(tmp_path):
    from toolkit.run import notebooks, run

    out = tmp_path / "run"
    corpus = [SHARED / "articles_cn_ru_ua.jsonl",
              SHARED / "stance_dev" / "articles_china_mediation_dev.jsonl"]
    result = run(corpus, out_dir=out, say=lambda _: None)
    figures = sorted(p.name for p in (out / "figures").iterdir())
    names = {name.rsplit(".", 1)[0] for name in figures}
    corpus_views = {"00-articles-over-time", "00-articles-per-outlet", "01-people-over-time",
                    "01-countries-over-time", "01-mentions-by-outlet", "01-quoted-by-outlet",
                    "02-stance-over-time", "02-voice-by-outlet", "03-claims-by-article"}
    assert corpus_views <= names and len(names) == 18, sorted(names)
    for name in names:
        png, svg, csv = (out / "figures" / f"{name}.{ext}" for ext in ("png", "svg", "csv"))
        assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size > 20_000
        assert b"</svg>" in svg.read_bytes()
        data = pd.read_csv(csv)
        assert len(data) >= 2, name  # a chart of one bar is not what 29 articles give
    people = pd.read_csv(out / "figures" / "01-people-mentioned.csv")
    assert len(people) == 15  # the top-N cut holds with many names
    assert [p.name for p in result.notebooks] == [p.name for p in notebooks()]
    assert (out / "report" / "index.html").exists()
    summary = (out / "tables" / "articles.csv").read_text(encoding="utf-8").count("\n")
    assert summary == 105  # header + 104 articles
    over_time = pd.read_csv(out / "figures" / "00-articles-over-time.csv", dtype={"period": str})
    # by month (the corpus spans over 26 weeks), every month in the range, undated apart
    assert over_time["period"].iloc[-1] == "undated" and over_time["articles"].sum() == 104
    assert (over_time["articles"] == 0).any()  # empty months are zeros, not gaps
    stance = pd.read_csv(out / "figures" / "02-stance-over-time.csv", dtype={"period": str})
    dated = stance[stance["n"] > 0]
    assert ((dated["against_low"] <= dated["against_share"])
            & (dated["against_share"] <= dated["against_high"])).all()


def test_notebook_kernels_use_local_sockets_and_print_no_warning(tmp_path, capfd):
    from toolkit.paths import NOTEBOOKS_DIR
    from toolkit.run import execute_notebook

    out = execute_notebook(NOTEBOOKS_DIR / "00-overview.ipynb", tmp_path / "00.ipynb", {})
    assert nbformat.read(out, as_version=4).cells
    err = capfd.readouterr().err
    assert "WARNING" not in err and "TCP" not in err, err


def test_every_curated_notebook_runs_on_the_toolkit_kernel():
    import json

    from toolkit.kernel import KERNEL_NAME
    from toolkit.run import notebooks

    for nb in notebooks():
        assert json.loads(nb.read_text("utf-8"))["metadata"]["kernelspec"]["name"] == KERNEL_NAME


@pytest.mark.skipif(os.name != "posix", reason="IPC sockets are for Linux and macOS")
def test_papermill_from_the_project_root_uses_ipc_reads_seeds_and_writes_no_figures(tmp_path):
    """A user's own ``papermill notebooks/01-….ipynb out.ipynb -p articles DIR``, run from the
    project root: paths resolve from notebooks/, the kernel talks over IPC (no TCP warning on the
    console), and figures for other articles go to build/figures, never figures/."""
    import shutil
    import subprocess
    import sys

    from conftest import ROOT, SEED

    mine = tmp_path / "my_articles"
    mine.mkdir()
    shutil.copy(SEED, mine / "story.txt")
    before = {p.name: p.read_bytes() for p in (ROOT / "figures").iterdir()}
    build = ROOT / "build" / "figures"
    env = {k: v for k, v in os.environ.items() if k != "TOOLKIT_FIGURES_DIR"}
    papermill = [sys.executable, "-m", "papermill", "--no-progress-bar"]
    proc = subprocess.run(
        [*papermill, "notebooks/00-overview.ipynb", str(tmp_path / "00.ipynb")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "TCP" not in proc.stderr and "WARNING" not in proc.stderr, proc.stderr
    assert "loaded 1 article(s)" in (tmp_path / "00.ipynb").read_text("utf-8")
    proc = subprocess.run(
        [*papermill, "notebooks/01-entity-counts.ipynb", str(tmp_path / "01.ipynb"),
         "-p", "articles", str(mine.relative_to(tmp_path)), "--cwd", str(tmp_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert {p.name: p.read_bytes() for p in (ROOT / "figures").iterdir()} == before
    assert (build / "01-people-mentioned.png").is_file()


def test_notebooks_side_by_side_never_move_the_process_folder(tmp_path, monkeypatch):
    """``execute_all`` runs notebooks in threads of one process: each kernel must start in its
    notebook's folder without a process-wide ``chdir``, which threads would race on (one thread
    restoring the folder another left: pytest then lost its relative paths)."""
    from toolkit.run import execute_all

    folders = [tmp_path / "a", tmp_path / "b"]
    for folder in folders:
        folder.mkdir()
        nb = new_notebook(cells=[new_code_cell("import os\nprint(os.path.basename(os.getcwd()))")])
        nbformat.write(nb, folder / f"0{folders.index(folder)}-where.ipynb")
    here = os.getcwd()
    moves = []  # papermill re-enters the current folder around its reads: only a move counts
    real_chdir = os.chdir
    monkeypatch.setattr(os, "chdir", lambda path: (
        real_chdir(path), moves.append(path) if os.getcwd() != here else None))
    done = execute_all([folder / f"0{i}-where.ipynb" for i, folder in enumerate(folders)],
                       tmp_path / "out", {}, say=lambda line: None, jobs=2)
    assert moves == [] and os.getcwd() == here
    printed = [nbformat.read(p, as_version=4).cells[0].outputs[0]["text"] for p in done]
    assert printed == ["a\n", "b\n"]  # each kernel ran in its notebook's own folder


def test_refresh_notebooks_runs_from_any_folder(tmp_path, monkeypatch):
    """``toolkit notebooks`` starts each kernel in the notebook's folder while the client stays
    in the caller's: the kernel's sockets must not be paths relative to either."""
    from toolkit.run import refresh_notebooks

    folder = tmp_path / "nbs"
    folder.mkdir()
    nb = new_notebook(cells=[new_code_cell("import os\nprint(os.path.basename(os.getcwd()))")])
    nbformat.write(nb, folder / "00-where.ipynb")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert refresh_notebooks(folder) == [folder / "00-where.ipynb"]
    cell = nbformat.read(folder / "00-where.ipynb", as_version=4).cells[0]
    assert cell.outputs[0]["text"] == "nbs\n"  # ran, and in the notebook's own folder
    assert not list(elsewhere.iterdir()) and sorted(p.name for p in folder.iterdir()) == [
        "00-where.ipynb"]  # no socket files left behind


def test_figures_go_to_figures_only_for_the_seeds(monkeypatch, tmp_path):
    from toolkit import paths

    monkeypatch.delenv("TOOLKIT_FIGURES_DIR", raising=False)
    seeds = paths.notebook_inputs(["../seeds"])
    assert seeds == [paths.SEEDS_DIR.resolve()]
    assert paths.figures_dir_for(seeds) == paths.FIGURES_DIR
    assert paths.figures_dir_for(paths.notebook_inputs("../seeds/000_a1bbb6199e38b69c.txt")) \
        == paths.FIGURES_DIR
    assert paths.figures_dir_for([tmp_path]) == paths.BUILD_DIR / "figures"
    assert paths.figures_dir_for([*seeds, tmp_path]) == paths.BUILD_DIR / "figures"
    assert paths.figures_dir_for([tmp_path], tmp_path / "mine") == tmp_path / "mine"
    monkeypatch.setenv("TOOLKIT_FIGURES_DIR", str(tmp_path / "staged"))
    assert paths.figures_dir_for(seeds) == tmp_path / "staged"


def test_notebooks_run_side_by_side_in_order_and_one_failure_names_its_notebook(tmp_path):
    from toolkit.kernel import KERNEL_NAME
    from toolkit.run import NotebookError, execute_all

    spec = {"kernelspec": {"name": KERNEL_NAME, "display_name": "toolkit", "language": "python"}}
    sources = {"00-a": "x = 1\nprint('a', x)", "01-b": "raise ValueError('bad cell')",
               "02-c": "print('c')"}
    todo = []
    for name, code in sources.items():
        path = tmp_path / f"{name}.ipynb"
        nbformat.write(new_notebook(cells=[new_code_cell(code)], metadata=spec), path)
        todo.append(path)
    said = []
    with pytest.raises(NotebookError, match=r"01-b\.ipynb: cell 1 failed: ValueError: bad cell"):
        execute_all(todo, tmp_path / "out", {}, say=said.append, jobs=3)
    # the other two finished, and nothing half-written is left for the failed one
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["00-a.ipynb", "02-c.ipynb"]
    assert said[0] == "[3/4] executing 3 notebooks, 3 at a time"
    done = execute_all([todo[0], todo[2]], tmp_path / "ok", {}, say=said.append, jobs=2)
    assert [p.name for p in done] == ["00-a.ipynb", "02-c.ipynb"]


def test_the_kernel_is_not_interrupted_on_its_way_out_but_on_a_users_request():
    import asyncio
    import signal

    from jupyter_client import KernelManager

    from toolkit.kernel import LocalIPCProvisioner

    sent = []

    class Process:
        def send_signal(self, signum):
            sent.append(signum)

    manager = KernelManager()
    provisioner = LocalIPCProvisioner(kernel_id="k", kernel_spec=None, parent=manager)
    provisioner.process, provisioner.pgid = Process(), None
    manager.shutting_down = True
    asyncio.run(provisioner.send_signal(signal.SIGINT))
    asyncio.run(provisioner.send_signal(signal.SIGTERM))
    assert sent == [signal.SIGTERM]  # the shutdown's SIGINT is dropped, SIGTERM goes through
    manager.shutting_down = False
    asyncio.run(provisioner.send_signal(signal.SIGINT))
    assert sent == [signal.SIGTERM, signal.SIGINT]
