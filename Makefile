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

# The fast suite: unit tests plus real end-to-end runs over the seeds and a loopback server, on
# every core (at most 4: each worker loads the models); most of its time is end-to-end runs in
# child processes, so two workers on two cores halve it (9 min -> 4.5 min measured).
test: $(STAMP)
	$(BIN)/python -m pytest -m "not slow" -q -n auto --maxprocesses 4 --dist worksteal --durations=10

# End-to-end and benchmark runs that take minutes.
test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow -q

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) newsflow.duckdb newsflow.duckdb.wal .pytest_cache
