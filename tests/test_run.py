"""The main job's HTML report shows prose and tables as markup (and, see test_reliability, runs
nothing from an article)."""

from __future__ import annotations

import os

import nbformat
import pandas as pd
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
    assert '<a href="01-x.html">' in index.read_text(encoding="utf-8")


@needs_shared
def test_main_job_on_the_29_article_file_writes_every_figure_and_its_data(tmp_path):
    from toolkit.run import notebooks, run

    out = tmp_path / "run"
    result = run([SHARED / "articles_cn_ru_ua.jsonl"], out_dir=out, say=lambda _: None)
    figures = sorted(p.name for p in (out / "figures").iterdir())
    names = {name.rsplit(".", 1)[0] for name in figures}
    assert len(names) == 8 and all(n[:2] in {"01", "02", "03"} for n in names)
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
    from toolkit.run import _kernel_config, execute_notebook

    assert _kernel_config().KernelManager.transport == ("ipc" if os.name == "posix" else "tcp")
    out = execute_notebook(NOTEBOOKS_DIR / "00-overview.ipynb", tmp_path / "00.ipynb", {})
    assert nbformat.read(out, as_version=4).cells
    err = capfd.readouterr().err
    assert "WARNING" not in err and "TCP" not in err, err


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
