# tmscal: `make demo` runs the bridge against the TMS simulator; `make test` runs the test suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-at system-deps install clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/tmscal demo

# System programs the tests drive (Chromium, Node.js, libical, faketime): installed with
# apt-get when missing and running as root, otherwise the tests that need them skip with a reason.
system-deps:
	@bash .ci/system-deps

test: $(STAMP) system-deps
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

# The whole suite with the clock moved (libfaketime; every process the tests start sees it):
#   make test-at WHEN="2027-03-27 23:30:00"   (a Saturday, the evening before a DST change)
# Only the wall clock moves: with a faked monotonic clock every timed wait (threading.Event,
# Condition) would never end; tests/faketime/sitecustomize.py makes time.sleep work without.
test-at: $(STAMP) system-deps
	@test -n "$(WHEN)" || { echo 'usage: make test-at WHEN="YYYY-MM-DD HH:MM:SS"' >&2; exit 2; }
	FAKETIME_DONT_FAKE_MONOTONIC=1 PYTHONPATH="$(CURDIR)/tests/faketime" \
		faketime "$(WHEN)" $(BIN)/python -m pytest -q $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
