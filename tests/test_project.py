"""The installed package outside the checkout: `toolkit init DIR`, then `toolkit run` there."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from conftest import ROOT

from toolkit import paths
from toolkit.errors import ToolkitError
from toolkit.project import init_project


def test_init_makes_a_project_with_the_notebooks_and_seeds(tmp_path):
    made = init_project(tmp_path / "study")
    assert sorted(p.name for p in (made / "notebooks").iterdir()) == [
        p.name for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))]
    seed = next((ROOT / "seeds").glob("*.txt"))
    assert (made / "seeds" / seed.name).read_bytes() == seed.read_bytes()
    assert (made / "seeds" / "labels" / "seed_china_mediation.csv").is_file()
    assert not list((made / "seeds").rglob("*.py"))  # code never lands in the input folder
    assert (made / "figures").is_dir() and "toolkit run" in (made / "README.md").read_text()
    assert paths.find_project(made / "notebooks") == made  # found from inside, as kernels are


def test_init_never_overwrites_and_leaves_nothing_half_made(tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    with pytest.raises(ToolkitError, match="busy: exists and is not an empty folder"):
        init_project(tmp_path / "busy")
    assert [p.name for p in (tmp_path / "busy").iterdir()] == ["notes.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["busy"]


def test_the_project_is_found_from_the_environment_then_the_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("TOOLKIT_PROJECT", raising=False)
    assert paths.find_project(tmp_path) == paths.PACKAGE_DIR.parent  # none: the checkout
    monkeypatch.setenv("TOOLKIT_PROJECT", str(tmp_path))
    assert paths.find_project(ROOT) == tmp_path


@pytest.mark.slow
def test_the_built_wheel_runs_the_main_job_in_a_new_folder_outside_the_checkout(tmp_path):
    """Build the wheel, install it (without dependencies: they come from this test's venv,
    whose editable toolkit is not importable there) into a fresh venv, `toolkit init` a folder
    outside the checkout and run the main job in it."""
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels),
                    str(ROOT)], check=True, timeout=600, capture_output=True)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
                    "--no-deps", str(next(wheels.glob("*.whl")))], check=True, timeout=600,
                   capture_output=True)
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; "
                                "print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    # the dependencies, from this environment; its .pth files (the editable finder) stay unread
    (site / "zz_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items()
           if k not in ("TOOLKIT_FIGURES_DIR", "TOOLKIT_PROJECT", "PYTHONPATH")}
    # and the data files they install (nbconvert's templates) from its share/jupyter
    env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")
    toolkit = str(venv / "bin" / "toolkit")
    where = subprocess.run([str(python), "-c", "import toolkit; print(toolkit.__file__)"],
                           check=True, capture_output=True, text=True, cwd=tmp_path, env=env)
    assert where.stdout.startswith(str(site)), where.stdout  # the wheel's copy, not the checkout
    made = subprocess.run([toolkit, "init", "study"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    outside = subprocess.run([toolkit, "run"], cwd=tmp_path, env=env, capture_output=True,
                             text=True, timeout=120)
    assert outside.returncode == 1 and "toolkit init DIR" in outside.stderr, outside.stderr
    study = tmp_path / "study"
    ran = subprocess.run([toolkit, "run"], cwd=study, env=env, capture_output=True, text=True,
                         timeout=1200)
    assert ran.returncode == 0, ran.stderr[-3000:]
    figures = sorted(p.name for p in (study / "figures").glob("*.png"))
    assert figures == sorted(p.name for p in (ROOT / "figures").glob("*.png")), figures
    assert (study / "build" / "run" / "report" / "index.html").is_file()
    assert "Traceback" not in ran.stderr and "Warning" not in ran.stderr, ran.stderr[-3000:]
