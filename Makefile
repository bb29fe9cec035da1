# make run: set up (or reuse) .venv and replay the bundled digits-mlp benchmark (DIV-SEQ, 5 x 12 h).
# make test: same set-up, then ruff (lint + format check) and the whole pytest suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint format clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[test]" 2>&1 | grep -v "^WARNING: Location" || true
	@$(PY) -c "import hpo_runner, sklearn, smac, hyperopt, pytest" && touch $(STAMP)

run: $(STAMP)
	$(PY) hpo_runner.py digits-mlp 5 -e TIME -et 12h --seed 1

test: $(STAMP) lint
	$(PY) -m pytest -q

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(STAMP)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

clean:
	rm -rf $(VENV) results .pytest_cache .ruff_cache *.egg-info
