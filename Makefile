# The two commands of the README: `make demo` and `make test`. Both do their own set-up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# The project's own tests: two workers, one file per worker (pytest-dependency chains stay together).
TEST_ARGS ?= -n 2 --dist loadfile

.PHONY: setup sysdeps test demo clean

setup: $(STAMP) sysdeps

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test]'
	touch $@

sysdeps:
	@scripts/ensure-system-packages

test: setup
	$(BIN)/python -m pytest -c tests/pytest.ini $(TEST_ARGS) tests

demo: setup
	@scripts/demo

clean:
	rm -rf $(VENV) reports/*.json reports/*.html reports/*.md reports/*.xml
	@git checkout -- reports/README.md 2>/dev/null || true
