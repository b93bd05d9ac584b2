"""A DuckLake warehouse (catalog in PostgreSQL, Parquet files on disk): the same pipeline and SQL
as a DuckDB file, and several writers appending at once with every article stored once."""
from __future__ import annotations

import threading
from datetime import datetime, timezone

import pytest

from tests.conftest import newsflow
from tests.test_warehouse import (article, archive_batch_reads_run_by_run, earlier_report_becomes_the_original,
                                  learned_line_cleans_earlier_articles, stored_entities_get_a_new_correction_once,
                                  stored_people_a_new_tag_spells_become_products)
from transforms.records import Entity, FeedState
from warehouse import db as wdb
from warehouse import store
from warehouse.query import run_query

NOW = datetime(2024, 1, 1, tzinfo=timezone.utc)


def test_migrations_and_loads_on_a_lake(lake) -> None:
    with wdb.connect(lake) as conn:
        assert wdb.is_lake(conn)
        assert len(wdb.migrate(conn)) == len(wdb.migrations())
        assert wdb.migrate(conn) == []
        batch = [article(1, terms=["pentagon", "strike"]), article(2, duplicate_of="id1", story_id="id1", terms=["strike"])]
        first = store.load_batch(conn, batch, [], [FeedState(url="https://example.org/feed", last_status=200)], now=NOW)
        again = store.load_batch(conn, batch, [], [FeedState(url="https://example.org/feed", last_status=304)], now=NOW)
    assert (first.inserted, again.inserted, again.already_stored) == (2, 0, 2)
    rows = run_query(lake, """
        SELECT (SELECT count(*) FROM articles), (SELECT list(term || '=' || articles ORDER BY term) FROM term_df),
               (SELECT article_count FROM stories WHERE story_id = 'id1'), (SELECT count(*) FROM feeds),
               (SELECT last_status FROM feeds), (SELECT batches FROM loads)""")[1]
    assert rows == [(2, ["pentagon=1", "strike=2"], 2, 1, 304, 2)]


def test_an_earlier_report_found_later_becomes_the_original_on_a_lake(lake) -> None:
    earlier_report_becomes_the_original(lake)  # the load's UPDATE of stored rows, on DuckLake


def test_a_batch_with_dates_years_apart_reads_a_crowded_history_run_by_run_on_a_lake(lake, monkeypatch) -> None:
    archive_batch_reads_run_by_run(lake, monkeypatch)  # the per-day count of originals and the runs' reads


def test_a_learned_line_is_cut_from_stored_articles_on_a_lake(lake) -> None:
    learned_line_cleans_earlier_articles(lake)  # MERGE with CASE, DELETE and UPDATE of stored rows, on DuckLake


def test_stored_entities_are_corrected_once_on_a_lake(lake) -> None:
    stored_entities_get_a_new_correction_once(lake)  # DELETE, INSERT and MERGE of entity rows, on DuckLake


def test_a_new_tag_relabels_stored_people_on_a_lake(lake) -> None:
    stored_people_a_new_tag_spells_become_products(lake)  # UPDATE ... FROM and MERGE of entity rows at load, on DuckLake


def test_writers_creating_one_new_lake_at_once(lake) -> None:
    """Shards started together on a new lake all create its catalog: the losers' CREATE TABLEs
    collide in Postgres (CI caught this in the two-shard run). Each open must attach the lake the
    winner made, and each migration be recorded once."""
    writers, start, errors = 6, threading.Barrier(6), []

    def open_and_migrate() -> None:
        start.wait()
        try:
            with wdb.connect(lake) as conn:
                wdb.migrate(conn)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_and_migrate) for _ in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    versions = run_query(lake, "SELECT count(*), count(DISTINCT version) FROM schema_migrations")[1]
    assert versions == [(len(wdb.migrations()), len(wdb.migrations()))]


def test_concurrent_writers_store_each_article_once(lake) -> None:
    """Eight writers, each with its own connection, load overlapping batches at the same moment.
    Without serialisation DuckLake would accept the same article twice (it has no keys): the
    `loads` row makes the later commits conflict and retry against the earlier ones' rows."""
    with wdb.connect(lake) as conn:
        wdb.migrate(conn)
    writers, start, errors = 8, threading.Barrier(8), []

    def write(w: int) -> None:
        # writer w loads articles w .. w+3: neighbours overlap by three
        batch = [article(i, terms=["common", f"only{i}"], entities=[Entity("Reuters", "ORG", 0, 7)]) for i in range(w, w + 4)]
        try:
            with wdb.connect(lake) as conn:
                start.wait()
                store.load_batch(conn, batch, [], [], now=NOW)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    distinct = writers + 3
    rows = run_query(lake, """
        SELECT (SELECT count(*) FROM articles), (SELECT count(DISTINCT article_id) FROM articles),
               (SELECT count(*) FROM entities), (SELECT articles FROM term_df WHERE term = 'common'),
               (SELECT count(*) FROM term_df), (SELECT articles FROM entity_names WHERE name = 'Reuters'),
               (SELECT count(*) FROM article_bands), (SELECT batches FROM loads),
               (SELECT count(DISTINCT article_no) FROM article_numbers), (SELECT max(article_no) FROM article_numbers)""")[1]
    # each article one number, none taken twice by writers that read the same largest number
    assert rows == [(distinct, distinct, distinct, distinct, distinct + 1, distinct, 2 * distinct, writers, distinct, distinct)]


def test_an_unreachable_catalog_is_a_clear_error(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("NEWSFLOW_LAKE_DATA_PATH", str(tmp_path / "files"))
    target = "ducklake:postgres:dbname=nowhere host=127.0.0.1 port=9 user=newsflow password=secret connect_timeout=2"
    with pytest.raises(wdb.WarehouseLocked, match="cannot reach the DuckLake catalog") as caught:
        with wdb.connect(target):
            pass
    assert "secret" not in str(caught.value)
    result = newsflow("sql", "SELECT 1", "--db", target, timeout=60)
    assert result.returncode == 2 and "cannot reach the DuckLake catalog" in result.stderr
    run = newsflow("run", "--db", target, timeout=180)
    assert run.returncode == 1 and "newsflow: cannot reach the DuckLake catalog" in run.stderr
    assert "secret" not in run.stdout + run.stderr  # not in Prefect's tracebacks either


def test_a_new_lake_needs_a_data_path(lake, monkeypatch) -> None:
    monkeypatch.delenv("NEWSFLOW_LAKE_DATA_PATH")
    with pytest.raises(wdb.WarehouseError, match="NEWSFLOW_LAKE_DATA_PATH"):
        with wdb.connect(lake):
            pass
    with pytest.raises(wdb.WarehouseError, match="run `newsflow run` first"):
        with wdb.connect(lake, read_only=True):
            pass
