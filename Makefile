# CARE+ — two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
# The suite runs on this many processes (pytest-xdist), a test file to each in turn; TEST_WORKERS=0 runs it in one.
TEST_WORKERS ?= 2
PYTEST := $(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test install lint types unit browser messages chromium clean bench bench-pg drills loadtest

$(STAMP): requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo "CARE+ is served on http://127.0.0.1:8000 (Ctrl+C to stop)."
	$(PY) manage.py runserver 127.0.0.1:8000

chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  echo "Installing Debian's chromium for the browser tests..."; \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || { echo "Could not install chromium: run 'apt-get install -y chromium' as root."; exit 1; }; \
	  else echo "Browser tests need Debian's chromium: run 'apt-get install -y chromium' as root."; exit 1; fi; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache --no-logo
	$(BIN)/djlint templates --lint
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py check
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null

types: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(PYTEST) -m "not browser"

browser: $(STAMP) chromium
	$(PYTEST) -m browser

# Refresh the French catalogue after changing translatable strings.
messages: $(STAMP)
	$(PY) manage.py makemessages -l fr --no-location --ignore='.venv/*' --ignore='.venv-load/*' --ignore='var/*' --ignore='staticfiles/*'
	$(PY) manage.py compilemessages --ignore='.venv/*' --ignore='.venv-load/*'

test: $(STAMP) chromium lint types
	$(PYTEST)

clean:
	rm -rf $(VENV) staticfiles .mypy_cache .ruff_cache .pytest_cache

# Benchmarks (figures and ratios, never timed tests). CASES=1000000 for the million-file run;
# bench-pg uses DATABASE_URL if set, else a careplus_bench_CASES database on the local PostgreSQL.
CASES ?= 100000
BENCH_PG ?= postgres://postgres@127.0.0.1:5432/careplus_bench_$(CASES)
bench: $(STAMP)
	$(PY) -m bench.run --cases $(CASES)

bench-pg: $(STAMP)
	DATABASE_URL="$${DATABASE_URL:-$(BENCH_PG)}" $(PY) -m bench.run --cases $(CASES)

# Reliability drills (figures printed; exit 1 on any loss) and the loopback load test.
drills: $(STAMP)
	$(PY) -m drills.conflicts --pairs 1000
	$(PY) -m drills.kill9 --rounds 25
	$(PY) -m drills.backup --cases 2000

loadtest: $(STAMP)
	$(PY) -m bench.run --cases 100000 --repeat 3
	loadtest/run.sh 20 10m
