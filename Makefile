# The two commands of the README: `make run` and `make test`. Everything else is a step of those.
VENV ?= .venv
PY := $(VENV)/bin/python
CAISSE_HOME ?= $(CURDIR)/data
export CAISSE_HOME

.PHONY: run test bench setup system-deps lint docs

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.installed

# Set up, make the store and the demo drop on the first run, start the app on http://localhost:8501
run: setup
	@test -f "$(CAISSE_HOME)/caisse.duckdb" || $(VENV)/bin/caisse init --demo
	$(VENV)/bin/caisse serve --port 8501

# Set up, install what the tests need (OpenSSH server, Chromium), run the whole suite
test: setup system-deps
	$(PY) -m pytest

system-deps:
	@bash scripts/system-deps.sh

lint: setup
	$(VENV)/bin/ruff check .

docs: setup
	$(VENV)/bin/caisse docs --output docs/tables.md

bench: setup
	$(PY) -m benchmarks $(BENCH_ARGS)
