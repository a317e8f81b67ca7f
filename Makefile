# The newcomer path: `make demo` (install everything, run the demo county) and `make test`.
# Every target is idempotent; stamps under .stamps/ skip work that is already done.

PY      := .venv/bin/python
PG_URL  ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
# the job-system tests run real workers on Redis; set here so CI never skips them
export CITYBRAIN_TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
export CITYBRAIN_DATA_DIR ?= $(abspath ../shared/data)

.PHONY: setup demo test test-sqlite test-postgres lint services openapi openapi-current

setup: .stamps/python .stamps/web .stamps/chromium .stamps/redis .stamps/hey

.stamps/python: pyproject.toml
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@mkdir -p .stamps && touch $@

.stamps/web: web/package.json web/package-lock.json $(shell find web/src -type f 2>/dev/null) web/index.html
	cd web && npm ci --no-audit --no-fund && npm run build
	@mkdir -p .stamps && touch $@

.stamps/chromium:
	command -v chromium >/dev/null && fc-list :lang=zh | grep -q . || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null)
	@mkdir -p .stamps && touch $@

.stamps/redis:
	command -v redis-server >/dev/null || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null)

# HTTP load generator for bench/bench_http_load.py
.stamps/hey:
	command -v hey >/dev/null || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hey >/dev/null)
	@mkdir -p .stamps && touch $@

demo: setup
	.venv/bin/citybrain demo --host 0.0.0.0 --port 8000

services:
	@.ci/ensure-postgres
	@.ci/ensure-redis
	@.ci/ensure-mariadb

lint: .stamps/python
	.venv/bin/ruff check src tests bench
	.venv/bin/ruff format --check src tests bench
	.venv/bin/mypy src

test-sqlite: setup services
	$(PY) -m pytest -q -n 2 --dist loadfile

test-postgres: setup services
	CITYBRAIN_TEST_DATABASE_URL=$(PG_URL) $(PY) -m pytest -q -n 2 --dist loadfile -m "not browser"

test: lint openapi-current test-sqlite test-postgres
	cd web && npm run typecheck && npm test

openapi-current: .stamps/python
	@.venv/bin/citybrain openapi | diff -q - web/openapi.json >/dev/null || \
	  (echo "web/openapi.json is stale: run make openapi" >&2; exit 1)

openapi: .stamps/python
	.venv/bin/citybrain openapi > web/openapi.json
	cd web && npm run gen:api
