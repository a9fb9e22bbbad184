# Lodestar CRM. The two commands: `make run` (quick start) and `make test`. See README.md.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Touched after a successful install: the lock is installed again only when it is newer than this.
STAMP := $(VENV)/.requirements.lock.installed

# Run a second time on SQLite, the quick start's database: the model, publishing and page tests.
SQLITE_TESTS := tests/insights/test_run_lifecycle.py tests/insights/test_training.py tests/insights/test_publishing.py \
	tests/insights/test_rescoring.py tests/insights/test_pages.py tests/insights/test_health_panel.py \
	tests/insights/test_worklist.py tests/recommendations/test_families.py tests/recommendations/test_pages.py \
	tests/recommendations/test_managers_pages.py \
	tests/recommendations/test_rule_kinds.py \
	tests/customers/test_pages.py

PORT ?= 8000
CUSTOMERS ?= 2000

.PHONY: help run test bench lock clean

help:
	@echo "make run     quick start on the embedded default (SQLite, file broker): web + worker on http://127.0.0.1:$(PORT)/"
	@echo "             options: make run PORT=8001 CUSTOMERS=500"
	@echo "make test    lint, migration check, system check and the test suite (needs PostgreSQL, Redis and"
	@echo "             /usr/bin/chromium for the browser tests in tests/e2e; skip them with PYTEST_ARGS='-m \"not e2e\"')"
	@echo "make bench   benchmarks as a table (also writes var/bench/latest.json)"
	@echo "make lock    regenerate requirements.lock from pyproject.toml"
	@echo "make clean   remove the virtualenv and caches (keeps var/, where the quick start's database lives)"

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "make: $(PYTHON) not found; install Python 3.11 or run: make PYTHON=/path/to/python3.11" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.lock | $(BIN)/python
	@$(BIN)/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || { echo "make: $(VENV) is not Python 3.11; remove it (make clean) and try again" >&2; exit 1; }
	$(BIN)/python -m pip install --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	@touch $@

# Whatever DATABASE_URL / CELERY_BROKER_URL / CACHE_URL the environment holds are used; unset, the embedded default.
run: $(STAMP)
	DEBUG=1 $(BIN)/python manage.py quickstart --port $(PORT) --customers $(CUSTOMERS)

test: export DEBUG := 1
test: export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/lodestar
test: export CELERY_BROKER_URL ?= redis://127.0.0.1:6379/0
test: export CACHE_URL ?= redis://127.0.0.1:6379/1
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py check
	$(BIN)/pytest $(PYTEST_ARGS)
	@if [ -z "$(PYTEST_ARGS)" ]; then \
		echo "== the model, publishing and page tests again on SQLite, the quick start's database"; \
		DATABASE_URL="sqlite:///$$(mktemp -d)/test.sqlite3" $(BIN)/pytest -q -m "not slow and not e2e" $(SQLITE_TESTS); \
	fi

bench: $(STAMP)
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

lock: | $(BIN)/python
	@test -x $(BIN)/uv || $(BIN)/python -m pip install --disable-pip-version-check --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --no-emit-index-url --no-emit-find-links \
		--python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .import_linter_cache test-artifacts var/staticfiles
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
