"""Helpers for tests/test_browser.py: a private JupyterLab server and a Playwright-driven notebook.

Nothing here imports Playwright at module level: pytest's ``--doctest-modules`` imports this file
on every run, including on machines where the browser test is skipped.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover - typing only
    from playwright.sync_api import Page

# Debian's package installs a wrapper script here; it is the only Chromium this project may use
# (browser downloads are impossible on the build machines).
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root in a container, where the sandbox cannot start
    "--disable-gpu",
    "--disable-dev-shm-usage",  # small /dev/shm in containers crashes tabs
    "--disable-background-networking",  # no calls home: the machine has no internet
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]

# JupyterLab user settings for a quiet, deterministic session. Windowing "none" attaches every
# cell to the DOM, so counting prompts, images and errors sees the whole notebook; autosave off
# keeps the UI from writing the notebook back (it is a temp copy anyway).
LAB_SETTINGS: dict[str, dict[str, Any]] = {
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/apputils-extension/notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
        "doNotDisturbMode": True,
    },
}

_SAVE_FIGURE = re.compile(r"\bsave_figure\(")
_FIGURE_NAME = re.compile(r"\bsave_figure\([^\"']*[\"'](\d{2}-[a-z0-9-]+)[\"']")


def find_chromium() -> str | None:
    """Return the path of a Chromium executable, or None when the machine has none.

    ``CHROMIUM_PATH`` overrides the search (for a Chromium installed elsewhere).
    """
    override = os.environ.get("CHROMIUM_PATH")
    if override:
        return override if Path(override).is_file() else None
    for candidate in CHROMIUM_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------- the notebook file


@dataclass(frozen=True)
class NotebookFacts:
    """What the browser must show for one notebook, read from its .ipynb JSON."""

    name: str
    title: str  # text of the first "# " heading of the first markdown cell
    n_code_cells: int
    figure_names: list[str]  # names passed to plot.save_figure, in order
    n_save_figure: int  # save_figure calls (>= len(figure_names) if a name is computed)
    parameters_index: int | None  # index of the parameters-tagged cell among all cells
    parameters_source: str
    corpus_figure_names: list[str]  # saved only with two or more articles (under `if many:`)


def _code_lines(source: str) -> str:
    """Return ``source`` without comment-only lines, so a commented-out call is not counted.

    >>> _code_lines("# plot.save_figure(x)\\nplot.save_figure(y)")
    'plot.save_figure(y)'
    """
    return "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("#"))


def notebook_facts(path: Path) -> NotebookFacts:
    """Return the title, code-cell count, figure calls and parameters cell of a notebook file."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = nb["cells"]

    def text(cell: dict[str, Any]) -> str:
        src = cell.get("source", "")
        return "".join(src) if isinstance(src, list) else src

    title = ""
    for cell in cells:
        if cell["cell_type"] == "markdown":
            match = re.search(r"^# +(.+?)\s*$", text(cell), flags=re.MULTILINE)
            title = match.group(1) if match else ""
            break
    code = [text(c) for c in cells if c["cell_type"] == "code"]
    joined = "\n".join(_code_lines(c) for c in code)
    params = [
        i for i, c in enumerate(cells) if "parameters" in c.get("metadata", {}).get("tags", [])
    ]
    corpus_only = "\n".join(_code_lines(c) for c in code if "if many:" in c)
    return NotebookFacts(
        corpus_figure_names=_FIGURE_NAME.findall(corpus_only),
        name=path.stem,
        title=title,
        n_code_cells=len(code),
        figure_names=_FIGURE_NAME.findall(joined),
        n_save_figure=len(_SAVE_FIGURE.findall(joined)),
        parameters_index=params[0] if params else None,
        parameters_source=text(cells[params[0]]) if params else "",
    )


# ---------------------------------------------------------------- the server


@dataclass
class LabServer:
    """A JupyterLab server started by :func:`start_lab`; :meth:`stop` ends it and its kernels."""

    port: int
    token: str
    process: subprocess.Popen[bytes]
    log_path: Path
    started_in: float = 0.0
    _log: Any = field(default=None, repr=False)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def notebook_url(self, rel_path: str, *, workspace: str) -> str:
        """Return the URL opening ``rel_path`` alone, in a fresh named workspace."""
        return f"{self.base}/lab/workspaces/{workspace}/tree/{rel_path}?token={self.token}"

    def api(self, method: str, path: str, *, timeout: float = 10.0) -> Any:
        """Return the decoded JSON answer of one REST call (None for an empty body)."""
        request = urllib.request.Request(
            self.base + path, method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def log_tail(self, n: int = 40) -> str:
        """Return the last ``n`` lines of the server's log (for failure messages)."""
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        return ""

    def kernel_state(self, rel_path: str) -> str | None:
        """Return the execution state of the kernel attached to ``rel_path`` (None: no session)."""
        for session in self.api("GET", "/api/sessions"):
            if session.get("path") == rel_path and session.get("kernel"):
                return str(session["kernel"].get("execution_state"))
        return None

    def end_sessions(self) -> None:
        """Shut down every kernel session, so the next notebook has the machine to itself."""
        with contextlib.suppress(OSError, urllib.error.URLError):
            for session in self.api("GET", "/api/sessions"):
                with contextlib.suppress(OSError, urllib.error.URLError):
                    self.api("DELETE", f"/api/sessions/{session['id']}", timeout=30)

    def stop(self) -> None:
        """Stop the server and its kernels: REST shutdown, then SIGTERM, then SIGKILL the group."""
        if self.process.poll() is None:
            with contextlib.suppress(OSError, urllib.error.URLError):
                self.api("POST", "/api/shutdown", timeout=5)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.terminate()
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
        # The server ran in its own process group: kill whatever kernel survived it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        if self._log is not None:
            self._log.close()


def write_lab_settings(settings_dir: Path) -> None:
    """Write :data:`LAB_SETTINGS` as JupyterLab user-settings files under ``settings_dir``."""
    for plugin, values in LAB_SETTINGS.items():
        target = settings_dir / f"{plugin}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values, indent=2), encoding="utf-8")


def start_lab(
    root: Path, *, state_dir: Path, env: dict[str, str], timeout: float = 90.0
) -> LabServer:
    """Return a running JupyterLab serving ``root`` on 127.0.0.1 (random port and token).

    All Jupyter state (config, data, runtime, settings, workspaces, IPython profile) lives in
    ``state_dir``, so the user's own Jupyter setup neither leaks in nor gets written to.
    Raises RuntimeError (with the server log) when it does not answer within ``timeout``.
    """
    port = free_port()
    token = secrets.token_hex(24)
    dirs = {name: state_dir / name for name in ("config", "data", "runtime", "ipython")}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    write_lab_settings(state_dir / "settings")
    full_env = dict(os.environ)
    # The inline backend must draw the figures: a stray MPLBACKEND=Agg would hide every image.
    full_env.pop("MPLBACKEND", None)
    full_env.update(
        JUPYTER_TOKEN=token,  # in the environment, not on the command line
        JUPYTER_CONFIG_DIR=str(dirs["config"]),
        JUPYTER_DATA_DIR=str(dirs["data"]),
        JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
        IPYTHONDIR=str(dirs["ipython"]),
        JUPYTER_PLATFORM_DIRS="1",
    )
    full_env.update(env)
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",  # fail loudly rather than drift to another port
        f"--ServerApp.root_dir={root}",
        f"--LabApp.user_settings_dir={state_dir / 'settings'}",
        f"--LabApp.workspaces_dir={state_dir / 'workspaces'}",
        "--LabApp.extension_manager=readonly",  # never query PyPI for extensions
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    log_path = state_dir / "jupyterlab.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed by LabServer.stop
    t0 = time.monotonic()
    process = subprocess.Popen(
        cmd, cwd=root, env=full_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    server = LabServer(port=port, token=token, process=process, log_path=log_path, _log=log)
    deadline = t0 + timeout
    while True:
        if process.poll() is not None:
            server.stop()
            raise RuntimeError(
                f"JupyterLab exited with code {process.returncode} before answering:\n"
                + server.log_tail()
            )
        try:
            server.api("GET", "/api/status", timeout=2)
            break
        except (OSError, urllib.error.URLError):
            if time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(
                    f"JupyterLab did not answer on port {port} within {timeout:.0f} s:\n"
                    + server.log_tail()
                ) from None
            time.sleep(0.3)
    server.started_in = time.monotonic() - t0
    return server


# ---------------------------------------------------------------- the page


@dataclass
class NotebookView:
    """What the notebook panel shows after running: prompts, outputs, images, errors."""

    prompts: list[str]
    errors: list[str]  # tracebacks and error outputs
    stderr: list[str]  # other stderr output (warnings, logging)
    images_ok: int
    images_broken: int
    output_text: str
    title_visible: bool
    title_text: str

    def unexecuted(self) -> list[int]:
        """Return the positions (1-based, among code cells) of cells without execution count."""
        return [i for i, p in enumerate(self.prompts, 1) if not re.search(r"\[\d+\]", p)]


# The JavaScript below reads the one open notebook panel. Errors are rendered by JupyterLab as
# the error MIME type or as stderr text; both are collected so a failure message can quote them.
_READ_VIEW_JS = """
(title) => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  if (!panel) return null;
  const nb = panel.querySelector('.jp-Notebook');
  const prompts = [...nb.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]
      .map(e => e.textContent.trim());
  const text = e => (e.innerText || e.textContent || '').trim();
  const errorSel = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"],'
                 + '.jp-RenderedText[data-mime-type="application/vnd.jupyter.error"]';
  const errors = [...nb.querySelectorAll(errorSel)].map(text);
  const stderr = [];
  for (const e of nb.querySelectorAll(
        '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')) {
    const t = text(e);
    if (/Traceback|Error\\b|Exception\\b/.test(t)) errors.push(t); else stderr.push(t);
  }
  const imgs = [...nb.querySelectorAll('.jp-OutputArea-output img')];
  const ok = imgs.filter(i => i.complete && i.naturalWidth > 0 && i.naturalHeight > 0).length;
  const outputs = [...nb.querySelectorAll('.jp-OutputArea-output')].map(text).join('\\n');
  const h1s = [...nb.querySelectorAll('.jp-MarkdownCell .jp-RenderedMarkdown h1')];
  const h1 = h1s.length ? h1s[0] : null;
  let visible = false;
  if (h1) {
    const r = h1.getBoundingClientRect();
    const s = getComputedStyle(h1);
    visible = r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
  }
  return {prompts, errors, stderr, images_ok: ok, images_broken: imgs.length - ok,
          output_text: outputs, title_visible: visible,
          title_text: h1 ? h1.textContent.replace(/¶\\s*$/, '').trim() : ''};
}
"""

# True once Run All has finished. Clearing outputs first leaves every prompt "[ ]"; Run All marks
# each queued cell "[*]"; when nothing is queued or running and at least one cell has a count,
# execution is over: all cells ran, or JupyterLab stopped the queue at an error.
_FINISHED_JS = """
() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  if (!panel) return false;
  const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]
      .map(e => e.textContent.trim());
  if (prompts.length === 0 || prompts.some(p => p.includes('*'))) return false;
  const indicator = panel.querySelector('.jp-Notebook-ExecutionIndicator');
  if (indicator && indicator.getAttribute('data-status') === 'busy') return false;
  return prompts.some(p => /\\[\\d+\\]/.test(p));
}
"""


def open_notebook(page: Page, url: str, *, timeout_s: float = 90.0) -> None:
    """Load ``url`` and wait until the notebook panel shows its cells; hide the file browser."""
    page.goto(url, wait_until="domcontentloaded", timeout=timeout_s * 1000)
    page.wait_for_selector(
        ".jp-NotebookPanel .jp-Notebook .jp-Cell", state="visible", timeout=timeout_s * 1000
    )
    # Collapse the left sidebar: the notebook gets the full width in the screenshots.
    current = page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current")
    if current.count():
        current.first.click()
        page.wait_for_selector("#jp-left-stack", state="hidden", timeout=10_000)


def wait_for_kernel(server: LabServer, rel_path: str, *, timeout_s: float = 90.0) -> float:
    """Return the seconds spent waiting until the notebook's kernel reports idle."""
    t0 = time.monotonic()
    while True:
        with contextlib.suppress(OSError, urllib.error.URLError):
            if server.kernel_state(rel_path) == "idle":
                return time.monotonic() - t0
        if time.monotonic() - t0 > timeout_s:
            raise TimeoutError(
                f"{rel_path}: kernel not idle after {timeout_s:.0f} s:\n" + server.log_tail()
            )
        time.sleep(0.5)


def menu_command(page: Page, menu: str, item: str) -> None:
    """Click ``menu`` in the main menu bar, then its entry labelled ``item``."""
    page.locator("#jp-MainMenu .lm-MenuBar-itemLabel", has_text=re.compile(rf"^{menu}$")).click()
    entry = page.locator(
        ".lm-Menu:not(.lm-mod-hidden) .lm-Menu-item:not(.lm-mod-disabled)",
        has=page.locator(".lm-Menu-itemLabel", has_text=re.compile(rf"^{re.escape(item)}$")),
    )
    entry.first.click()


def clear_and_run_all(page: Page) -> None:
    """Clear every output (and execution count) through the Edit menu, then Run > Run All Cells.

    Clearing first means the finished-state check cannot be fooled by counts and images that
    were saved in the file.
    """
    page.locator(".jp-NotebookPanel .jp-Notebook").first.click(position={"x": 5, "y": 5})
    page.keyboard.press("Escape")  # command mode, so menu commands act on the notebook
    menu_command(page, "Edit", "Clear Outputs of All Cells")
    page.wait_for_function(
        """() => {
          const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
          return [...panel.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]
                   .every(e => !/\\[\\d+\\]/.test(e.textContent))
                 && panel.querySelectorAll('.jp-OutputArea-output').length === 0;
        }""",
        timeout=15_000,
    )
    menu_command(page, "Run", "Run All Cells")


def wait_until_finished(page: Page, *, timeout_s: float) -> float:
    """Return the seconds until Run All finished (see ``_FINISHED_JS``); raise on timeout."""
    t0 = time.monotonic()
    page.wait_for_function(_FINISHED_JS, timeout=timeout_s * 1000, polling=500)
    return time.monotonic() - t0


def read_view(page: Page, title: str = "") -> NotebookView:
    """Return what the open notebook panel shows now."""
    data = page.evaluate(_READ_VIEW_JS, title)
    if data is None:
        raise AssertionError("no notebook panel is open")
    return NotebookView(**data)


def set_cell_source(page: Page, cell_index: int, source: str) -> str:
    """Replace the text of cell ``cell_index`` by typing into its editor; return the new text.

    Uses insert_text (one input event) so CodeMirror's bracket and quote auto-closing does not
    add characters the way key-by-key typing would.
    """
    cell = page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").nth(cell_index)
    editor = cell.locator(".cm-content")
    editor.click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.insert_text(source)
    page.keyboard.press("Escape")
    return str(editor.evaluate("e => e.innerText"))


def screenshot_notebook(page: Page, path: Path, *, max_height: int = 16_000) -> None:
    """Save a screenshot of the whole notebook: the viewport is grown to the notebook's height.

    The notebook scrolls inside its panel, so a plain full-page screenshot would only show one
    screen of it.
    """
    size = page.viewport_size or {"width": 1280, "height": 900}
    # Height = everything outside the scrolling panel + the panel's content down to the last
    # cell (not its scrollHeight, which includes JupyterLab's blank scroll-past-end padding).
    needed = page.evaluate(
        """() => {
          const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
          const outer = panel && (panel.querySelector('.jp-WindowedPanel-outer')
                                  || panel.querySelector('.jp-Notebook'));
          if (!outer) return window.innerHeight;
          const cells = outer.querySelectorAll('.jp-Cell');
          const box = outer.getBoundingClientRect();
          const content = cells.length
              ? cells[cells.length - 1].getBoundingClientRect().bottom - box.top + outer.scrollTop
              : outer.scrollHeight;
          return Math.ceil(content + (window.innerHeight - box.height));
        }"""
    )
    height = int(min(max(needed + 60, size["height"]), max_height))
    page.set_viewport_size({"width": size["width"], "height": height})
    try:
        page.wait_for_timeout(800)  # let Lumino re-layout to the new size
        page.evaluate(
            """() => {
              const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
              const outer = panel && panel.querySelector('.jp-WindowedPanel-outer');
              if (outer) outer.scrollTop = 0;
            }"""
        )
        page.wait_for_timeout(200)
        page.screenshot(path=str(path), full_page=True)
    finally:
        page.set_viewport_size(size)
