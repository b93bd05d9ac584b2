"""The one-time pass that cleans a warehouse counted before carriers were kept (migration 0013,
`store.reclean_stored`), at scale: N stored articles (default 1,000,000, `bench_scale.build`'s
synthetic warehouse), each given LINES short lines of its own besides its 5 paragraphs, so that
`source_lines` holds about as many lines an article as the real feeds' warehouse (18); FOOTERS
footers carried by MIN_ARTICLES articles each are learned lines, so their carriers are cleaned.
`source_lines` is counted from the stored text as the loads before migration 0013 left it (no
carriers). The pass runs in a child process (peak RSS from /proc/self/status VmHWM) with the
pipeline's connection settings. NEWSFLOW_SCALE_N sets N."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.bench_scale import build

N = int(os.environ.get("NEWSFLOW_SCALE_N", "1000000"))
LINES = 13  # short lines of an article's own, besides its 5 paragraphs: 18 fingerprinted lines an article
FOOTERS = 200  # learned lines, each carried by MIN_ARTICLES stored articles: 1,000 articles to clean
CHUNK = 20_000


def prepare(db: Path, n: int) -> dict:
    """Own lines and footers added to the stored texts; source_lines counted from them, no carriers."""
    import pyarrow as pa

    from transforms import boilerplate
    from warehouse import db as wdb

    started = time.perf_counter()
    with wdb.connect(db) as conn:
        conn.execute("SET memory_limit = '2GB'")
        for lo in range(1, n + 1, CHUNK):  # in parts: one UPDATE of every text exceeds 2 GB
            conn.execute(f"""
                UPDATE articles SET text = text || chr(10) || array_to_string(list_transform(range({LINES}),
                    j -> 'Note ' || left(md5(article_id || '-' || j::VARCHAR), 12) || ' from the desk'), chr(10))
                WHERE article_id IN (SELECT article_id FROM article_numbers WHERE article_no BETWEEN ? AND ?)""",
                         [lo, lo + CHUNK - 1])
        carriers = FOOTERS * boilerplate.MIN_ARTICLES  # spread over the warehouse, MIN_ARTICLES a footer
        conn.execute(f"""
            UPDATE articles SET text = text || chr(10) || 'Follow the scale desk on channel ' || f.footer::VARCHAR
            FROM (SELECT article_id, (row_number() OVER (ORDER BY article_no) - 1) // {boilerplate.MIN_ARTICLES} AS footer
                  FROM article_numbers WHERE article_no % {max(n // carriers, 1)} = 0 ORDER BY article_no LIMIT {carriers}) f
            WHERE articles.article_id = f.article_id""")
        counts: Counter = Counter()
        samples: dict = {}
        for lo in range(1, n + 1, CHUNK):
            for url, feed_url, text in conn.execute("""
                    SELECT a.url, a.feed_url, a.text FROM article_numbers n JOIN articles a USING (article_id)
                    WHERE n.article_no BETWEEN ? AND ?""", [lo, lo + CHUNK - 1]).fetchall():
                source = boilerplate.source_of_urls(url, feed_url)
                for fp, line in boilerplate.text_fingerprints(text).items():
                    counts[(source, fp)] += 1
                    samples.setdefault((source, fp), line)
        keys = list(counts)
        conn.register("counted", pa.table({"source": [k[0] for k in keys], "fingerprint": [k[1] for k in keys],
                                           "articles": [counts[k] for k in keys], "sample": [samples[k] for k in keys]}))
        conn.execute("DELETE FROM source_lines")
        conn.execute("INSERT INTO source_lines (source, fingerprint, articles, sample) SELECT * FROM counted")
        conn.unregister("counted")
        conn.execute("DELETE FROM index_state WHERE name = 'source_lines'")
        conn.execute("CHECKPOINT")
        learned = conn.execute("SELECT count(*), sum(articles) FROM source_lines WHERE articles >= ?",
                               [boilerplate.MIN_ARTICLES]).fetchone()
        lines = conn.execute("SELECT count(*) FROM source_lines").fetchone()[0]
    return {"prepare_seconds": time.perf_counter() - started, "source_lines": lines, "learned_lines": learned[0]}


CHILD = r"""
import json, re, sys, time
from pathlib import Path
from transforms import boilerplate
from warehouse import db as wdb, store

def high_water_mb():
    return int(re.search(r"VmHWM:\s+(\d+) kB", open("/proc/self/status").read()).group(1)) / 1024
base = high_water_mb()
started = time.perf_counter()
with wdb.connect(Path(sys.argv[1])) as conn:
    read, cleaned = store.reclean_stored(conn, boilerplate.LINES_SCHEME)
    seconds = time.perf_counter() - started
    left = conn.execute("SELECT count(*) FROM articles WHERE contains(text, 'Follow the scale desk')").fetchone()[0]
    listed = conn.execute("SELECT count(*) FROM source_lines WHERE carriers IS NOT NULL").fetchone()[0]
print(json.dumps({"seconds": seconds, "read": read, "cleaned": cleaned, "footers_left": left, "lines_with_carriers": listed,
                  "peak_rss_mb": high_water_mb(), "rss_before_mb": base}))
"""


def main() -> dict:
    with tempfile.TemporaryDirectory(prefix="newsflow-reclean-") as folder:
        db = Path(folder) / "reclean.duckdb"
        build_seconds = build(db, N)
        prepared = prepare(db, N)
        done = subprocess.run([sys.executable, "-c", CHILD, str(db)], capture_output=True, text=True,
                              cwd=Path(__file__).resolve().parent.parent)
        if done.returncode != 0:
            raise SystemExit(done.stderr[-3000:])
        run = json.loads(done.stdout.strip().splitlines()[-1])
    result = {"stored": N, "build_seconds": build_seconds, **prepared, **run}
    print(f"one-time learned-lines pass: {N:,} stored articles (built in {build_seconds:.0f}s, lines counted in"
          f" {prepared['prepare_seconds']:.0f}s), {prepared['source_lines']:,} counted lines, {prepared['learned_lines']} learned:")
    print(f"  {run['seconds']:.0f}s, peak RSS {run['peak_rss_mb']:.0f} MB (process before: {run['rss_before_mb']:.0f} MB); read {run['read']:,}, cleaned {run['cleaned']:,}"
          f" (footers left: {run['footers_left']}); carriers listed for {run['lines_with_carriers']:,} lines")
    return result


if __name__ == "__main__":
    main()
