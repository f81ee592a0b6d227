"""The main job: load, annotate, execute every notebook on the articles, export figures, report.

Figures are written into a staging folder while the notebooks run and moved into place only when
every notebook has succeeded, so a failing notebook leaves the previous figures intact.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import paths
from .errors import ToolkitError
from .io import atomic_path, staging_dir, write_many

# Metadata papermill and nbclient add that changes on every run (timings, timestamps).
_VOLATILE_KEYS = ("papermill", "execution")


class NotebookError(ToolkitError):
    """A notebook failed: names the notebook, the cell and the error."""


@dataclass(frozen=True)
class RunResult:
    """What the main job wrote."""

    tables: list[Path]
    notebooks: list[Path]
    figures: list[Path]
    report: Path


def notebooks(folder: Path = paths.NOTEBOOKS_DIR) -> list[Path]:
    """Return the curated notebooks (``NN-slug.ipynb``) in order."""
    return sorted(p for p in folder.glob("[0-9][0-9]-*.ipynb"))


def strip_volatile(nb_path: Path) -> None:
    """Remove run timings and timestamps from an executed notebook so reruns diff cleanly."""
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    for key in _VOLATILE_KEYS:
        nb.get("metadata", {}).pop(key, None)
    for i, cell in enumerate(nb.get("cells", [])):
        for key in _VOLATILE_KEYS:
            cell.get("metadata", {}).pop(key, None)
        if "id" in cell:  # papermill gives new cells random ids; number them instead
            cell["id"] = f"cell-{i}"
    nb_path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def execute_notebook(src: Path, dst: Path, parameters: dict) -> Path:
    """Execute notebook ``src`` with papermill ``parameters`` into ``dst`` (atomically)."""
    try:
        import papermill
        from papermill.exceptions import PapermillExecutionError
    except ImportError:
        raise ToolkitError("executing notebooks needs the notebook tools: "
                           "pip install 'newsnb-toolkit[notebooks]'") from None
    from .kernel import KERNEL_NAME, install_kernelspec

    install_kernelspec()
    with atomic_path(dst) as tmp:
        try:
            papermill.execute_notebook(
                str(src), str(tmp), parameters=parameters, kernel_name=KERNEL_NAME,
                progress_bar=False, log_output=False,
                # the kernel starts in the notebook's folder. Not papermill's ``cwd``: that
                # chdirs the whole process, which notebooks running side by side would race on
                resources={"metadata": {"path": str(src.parent)}},
            )
        except PapermillExecutionError as err:
            raise NotebookError(
                f"{src}: cell {err.exec_count} failed: {err.ename}: {err.evalue} "
                f"(the executed notebook up to the failure is not kept; open {src.name} in "
                "JupyterLab with the same parameters to see it)"
            ) from None
        strip_volatile(tmp)
    return dst


def execute_all(todo: Sequence[Path], out_dir: Path, parameters: dict, *,
                say: Callable[[str], None] = print, jobs: int | None = None) -> list[Path]:
    """Execute the notebooks ``todo`` into ``out_dir``, ``jobs`` at a time; return them in order.

    Each notebook runs in its own kernel process and reads the annotation cache the job has
    filled, so they do not depend on each other: running them side by side takes the kernels'
    start-up (most of a warm run) once instead of once per notebook. ``jobs`` defaults to the
    number of CPU cores (at most 4). When one fails, the others finish and the first failure
    in notebook order is raised.
    """
    from concurrent.futures import ThreadPoolExecutor

    jobs = jobs or min(4, os.cpu_count() or 1)
    say(f"[3/4] executing {len(todo)} notebooks, {min(jobs, len(todo))} at a time")

    def one(nb: Path) -> Path:
        done = execute_notebook(nb, out_dir / nb.name, parameters)
        say(f"      done: {nb.name}")
        return done

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(one, nb) for nb in todo]
    errors = [error for f in futures if (error := f.exception()) is not None]
    if errors:
        raise errors[0]
    return [f.result() for f in futures]


def refresh_notebooks(folder: Path = paths.NOTEBOOKS_DIR) -> list[Path]:
    """Re-execute the curated notebooks in place with their own parameters; return them.

    This is how the committed notebooks get their stored outputs, which the test suite (nbval)
    compares against a fresh execution.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    from .kernel import KERNEL_NAME, install_kernelspec

    install_kernelspec()
    done = []
    for nb_path in notebooks(folder):
        nb = nbformat.read(nb_path, as_version=4)
        client = NotebookClient(nb, timeout=900, kernel_name=KERNEL_NAME, record_timing=False,
                                resources={"metadata": {"path": str(nb_path.parent)}})
        try:
            client.execute()
        except CellExecutionError as err:
            raise NotebookError(f"{nb_path}: a cell failed: {str(err).splitlines()[-1]}") from None
        with atomic_path(nb_path) as tmp:
            nbformat.write(nb, tmp)
            strip_volatile(tmp)
        done.append(nb_path)
    return done


# What a report page may contain: the markup of Markdown prose and of pandas tables, nothing
# that runs. Script and style elements go with their content; other unknown tags are stripped.
_REPORT_TAGS = frozenset(
    "a abbr b blockquote br caption code col colgroup dd del div dl dt em h1 h2 h3 h4 h5 h6 hr i "
    "img ins kbd li ol p pre s small span strong sub sup table tbody td tfoot th thead tr u ul"
    .split()
)
_REPORT_ATTRIBUTES = {
    "*": ["class", "id", "title"],
    "a": ["href", "title"],
    "img": ["src", "alt", "width", "height"],
    "td": ["colspan", "rowspan"],
    "th": ["colspan", "rowspan"],
}
_ACTIVE_BLOCKS = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)


def _report_sanitizer():
    """Return the nbconvert preprocessor that makes cell outputs and Markdown safe to show."""
    from nbconvert.preprocessors.sanitize import SanitizeHTML

    class ReportSanitizer(SanitizeHTML):
        def sanitize_html_tags(self, html_str):
            return super().sanitize_html_tags(_ACTIVE_BLOCKS.sub("", html_str))

        def preprocess_cell(self, cell, resources, cell_index):
            cell, resources = super().preprocess_cell(cell, resources, cell_index)
            # an output left with no type it may show (an SVG or script only) is dropped whole,
            # rather than handed to the template as an empty, unrepresentable output
            if cell.cell_type == "code":
                cell.outputs = [o for o in cell.outputs if o.output_type == "stream"
                                or o.output_type == "error" or o.get("data")]
            return cell, resources

    return ReportSanitizer(tags=sorted(_REPORT_TAGS), attributes=_REPORT_ATTRIBUTES, strip=True)


def html_report(
    executed: Sequence[Path],
    out_dir: Path,
    *,
    articles=None,  # pandas.DataFrame: the articles table (optional)
    figures: Sequence[Path] = (),
) -> Path:
    """Write one HTML page per executed notebook (code hidden) and an index; return the index.

    The index is the report a reader opens: what was analysed (articles, outlets, dates), every
    figure inline with its title as the caption (copied into ``out_dir/figures`` so the report
    folder stands alone), and a link to each notebook's page. Article text is data: cell outputs
    and Markdown pass an allowlist sanitizer (bleach, through nbconvert's SanitizeHTML), and
    every article field on the index is escaped, so nothing from an article can run.
    """
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    exporter.register_preprocessor(_report_sanitizer(), enabled=True)
    pages = {}
    sections = []
    for nb_path in executed:
        nb = nbformat.read(nb_path, as_version=4)
        body, _ = exporter.from_notebook_node(nb)
        page = out_dir / (nb_path.stem + ".html")
        pages[page] = lambda fh, body=body: fh.write(body.encode("utf-8"))
        sections.append((nb_path.stem, _notebook_title(nb, nb_path.stem), page.name))
    pngs = sorted(f for f in figures if f.suffix == ".png")
    for shown in [*pngs, *(png.with_suffix(".csv") for png in pngs)]:
        if shown.is_file():
            pages[out_dir / "figures" / shown.name] = \
                lambda fh, shown=shown: fh.write(shown.read_bytes())
    index = _report_index(sections, pngs, articles)
    pages[out_dir / "index.html"] = lambda fh: fh.write(index.encode("utf-8"))
    write_many(pages)
    return out_dir / "index.html"


def _notebook_title(nb, fallback: str) -> str:
    """Return the text of a notebook's first ``# Title`` line."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def _figure_caption(png: Path) -> str:
    """Return the title ``toolkit.plot.save_figure`` stored in a PNG (else its file name)."""
    from PIL import Image

    with Image.open(png) as image:
        return image.text.get("Title", "") or png.stem


_REPORT_CSS = """body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:52rem;
margin:2rem auto;padding:0 1rem;color:#222;line-height:1.45}h1{font-size:1.7rem}
h2{font-size:1.25rem;margin-top:2.2rem;border-bottom:1px solid #ddd}figure{margin:1.5rem 0}
figure img{width:100%;height:auto;border:1px solid #eee}figcaption{font-size:.9rem;color:#444}
table{border-collapse:collapse;font-size:.9rem}td,th{padding:.2rem .6rem;text-align:left;
border-bottom:1px solid #eee}.muted{color:#666;font-size:.9rem}"""


def _report_index(sections: list[tuple[str, str, str]], pngs: Sequence[Path], articles) -> str:
    import html

    esc = html.escape
    parts = ["<!doctype html><html lang='en'><head><meta charset='utf-8'>",
             "<meta name='viewport' content='width=device-width, initial-scale=1'>",
             f"<title>News analysis report</title><style>{_REPORT_CSS}</style></head><body>",
             "<h1>News analysis report</h1>"]
    if articles is not None and len(articles):
        dates = sorted(d for d in articles["published"] if d)
        span = f", {dates[0]} to {dates[-1]}" if dates else ""
        outlets = articles["outlet"].replace("", "unknown outlet")
        parts.append(f"<p>{len(articles)} article(s) from {outlets.nunique()} outlet(s){span}."
                     "</p><h2>Articles analysed</h2><table><thead><tr><th>outlet</th>"
                     "<th>date</th><th>title</th></tr></thead><tbody>")
        order = articles.sort_values(["published", "outlet", "title"], kind="stable")
        for row in order.head(200).itertuples(index=False):
            parts.append(f"<tr><td>{esc(row.outlet or 'unknown')}</td>"
                         f"<td>{esc(row.published or '—')}</td><td>{esc(row.title)}</td></tr>")
        parts.append("</tbody></table>")
        if len(articles) > 200:
            parts.append(f"<p class='muted'>First 200 of {len(articles)} listed; all are in "
                         "tables/articles.csv.</p>")
    if pngs:
        parts.append("<h2>Figures</h2>")
        for i, png in enumerate(pngs, start=1):
            caption = esc(_figure_caption(png))
            data = (f" <a href='figures/{esc(png.stem)}.csv'>The data behind it (CSV)</a>."
                    if png.with_suffix(".csv").is_file() else "")
            parts.append(f"<figure><img src='figures/{esc(png.name)}' alt='{caption}'>"
                         f"<figcaption><b>Figure {i}.</b> {caption}.{data} "
                         f"<span class='muted'>{esc(png.stem)}</span></figcaption></figure>")
    if sections:
        parts.append("<h2>The analyses, step by step</h2><ul>")
        for _, title, page in sections:
            parts.append(f"<li><a href='{esc(page)}'>{esc(title)}</a></li>")
        parts.append("</ul>")
    parts.append("</body></html>\n")
    return "".join(parts)


def run(
    articles: Sequence[str | os.PathLike] | None = None,
    *,
    out_dir: str | os.PathLike = paths.BUILD_DIR / "run",
    figures_dir: str | os.PathLike | None = None,
    codebook: str = paths.DEFAULT_CODEBOOK,
    workers: int = 1,
    say: Callable[[str], None] = print,
) -> RunResult:
    """Run the main job; return what it wrote. Raises NotebookError when a notebook fails.

    With no ``articles`` it runs on ``seeds/`` and refreshes the project's ``figures/``; with
    articles, figures go to ``OUT/figures`` unless ``figures_dir`` says otherwise.
    """
    from .annotate import annotate
    from .loader import load_articles
    from .stance import load_codebook, stance

    load_codebook(codebook)  # a bad codebook is reported before the work, not after it
    if not notebooks():
        raise ToolkitError(
            f"no curated notebooks in {paths.NOTEBOOKS_DIR}: run toolkit in a project folder "
            "(make one with `toolkit init DIR`, then `cd DIR`), or set TOOLKIT_PROJECT to one")
    out_dir = Path(out_dir).resolve()
    sources = [Path(a).resolve() for a in (articles or [paths.SEEDS_DIR])]
    if figures_dir is None:
        figures_dir = paths.FIGURES_DIR if not articles else out_dir / "figures"
    figures_dir = Path(figures_dir).resolve()

    say(f"[1/4] loading {', '.join(map(str, sources))}")
    loaded = load_articles(sources)
    say("      " + loaded.summary().replace("\n", "\n      "))
    if not len(loaded):
        raise ToolkitError("no article could be loaded; nothing to analyse (see the reasons above)")

    say(f"[2/4] annotating {len(loaded)} article(s)")
    # the notebooks read the same cache, so spaCy runs once per article for the whole job
    cache = out_dir / ".cache"
    corpus = annotate(loaded, workers=workers, progress=True, cache_dir=cache)
    corpus.stance = stance(corpus, codebook)
    tables = corpus.save(out_dir / "tables")
    say(f"      wrote {len(tables)} tables into {out_dir / 'tables'}")

    # staged outside OUT, so a run killed while the notebooks execute leaves nothing in OUT
    staging = staging_dir()
    # the kernels inherit the environment: figures go to the staging folder, while the
    # executed notebooks record only the parameters a user would pass
    saved_env = os.environ.get("TOOLKIT_FIGURES_DIR")
    os.environ["TOOLKIT_FIGURES_DIR"] = str(staging)
    try:
        params = {"articles": [str(s) for s in sources], "codebook": codebook,
                  "cache_dir": str(cache)}
        executed = execute_all(notebooks(), out_dir / "notebooks", params, say=say)
        figures_dir.mkdir(parents=True, exist_ok=True)
        # copied in through toolkit.io: staging may be on another file system than OUT
        figures = write_many({figures_dir / f.name: lambda fh, f=f: fh.write(f.read_bytes())
                              for f in sorted(staging.iterdir())})
    finally:
        if saved_env is None:
            os.environ.pop("TOOLKIT_FIGURES_DIR", None)
        else:
            os.environ["TOOLKIT_FIGURES_DIR"] = saved_env
        shutil.rmtree(staging, ignore_errors=True)
    say(f"      {len(figures)} figure files in {figures_dir}")

    say("[4/4] writing the HTML report")
    report = html_report(executed, out_dir / "report", articles=corpus.articles,
                         figures=figures)
    say(f"      {report}")
    return RunResult(tables=tables, notebooks=executed, figures=figures, report=report)
