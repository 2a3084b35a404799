# Everything the project needs is installed by these targets; nothing by hand.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install system-deps test-data test lint typecheck demo serve bench clean

# Debian packages the tests need: PostgreSQL's server binaries (the tests start a private
# server with initdb + pg_ctl) and chromium (the console's browser tests drive it through
# playwright's executable_path; never `playwright install`). Installed only when missing, and
# only where apt-get can.
system-deps:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null; then \
	  :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing PostgreSQL server binaries (Debian package postgresql)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; \
	else \
	  echo "PostgreSQL server binaries (initdb) not found: install PostgreSQL, or set HOTLINE_TEST_PG_DSN"; \
	fi
	@if [ -x /usr/bin/chromium ]; then \
	  :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing chromium (Debian package chromium) for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else \
	  echo "chromium not found at /usr/bin/chromium: install it (apt-get install chromium) for the browser tests"; \
	fi

$(STAMP): pyproject.toml
	@command -v $(PY) >/dev/null || { echo "need $(PY) (set PY=python3.x)"; exit 1; }
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,postgres]'
	$(MAKE) test-data
	touch $(STAMP)

# Test fixtures that come as packages: the traffic library's wheel ships real ADS-B sample
# trajectories (tests/tactical/test_alerting_realdata.py). Only its data files are read, never
# imported, so it is installed without its heavy dependencies. Install time only: nothing is
# downloaded when the tests or the service run.
TRAFFIC_SAMPLES := traffic==2.13
test-data:
	$(BIN)/pip install -q --no-deps '$(TRAFFIC_SAMPLES)'

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src tests $(wildcard benchmarks)
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

test: $(STAMP) system-deps
	$(BIN)/ruff check src tests $(wildcard benchmarks)
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest -q $(PYTEST_ARGS); rc=$$?; if [ $$rc -eq 5 ]; then echo 'no tests collected'; exit 0; fi; exit $$rc

demo: $(STAMP)
	$(BIN)/hotline demo $(DEMO_ARGS)

serve: $(STAMP)
	$(BIN)/hotline serve

bench: $(STAMP)
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python benchmarks/strategic.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/wal_pages.py --size 10000
	$(BIN)/python benchmarks/relay.py
	$(BIN)/python benchmarks/group_commit.py --engines sqlite,postgresql
	$(BIN)/python benchmarks/tactical.py
	$(BIN)/python benchmarks/alerting.py
	$(BIN)/python benchmarks/ingest.py

clean:
	rm -rf $(VENV) .hotline .pytest_cache .mypy_cache .ruff_cache
