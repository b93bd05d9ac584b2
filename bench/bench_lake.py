"""Loads into a DuckLake (catalog in a throwaway local PostgreSQL, Parquet files on disk) against
loads into a DuckDB file, measured in the same run: one writer, then two writers at once.

    python -m bench.bench_lake [--batches 10] [--size 200]

Batches are synthetic but article-sized (3,000 characters of text, 12 entities, 32 band keys,
120 distinct terms each), loaded through the pipeline's own `store.load_batch`."""
from __future__ import annotations

import argparse
import logging
import os
import random
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from tests.pg import available, running_postgres
from transforms.records import Article, Entity
from warehouse import db as wdb
from warehouse import store

NOW = datetime(2024, 1, 1, tzinfo=timezone.utc)
WORDS = [f"word{i}" for i in range(5000)]


def batches(count: int, size: int, seed: int = 3) -> list[list[Article]]:
    rng = random.Random(seed)
    out = []
    for b in range(count):
        batch = []
        for i in range(size):
            n = b * size + i
            terms = rng.sample(WORDS, 120)
            batch.append(Article(
                article_id=f"a{n:08d}", url=f"https://example.org/{n}", feed_url=f"https://example.org/feed{n % 7}",
                title=f"Title {n}", text=" ".join(rng.choice(terms) for _ in range(400))[:3000], published_at=NOW,
                text_source="page", content_hash=f"h{n}", story_id=f"a{n:08d}",
                entities=[Entity(rng.choice(WORDS).title(), rng.choice(["PERSON", "ORG", "GPE"]), 0, 5) for _ in range(12)],
                band_keys=[rng.getrandbits(62) for _ in range(32)], terms=terms))
        out.append(batch)
    return out


def load_all(target, work: list[list[Article]]) -> None:
    for batch in work:
        with wdb.connect(target) as conn:  # as the pipeline does: a brief connection per load
            store.load_batch(conn, batch, [], [], now=NOW)


def timed_writers(target, work: list[list[Article]], writers: int) -> float:
    with wdb.connect(target) as conn:
        wdb.migrate(conn)
    parts = [work[w::writers] for w in range(writers)]
    threads = [threading.Thread(target=load_all, args=(target, part)) for part in parts]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start


class _Retries(logging.Handler):
    count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "write conflict" in record.getMessage():
            _Retries.count += 1


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--size", type=int, default=200)
    args = parser.parse_args(argv or [])
    if not available():
        print("bench_lake: skipped (no PostgreSQL server binaries: apt-get install postgresql)")
        return
    work = batches(args.batches, args.size)
    logging.getLogger("newsflow.warehouse").addHandler(_Retries())
    logging.getLogger("newsflow.warehouse").setLevel(logging.INFO)
    with tempfile.TemporaryDirectory() as tmp, running_postgres() as pg:
        os.environ["NEWSFLOW_LAKE_DATA_PATH"] = str(Path(tmp) / "files") + "/"
        results = {}
        results["file, 1 writer"] = timed_writers(Path(tmp) / "w.duckdb", work, 1)
        results["lake, 1 writer"] = timed_writers(pg.create_database("one"), work, 1)
        _Retries.count = 0
        results["lake, 2 writers"] = timed_writers(two := pg.create_database("two"), work, 2)
        with wdb.connect(two, read_only=True) as conn:
            stored = conn.execute("SELECT count(*), count(DISTINCT article_id) FROM articles").fetchone()
    total = args.batches * args.size
    base = results["file, 1 writer"]
    print(f"bench_lake: {args.batches} batches x {args.size} articles, store.load_batch (connect + load)")
    for name, seconds in results.items():
        print(f"  {name:16s} {seconds:6.2f}s  {total / seconds:7.0f} articles/s  x{seconds / base:.2f} of the file")
    print(f"  2 writers: {_Retries.count} commits retried after a conflict; stored {stored[0]} rows, "
          f"{stored[1]} distinct (expected {total})")


if __name__ == "__main__":
    main(__import__("sys").argv[1:])
