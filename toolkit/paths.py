"""Every path the toolkit uses, computed from the package location (no import-time I/O)."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"
CODEBOOK_DIR = DATA_DIR / "codebooks"
DEFAULT_CODEBOOK = "china_mediation"  # the codebook in CODEBOOK_DIR used when none is named

# The project checkout (only meaningful when the package is used from a clone, which is how the
# notebooks and `toolkit run` use it).
PROJECT_DIR = PACKAGE_DIR.parent
SEEDS_DIR = PROJECT_DIR / "seeds"
NOTEBOOKS_DIR = PROJECT_DIR / "notebooks"
FIGURES_DIR = PROJECT_DIR / "figures"
BUILD_DIR = PROJECT_DIR / "build"
SHARED_DATA_DIR = PROJECT_DIR.parent / "shared" / "data"
