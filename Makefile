# The README's two commands are `make demo` and `make test`. Everything else is for developers.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_ENV := DEBUG=true
# The demo authority's codes, so the DfE return it produces has its geography columns filled.
DEMO_ENV := $(DEV_ENV) LOCAL_AUTHORITY_CODE=938 LOCAL_AUTHORITY_NAME="West Sussex" \
	LOCAL_AUTHORITY_NEW_CODE=E10000032 REGION_CODE=E12000008 REGION_NAME="South East"
PG_URL ?= postgres://postgres@127.0.0.1:5432/ehe_register
BROKER_URL ?= redis://127.0.0.1:6379/15
FAULT_BROKER_URL ?= redis://127.0.0.1:6391/0

.PHONY: demo test test-postgres test-faults lint format migrations-check worker beat bench install clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## demo: install, migrate, load demo data once, and run the app on SQLite at http://127.0.0.1:8000
demo: $(STAMP)
	$(DEMO_ENV) $(BIN)/python manage.py migrate --no-input
	$(DEMO_ENV) $(BIN)/python manage.py seed_demo --if-empty
	@echo "Open http://127.0.0.1:8000 and sign in with one of the accounts above."
	$(DEMO_ENV) $(BIN)/python manage.py runserver 127.0.0.1:8000

## test: install and run the whole test suite on SQLite with eager Celery
test: $(STAMP)
	scripts/ensure-chromium
	$(DEV_ENV) $(BIN)/pytest

## test-postgres: the whole suite on PostgreSQL with a real Redis broker (the broker test starts its own worker)
test-postgres: $(STAMP)
	$(DEV_ENV) DATABASE_URL=$(PG_URL) CELERY_BROKER_URL=$(BROKER_URL) $(BIN)/pytest

## test-faults: kill a worker mid-run, stop Redis during an upload, cut database connections
## (ADR 0009); the tests run their own Redis on FAULT_BROKER_URL's port, never the shared one
test-faults: $(STAMP)
	$(DEV_ENV) DATABASE_URL=$(PG_URL) CELERY_BROKER_URL=$(FAULT_BROKER_URL) \
		$(BIN)/pytest -m fault -p no:randomly -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: $(STAMP)
	$(DEV_ENV) $(BIN)/python manage.py makemigrations --check --dry-run

worker: $(STAMP)
	$(BIN)/celery -A ehe_register worker --loglevel=info

beat: $(STAMP)
	$(BIN)/celery -A ehe_register beat --loglevel=info

## bench: every benchmark under bench/ against PostgreSQL (see docs/benchmarks.md)
bench: $(STAMP)
	@for script in bench/[!_]*.py; do \
		[ -e "$$script" ] || { echo "No benchmarks yet"; break; }; \
		echo "== $$script"; $(DEV_ENV) DATABASE_URL=$(PG_URL) $(BIN)/python "$$script" || exit 1; \
	done

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache db.sqlite3
