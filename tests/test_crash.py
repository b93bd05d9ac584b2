"""Crash safety: `kill -9` a real run at random moments; the warehouse stays consistent (no half
batch visible, nothing orphaned) and the next run completes it, every article exactly once."""
from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import time
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone
from html import escape
from pathlib import Path

import pytest

from tests.conftest import NEWSFLOW, SEEDS, newsflow
from warehouse import db as wdb
from warehouse import spool
from warehouse.query import run_query

BATCH = 8


def write_corpus(folder: Path, n: int, seed: int = 7) -> Path:
    """A local RSS feed of `n` article pages written from the seeds' vocabulary; every 7th page
    republishes an earlier one word for word (an exact duplicate under another URL)."""
    rng = random.Random(seed)
    words = sorted({w for p in SEEDS.glob("*.txt") for w in re.findall(r"[A-Za-z]{3,}", p.read_text())})
    bodies, items = [], []
    start = datetime(2024, 3, 1, tzinfo=timezone.utc)
    for i in range(n):
        if i % 7 == 6:
            body = bodies[i - 3]
        else:
            body = ["".join(" ".join(rng.choice(words) for _ in range(rng.randint(12, 20))).capitalize() + ". "
                            for _ in range(3)).strip() for _ in range(4)]
        bodies.append(body)
        title = f"Report {i}: " + " ".join(rng.choice(words) for _ in range(5))
        page = folder / f"article-{i:03d}.html"
        page.write_text("<html><head><title>%s</title></head><body><article><h1>%s</h1>%s</article></body></html>" % (
            escape(title), escape(title), "".join(f"<p>{escape(p)}</p>" for p in body)), encoding="utf-8")
        date = format_datetime(start + timedelta(hours=i))
        items.append(f"<item><title>{escape(title)}</title><link>{page.name}</link>"
                     f"<guid isPermaLink=\"false\">crash-{i}</guid><pubDate>{date}</pubDate></item>")
    feed = folder / "feed.xml"
    feed.write_text('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Crash corpus</title>'
                    f'<link>{folder.as_uri()}</link>{"".join(items)}</channel></rss>', encoding="utf-8")
    feeds = folder / "feeds.toml"
    feeds.write_text(f'[[feeds]]\nurl = "{feed.as_uri()}"\nname = "crash corpus"\n', encoding="utf-8")
    return feeds


def q(db: Path, sql: str):
    return run_query(db, sql)[1]


def assert_consistent(db: Path, total: int) -> int:
    """What any reader may see at any moment: whole batches only, nothing pointing nowhere."""
    if not db.exists():
        return 0
    try:
        stored = q(db, "SELECT count(*), count(DISTINCT url) FROM articles")[0]
    except Exception as exc:  # a kill during the very first migration: no articles table yet
        assert "articles" in str(exc), exc
        return 0
    if wdb.needs_migration(db):  # a kill between two migrations: later tables do not exist yet,
        assert stored == (0, 0), "articles stored before the schema was complete"  # and nothing is loaded
        return 0
    count, distinct = stored
    assert count == distinct, "an article stored twice"
    assert count % BATCH == 0 or count == total, f"half a batch visible: {count} articles"
    checks = {
        "entities of no article": "SELECT count(*) FROM entities e ANTI JOIN articles a USING (article_id)",
        "removals of no article": "SELECT count(*) FROM removals r ANTI JOIN articles a USING (article_id)",
        "bands of no article": "SELECT count(*) FROM article_bands b ANTI JOIN article_numbers n USING (article_no)",
        "number of no article": "SELECT count(*) FROM article_numbers n ANTI JOIN articles a USING (article_id)",
        "article without a number": "SELECT count(*) FROM articles a ANTI JOIN article_numbers n USING (article_id)",
        "a number given twice": "SELECT count(*) - count(DISTINCT article_no) FROM article_numbers",
        "article without bands": "SELECT count(*) FROM article_numbers n ANTI JOIN article_bands b USING (article_no)",
        "duplicate_of pointing nowhere": "SELECT count(*) FROM articles a WHERE duplicate_of IS NOT NULL"
                                          " AND duplicate_of NOT IN (SELECT article_id FROM articles)",
        "copy of a copy": "SELECT count(*) FROM articles a JOIN articles o ON o.article_id = a.duplicate_of"
                          " WHERE o.duplicate_of IS NOT NULL",
        "copy outside its original's story": "SELECT count(*) FROM articles a JOIN articles o"
                                             " ON o.article_id = a.duplicate_of WHERE o.story_id <> a.story_id",
        "story missing": "SELECT count(*) FROM articles a ANTI JOIN stories s USING (story_id)",
        "story count wrong": "SELECT count(*) FROM stories s JOIN (SELECT story_id, count(*) n FROM articles"
                             " GROUP BY ALL) c USING (story_id) WHERE s.article_count <> c.n",
    }
    for what, sql in checks.items():
        assert q(db, sql) == [(0,)], what
    return count


def kill_during_runs(tmp_path: Path, kills: int, seed: int, latest: float = 12.0) -> bool:
    """Start a run, SIGKILL it after a random delay (start-up, fetch, extract, NLP, load: any
    moment), check what is visible; repeat; then one run to completion. Returns whether some
    kill left a part of the corpus stored (a kill between two batch loads)."""
    print(f"seed={seed}")  # shown by pytest on failure, to replay the same kill times
    total = 72
    tmp_path.mkdir(exist_ok=True)
    feeds = write_corpus(tmp_path, total)
    db = tmp_path / "warehouse.duckdb"
    rng = random.Random(seed)
    seen_partial = False
    for attempt in range(kills):
        delay = rng.uniform(0.5, latest)
        proc = start_run(feeds, db)
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        count = assert_consistent(db, total)
        seen_partial |= 0 < count < total
        if count == total:
            break
    complete_and_check(feeds, db, total)
    return seen_partial


def start_run(feeds: Path, db: Path) -> subprocess.Popen:
    # Its own session, so a kill of its process group reaches Prefect's temporary server as well.
    return subprocess.Popen([str(NEWSFLOW), "run", "--feeds", str(feeds), "--db", str(db)],
                            env={**os.environ, "NEWSFLOW_BATCH_SIZE": str(BATCH)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def complete_and_check(feeds: Path, db: Path, total: int) -> None:
    """One run to completion after the kills: every article exactly once, copies found, no spool left."""
    final = newsflow("run", "--feeds", str(feeds), "--db", str(db), env={"NEWSFLOW_BATCH_SIZE": str(BATCH)})
    assert final.returncode == 0, final.stderr[-2000:]
    assert assert_consistent(db, total) == total
    assert q(db, "SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL") == [(total // 7,)]
    assert q(db, "SELECT count(*), sum(entries_seen) FROM feeds") == [(1, total)]
    assert spool.pending(db) == []


def test_runs_killed_at_random_moments_leave_whole_batches_and_the_next_run_completes(tmp_path: Path) -> None:
    kill_during_runs(tmp_path, kills=2, seed=time.time_ns())


def kill_after_a_load(tmp_path: Path, total: int = 72) -> int:
    """Start a run and SIGKILL it as soon as a reader sees some batches stored but not all: the
    kill that must leave whole batches behind, placed there on purpose instead of by chance."""
    tmp_path.mkdir(exist_ok=True)
    feeds, db = write_corpus(tmp_path, total), tmp_path / "warehouse.duckdb"
    proc = start_run(feeds, db)
    count = 0
    try:
        while proc.poll() is None:
            time.sleep(0.05)
            try:  # the writer holds the file only while it loads a batch
                count = q(db, "SELECT count(*) FROM articles")[0][0] if db.exists() else 0
            except Exception:
                continue
            if 0 < count < total:
                break
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    return count


@pytest.mark.slow
def test_many_kills_then_a_rerun_adds_nothing(tmp_path: Path) -> None:
    # One kill is placed between two loads on purpose; the others are drawn over the length of a
    # whole run (a run spends its first ~15 s starting Prefect and the models), measured here first.
    seen = kill_after_a_load(tmp_path / "placed")
    assert 0 < seen < 72, f"the run ended before a reader saw a part of the corpus stored ({seen})"
    assert_consistent(tmp_path / "placed" / "warehouse.duckdb", 72) >= seen
    probe = tmp_path / "probe"
    probe.mkdir()
    started = time.monotonic()
    whole = newsflow("run", "--feeds", str(write_corpus(probe, 72)), "--db", str(probe / "warehouse.duckdb"),
                     env={"NEWSFLOW_BATCH_SIZE": str(BATCH)})
    assert whole.returncode == 0, whole.stderr[-2000:]
    latest = time.monotonic() - started
    for i in range(3):
        kill_during_runs(tmp_path / str(i), kills=6, seed=time.time_ns() + i, latest=latest)
    feeds, db = tmp_path / "placed" / "feeds.toml", tmp_path / "placed" / "warehouse.duckdb"
    complete_and_check(feeds, db, 72)
    for folder in ("placed", "0"):  # once complete, a further run adds nothing
        feeds, db = tmp_path / folder / "feeds.toml", tmp_path / folder / "warehouse.duckdb"
        again = newsflow("run", "--feeds", str(feeds), "--db", str(db))
        assert again.returncode == 0 and "0 new" in again.stdout, again.stdout + again.stderr[-2000:]
