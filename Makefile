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

# Set up, make the store and the demo drop on the first run, start the app on http://localhost:8501.
# `make run HTTPS=1` serves https:// with a self-signed certificate made once in $(CAISSE_HOME)/tls/;
# `make run ADDRESS=0.0.0.0` serves the shop's network (see the README's "Sur le réseau du magasin").
TLS := $(CAISSE_HOME)/tls
run: setup
	@test -f "$(CAISSE_HOME)/caisse.duckdb" || $(VENV)/bin/caisse init --demo
ifdef HTTPS
	@test -f "$(TLS)/caisse.pem" || (mkdir -p "$(TLS)" && chmod 700 "$(TLS)" && openssl req -x509 -newkey rsa:2048 \
		-nodes -days 825 -subj "/CN=$$(hostname)" -addext "subjectAltName=DNS:$$(hostname),DNS:localhost,IP:127.0.0.1" \
		-keyout "$(TLS)/caisse.key" -out "$(TLS)/caisse.pem" 2>/dev/null && chmod 600 "$(TLS)/caisse.key")
	CAISSE_TLS_CERT="$(TLS)/caisse.pem" CAISSE_TLS_KEY="$(TLS)/caisse.key" \
		$(VENV)/bin/caisse serve --port 8501 $(if $(ADDRESS),--address $(ADDRESS))
else
	$(VENV)/bin/caisse serve --port 8501 $(if $(ADDRESS),--address $(ADDRESS))
endif

# Set up, install what the tests need (OpenSSH server, Chromium), run the whole suite
test: setup system-deps
	$(VENV)/bin/lint-imports --no-cache --no-logo
	$(PY) -m pytest

system-deps:
	@bash scripts/system-deps.sh

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache --no-logo

docs: setup
	$(VENV)/bin/caisse docs --output docs/tables.md

bench: setup
	$(PY) -m benchmarks $(BENCH_ARGS)
