# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
WAREHOUSE ?= oversight.duckdb

.PHONY: demo test install bench clean

$(BIN)/oversight: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/oversight

# Install, load the bundled London data, build every measure, then serve the dashboards
# (the URL is printed; Ctrl-C stops the server).
demo: install
	$(BIN)/oversight --warehouse $(WAREHOUSE) ingest police-uk data/default/police_uk --quiet
	$(BIN)/oversight --warehouse $(WAREHOUSE) ingest reference data/default/reference --quiet
	$(BIN)/oversight --warehouse $(WAREHOUSE) build
	$(BIN)/oversight --warehouse $(WAREHOUSE) summary
	$(BIN)/oversight --warehouse $(WAREHOUSE) serve

# axe-core for the accessibility tests, pinned in tests/web/package-lock.json.
tests/web/node_modules: tests/web/package-lock.json
	cd tests/web && npm ci --no-audit --no-fund --silent
	touch $@

# The whole suite. pytest exits 5 when it collects no tests; that is not a failure of the code.
test: install tests/web/node_modules
	$(BIN)/python -m pytest -q; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 0; fi; exit $$rc

bench: install
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/build.py

clean:
	rm -rf $(VENV) $(WAREHOUSE) $(WAREHOUSE).wal
