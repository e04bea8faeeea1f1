# 政民互动 WeChat service. Two commands for a fresh machine: `make run` and `make test`.
.PHONY: setup run test test-sqlite test-postgres bench lint migrate-check chaos

setup:
	@bash scripts/bootstrap.sh

## Run the whole service on embedded defaults with demo data, the emulator and the simulator.
run: setup
	@.venv/bin/python scripts/devstack.py

## Run the whole test suite (lint, the import contracts, every test on SQLite, then every test but the browser
## ones again on a real PostgreSQL).
test: setup
	@.venv/bin/ruff check --quiet .
	@.venv/bin/lint-imports --no-cache
	@.venv/bin/python -m pytest -q -p no:cacheprovider tests
	@TEST_DATABASE=postgresql .venv/bin/python -m pytest -q -p no:cacheprovider -m "not e2e and not sqlite_only" tests

test-sqlite: setup
	@.venv/bin/python -m pytest -q tests

test-postgres: setup
	@TEST_DATABASE=postgresql .venv/bin/python -m pytest -q -m "not e2e and not sqlite_only" tests

## The chaos suite: the production stack (gunicorn, flask worker, flask scheduler run, PostgreSQL, redis-server,
## the WeChat emulator) under one fault at a time; each scenario prints what was sent, lost and repeated.
chaos: setup
	@CHAOS=1 CHAOS_RESULTS=$${CHAOS_RESULTS:-instance/chaos-results.jsonl} .venv/bin/python -m pytest -q -s -p no:cacheprovider tests/chaos

bench: setup
	@WITH_BENCH=1 bash scripts/bootstrap.sh
	@.venv/bin/python bench/run_all.py

lint: setup
	@.venv/bin/ruff check .
	@.venv/bin/lint-imports --no-cache
