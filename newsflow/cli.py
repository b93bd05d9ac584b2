"""`newsflow`: run the pipeline, query the warehouse, try the extractor on files."""
from __future__ import annotations

import csv
import json
import os
import re
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="newsflow: RSS/Atom feeds -> clean, deduplicated, enriched articles in DuckDB.")

DbOption = typer.Option(None, "--db", help="Warehouse: a DuckDB file, or a DuckLake 'ducklake:postgres:dbname=... "
                        "host=...' [default: $NEWSFLOW_DB or ./newsflow.duckdb]")
ShardOption = typer.Option(None, "--shard", help="Only the feeds of shard I of N (I/N, 1-based), by a stable hash of "
                           "their URL: N runs together cover every feed once")
FeedsOption = typer.Option(None, "--feeds", help="Feed list (TOML) [default: $NEWSFLOW_FEEDS or the seed fixtures]")


def fail(message: str, code: int = 2) -> None:
    typer.echo(f"newsflow: {message}", err=True)
    raise typer.Exit(code)


def db_path(value: Optional[str]):
    """--db, else $NEWSFLOW_DB, else ./newsflow.duckdb, as a warehouse.db.Warehouse."""
    from warehouse.db import warehouse

    return warehouse(value or os.environ.get("NEWSFLOW_DB") or "newsflow.duckdb")


def writable(value: Optional[str]):
    """The warehouse a run writes: a file's folder must exist (a file is given as an absolute path)."""
    from warehouse.db import file_problem, warehouse

    target = db_path(value)
    if target.is_lake:
        return target
    if target.path.parent and not target.path.parent.exists():
        fail(f"directory of --db does not exist: {target.path.parent}")
    if problem := file_problem(target.path):
        fail(f"--db: {problem}")
    return warehouse(target.path.resolve())


def parse_shard(text: Optional[str]) -> Optional[tuple[int, int]]:
    if text is None:
        return None
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        fail(f"--shard must be I/N with 1 <= I <= N, e.g. 1/4: {text!r}")
    return int(match.group(1)), int(match.group(2))


LOCAL_FEEDS = Path("feeds.toml")


def feeds_path(value: Optional[Path]) -> Path:
    """--feeds, else $NEWSFLOW_FEEDS, else ./feeds.toml if `newsflow feeds add` made one, else the seeds."""
    from connectors.feedlist import SEED_FEEDS

    if value:
        return value
    if os.environ.get("NEWSFLOW_FEEDS"):
        return Path(os.environ["NEWSFLOW_FEEDS"])
    return LOCAL_FEEDS if LOCAL_FEEDS.exists() else SEED_FEEDS


def edit_path(value: Optional[Path]) -> Path:
    """The list the `feeds` commands edit: --feeds, else $NEWSFLOW_FEEDS, else ./feeds.toml."""
    return value or Path(os.environ.get("NEWSFLOW_FEEDS") or LOCAL_FEEDS)


EPHEMERAL_STARTUP_SECONDS = 120


def _prefect_env(verbose: bool) -> None:
    """Before prefect is imported: no telemetry, quiet logs unless asked."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO" if verbose else "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "newsflow")
    if not os.environ.get("PREFECT_API_URL"):
        # The temporary server Prefect starts for a one-off run is torn down as the run ends and
        # complains about events it had not flushed yet; that is its bookkeeping, not the run's.
        os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "CRITICAL")
        # Its first start migrates a new database (about 16 s here); Prefect gives up after 20 s of
        # waiting, so a busy machine failed whole runs ("Timed out while attempting to connect to
        # ephemeral Prefect API server", seen with two test suites on 2 cores).
        os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", str(EPHEMERAL_STARTUP_SECONDS))


@app.command()
def run(feeds: Optional[Path] = FeedsOption, db: Optional[str] = DbOption, shard: Optional[str] = ShardOption,
        dask: Optional[str] = typer.Option(None, "--dask", help="Dask scheduler address (tcp://host:8786): extraction "
                                           "and NER spread over its workers [default: $NEWSFLOW_DASK_ADDRESS]"),
        verbose: bool = typer.Option(False, "--verbose", "-v", help="Show Prefect's and the stages' logs")) -> None:
    """One ingestion pass over every configured feed."""
    from connectors.feedlist import ConfigError, load_feed_list

    part = parse_shard(shard)
    try:
        feed_list = load_feed_list(feeds_path(feeds))
    except ConfigError as exc:
        fail(str(exc))
    if part:
        feed_list = feed_list.shard(*part)
    target = writable(db)
    _prefect_env(verbose)
    from flows.ingest import ingest
    from warehouse.db import WarehouseError

    pipeline = ingest
    if address := dask or os.environ.get("NEWSFLOW_DASK_ADDRESS"):
        try:
            from distributed import Client
            from prefect_dask import DaskTaskRunner
        except ImportError:
            fail("--dask needs prefect-dask: pip install 'newsflow[dask]'")
        try:  # a scheduler that does not answer is a clear error before anything runs
            Client(address, timeout="10s").close()
        except (OSError, TimeoutError) as exc:
            fail(f"cannot reach the Dask scheduler at {address}: {exc}", code=1)
        pipeline = ingest.with_options(task_runner=DaskTaskRunner(address=address))
    started = time.perf_counter()
    try:
        summary = pipeline(feed_list, target.location)
    except WarehouseError as exc:
        fail(str(exc), code=1)
    typer.echo(
        f"newsflow run: {summary.feeds} feeds ({summary.feeds_failed} failed, {summary.feeds_unchanged} unchanged, "
        f"{summary.feeds_deferred} not due), "
        f"{summary.entries} entries, {summary.new_entries} new -> {summary.inserted} articles stored "
        f"({summary.duplicates} duplicates, {summary.stories_new} new stories), {summary.rejected} rejected; "
        f"{time.perf_counter() - started:.1f}s (pipeline {summary.seconds.get('total', 0):.1f}s) -> {target}"
    )
    stages = {k: v for k, v in summary.seconds.items() if k != "total"}
    if summary.new_entries:
        typer.echo("  stages: " + ", ".join(f"{name} {seconds:.1f}s" for name, seconds in stages.items()))
        if summary.nlp_workers:
            typer.echo(f"  NER in {summary.nlp_workers} worker processes: {summary.ner_worker_seconds:.1f}s of tagging,"
                       " beside the stages (enrich counts only the wait for it)")
    if summary.revised:
        became = "article became a copy" if summary.revised == 1 else "articles became copies"
        typer.echo(f"  {summary.revised} stored {became} of an earlier report stored by this run "
                   "(duplicate_of changed, revised_at set)")
    if summary.recleaned:
        article = "article" if summary.recleaned == 1 else "articles"
        typer.echo(f"  {summary.recleaned} stored {article} lost lines their source repeats, learned as boilerplate "
                   "after they were stored (text and what derives from it changed, revised_at set)")
    if summary.relabelled:
        article = "article's" if summary.relabelled == 1 else "articles'"
        typer.echo(f"  {summary.relabelled} stored {article} one-word PERSON names became PRODUCT: a publisher "
                   "now tags them (entities changed, revised_at set)")
    if summary.drained:
        typer.echo(f"  loaded {summary.drained} articles spooled by an earlier run")
    if summary.spooled:
        typer.echo(f"  warehouse locked by another process: {summary.spooled} articles spooled beside it, "
                   "loaded by the next run")
    for failure in summary.failures[:20]:
        typer.echo(f"  feed failed: {failure}")
    if len(summary.failures) > 20:
        typer.echo(f"  ... and {len(summary.failures) - 20} more (see the feeds table)")


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_interval(text: str) -> timedelta:
    """'15m', '1h', '90s', '1d', '1h30m' -> a timedelta of at least a minute."""
    parts = re.findall(r"(\d+)\s*([smhd])", text.strip().lower())
    if not parts or re.sub(r"\d+\s*[smhd]", "", text.strip().lower()).strip():
        raise ValueError(f"not an interval: {text!r} (use e.g. 15m, 1h, 1h30m, 1d)")
    seconds = sum(int(n) * _UNITS[u] for n, u in parts)
    if seconds < 60:
        raise ValueError(f"interval {text!r} is under a minute: a pass over the feeds takes longer than that")
    return timedelta(seconds=seconds)


def _schedule(every: Optional[str], cron: Optional[str]) -> dict:
    """--every / --cron as Prefect's interval or cron argument (exactly one; validated)."""
    if (every is None) == (cron is None):
        fail("give exactly one of --every INTERVAL or --cron EXPR")
    try:
        if every is not None:
            return {"interval": parse_interval(every)}
        from prefect.client.schemas.schedules import CronSchedule

        CronSchedule(cron=cron)
        return {"cron": cron}
    except ValueError as exc:
        fail(str(exc).splitlines()[0] if every else f"not a cron expression: {cron!r}")


def _needs_server(command: str) -> None:
    if not os.environ.get("PREFECT_API_URL"):
        fail(f"{command} needs a Prefect server to keep its schedule: start one (`prefect server start`) and set "
             "PREFECT_API_URL=http://127.0.0.1:4200/api")


def _checked_feeds(feeds: Optional[Path]) -> Path:
    from connectors.feedlist import ConfigError, load_feed_list

    source = feeds_path(feeds).resolve()
    try:
        load_feed_list(source)
    except ConfigError as exc:
        fail(str(exc))
    return source


@app.command()
def serve(feeds: Optional[Path] = FeedsOption, db: Optional[str] = DbOption, shard: Optional[str] = ShardOption,
          every: Optional[str] = typer.Option(None, "--every", help="Run every interval: 15m, 1h, 1d"),
          cron: Optional[str] = typer.Option(None, "--cron", help="Run on a cron schedule, e.g. '*/15 * * * *'"),
          name: str = typer.Option("newsflow", "--name", help="Deployment name"),
          verbose: bool = typer.Option(False, "--verbose", "-v", help="Show Prefect's and the stages' logs")) -> None:
    """Serve the ingestion flow as a scheduled Prefect deployment against a Prefect server ($PREFECT_API_URL)."""
    _prefect_env(verbose)  # before prefect is imported (the cron check imports it)
    schedule = _schedule(every, cron)
    _needs_server("serve")
    source = _checked_feeds(feeds)
    part = parse_shard(shard)
    target = writable(db)
    from flows.ingest import scheduled_ingest

    typer.echo(f"newsflow serve: deployment newsflow-scheduled/{name}, "
               f"{'every ' + every if every else 'cron ' + cron}, feeds {source} -> {target} (Ctrl-C stops)")
    # One run at a time (a second writer would only spool); the schedule stays active when this
    # process stops, so a restarted `serve` picks it up where it was.
    parameters = {"feeds": str(source), "db": target.location} | ({"shard": f"{part[0]}/{part[1]}"} if part else {})
    scheduled_ingest.serve(name=name, parameters=parameters, limit=1, global_limit=1,
                           pause_on_shutdown=False, print_starting_message=verbose, **schedule)


@app.command()
def deploy(pool: str = typer.Option(..., "--pool", help="Prefect work pool (created as a process pool if missing)"),
           shards: int = typer.Option(1, "--shards", min=1, max=256, help="Split the feeds across N deployments"),
           feeds: Optional[Path] = FeedsOption, db: Optional[str] = DbOption,
           every: Optional[str] = typer.Option(None, "--every", help="Run every interval: 15m, 1h, 1d"),
           cron: Optional[str] = typer.Option(None, "--cron", help="Run on a cron schedule, e.g. '*/15 * * * *'"),
           name: str = typer.Option("newsflow", "--name", help="Deployment name (suffixed -shard-I-of-N)"),
           verbose: bool = typer.Option(False, "--verbose", "-v", help="Show Prefect's logs")) -> None:
    """Register the flow on a work pool, one deployment per shard of the feed list; workers
    (`prefect worker start --pool NAME`) run them. Each shard runs one at a time."""
    _prefect_env(verbose)
    schedule = _schedule(every, cron)
    _needs_server("deploy")
    source = _checked_feeds(feeds)
    target = writable(db)
    from flows.deploy import deploy_shards

    created = deploy_shards(pool=pool, shards=shards, feeds=str(source), db=target.location, name=name, **schedule)
    for full in created:
        typer.echo(f"deployed {full} on work pool {pool!r} ({'every ' + every if every else 'cron ' + cron})")
    if shards > 1 and not target.is_lake:
        typer.echo("  note: shards share one DuckDB file: their loads take turns on its lock (or spool); "
                   "a DuckLake warehouse (--db ducklake:postgres:...) lets them write at once")
    typer.echo(f"start workers: prefect worker start --pool {pool}")


class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


def _jsonable(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    return str(value)


@app.command()
def sql(query: str = typer.Argument(..., help="SQL to run (read-only)"), db: Optional[str] = DbOption,
        format: Format = typer.Option(Format.table, "--format", help="table, csv or json")) -> None:
    """A read-only query against the warehouse."""
    from warehouse.db import WarehouseError
    from warehouse.query import run_query

    try:
        columns, rows = run_query(db_path(db), query)
    except WarehouseError as exc:
        fail(str(exc))
    if format is Format.json:
        for row in rows:
            sys.stdout.write(json.dumps(dict(zip(columns, row)), default=_jsonable, ensure_ascii=False) + "\n")
    elif format is Format.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows([[_jsonable(v) if isinstance(v, (datetime, date, list, dict)) else v for v in r] for r in rows])
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(*columns, show_lines=False)
        for row in rows:
            table.add_row(*["" if v is None else str(v) for v in row])
        Console().print(table)
        Console(stderr=True).print(f"{len(rows)} row{'' if len(rows) == 1 else 's'}", style="dim")


@app.command()
def report(db: Optional[str] = DbOption,
           out: Path = typer.Option(Path("newsflow-report.html"), "--out", help="Where to write the HTML page")) -> None:
    """A self-contained HTML dashboard of the warehouse (read-only, brief)."""
    from newsflow.report import render
    from warehouse.db import WarehouseError
    from warehouse.report import report_data

    try:
        data = report_data(db_path(db))
    except WarehouseError as exc:
        fail(str(exc))
    out.write_text(render(data), encoding="utf-8")
    totals = dict(zip(data.sections["totals"].columns, data.sections["totals"].rows[0]))
    print(f"newsflow report: {totals['articles']} articles, {totals['stories']} stories, "
          f"{totals['feeds']} feeds -> {out}")


@app.command()
def extract(files: list[Path] = typer.Argument(..., help="Saved HTML or text files"),
            jsonl: bool = typer.Option(False, "--jsonl", help="One JSON object per file")) -> None:
    """Run the pipeline's own extraction and cleaning on saved files."""
    from connectors.fetch import FetchError, FetchPolicy, read_local
    from transforms.articles import build_article
    from transforms.enrich import detect_language
    from transforms.records import FeedEntry, Rejected

    policy = FetchPolicy()
    failed = 0
    for path in files:
        record: dict = {"path": str(path)}
        try:
            fetched = read_local(str(path), policy)
        except FetchError as exc:
            record["error"] = exc.reason
            failed += 1
        else:
            entry = FeedEntry(feed_url=path.resolve().parent.as_uri(), entry_key=str(path), url=path.resolve().as_uri(),
                              title=None, published_at=None, content=None, summary=None, author=None)
            result = build_article(entry, fetched)
            if isinstance(result, Rejected):
                record.update(title=None, text="", language=None, published_at=None, rejected=result.reason)
            else:
                language, score = detect_language(result.text)
                record.update(
                    title=result.title, text=result.text, language=language, language_score=score,
                    published_at=result.published_at.isoformat() if result.published_at else None,
                    author=result.author, license=result.license, photo_credit=result.photo_credit, tags=result.tags,
                    removed=[{"rule": r.rule, "text": r.text} for r in result.removals],
                )
        if jsonl:
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            typer.echo(f"== {path}" + (f"  [{record['error']}]" if "error" in record else ""))
            if record.get("title"):
                typer.echo(f"# {record['title']}")
            typer.echo(record.get("text") or f"(no article: {record.get('rejected', record.get('error'))})")
    if failed == len(files):
        raise typer.Exit(1)


feeds_app = typer.Typer(no_args_is_help=True, help="Manage the feed list (TOML).")
app.add_typer(feeds_app, name="feeds")
EditOption = typer.Option(None, "--feeds", help="Feed list to edit [default: $NEWSFLOW_FEEDS or ./feeds.toml]")


def _load_table(path: Path) -> dict:
    from connectors.feedlist import ConfigError, read_feed_table

    try:
        return read_feed_table(path)
    except ConfigError as exc:
        fail(str(exc))


def _save_table(path: Path, table: dict) -> None:
    from pydantic import ValidationError

    from connectors.feedlist import write_feed_table

    try:
        write_feed_table(path, table)
    except ValidationError as exc:
        fail(f"invalid feed: {exc.errors()[0]['msg']}")
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}")


@feeds_app.command("list")
def feeds_list(feeds: Optional[Path] = FeedsOption, db: Optional[str] = DbOption) -> None:
    """The configured feeds, with their health when the warehouse has it."""
    from connectors.feedlist import ConfigError, load_feed_list

    try:
        feed_list = load_feed_list(feeds_path(feeds))
    except ConfigError as exc:
        fail(str(exc))
    health: dict = {}
    target = db_path(db)
    if target.is_lake or target.path.exists():
        from warehouse.db import WarehouseError
        from warehouse.query import run_query

        try:
            _, rows = run_query(target, "SELECT url, last_status, consecutive_failures, last_error FROM feeds")
            health = {r[0]: r[1:] for r in rows}
        except WarehouseError:
            health = {}
    for feed in feed_list.feeds:
        status, failures, error = health.get(feed.url, (None, None, None))
        state = "never fetched" if status is None and failures is None else (
            f"ok ({status})" if not failures else f"failing x{failures}: {error}")
        typer.echo(f"{feed.url}\t{feed.name or ''}\t{state}")


@feeds_app.command("add")
def feeds_add(url: str, name: Optional[str] = typer.Option(None, "--name"), feeds: Optional[Path] = EditOption) -> None:
    """Add a feed (http(s) URL, file: URL or path; a relative path is read from the list's folder)."""
    from connectors.feedlist import feed_problem

    path = edit_path(feeds)
    table = _load_table(path)
    if any(f.get("url") == url for f in table["feeds"]):
        typer.echo(f"already listed: {url}")
        return
    if problem := feed_problem(url, path):
        fail(f"cannot add {url}: {problem}")
    table["feeds"].append({"url": url, **({"name": name} if name else {})})
    _save_table(path, table)
    typer.echo(f"added {url} to {path}")


@feeds_app.command("remove")
def feeds_remove(url: str, feeds: Optional[Path] = EditOption) -> None:
    """Remove a feed. Its articles stay in the warehouse."""
    path = edit_path(feeds)
    table = _load_table(path)
    kept = [f for f in table["feeds"] if f.get("url") != url]
    if len(kept) == len(table["feeds"]):
        fail(f"not in {path}: {url}")
    table["feeds"] = kept
    _save_table(path, table)
    typer.echo(f"removed {url} from {path}")


@feeds_app.command("import")
def feeds_import(opml: Path, feeds: Optional[Path] = EditOption) -> None:
    """Add every feed of an OPML file (folders included); feeds already listed are kept once, and
    outlines that cannot be fetched (another scheme, a missing file) are skipped and named."""
    from connectors.feedlist import ConfigError, feed_problem, read_bytes
    from transforms.opml import OpmlError, parse_opml

    try:
        found = parse_opml(read_bytes(opml))
    except (ConfigError, OpmlError) as exc:
        fail(f"{opml}: {exc}")
    path = edit_path(feeds)
    table = _load_table(path)
    listed = {f.get("url") for f in table["feeds"]}
    new, skipped = [], 0
    for url, name in found:
        if url in listed:
            continue
        if problem := feed_problem(url, path):
            typer.echo(f"skipped {url}: {problem}", err=True)
            skipped += 1
            continue
        new.append({"url": url, **({"name": name} if name else {})})
    table["feeds"].extend(new)
    _save_table(path, table)
    typer.echo(f"imported {len(new)} feeds ({len(found) - len(new) - skipped} already listed, {skipped} skipped) into {path}")


@feeds_app.command("export")
def feeds_export(feeds: Optional[Path] = FeedsOption) -> None:
    """The feed list as OPML, on standard output."""
    from connectors.feedlist import ConfigError, load_feed_list
    from transforms.opml import render_opml

    try:
        feed_list = load_feed_list(feeds_path(feeds))
    except ConfigError as exc:
        fail(str(exc))
    sys.stdout.buffer.write(render_opml([(f.url, f.name) for f in feed_list.feeds]))


if __name__ == "__main__":
    app()
