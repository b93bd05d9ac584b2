"""Scale-out: feeds sharded across runs by a stable hash of their URL, and several runs writing
one DuckLake warehouse at the same moment."""
from __future__ import annotations

import os
import random
import re
import subprocess
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from html import escape
from pathlib import Path

import pytest

from connectors.feedlist import load_feed_list, shard_of
from tests.conftest import NEWSFLOW, SEEDS, newsflow
from warehouse.query import run_query


def write_feeds(folder: Path, shards: int = 2, per_shard: int = 3, items: int = 6, seed: int = 11) -> tuple[Path, int]:
    """`per_shard` local RSS feeds in each of `shards` shards, `items` pages each, written from the
    seeds' vocabulary. Every feed also links the first page of the next feed (a page two shards
    both fetch: it must be stored once). Returns the feed list and the number of distinct pages."""
    rng = random.Random(seed)
    words = sorted({w for p in SEEDS.glob("*.txt") for w in re.findall(r"[A-Za-z]{3,}", p.read_text())})
    names, k = {s: [] for s in range(1, shards + 1)}, 0
    while any(len(v) < per_shard for v in names.values()):  # feed names until each shard has its share
        name = f"feed-{k}.xml"
        bucket = names[shard_of((folder / name).as_uri(), shards)]
        if len(bucket) < per_shard:
            bucket.append(name)
        k += 1
    feeds = [n for s in sorted(names) for n in names[s]]
    start = datetime(2024, 5, 1, tzinfo=timezone.utc)
    pages = {}
    for f, feed in enumerate(feeds):
        for i in range(items):
            body = "".join(f"<p>{' '.join(rng.choice(words) for _ in range(rng.randint(14, 22))).capitalize()}.</p>"
                           for _ in range(4))
            title = f"Feed {f} report {i}: " + " ".join(rng.choice(words) for _ in range(4))
            page = f"page-{f}-{i}.html"
            (folder / page).write_text(f"<html><head><title>{escape(title)}</title></head><body><article>"
                                       f"<h1>{escape(title)}</h1>{body}</article></body></html>", encoding="utf-8")
            pages.setdefault(feed, []).append((page, title, start + timedelta(hours=f * items + i)))
    for f, feed in enumerate(feeds):
        shared = pages[feeds[(f + 1) % len(feeds)]][0]
        entries = "".join(f"<item><title>{escape(t)}</title><link>{p}</link><guid>{p}</guid>"
                          f"<pubDate>{format_datetime(d)}</pubDate></item>" for p, t, d in [*pages[feed], shared])
        (folder / feed).write_text(f'<?xml version="1.0"?><rss version="2.0"><channel><title>{feed}</title>'
                                   f"<link>{folder.as_uri()}</link>{entries}</channel></rss>", encoding="utf-8")
    listing = folder / "feeds.toml"
    listing.write_text("".join(f'[[feeds]]\nurl = "{f}"\n' for f in feeds), encoding="utf-8")
    return listing, len(feeds) * items


def test_shards_cover_every_feed_once(tmp_path) -> None:
    listing, _ = write_feeds(tmp_path, shards=3, per_shard=2, items=1)
    whole = load_feed_list(listing)
    parts = [whole.shard(i, 3) for i in (1, 2, 3)]
    assert sorted(f.url for p in parts for f in p.feeds) == sorted(f.url for f in whole.feeds)
    assert all(len(p.feeds) == 2 for p in parts)
    # the shard of a feed depends on its URL only, not on the list's order or on the process
    assert shard_of("https://example.org/rss", 4) == shard_of("https://example.org/rss", 4) == 4
    code = "from connectors.feedlist import shard_of; print(shard_of('https://example.org/rss', 4))"
    other = subprocess.run([str(Path(NEWSFLOW).parent / "python"), "-c", code], capture_output=True, text=True,
                           env={**os.environ, "PYTHONHASHSEED": "123"})
    assert other.stdout.strip() == "4"


@pytest.mark.parametrize("bad", ["0/2", "3/2", "1", "a/b", "1/0"])
def test_a_bad_shard_is_a_usage_error(tmp_path, bad) -> None:
    result = newsflow("run", "--shard", bad, "--db", str(tmp_path / "w.duckdb"), timeout=60)
    assert result.returncode == 2 and "--shard must be I/N" in result.stderr
    assert not (tmp_path / "w.duckdb").exists()


SNAPSHOT = """
    SELECT (SELECT count(*) FROM articles), (SELECT count(DISTINCT url) FROM articles),
           (SELECT list(article_id ORDER BY article_id) FROM articles),
           (SELECT count(*) FROM feeds), (SELECT sum(entries_seen) FROM feeds)
"""


def test_two_shards_write_one_lake_at_once(lake, tmp_path) -> None:
    """Both halves of the feed list run as separate processes against one DuckLake at the same
    time: together they store exactly what one run into a DuckDB file stores, each page once."""
    listing, pages = write_feeds(tmp_path)
    env = {**os.environ, "NEWSFLOW_BATCH_SIZE": "5"}  # several loads per run: commits interleave
    runs = [subprocess.Popen([str(NEWSFLOW), "run", "--feeds", str(listing), "--db", lake, "--shard", f"{i}/2"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for i in (1, 2)]
    outputs = [run.communicate(timeout=600) for run in runs]
    for run, (out, err) in zip(runs, outputs):
        assert run.returncode == 0, err[-3000:]
        assert "3 feeds" in out, out
    single = newsflow("run", "--feeds", str(listing), "--db", str(tmp_path / "one.duckdb"))
    assert single.returncode == 0, single.stderr[-3000:]
    lake_rows = run_query(lake, SNAPSHOT)[1]
    assert lake_rows == run_query(tmp_path / "one.duckdb", SNAPSHOT)[1]
    assert lake_rows[0][:2] == (pages, pages)
    assert run_query(lake, "SELECT batches >= 4 FROM loads")[1] == [(True,)]
    # and it is plain DuckDB SQL for an analyst
    result = newsflow("sql", "SELECT count(*) AS n FROM unique_articles", "--db", lake, "--format", "csv")
    assert result.returncode == 0 and result.stdout.splitlines()[1].isdigit(), result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["--pool", "p", "--every", "15m"], "needs a Prefect server"),
    (["--pool", "p"], "exactly one of"),
    (["--pool", "p", "--cron", "sometimes"], "not a cron expression"),
])
def test_deploy_refuses_what_it_cannot_schedule(args, message) -> None:
    result = newsflow("deploy", *args, env={"PREFECT_API_URL": ""}, timeout=120)
    assert result.returncode == 2 and message in result.stderr


@pytest.mark.slow
def test_workers_on_a_pool_run_every_shard_into_one_lake(lake, tmp_path) -> None:
    """`newsflow deploy --pool --shards 2` against a real Prefect server; two `prefect worker start`
    processes pick up both shards' runs; the DuckLake ends with every page once."""
    from tests.test_serve import PREFECT, _free_port, _get, _post, _process, _wait

    listing, pages = write_feeds(tmp_path)
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_API_URL": api, "PREFECT_HOME": str(tmp_path / "prefect"),
           "PREFECT_WORKER_QUERY_SECONDS": "2", "NEWSFLOW_BATCH_SIZE": "5"}
    with _process([str(PREFECT), "server", "start", "--host", "127.0.0.1", "--port", str(port)], env,
                  tmp_path / "server.log"):
        _wait(lambda: _get(f"{api}/health") is not None, 90, "the Prefect server")
        deployed = subprocess.run([str(NEWSFLOW), "deploy", "--pool", "newsflow-pool", "--shards", "2", "--every", "1h",
                                   "--feeds", str(listing), "--db", lake], env=env, capture_output=True, text=True,
                                  timeout=180)
        assert deployed.returncode == 0, deployed.stderr[-3000:]
        names = [f"newsflow-scheduled/newsflow-shard-{i}-of-2" for i in (1, 2)]
        for i, name in enumerate(names, start=1):
            assert f"deployed {name} on work pool 'newsflow-pool' (every 1h)" in deployed.stdout
            deployment = _get(f"{api}/deployments/name/{name}")
            assert deployment["parameters"] == {"feeds": str(listing), "db": lake, "shard": f"{i}/2"}
            assert deployment["work_pool_name"] == "newsflow-pool"
            assert [s["schedule"]["interval"] for s in deployment["schedules"]] == [3600.0]
        worker = [str(PREFECT), "worker", "start", "--pool", "newsflow-pool", "--limit", "1"]
        with _process(worker, env, tmp_path / "worker1.log"), _process(worker, env, tmp_path / "worker2.log"):
            for name in names:
                trigger = subprocess.run([str(PREFECT), "deployment", "run", name], env=env, capture_output=True,
                                         text=True, timeout=60)
                assert trigger.returncode == 0, trigger.stderr

            def finished():
                rows = _post(f"{api}/flow_runs/filter", {"flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}}})
                return rows if rows and len(rows) == 2 else None

            runs = _wait(finished, 400, "both shards' runs to complete")
        assert {r["parameters"]["shard"] for r in runs} == {"1/2", "2/2"}
    rows = run_query(lake, "SELECT count(*), count(DISTINCT url), count(DISTINCT feed_url) FROM articles")[1]
    assert rows == [(pages, pages, 6)]

