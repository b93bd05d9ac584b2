"""Opening the warehouse: bounded retry on DuckDB's file lock, and numbered migrations."""
from __future__ import annotations

import logging
import os
import time
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Iterator

import duckdb

log = logging.getLogger("newsflow.warehouse")

# DuckDB's own memory cap per connection (it spills to disk beyond it): the pipeline's joins over a
# large history stay bounded. $NEWSFLOW_DUCKDB_MEMORY_LIMIT, e.g. "2GB"; default 512MB.
MEMORY_LIMIT = os.environ.get("NEWSFLOW_DUCKDB_MEMORY_LIMIT", "512MB")


class WarehouseError(Exception):
    """The warehouse cannot be used (missing, locked too long, or not a newsflow database)."""


class WarehouseLocked(WarehouseError):
    """Another process held the file for longer than we were willing to wait."""


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text)


@contextmanager
def connect(path: Path | str, *, read_only: bool = False, lock_timeout: float = 30.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open briefly and close on exit. DuckDB does not wait for another process's lock, so we
    retry with capped backoff for up to `lock_timeout` seconds."""
    path = Path(path)
    if read_only and not path.exists():
        raise WarehouseError(f"no warehouse at {path}: run `newsflow run` first")
    deadline = time.monotonic() + lock_timeout
    delay = 0.05
    while True:
        try:
            conn = duckdb.connect(str(path), read_only=read_only, config={"memory_limit": MEMORY_LIMIT})
            break
        except duckdb.IOException as exc:
            if not _is_lock_error(exc):
                raise WarehouseError(f"cannot open {path}: {exc}") from exc
            if time.monotonic() + delay > deadline:
                raise WarehouseLocked(f"{path} is locked by another process (waited {lock_timeout:g}s)") from exc
            log.info("warehouse locked path=%s retry_in=%.2fs", path, delay)
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
    try:
        yield conn
    finally:
        conn.close()


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) for every numbered migration, in order."""
    found = []
    for entry in resources.files("warehouse").joinpath("migrations").iterdir():
        if entry.name.endswith(".sql"):
            version = int(entry.name.split("_", 1)[0])
            found.append((version, entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """All of the block's writes, or none of them."""
    conn.execute("BEGIN TRANSACTION")
    try:
        yield
        conn.execute("COMMIT")
    except Exception:
        conn.execute("ROLLBACK")
        raise


def migrate(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply the migrations not yet recorded, each in its own transaction. Returns their names."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)"
    )
    done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for version, name, sql in migrations():
        if version in done:
            continue
        with transaction(conn):
            conn.execute(sql)
            conn.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name])
        applied.append(name)
        log.info("warehouse migrated version=%d name=%s", version, name)
    return applied


def needs_migration(path: Path, lock_timeout: float = 30.0) -> bool:
    """True for a new file or one with migrations not yet applied (read-only check)."""
    if not Path(path).exists():
        return True
    latest = migrations()[-1][0]
    with connect(path, read_only=True, lock_timeout=lock_timeout) as conn:
        try:
            current = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
        except duckdb.CatalogException:
            return True
    return current is None or current < latest
