"""Scale: with N articles stored (default 1,000,000), deduplicate and assign stories for a batch of
1,000 new articles: the pipeline's own `dedup_and_cluster` task body against a real DuckDB file.

The stored articles are generated in DuckDB (Zipf-like word draws from a 5,000-word vocabulary,
~150 words each, spread evenly over a year and stored in time order as loads append them, ids
hashes as the pipeline's are, as many candidate keys as a real page has, stories of 3 consecutive
articles, their term counts in story_terms as a load stores them). The batch holds 900 fresh texts
and 100 copies of stored articles (half verbatim, half with a paragraph added), published on the
last day; then a second batch with 100 of its fresh texts dated across the stored year (a feed
added with its archive: its stories are read run by run). Timed and measured in a child process
(peak RSS from /proc/self/status VmHWM), so the parent's own memory does not count.
NEWSFLOW_SCALE_DB=path keeps the built warehouse there and reuses it on the next run (the timed
step only reads it). NEWSFLOW_SCALE_WINDOW_DAYS: the stories' window (default 3, as the pipeline's)."""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

N = int(os.environ.get("NEWSFLOW_SCALE_N", "1000000"))
BATCH = 1000
VOCAB = 5000
END = "2025-12-31 12:00:00+00"
# A stored article's candidate keys: the MinHash bands plus one per paragraph of 12+ words; the 300
# real pages of shared/data/extraction have 15 such paragraphs on average (median 11, 90th pct 32).
PAGE_KEYS_PARAGRAPHS = 15
ARCHIVE = 100  # texts of the second batch dated across the stored year


def build(db: Path, n: int) -> float:
    import pyarrow as pa

    from transforms import dedup
    from warehouse import db as wdb

    started = time.perf_counter()
    with wdb.connect(db) as conn:
        wdb.migrate(conn)
        conn.execute("SET memory_limit = '2GB'")  # building only; the timed child keeps the pipeline's limit
        # letters only: the stories' tokeniser reads runs of 3+ letters (digits would split words into nothing)
        conn.execute(f"""CREATE TEMP TABLE vocab AS SELECT i, 'w' || chr((97 + i % 26)::INTEGER) || chr((97 + (i // 26) % 26)::INTEGER)
                             || chr((97 + (i // 676) % 26)::INTEGER) AS word FROM range({VOCAB}) t(i)""")
        conn.execute(f"""
            CREATE TEMP TABLE gen AS
            SELECT i, left(md5(i::VARCHAR), 20) AS aid, left(md5((i - i % 3)::VARCHAR), 20) AS story,
                   TIMESTAMPTZ '{END}' - to_seconds((({n} - 1 - i) * 365 * 86400 // {n})::BIGINT) AS ts
            FROM range({n}) t(i)""")
        # texts: 5 paragraphs of 30 words, word index ~ Zipf-ish via squared uniform
        conn.execute(f"""
            INSERT INTO articles (article_id, url, feed_url, title, text, published_at, language, story_id,
                                  ingested_at, text_source, content_hash, word_count)
            WITH v AS (SELECT list(word ORDER BY i) AS words FROM vocab)
            SELECT aid, 'https://scale.example/' || i, 'https://scale.example/feed', 'title ' || i,
                   array_to_string(list_transform(range(5), p -> array_to_string(list_transform(range(30),
                       w -> v.words[1 + (({VOCAB} - 1) * pow((hash(i, p, w) % 10000) / 10000.0, 2))::INT]), ' ')), chr(10)),
                   ts, 'en', story, ts, 'page', md5(i::VARCHAR), 150
            FROM gen, v ORDER BY i""")
        conn.execute("INSERT INTO article_numbers SELECT i + 1, aid FROM gen ORDER BY i")
        conn.execute(f"""
            INSERT INTO article_bands SELECT (hash(i, k) >> 1)::BIGINT - 4611686018427387904, i + 1
            FROM gen, range({dedup.BANDS + PAGE_KEYS_PARAGRAPHS}) r(k) ORDER BY i""")
        conn.execute("""
            INSERT INTO stories SELECT story_id, min(published_at), max(published_at), count(*), any_value(title)
            FROM articles GROUP BY story_id""")
        conn.execute("""
            INSERT INTO entities SELECT article_id, 'Entity ' || (hash(article_id) % 20000)::VARCHAR, 'ORG', 0, 5
            FROM articles""")
        # term counts as the pipeline stores them at load (story_terms: its ASCII words are their own tokens)
        from transforms.enrich import stop_words
        from transforms.stories import TERMS_SCHEME
        conn.execute("CREATE TEMP TABLE stops (word VARCHAR)")
        conn.executemany("INSERT INTO stops VALUES (?)", [[w] for w in sorted(stop_words())])
        for lo in range(0, n, 20_000):  # in parts: ordered list aggregates over 100k articles exceed 2 GB
            conn.execute("""
                INSERT INTO story_terms
                WITH words AS (SELECT article_id, published_at, unnest(string_split(replace(text, chr(10), ' '), ' ')) AS word
                               FROM articles JOIN gen ON gen.aid = articles.article_id WHERE i >= ? AND i < ?),
                counted AS (SELECT article_id, published_at, word, count(*)::INTEGER AS n FROM words
                            ANTI JOIN stops USING (word) WHERE length(word) >= 3 GROUP BY ALL)
                SELECT article_id, published_at, ?, array_to_string(list(word ORDER BY word), ' '),
                       array_to_string(list(n ORDER BY word), ' ')
                FROM counted GROUP BY ALL ORDER BY published_at
                """, [lo, lo + 20_000, TERMS_SCHEME])
        conn.execute("INSERT INTO index_state VALUES ('article_bands', ?, current_timestamp)", [dedup.KEY_SCHEME])
        # 1,000 articles get their real hash and keys, so that the batch's copies of them can be found
        sample = conn.execute(f"SELECT article_id, text FROM articles WHERE hash(article_id) % {max(n // 1000, 1)} = 0 LIMIT 1000").fetchall()
        keys = dedup.band_keys_for([t for _, t in sample])
        conn.execute("CREATE TABLE bench_sample (article_id VARCHAR, content_hash VARCHAR)")
        conn.executemany("INSERT INTO bench_sample VALUES (?, ?)", [(a, dedup.content_hash(t)) for a, t in sample])
        conn.execute("UPDATE articles SET content_hash = s.content_hash FROM bench_sample s WHERE articles.article_id = s.article_id")
        conn.execute("DELETE FROM article_bands WHERE article_no IN (SELECT article_no FROM article_numbers"
                     " SEMI JOIN bench_sample USING (article_id))")
        conn.register("sample_keys", pa.table({"band_key": [k for row in keys for k in row],
                                                                  "article_id": [a for (a, _), row in zip(sample, keys) for _ in row]}))
        conn.execute("INSERT INTO article_bands SELECT band_key, article_no FROM sample_keys JOIN article_numbers USING (article_id)")
        conn.execute("CHECKPOINT")
    return time.perf_counter() - started


def make_batch(db: Path, out: Path, archive: int = 0) -> None:
    """900 fresh texts and 100 copies of stored articles (half verbatim, half with a paragraph added).
    `archive`: that many of the fresh texts are dated across the stored year instead (a feed added
    with its archive), so the batch's dates lie weeks apart."""
    import pickle
    from datetime import datetime, timedelta, timezone

    from transforms.records import Article, Entity
    from warehouse import db as wdb

    rng = random.Random(5)
    with wdb.connect(db, read_only=True) as conn:
        vocab = [r[0] for r in conn.execute("SELECT word FROM (SELECT DISTINCT unnest(string_split(text, ' ')) AS word"
                                            " FROM (SELECT text FROM articles ORDER BY article_id LIMIT 300)) ORDER BY word").fetchall()]
        stored = conn.execute("SELECT article_id, text FROM articles SEMI JOIN bench_sample USING (article_id)"
                              " ORDER BY article_id LIMIT 100").fetchall()
    now = datetime(2025, 12, 31, 12, tzinfo=timezone.utc)
    articles = []
    for i in range(BATCH):
        if i < len(stored):
            text = stored[i][1] + ("" if i % 2 else "\n" + " ".join(rng.choice(vocab) for _ in range(30)))
        else:
            text = "\n".join(" ".join(rng.choice(vocab) for _ in range(30)) for _ in range(5))
        when = now - timedelta(days=365 * (BATCH - i) / (archive + 1)) if i >= BATCH - archive else now
        article = Article(article_id=f"new{i:06d}", url=f"https://new.example/{i}", feed_url="https://new.example/feed",
                          title=f"t{i}", text=text, published_at=when, text_source="page")
        article.entities = [Entity(f"Entity {rng.randrange(20000)}", "ORG", 0, 5)]
        articles.append(article)
    out.write_bytes(pickle.dumps((articles, now)))


CHILD = r"""
import json, os, pickle, re, sys, time
from datetime import timedelta
from pathlib import Path
from flows.ingest import dedup_and_cluster
from transforms.enrich import stop_words
from transforms.stories import StoryPolicy

db, batch = Path(sys.argv[1]), Path(sys.argv[2])
articles, now = pickle.loads(batch.read_bytes())
stop_words()  # loaded once per process in the pipeline too
def high_water_mb():  # VmHWM: this process's peak RSS (getrusage's maxrss survives exec from a big parent)
    return int(re.search(r"VmHWM:\s+(\d+) kB", open("/proc/self/status").read()).group(1)) / 1024
base = high_water_mb()
started = time.perf_counter()
policy = StoryPolicy(window=timedelta(days=float(os.environ.get("NEWSFLOW_SCALE_WINDOW_DAYS", "3"))))
out = dedup_and_cluster.fn(db, articles, now, policy)
seconds = time.perf_counter() - started
peak = high_water_mb()
print(json.dumps({"seconds": seconds, "peak_rss_mb": peak, "rss_before_mb": base,
                  "copies_found": sum(1 for a in out if a.duplicate_of), "stories_joined": sum(1 for a in out if a.story_id != a.article_id)}))
"""


def main() -> dict:
    folder = Path(tempfile.mkdtemp(prefix="newsflow-scale-"))
    kept = os.environ.get("NEWSFLOW_SCALE_DB")  # a warehouse built by an earlier run, kept for profiling
    db = Path(kept) if kept else folder / "scale.duckdb"
    if kept and db.exists():
        build_seconds = 0.0
    else:
        build_seconds = build(db, N)
    size_mb = db.stat().st_size / 2**20
    env = {**os.environ, "PREFECT_LOGGING_LEVEL": "WARNING"}
    result = {"stored": N, "build_seconds": build_seconds, "db_mb": size_mb, "runs": [], "archive_runs": []}
    print(f"scale: {N:,} stored articles ({size_mb:,.0f} MB, built in {build_seconds:.0f}s); batch of {BATCH}:")
    # the target's batch (all published the last day), then one with 100 of its texts dated across
    # the stored year (a feed added with its archive): its stories read the weeks of each date
    for key, archive, label in (("runs", 0, "dedup+stories"), ("archive_runs", ARCHIVE, f"with {ARCHIVE} archive dates")):
        batch = folder / f"batch-{archive}.pickle"
        make_batch(db, batch, archive)
        for _ in range(2):  # the first run also warms the OS file cache
            done = subprocess.run([sys.executable, "-c", CHILD, str(db), str(batch)], capture_output=True, text=True,
                                  env=env, cwd=Path(__file__).resolve().parent.parent)
            if done.returncode != 0:
                raise SystemExit(done.stderr[-3000:])
            r = json.loads(done.stdout.strip().splitlines()[-1])
            result[key].append(r)
            print(f"  {label} {r['seconds']:.2f}s, peak RSS {r['peak_rss_mb']:.0f} MB (process before: {r['rss_before_mb']:.0f} MB),"
                  f" copies found {r['copies_found']}/100, joined stories {r['stories_joined']}")
    if kept:  # dedup_and_cluster only reads, so the file can serve the next run as it is
        print(f"  kept {db}")
    for path in folder.iterdir():
        path.unlink() if path.is_file() else None
    folder.rmdir()
    return result


if __name__ == "__main__":
    main()
