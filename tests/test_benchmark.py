"""The speed benchmark runs for anyone: its breakdown and its toolkit run on the seed article."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import ROOT, SEED

SCRIPT = ROOT / "benchmarks" / "annotate_speed.py"


def _run(*args: str) -> dict:
    out = subprocess.run([sys.executable, str(SCRIPT), "--corpus", str(SEED), *args, "--json"],
                         capture_output=True, text=True, check=True, cwd=ROOT).stdout
    return json.loads(out)


def test_breakdown_times_spacy_and_every_layer():
    result = _run("--breakdown")["breakdown"]
    per_mw = result["seconds_per_million_words"]
    assert set(per_mw) == {"spacy", "sentences", "entities", "quotes", "amounts"}
    assert all(seconds > 0 for seconds in per_mw.values())
    layers = sum(per_mw.values()) - per_mw["spacy"]
    assert result["layers_share"] == pytest.approx(layers / sum(per_mw.values()))
    assert result["articles"] == 1 and result["words"] > 800


def test_toolkit_run_reports_rows_speed_and_memory():
    result = _run("--skip-baseline")
    toolkit = result["toolkit"]
    assert toolkit["rows"]["quotes"] >= 20 and toolkit["rows"]["problems"] == 0
    assert toolkit["words_per_s"] > 0 and 0 < toolkit["peak_rss_mb"] < 1024
    assert "ratio" not in result
