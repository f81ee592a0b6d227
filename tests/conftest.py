"""Shared fixtures: paths to the project's seeds and to ../shared/data (absent on user clones)."""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_configure(config):
    """Keep test runs out of the project's figures/: notebooks executed by nbval (in kernels that
    inherit this environment) save their figures into a temporary folder instead."""
    import os
    import tempfile

    os.environ.setdefault("TOOLKIT_FIGURES_DIR", tempfile.mkdtemp(prefix="toolkit-test-figures-"))

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SEED = SEEDS / "000_a1bbb6199e38b69c.txt"
SHARED = ROOT.parent / "shared" / "data"

needs_shared = pytest.mark.skipif(
    not SHARED.exists(), reason="../shared/data is not present (it is only on developer machines)"
)


@pytest.fixture(scope="session")
def seed_article():
    """The seed article, loaded by the toolkit's loader."""
    from toolkit import load_articles

    (article,) = load_articles(SEED)
    return article


def pytest_collection_modifyitems(config, items):
    """Mark every test that skips without ``../shared`` as ``shared``, so ``make test-fast``
    (``-m "not shared"``) can leave them out whichever way the test spells its skip."""
    for item in items:
        for mark in item.iter_markers("skipif"):
            if "../shared" in str(mark.kwargs.get("reason", "")):
                item.add_marker(pytest.mark.shared)
                break
