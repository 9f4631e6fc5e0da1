# The two commands of the quick start: `make run` and `make test`.
# Each bootstraps .venv by itself on a fresh machine.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

# Links printed by the demo and the server follow HOST and PORT unless SURVEYOR_BASE_URL is set.
run: export SURVEYOR_BASE_URL ?= http://$(HOST):$(PORT)
run: $(VENV)/.installed
	$(BIN)/surveyor migrate
	$(BIN)/surveyor demo
	$(BIN)/surveyor serve --host $(HOST) --port $(PORT)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Two processes, each taking whole test files (module-scoped servers stay shared);
# `make test PYTEST_ARGS=-n0` runs it in one.
PYTEST_ARGS ?= -n 2 --dist loadfile
test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

format: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Benchmarks are not part of the tests: each is run on its own, see bench/README.md.
bench: $(VENV)/.installed-test
	@sed -n '/^## How to run/,/^## Results/p' bench/README.md | sed '$$d'

clean:
	rm -rf $(VENV) dist build .pytest_cache .ruff_cache test-artifacts
