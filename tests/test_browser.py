"""The curated notebooks, opened and run in JupyterLab in a real (headless) Chromium.

This is how users first meet the product, so it is tested the way they do it: one JupyterLab
server for the module (random port and token, serving a temp copy of notebooks/ and seeds/), one
Debian Chromium driven by Playwright, and for each notebook: open it, clear and Run All through
the menus, wait for the kernel, then check what is on screen. Screenshots of every notebook land
in the test's tmp folder and in ``$TOOLKIT_BROWSER_SCREENS`` (default /tmp/browser_screens; set
it to an empty string to skip the copy).

Skipped, with the reason, only when Playwright or a Chromium executable is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
from browser_helpers import (
    CHROMIUM_ARGS,
    LabServer,
    NotebookFacts,
    NotebookView,
    clear_and_run_all,
    find_chromium,
    notebook_facts,
    open_notebook,
    read_view,
    screenshot_notebook,
    set_cell_source,
    start_lab,
    wait_for_kernel,
    wait_until_finished,
)

sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="playwright is not installed (pip install -e '.[test]' brings it)",
)
CHROMIUM = find_chromium()
if CHROMIUM is None:
    pytest.skip(
        "no Chromium executable (/usr/bin/chromium): install Debian's `chromium` package, "
        "or point CHROMIUM_PATH at one",
        allow_module_level=True,
    )

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(ROOT.glob("notebooks/[0-9][0-9]-*.ipynb"))
SHARED = ROOT.parent / "shared" / "data"
CORPUS_29 = SHARED / "articles_cn_ru_ua.jsonl"
CORPUS_75 = SHARED / "stance_dev" / "articles_china_mediation_dev.jsonl"

RUN_TIMEOUT_S = 180  # one notebook on the seed article; spaCy loads once per kernel
RUN_TIMEOUT_29_S = 420  # the 104-article corpus on a 2-core machine
SCREENS = os.environ.get("TOOLKIT_BROWSER_SCREENS", "/tmp/browser_screens")
TIMINGS: dict[str, dict[str, float]] = {}


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a temp project holding copies of notebooks/ and seeds/ (the repo is never touched)."""
    root = tmp_path_factory.mktemp("project")
    shutil.copytree(
        ROOT / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints")
    )
    shutil.copytree(ROOT / "seeds", root / "seeds")
    return root


@pytest.fixture(scope="module")
def figures_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the folder that TOOLKIT_FIGURES_DIR points the notebooks' save_figure calls to."""
    return tmp_path_factory.mktemp("figures")


@pytest.fixture(scope="module")
def lab(project: Path, figures_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """Yield one JupyterLab server for the module; it and its kernels are always stopped."""
    pythonpath = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    server = start_lab(
        project,
        state_dir=tmp_path_factory.mktemp("jupyter"),
        env={"TOOLKIT_FIGURES_DIR": str(figures_dir), "PYTHONPATH": pythonpath},
    )
    TIMINGS["server"] = {"start_s": round(server.started_in, 1)}
    try:
        yield server
    finally:
        server.stop()
        _write_timings()


@pytest.fixture(scope="module")
def browser():
    """Yield one headless Debian Chromium driven by Playwright."""
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, lab: LabServer):
    """Yield a fresh browser page; kernels started from it are shut down afterwards."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()
        lab.end_sessions()


# ---------------------------------------------------------------- helpers


def _write_timings() -> None:
    if SCREENS and TIMINGS:
        Path(SCREENS).mkdir(parents=True, exist_ok=True)
        (Path(SCREENS) / "timings.json").write_text(json.dumps(TIMINGS, indent=2) + "\n")


def _keep_screenshot(shot: Path) -> None:
    if SCREENS:
        Path(SCREENS).mkdir(parents=True, exist_ok=True)
        shutil.copy2(shot, Path(SCREENS) / shot.name)


def _run_in_browser(
    page,
    lab: LabServer,
    facts: NotebookFacts,
    *,
    shot: Path,
    timeout_s: float,
    new_parameters: str | None = None,
) -> tuple[NotebookView, dict[str, float]]:
    """Open a notebook, optionally retype its parameters cell, Run All, screenshot; return view."""
    rel = f"notebooks/{facts.name}.ipynb"
    timing: dict[str, float] = {}
    t0 = time.monotonic()
    try:
        open_notebook(page, lab.notebook_url(rel, workspace=f"t-{shot.stem}"))
        timing["open_s"] = time.monotonic() - t0
        timing["kernel_s"] = wait_for_kernel(lab, rel)
        if new_parameters is not None:
            assert facts.parameters_index is not None, f"{rel}: no parameters-tagged cell"
            typed = set_cell_source(page, facts.parameters_index, new_parameters)
            assert typed.split() == new_parameters.split(), (
                f"{rel}: the parameters cell reads {typed!r} after typing {new_parameters!r}"
            )
        clear_and_run_all(page)
    except Exception:
        # The page as it was when the UI step failed says more than the stack trace.
        failed = shot.with_name(f"{shot.stem}-failed.png")
        page.screenshot(path=str(failed))
        _keep_screenshot(failed)
        raise
    timeout_error = None
    try:
        timing["run_s"] = wait_until_finished(page, timeout_s=timeout_s)
    except sync_api.TimeoutError as exc:
        timeout_error = exc
    view = read_view(page, facts.title)
    t1 = time.monotonic()
    screenshot_notebook(page, shot)
    _keep_screenshot(shot)
    timing["screenshot_s"] = time.monotonic() - t1
    timing = {k: round(v, 1) for k, v in timing.items()}
    TIMINGS[shot.stem] = timing
    if timeout_error is not None:
        pytest.fail(
            f"{rel}: Run All not finished after {timeout_s} s; prompts {view.prompts}; "
            f"errors {view.errors}; screenshot {shot}"
        )
    return view, timing


def _check_view(
    view: NotebookView, facts: NotebookFacts, figures_dir: Path, since: float, shot: Path,
    *, corpus: bool = False,
) -> None:
    """Assert what every curated notebook must show after Run All (with ``corpus``, on two or
    more articles, also the figures saved only for a corpus)."""
    where = f"{facts.name}.ipynb (screenshot {shot})"
    assert not view.errors, f"{where}: error output:\n" + "\n---\n".join(view.errors)
    assert not view.stderr, (
        f"{where}: stderr output (users see it as an error box):\n" + "\n---\n".join(view.stderr)
    )
    assert len(view.prompts) == facts.n_code_cells, (
        f"{where}: {len(view.prompts)} code cells on screen, {facts.n_code_cells} in the file"
    )
    assert not view.unexecuted(), (
        f"{where}: code cells {view.unexecuted()} have no execution count: {view.prompts}"
    )
    assert view.images_broken == 0, f"{where}: {view.images_broken} image(s) failed to render"
    expected = [n for n in facts.figure_names if corpus or n not in facts.corpus_figure_names]
    saves = facts.n_save_figure - (0 if corpus else len(facts.corpus_figure_names))
    assert view.images_ok >= saves, (
        f"{where}: {view.images_ok} rendered image(s) for {saves} "
        f"plot.save_figure call(s): every saved figure should also be shown inline"
    )
    assert facts.title, f"{facts.name}.ipynb: the first markdown cell has no '# ' title"
    assert view.title_visible and view.title_text == facts.title, (
        f"{where}: first heading on screen {view.title_text!r} "
        f"(visible={view.title_visible}), expected {facts.title!r}"
    )
    for name in expected:
        png = figures_dir / f"{name}.png"
        assert png.exists() and png.stat().st_mtime >= since - 1, (
            f"{where}: save_figure did not write {name}.png into TOOLKIT_FIGURES_DIR "
            f"({figures_dir}); present: {sorted(p.name for p in figures_dir.iterdir())}"
        )


# ---------------------------------------------------------------- tests


def test_curated_notebooks_found() -> None:
    numbers = [nb.stem[:2] for nb in NOTEBOOKS]
    assert numbers[:4] == ["00", "01", "02", "03"], f"curated notebooks found: {NOTEBOOKS}"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[nb.stem for nb in NOTEBOOKS])
def test_notebook_runs_in_jupyterlab(
    notebook: Path, page, lab: LabServer, figures_dir: Path, tmp_path: Path
) -> None:
    facts = notebook_facts(notebook)
    since = time.time()
    shot = tmp_path / f"{facts.name}.png"
    view, _ = _run_in_browser(page, lab, facts, shot=shot, timeout_s=RUN_TIMEOUT_S)
    _check_view(view, facts, figures_dir, since, shot)
    assert "loaded 1 article(s)" in view.output_text, (
        f"{facts.name}: the loader summary for the seed article is not on screen"
    )


@pytest.mark.skipif(not CORPUS_29.exists(), reason="../shared/data not present")
def test_parameters_changed_in_the_ui(
    page, lab: LabServer, figures_dir: Path, tmp_path: Path
) -> None:
    notebook = ROOT / "notebooks" / "01-entity-counts.ipynb"
    facts = notebook_facts(notebook)
    lines = facts.parameters_source.splitlines()
    assert any(line.startswith("articles =") for line in lines), facts.parameters_source
    # An absolute path: the temp notebooks/ folder has no ../../shared next to it.
    new = "\n".join(
        f'articles = ["{CORPUS_29.resolve()}", "{CORPUS_75.resolve()}"]'
        if line.startswith("articles =") else line
        for line in lines
    )
    since = time.time()
    shot = tmp_path / f"{facts.name}-104-articles.png"
    view, _ = _run_in_browser(
        page, lab, facts, shot=shot, timeout_s=RUN_TIMEOUT_29_S, new_parameters=new
    )
    _check_view(view, facts, figures_dir, since, shot, corpus=True)
    assert "loaded 104 article(s)" in view.output_text, (
        f"{facts.name}: no 'loaded 104 article(s)' on screen after the parameters change; "
        f"outputs begin {view.output_text[:400]!r}"
    )
