"""Another process holds the warehouse during a run: nothing is lost, nothing stored twice."""
from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import newsflow
from warehouse import db as wdb
from warehouse import spool
from warehouse.query import run_query

HOLD = ("import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == 'ro'); "
        "print('held', flush=True); sys.stdin.read()")


@pytest.mark.parametrize("mode", ["ro", "rw"])  # an analyst's read-only session; a writer (duckdb CLI default)
def test_run_under_a_held_lock_spools_then_next_run_loads_exactly_once(db, mode) -> None:
    with wdb.connect(db) as conn:
        wdb.migrate(conn)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(db), mode], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        locked = newsflow("run", "--db", str(db), env={"NEWSFLOW_LOCK_TIMEOUT": "1"})
        assert locked.returncode == 0, locked.stderr[-2000:]
        assert "5 articles spooled" in locked.stdout
        assert len(spool.pending(db)) == 1
    finally:
        holder.communicate("")  # release the lock
    drained = newsflow("run", "--db", str(db))
    assert drained.returncode == 0, drained.stderr[-2000:]
    assert "loaded 5 articles spooled by an earlier run" in drained.stdout
    assert spool.pending(db) == []
    rows = run_query(db, "SELECT count(*), count(DISTINCT url), count(*) FILTER (WHERE duplicate_of IS NOT NULL),"
                         " count(DISTINCT story_id) FROM articles")[1]
    assert rows == [(5, 5, 1, 2)]
    assert run_query(db, "SELECT count(*) FROM feeds")[1] == [(1,)]
