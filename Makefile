# The two commands of the README: `make demo` and `make test`. Both do their own set-up.
# `make demo` is a release of the sandbox's next commit (scripts/demo); `make demo FAULT=<build fault>` releases
# that fault's bad build and expects it caught and rolled back; SOAK=<seconds> sets the soak (default 20).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# The plugin's tests also run on the lowest pytest pyproject.toml admits, in a venv of their own.
PYTEST_LOWEST ?= 8.0.2
LOWEST := .venv-lowest
LOWEST_STAMP := $(LOWEST)/.installed-stamp
# The project's own tests: three workers (the sandbox tests wait on servers much of the time), one file per
# worker (a module's sandbox and its ordered steps stay together), files handed out in collection order (the
# longest first: tests/conftest.py); the slowest tests printed.
TEST_ARGS ?= -n 3 --dist loadfile --no-loadscope-reorder --durations=25
# The two venvs (and the system packages) are set up side by side.
MAKEFLAGS += -j2

.PHONY: setup sysdeps lint test demo clean

setup: $(STAMP) sysdeps

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test]'
	touch $@

$(LOWEST_STAMP): pyproject.toml
	$(PYTHON) -m venv $(LOWEST)
	$(LOWEST)/bin/pip install -q --disable-pip-version-check -e '.[plugin-test]' 'pytest==$(PYTEST_LOWEST)'
	touch $@

sysdeps:
	@scripts/ensure-system-packages

lint: setup
	$(BIN)/ruff check .

test: lint $(LOWEST_STAMP)
	$(BIN)/python -m pytest -c tests/pytest.ini $(TEST_ARGS) tests
	@echo "the plugin's tests again, on pytest $(PYTEST_LOWEST) (the lowest supported):"
	$(LOWEST)/bin/python -m pytest -c tests/pytest.ini $(TEST_ARGS) tests/plugin

demo: setup
	@scripts/demo

clean:
	rm -rf $(VENV) $(LOWEST) reports/*.json reports/*.html reports/*.md reports/*.xml
	@git checkout -- reports/README.md 2>/dev/null || true
