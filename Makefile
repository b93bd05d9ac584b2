# Two commands on a fresh machine: `make run` and `make test`. Both create .venv if missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-slow bench install clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/newsflow run

# The fast suite: unit tests plus real end-to-end runs over the seeds and a loopback server.
test: $(STAMP)
	$(BIN)/python -m pytest -m "not slow" -q --durations=10

# End-to-end and benchmark runs that take minutes.
test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow -q

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) newsflow.duckdb newsflow.duckdb.wal .pytest_cache
