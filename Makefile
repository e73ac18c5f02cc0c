# orderplan — the two commands a new user runs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SCENARIO ?= scenarios/plant.yaml
TIME_LIMIT ?= 20
WORKERS ?= 2
HOST ?= 127.0.0.1
PORT ?= 8000
# The service's embedded store; any SQLAlchemy URL works (postgresql+psycopg://...).
DATABASE_URL ?= sqlite:///./out/orderplan.db

.PHONY: run solve-demo test install install-test lint typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,api]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

## Start the planning service on http://$(HOST):$(PORT) with the embedded store and the example
## scenarios loaded; it prints the demo API keys it generated for each role. Ctrl-C stops it.
run: install
	@mkdir -p out
	ORDERPLAN_DATABASE_URL=$(DATABASE_URL) $(BIN)/orderplan serve --host $(HOST) --port $(PORT) --examples scenarios

## Solve the demo plant scenario and print the plan summary (plan JSON in out/plan.json).
solve-demo: install
	@mkdir -p out
	$(BIN)/orderplan solve $(SCENARIO) --time-limit $(TIME_LIMIT) --workers $(WORKERS) --seed 0 --out out/plan.json --summary
	$(BIN)/orderplan check $(SCENARIO) out/plan.json

## Install the test dependencies, lint, type-check and run the whole suite.
test: install-test lint typecheck
	$(BIN)/python -m pytest -n 2 -q

lint: install-test
	$(BIN)/ruff check engine api benchmarks tests
	$(BIN)/ruff format --check engine api benchmarks tests

typecheck: install-test
	$(BIN)/mypy

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
