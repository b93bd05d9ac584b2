"""Rerun cost: a second pass over unchanged feeds against the first pass, same corpus, same run.

Every feed of shared/data/feeds is served on loopback; the real `newsflow run` ingests them into a
fresh warehouse, then runs again. Reports wall time (with Prefect's start-up) and the flow's own
time, and the ratio rerun / first run for each. Target (issue 3): at most 5%.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.corpus import serve_corpus, write_feed_list

NEWSFLOW = Path(sys.executable).parent / "newsflow"


def run_once(feeds: Path, db: Path, env: dict) -> tuple[float, float, str]:
    started = time.perf_counter()
    result = subprocess.run([str(NEWSFLOW), "run", "--feeds", str(feeds), "--db", str(db)],
                            capture_output=True, text=True, env=env, check=True)
    wall = time.perf_counter() - started
    pipeline = float(re.search(r"pipeline ([\d.]+)s", result.stdout).group(1))
    return wall, pipeline, result.stdout.strip().splitlines()[0]


def main() -> None:
    server, urls = serve_corpus()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "PREFECT_HOME": str(Path(tmp) / "prefect"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                   "DO_NOT_TRACK": "1"}
            feeds = write_feed_list(Path(tmp) / "feeds.toml", urls)
            db = Path(tmp) / "bench.duckdb"
            first = run_once(feeds, db, env)
            second = run_once(feeds, db, env)
    finally:
        server.stop()
    print(f"feeds: {len(urls)} served on loopback")
    print(f"first run : wall {first[0]:7.1f}s  pipeline {first[1]:7.1f}s  | {first[2]}")
    print(f"rerun     : wall {second[0]:7.1f}s  pipeline {second[1]:7.1f}s  | {second[2]}")
    print(f"rerun/first: wall {second[0] / first[0]:.1%}  pipeline {second[1] / first[1]:.1%}  (target <= 5%)")


if __name__ == "__main__":
    main()
