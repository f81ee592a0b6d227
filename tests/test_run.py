"""The main job's HTML report shows prose and tables as markup (and, see test_reliability, runs
nothing from an article)."""

from __future__ import annotations

import nbformat
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
