"""Where a run's time goes, by stage, on 496 real English news texts (ECB+) served as local HTML
pages through a local RSS feed: enrichment (spaCy NER, the heaviest model) against fetch+extract,
dedup+stories and load, all measured in the same run. Prints docs/s per stage.

Three runs: NER in the flow's process (NEWSFLOW_NLP_PROCESSES=0, the baseline), NER in worker
processes overlapped with the other stages (the default), and on a local Dask cluster. A stage's
seconds are the flow's wall time on it; with workers, "enrich" is the time the flow waited for the
NER plus its own finishing work (corrections, places, dates, keywords)."""
from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "stories" / "ecbplus-dev.jsonl"
NEWSFLOW = Path(sys.executable).parent / "newsflow"


def write_site(rows: list[dict], folder: Path) -> Path:
    """One HTML page per text and an RSS feed linking them (relative links, as the seeds do)."""
    start = datetime(2026, 11, 1, tzinfo=timezone.utc)
    items = []
    for i, row in enumerate(rows):
        paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in row["text"].split("\n") if p.strip())
        title = html.escape(row.get("title_guess") or row["doc_id"])
        (folder / f"{i:04d}.html").write_text(
            f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head><body>"
            f"<nav><a href='/'>Home</a> | <a href='/world'>World</a></nav><article><h1>{title}</h1>{paragraphs}</article>"
            f"<footer>© Example News</footer></body></html>", encoding="utf-8")
        when = format_datetime(start + timedelta(hours=i))
        items.append(f"<item><guid>ecb-{i}</guid><title>{title}</title><link>{i:04d}.html</link><pubDate>{when}</pubDate></item>")
    feed = folder / "feed.xml"
    feed.write_text(f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>ECB+</title>"
                    f"{''.join(items)}</channel></rss>", encoding="utf-8")
    toml = folder / "feeds.toml"
    toml.write_text('[[feeds]]\nurl = "feed.xml"\nname = "ECB+"\n', encoding="utf-8")
    return toml


def run_pipeline(rows: list[dict], extra: list[str], env_extra: dict[str, str] | None = None
                 ) -> tuple[float, str, dict[str, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        feeds = write_site(rows, folder)
        env = {**os.environ, "PREFECT_HOME": str(folder / "prefect"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
               "DO_NOT_TRACK": "1", **(env_extra or {})}
        started = time.perf_counter()
        result = subprocess.run([str(NEWSFLOW), "run", "--feeds", str(feeds), "--db", str(folder / "bench.duckdb"), *extra],
                                capture_output=True, text=True, env=env, check=True)
        wall = time.perf_counter() - started
    stages = {name: float(sec) for name, sec in re.findall(r"([\w+]+) ([\d.]+)s", result.stdout.split("stages:")[1].splitlines()[0])}
    ner = re.search(r"NER in .*", result.stdout)
    return wall, result.stdout.splitlines()[0] + (f"\n  {ner.group(0)}" if ner else ""), stages


def report(label: str, rows: list[dict], wall: float, line: str, stages: dict[str, float]) -> None:
    total = sum(stages.values())
    print(f"pipeline ({label}): {len(rows)} ECB+ texts as local pages, wall {wall:.1f}s | {line}")
    for name, seconds in stages.items():
        print(f"  {name:14s} {seconds:6.1f}s  {seconds / total:6.1%}  {len(rows) / seconds if seconds else float('inf'):8.1f} docs/s")


def main() -> dict:
    if not DATA.exists():
        print(f"bench_pipeline: {DATA} not found, skipped", file=sys.stderr)
        return {}
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    from transforms.gazetteer import gazetteer
    gazetteer()  # steady state: the gazetteer's cache exists (only a machine's first run builds it, 3.7 s)
    results = {}
    wall, line, stages = run_pipeline(rows, [], {"NEWSFLOW_NLP_PROCESSES": "0"})
    report("NER in the flow's process", rows, wall, line, stages)
    results["in_process"] = {"wall": wall, "stages": stages}
    wall, line, stages = run_pipeline(rows, [])
    report("NER in worker processes (default)", rows, wall, line, stages)
    results["workers"] = {"wall": wall, "stages": stages}
    base, pooled = results["in_process"]["stages"], results["workers"]["stages"]
    print(f"workers vs in-process: pipeline x{sum(base.values()) / sum(pooled.values()):.2f} faster, "
          f"enrich share {base['enrich'] / sum(base.values()):.0%} -> {pooled['enrich'] / sum(pooled.values()):.0%}")
    try:
        from distributed import LocalCluster
    except ImportError:
        return results
    # the same run with extraction and NER spread over a local Dask cluster (one worker per core)
    with LocalCluster(n_workers=os.cpu_count() or 2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        wall, line, stages = run_pipeline(rows, ["--dask", cluster.scheduler_address])
    report(f"Dask, {os.cpu_count()} workers", rows, wall, line, stages)
    results["dask"] = {"wall": wall, "stages": stages}
    return results


if __name__ == "__main__":
    main()
