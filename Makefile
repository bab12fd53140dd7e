# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
WAREHOUSE ?= oversight.duckdb

.PHONY: demo test install bench clean report-fonts plotly-bundle

$(BIN)/oversight: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/oversight

# Install, load the bundled London data, build every measure, make the records database (SQLite,
# oversight-records.sqlite), then serve the dashboards and /records/ (the URL is printed; Ctrl-C stops
# the server). `oversight records create-admin NAME` makes the first records account.
demo: install
	$(BIN)/oversight --warehouse $(WAREHOUSE) ingest police-uk data/default/police_uk --quiet
	$(BIN)/oversight --warehouse $(WAREHOUSE) ingest reference data/default/reference data/default/england-and-wales --quiet
	$(BIN)/oversight --warehouse $(WAREHOUSE) build
	$(BIN)/oversight --warehouse $(WAREHOUSE) summary
	$(BIN)/oversight records migrate
	$(BIN)/oversight --warehouse $(WAREHOUSE) serve

# axe-core for the accessibility tests, pinned in tests/web/package-lock.json.
tests/web/node_modules: tests/web/package-lock.json
	cd tests/web && npm ci --no-audit --no-fund --silent
	touch $@

# Lint, types and the import contract (pyproject.toml), then the whole suite. pytest exits 5 when
# it collects no tests; that is not a failure of the code.
test: install tests/web/node_modules
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 0; fi; exit $$rc

bench: install
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/build.py

# The report's fonts (src/oversight/report/fonts, used by report/render.py), made once and kept in
# the repository: DejaVu Sans 2.37 from Debian's fonts-dejavu-core, cut down to Latin, punctuation
# and the few signs a report prints, so the package stays small. Run after adding a character
# the fonts lack (tests/report/test_report_pdf.py names it).
REPORT_FONTS := src/oversight/report/fonts
REPORT_FONT_CHARS := U+0020-007E,U+00A0-017F,U+2010-2027,U+2030-2033,U+2039-203A,U+2044,U+20AC,U+2122,\
U+2190-2195,U+2212,U+2248,U+2260,U+2264-2265
report-fonts: install
	for face in DejaVuSans DejaVuSans-Bold DejaVuSansMono; do \
	  $(BIN)/pyftsubset /usr/share/fonts/truetype/dejavu/$$face.ttf --unicodes='$(REPORT_FONT_CHARS)' \
	    --layout-features='*' --name-IDs='*' --name-languages='*' --no-hinting \
	    --output-file=$(REPORT_FONTS)/$$face.ttf || exit 1; \
	done

# The chart library (src/oversight/web/static/plotly.min.js, served by web/assets.py), kept in the
# repository as fetched here: plotly.js's official "basic" bundle (traces bar, pie and scatter, all the
# pages draw), pinned, from the npm registry (npm checks the package's integrity). Run after changing
# the pin; tests/web/test_assets.py checks every trace the charts use is in it.
PLOTLY_BUNDLE := plotly.js-basic-dist-min@4.1.1
plotly-bundle:
	rm -rf build/plotly-bundle && mkdir -p build/plotly-bundle
	cd build/plotly-bundle && npm pack --silent $(PLOTLY_BUNDLE) >/dev/null && tar xzf *.tgz
	cp build/plotly-bundle/package/plotly-basic.min.js src/oversight/web/static/plotly.min.js
	cp build/plotly-bundle/package/LICENSE src/oversight/web/static/plotly.js-LICENSE.txt
	rm -rf build/plotly-bundle

clean:
	rm -rf $(VENV) $(WAREHOUSE) $(WAREHOUSE).wal oversight-records.sqlite
