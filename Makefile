# make run: set up (or reuse) .venv and replay the bundled digits-mlp benchmark (the default DIV-TS, 5 x 12 h).
# make test: same set-up, then ruff (lint + format check) and the whole pytest suite (pytest-xdist, a worker per core).
# make screenshots: the dashboard's browser tests, writing the README's screenshots to docs/screenshots.
# make lock: regenerate requirements.lock (exact versions of everything make installs) from pyproject.toml.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
LOCK := requirements.lock
STAMP := $(VENV)/.installed
QUIET := --quiet --disable-pip-version-check

.PHONY: run test lint format lock clean screenshots

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml $(LOCK) | $(PY)
	$(PY) -m pip install $(QUIET) -r $(LOCK) 2>&1 | grep -v "^WARNING: Location" || true
	$(PY) -m pip install $(QUIET) --no-deps -e . 2>&1 | grep -v "^WARNING: Location" || true
	@$(PY) -c "import hpo_runner, hpo_mab.assembly, sklearn, smac, hyperopt, pytest" && touch $(STAMP)

run: $(STAMP)
	$(PY) hpo_runner.py digits-mlp 5 -e TIME -et 12h --seed 1

test: $(STAMP) lint
	$(PY) -m pytest -q -n auto --dist worksteal

screenshots: $(STAMP)
	HPO_SCREENSHOTS=docs/screenshots $(PY) -m pytest -q tests/test_dashboard.py

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(STAMP)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

lock: | $(PY)
	$(PY) -m pip install $(QUIET) pip-tools 2>&1 | grep -v "^WARNING: Location" || true
	$(PY) -m piptools compile --quiet --extra test --strip-extras --no-emit-index-url --no-emit-find-links \
		--output-file $(LOCK) pyproject.toml

clean:
	rm -rf $(VENV) results .pytest_cache .ruff_cache *.egg-info build dist
