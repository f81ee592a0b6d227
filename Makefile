# One command for each job; `make help` lists them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install run test test-fast lint notebooks clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@echo "[1/3] creating $(VENV) (a first install takes about 2 minutes and 1.4 GB)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@echo "[2/3] installing the toolkit, spaCy and its model, JupyterLab and the test tools"
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@echo "[3/3] installing the notebooks' kernel"
	$(BIN)/python -m toolkit.kernel
	touch $(STAMP)

install: $(STAMP) ## create .venv and install the toolkit with its test tools into it

run: $(STAMP) ## the main job: load and annotate seeds/, execute the notebooks, export figures/
	$(BIN)/toolkit run

test: $(STAMP) ## run the whole test suite (unit, case files, notebooks, evaluation floors)
	$(BIN)/python -m pytest

test-fast: $(STAMP) ## the edit loop: unit tests and doctests only (no slow, browser, ../shared or notebook tests)
	$(BIN)/python -m pytest -o addopts="--doctest-modules -p no:cacheprovider" \
		-m "not slow and not browser and not shared" tests toolkit

lint: $(STAMP) ## check the code with ruff (config in pyproject.toml)
	$(BIN)/ruff check toolkit tests benchmarks seeds

notebooks: $(STAMP) ## re-execute the curated notebooks in place (refreshes their stored outputs)
	$(BIN)/toolkit notebooks

clean: ## remove build outputs (keeps .venv, seeds/ and figures/)
	rm -rf build
