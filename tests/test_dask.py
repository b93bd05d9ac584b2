"""`newsflow run --dask ADDRESS`: extraction and NER spread over a Dask cluster (a LocalCluster of
worker processes here) store exactly what a one-process run stores."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import SEEDS, newsflow
from warehouse.query import run_query

SNAPSHOT = """
    SELECT (SELECT list(article_id ORDER BY article_id) FROM articles),
           (SELECT list(coalesce(duplicate_of, '') ORDER BY article_id) FROM articles),
           (SELECT list(story_id ORDER BY article_id) FROM articles),
           (SELECT count(*) FROM entities), (SELECT count(*) FROM places), (SELECT count(*) FROM dates),
           (SELECT list(keywords ORDER BY article_id) FROM articles)
"""


@pytest.mark.slow
def test_a_run_on_a_dask_cluster_stores_what_a_local_run_stores(tmp_path) -> None:
    distributed = pytest.importorskip("distributed")
    local = newsflow("run", "--db", str(tmp_path / "local.duckdb"))
    assert local.returncode == 0, local.stderr
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        spread = newsflow("run", "--db", str(tmp_path / "dask.duckdb"), "--dask", cluster.scheduler_address)
        assert spread.returncode == 0, spread.stderr
        # the NER ran in the cluster's worker processes: each one has loaded the spaCy model
        with distributed.Client(cluster) as client:
            assert sorted(_models_loaded(client).values()) == [1, 1]
            client.run(lambda: __import__("transforms.enrich", fromlist=["_nlp"])._nlp.cache_clear())
            # what `serve` and work-pool workers run: the deployment's flow in a process of its own,
            # which takes the cluster from its environment
            code = ("import sys; from flows.ingest import scheduled_ingest; "
                    "print(scheduled_ingest(sys.argv[1], sys.argv[2])['inserted'])")
            deployed = subprocess.run([sys.executable, "-c", code, str(SEEDS / "feeds.toml"), str(tmp_path / "served.duckdb")],
                                      capture_output=True, text=True, timeout=600,
                                      env={**os.environ, "NEWSFLOW_DASK_ADDRESS": cluster.scheduler_address})
            assert deployed.returncode == 0, deployed.stderr[-3000:]
            assert deployed.stdout.strip().splitlines()[-1] == "5"
            assert sorted(_models_loaded(client).values()) == [1, 1]
    assert "5 articles stored" in spread.stdout
    assert run_query(tmp_path / "dask.duckdb", SNAPSHOT)[1] == run_query(tmp_path / "local.duckdb", SNAPSHOT)[1]
    assert run_query(tmp_path / "served.duckdb", SNAPSHOT)[1] == run_query(tmp_path / "local.duckdb", SNAPSHOT)[1]


def _models_loaded(client) -> dict:
    return client.run(lambda: __import__("transforms.enrich", fromlist=["_nlp"])._nlp.cache_info().currsize)


def test_dask_needs_an_address_that_answers(tmp_path) -> None:
    pytest.importorskip("prefect_dask")
    result = newsflow("run", "--db", str(tmp_path / "w.duckdb"), "--dask", "tcp://127.0.0.1:9", timeout=180)
    assert result.returncode == 1
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in result.stderr
    assert not (tmp_path / "w.duckdb").exists()
