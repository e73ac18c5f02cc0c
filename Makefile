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

.PHONY: run solve-demo test install install-test lint typecheck browser bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/orderplan compile
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,api]'
	$(BIN)/orderplan compile
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
test: install-test lint typecheck browser
	$(BIN)/python -m pytest -n 2 -q

## Debian's Chromium for the page's browser test (tests/browser), installed with apt when
## missing and run as root; otherwise that test is skipped, with this message saying why.
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian's chromium for the browser test"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
			|| echo "make browser: could not install chromium; the browser test will be skipped"; \
	else \
		echo "make browser: /usr/bin/chromium is missing (apt-get install chromium as root); the browser test will be skipped"; \
	fi

lint: install-test
	$(BIN)/ruff check engine api benchmarks tests
	$(BIN)/ruff format --check engine api benchmarks tests

typecheck: install-test
	$(BIN)/mypy

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
