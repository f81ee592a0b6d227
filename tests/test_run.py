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
def test_main_job_on_the_29_article_file_writes_every_figure_and_its_data(tmp_path):
    from toolkit.run import notebooks, run

    out = tmp_path / "run"
    result = run([SHARED / "articles_cn_ru_ua.jsonl"], out_dir=out, say=lambda _: None)
    figures = sorted(p.name for p in (out / "figures").iterdir())
    names = {name.rsplit(".", 1)[0] for name in figures}
    assert len(names) == 9 and all(n[:2] in {"01", "02", "03"} for n in names)
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
    assert summary == 30  # header + 29 articles


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
