# baomi — two commands: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
TEST_WORKERS ?= auto
PG_URL ?= postgres://postgres@127.0.0.1:5432/postgres
export BAOMI_HOME := $(CURDIR)

.PHONY: install demo test test-sqlite test-postgres lint bench crash-test clean

$(VENV)/.installed: pyproject.toml requirements.lock
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv==0.13.8
	$(BIN)/uv pip install -q --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	touch $@

install: $(VENV)/.installed

## make demo: venv, install, migrate (creates keys), demo data, serve on 127.0.0.1:8000
demo: install
	$(BIN)/baomi migrate --noinput
	$(BIN)/baomi demo --customers 200
	$(BIN)/baomi serve --host 127.0.0.1 --port 8000

## make test: the whole suite on SQLite, then on PostgreSQL when one is reachable
test: install
	BAOMI_TEST_DATABASE_URL= $(BIN)/pytest -q -p no:cacheprovider -n $(TEST_WORKERS)
	@if [ -n "$$BAOMI_TEST_DATABASE_URL" ] || pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
	  echo "== PostgreSQL =="; \
	  BAOMI_TEST_DATABASE_URL=$${BAOMI_TEST_DATABASE_URL:-$(PG_URL)} $(BIN)/pytest -q -p no:cacheprovider -n $(TEST_WORKERS); \
	else echo "PostgreSQL not reachable: SQLite only"; fi

## make crash-test: kill -9 of `baomi import` and of the server at random moments, then
## check nothing is half-written, everything decrypts, the audit log verifies (issue #11)
CRASH_ITERATIONS ?= 20
crash-test: install
	BAOMI_TEST_DATABASE_URL= BAOMI_CRASH_ITERATIONS=$(CRASH_ITERATIONS) $(BIN)/pytest -q -p no:cacheprovider tests/test_scale_crash.py
	@if [ -n "$$BAOMI_TEST_DATABASE_URL" ] || pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
	  echo "== PostgreSQL =="; \
	  BAOMI_TEST_DATABASE_URL=$${BAOMI_TEST_DATABASE_URL:-$(PG_URL)} BAOMI_CRASH_ITERATIONS=$(CRASH_ITERATIONS) $(BIN)/pytest -q -p no:cacheprovider tests/test_scale_crash.py; \
	else echo "PostgreSQL not reachable: SQLite only"; fi

lint: install
	$(BIN)/ruff check src tests $(wildcard benchmarks)
	$(BIN)/mypy

bench: install
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) var/baomi.sqlite3* .mypy_cache .ruff_cache
