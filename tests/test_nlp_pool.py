"""NER in worker processes, overlapped with the next batch's fetch and extraction: the same
warehouse as tagging in the flow's process, and a dead worker costs speed, not data."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import REPO, newsflow
from transforms import enrich
from warehouse.query import run_query

CONTENT = """
    SELECT a.url, a.duplicate_of IS NOT NULL, a.story_id = a.article_id, a.language, a.keywords, a.text,
           (SELECT list(e.name || '/' || e.label ORDER BY e.start_char, e.name) FROM entities e WHERE e.article_id = a.article_id),
           (SELECT list(p.geonameid ORDER BY p.geonameid) FROM places p WHERE p.article_id = a.article_id)
    FROM articles a ORDER BY a.url"""


def test_workers_store_what_the_flows_process_stores(tmp_path) -> None:
    """The seeds in batches of 2 (three batches: each one's NER overlaps the next one's extraction
    and the last one's load) against the same batches tagged in the flow's process, one at a time."""
    alone = newsflow("run", "--db", str(tmp_path / "alone.duckdb"),
                     env={"NEWSFLOW_NLP_PROCESSES": "0", "NEWSFLOW_BATCH_SIZE": "2"})
    assert alone.returncode == 0, alone.stderr
    assert "worker processes" not in alone.stdout
    pooled = newsflow("run", "--db", str(tmp_path / "pooled.duckdb"),
                      env={"NEWSFLOW_NLP_PROCESSES": "2", "NEWSFLOW_NLP_POOL_MIN": "1", "NEWSFLOW_BATCH_SIZE": "2"})
    assert pooled.returncode == 0, pooled.stderr
    assert "NER in 2 worker processes" in pooled.stdout and "5 articles stored" in pooled.stdout
    expected = run_query(tmp_path / "alone.duckdb", CONTENT)[1]
    assert len(expected) == 5 and all(row[6] for row in expected)  # every seed has entities
    got = run_query(tmp_path / "pooled.duckdb", CONTENT)[1]
    assert got == expected


def test_a_killed_worker_costs_speed_not_data() -> None:
    texts = [f"Angela Merkel met Emmanuel Macron in Paris on day {i}. Siemens and the European Union were discussed."
             for i in range(60)]
    pool = enrich.AnalysisPool(2)
    try:
        first = pool.submit(texts)
        tagged = first.result()
        assert all(len(a.entities) >= 3 for a in tagged) and first.worker_seconds > 0
        for pid in list(pool._pool._processes):
            os.kill(pid, signal.SIGKILL)
        after = pool.submit(texts)  # the pool is broken: this batch is tagged in this process
        assert [a.entities for a in after.result()] == [a.entities for a in tagged]
    finally:
        pool.close()
    assert pool.broken or after.fallback


def test_workers_end_when_the_flows_process_is_killed() -> None:
    """A flow process killed outright (SIGKILL, OOM) must not leave spaCy workers behind."""
    code = ("import time; from transforms import enrich; pool = enrich.AnalysisPool(2);"
            " pool.submit(['Angela Merkel met Emmanuel Macron in Paris.'] * 4).result();"
            " print(*pool._pool._processes, flush=True); time.sleep(120)")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        workers = [int(pid) for pid in proc.stdout.readline().split()]
        assert len(workers) == 2 and all(Path(f"/proc/{pid}").exists() for pid in workers)
    finally:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 15
    while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]
