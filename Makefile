# Two commands for a newcomer: `make run` (the whole system, embedded) and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test install bench lint clean vendor-assets

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed: install python3.11 (and python3.11-venv)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/careroute dev

# The browser tests (tests/browser/) drive Debian's chromium: Playwright cannot download its own here.
CHROMIUM := /usr/bin/chromium

$(CHROMIUM):
	@echo "chromium is missing: installing Debian's (the browser tests need it)"
	apt-get install -y chromium || { apt-get update && apt-get install -y chromium; }

test: $(STAMP) $(CHROMIUM)
	$(BIN)/python -m pytest

# ruff (lint and format check) and import-linter (the layers and service boundaries in pyproject.toml).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python bench/bench_triage.py
	$(BIN)/python bench/bench_intake.py
	$(BIN)/python bench/bench_fhir.py
	$(BIN)/python bench/bench_intake_load.py
	$(BIN)/python bench/bench_pipeline.py

# Refresh htmx, axe-core and Swagger UI in shared/http/static/vendor/ from the npm registry
# (versions pinned in the script); commit the result.
vendor-assets:
	$(PYTHON) scripts/vendor_assets.py

clean:
	rm -rf var .pytest_cache
