"""Opening the warehouse: bounded retry on DuckDB's file lock, and numbered migrations."""
from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import random
import re
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Callable, Iterator, TypeVar

import duckdb

log = logging.getLogger("newsflow.warehouse")

# DuckDB's own memory cap per connection (it spills to disk beyond it): the pipeline's joins over a
# large history stay bounded. $NEWSFLOW_DUCKDB_MEMORY_LIMIT, e.g. "2GB"; default 512MB.
MEMORY_LIMIT = os.environ.get("NEWSFLOW_DUCKDB_MEMORY_LIMIT", "512MB")
# The pipeline's own reads (`flows.ingest.read_or`: feed states, known entries, the history of
# terms, lines, copies and stories) look up a batch's keys in large tables; more memory only lets
# DuckDB keep more of the blocks it scanned, which cost more to fill than they saved (bench_scale
# on 1M articles, dedup + stories: 512MB 1.44-1.55 s, 951-956 MB peak; 256MB 1.26-1.39 s, 724-739 MB).
# $NEWSFLOW_DUCKDB_READ_MEMORY_LIMIT; default 256MB.
READ_MEMORY_LIMIT = os.environ.get("NEWSFLOW_DUCKDB_READ_MEMORY_LIMIT", "256MB")


class WarehouseError(Exception):
    """The warehouse cannot be used (missing, locked too long, or not a newsflow database)."""


class WarehouseLocked(WarehouseError):
    """Another process held the file for longer than we were willing to wait (or, for a DuckLake,
    its catalog did not answer): stages go on without the warehouse and the load spools."""


LAKE_PREFIX = "ducklake:"
# Where a new DuckLake keeps its Parquet files (a folder, or s3://... with httpfs): read once, when
# the catalog is created; the catalog remembers it.
LAKE_DATA_PATH_ENV = "NEWSFLOW_LAKE_DATA_PATH"


@dataclass(frozen=True, slots=True)
class Warehouse:
    """Where the warehouse lives: a DuckDB file, or a DuckLake whose catalog is a Postgres database
    (`ducklake:postgres:dbname=newsflow host=db user=newsflow`) so that several writers append at once."""

    location: str

    @property
    def is_lake(self) -> bool:
        return self.location.startswith(LAKE_PREFIX)

    @property
    def path(self) -> Path:
        if self.is_lake:
            raise WarehouseError(f"{self} is a DuckLake, not a file")
        return Path(self.location)

    def spool_dir(self) -> Path:
        """Batches that could not be loaded wait here. Beside a file; for a DuckLake, in
        $NEWSFLOW_SPOOL_DIR or ~/.local/state/newsflow, one folder per catalog."""
        if not self.is_lake:
            return self.path.with_name(self.path.name + ".spool")
        base = Path(os.environ.get("NEWSFLOW_SPOOL_DIR") or Path.home() / ".local" / "state" / "newsflow")
        return base / f"lake-{hashlib.sha256(self.location.encode()).hexdigest()[:12]}.spool"

    def __str__(self) -> str:
        return redact(self.location)


def redact(text: str) -> str:
    """A password in a connection string stays out of logs, errors and summaries."""
    return re.sub(r"(password\s*=\s*)[^\s\"']+", r"\1***", text)


def warehouse(value: "Warehouse | Path | str") -> Warehouse:
    """A --db value (path or ducklake: URL) as a Warehouse."""
    if isinstance(value, Warehouse):
        return value
    text = str(value)
    return Warehouse(text if text.startswith(LAKE_PREFIX) else str(Path(text)))


_MAGIC = b"DUCK"  # bytes 8-12 of every DuckDB database file


def file_problem(path: Path) -> str | None:
    """Why `path` cannot hold a warehouse, found before any run starts (None if it can: a missing
    file, which a run creates, or a DuckDB database file)."""
    if path.is_dir():
        return f"{path} is a directory, not a database file"
    try:
        with path.open("rb") as handle:
            head = handle.read(12)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot read {path}: {exc.strerror or exc}"
    if head[8:12] != _MAGIC:
        return f"{path} is not a DuckDB database file" + ("" if head else " (it is empty)")
    return None


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text)


@contextmanager
def connect(target: Warehouse | Path | str, *, read_only: bool = False, lock_timeout: float = 30.0,
            memory_limit: str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open briefly and close on exit. DuckDB does not wait for another process's lock, so we
    retry with capped backoff for up to `lock_timeout` seconds. `memory_limit`: DuckDB's cap for
    this connection (default MEMORY_LIMIT)."""
    target = warehouse(target)
    memory_limit = memory_limit or MEMORY_LIMIT
    if target.is_lake:
        conn = _connect_lake(target, read_only=read_only, memory_limit=memory_limit)
        try:
            yield conn
        finally:
            conn.close()
        return
    path = target.path
    if read_only and not path.exists():
        raise WarehouseError(f"no warehouse at {path}: run `newsflow run` first")
    deadline = time.monotonic() + lock_timeout
    delay = 0.05
    while True:
        try:
            conn = duckdb.connect(str(path), read_only=read_only, config={"memory_limit": memory_limit})
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


@contextmanager
def cursor(conn: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """A second connection to the same open database, for another thread: DuckDB runs the two
    queries at once (a connection is not shared between threads). It reads the same catalog as
    `conn` (a lake's connection has `USE lake`, which a bare cursor would not)."""
    current = conn.execute("SELECT current_database()").fetchone()[0]
    other = conn.cursor()
    try:
        other.execute(f"USE {_quote_identifier(current)}")
        yield other
    finally:
        other.close()


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_EXTENSIONS = {"postgres_scanner": "duckdb_extension_postgres/extensions/v{v}/postgres.duckdb_extension",
               "ducklake": "duckdb_extension_ducklake/extensions/v{v}/ducklake.duckdb_extension"}


_EXTENSION_LOCK = threading.Lock()


def _extension_files() -> list[str]:
    with _EXTENSION_LOCK:  # threads of one process share the links (lru_cache alone lets two build them)
        return _linked_extensions()


@lru_cache(maxsize=1)
def _linked_extensions() -> list[str]:
    """The DuckLake and Postgres extensions from their PyPI wheels (offline). DuckDB derives an
    extension's entry point from its file name, so the Postgres one is linked under its real name
    (postgres_scanner) in a per-user temp folder."""
    version = duckdb.__version__
    folder = Path(tempfile.gettempdir()) / f"newsflow-duckdb-ext-{os.getuid()}-v{version}"
    folder.mkdir(mode=0o700, exist_ok=True)
    if folder.stat().st_uid != os.getuid() or folder.stat().st_mode & 0o022:
        raise WarehouseError(f"{folder} belongs to another user or is writable by others: remove it")
    files = []
    for name, relative in _EXTENSIONS.items():
        package = relative.split("/", 1)[0]
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise WarehouseError(f"a DuckLake warehouse needs the {package} wheel: pip install 'newsflow[lake]'")
        source = Path(list(spec.submodule_search_locations)[0]).parent / relative.format(v=version)
        if not source.exists():
            raise WarehouseError(f"{package} has no build for DuckDB {version}: {source}")
        link = folder / f"{name}.duckdb_extension"
        tmp = folder / f".{name}.{os.getpid()}.{threading.get_ident()}"  # re-pointed at this install's file, atomically
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(source)
        tmp.replace(link)
        files.append(str(link))
    return files


def _is_creation_race(text: str) -> bool:
    """Two processes created the same new lake at once: the catalog's CREATE TABLEs of the later one
    collide with the earlier one's (Postgres rolls the loser back, so opening again attaches it)."""
    return "Failed to initialize DuckLake" in text and ("duplicate key" in text or "already exists" in text)


def _connect_lake(target: Warehouse, *, read_only: bool, memory_limit: str) -> duckdb.DuckDBPyConnection:
    """`_open_lake`, again after a lost race to create the lake's catalog."""
    try:
        return _retry(lambda: _open_lake(target, read_only=read_only, memory_limit=memory_limit),
                      lambda exc: isinstance(exc, _CreationRace),
                      "ducklake catalog created by another process")
    except _CreationRace:
        raise WarehouseError(f"cannot open {target}: its catalog kept changing while it was created") from None


class _CreationRace(Exception):
    pass


def _open_lake(target: Warehouse, *, read_only: bool, memory_limit: str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the lake attached as `lake` and in use: the same SQL as for a file."""
    conn = duckdb.connect(config={"memory_limit": memory_limit})
    try:
        for file in _extension_files():
            conn.execute(f"LOAD '{file}'")
        attach = f"ATTACH {_quote(target.location)} AS lake"
        try:
            conn.execute(attach + (" (READ_ONLY)" if read_only else ""))
        except duckdb.Error as exc:
            # a new lake: its data path is read once, here, and the catalog keeps it
            data_path = os.environ.get(LAKE_DATA_PATH_ENV)
            if read_only or not data_path or "data_path is not set" not in str(exc):
                raise
            conn.execute(f"{attach} (DATA_PATH {_quote(data_path)})")
        conn.execute("USE lake")
    except duckdb.Error as exc:
        conn.close()
        # `from None`: the driver's own message, chained, would carry an unmasked password
        text = redact(str(exc).replace("\n", " "))
        if _is_creation_race(text):
            raise _CreationRace() from None
        if read_only and ("data_path is not set" in text or "creating a new DuckLake is explicitly disabled" in text):
            raise WarehouseError(f"no warehouse in {target}: run `newsflow run` first") from None
        if "data_path is not set" in text:
            raise WarehouseError(f"{target} is a new DuckLake: set {LAKE_DATA_PATH_ENV} to where its files go") from None
        if "Unable to connect" in text or "could not connect" in text.lower():
            raise WarehouseLocked(f"cannot reach the DuckLake catalog of {target}: {text[-300:]}") from None
        raise WarehouseError(f"cannot open {target}: {text[:300]}") from None
    return conn


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


T = TypeVar("T")


def is_conflict(exc: Exception) -> bool:
    """Two DuckLake writers changed the same table: the later commit fails and may be retried."""
    return isinstance(exc, duckdb.TransactionException) and "conflict" in str(exc).lower()


def retry_conflicts(work: Callable[[], T], *, attempts: int = 10, base_delay: float = 0.05) -> T:
    """Run `work` (one whole transaction) again when its commit lost a race with another writer.
    A file warehouse never conflicts (one writer holds the lock)."""
    return _retry(work, is_conflict, "warehouse write conflict", attempts=attempts, base_delay=base_delay)


def _retry(work: Callable[[], T], lost_race: Callable[[Exception], bool], what: str, *,
           attempts: int = 10, base_delay: float = 0.05) -> T:
    """`work` again, after a jittered, growing pause, while it fails with a lost race."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except Exception as exc:
            if not lost_race(exc) or attempt == attempts:
                raise
            delay = min(2.0, base_delay * 2 ** attempt) * (0.5 + random.random())
            log.info("%s attempt=%d retry_in=%.2fs", what, attempt, delay)
            time.sleep(delay)
    raise AssertionError("unreachable")


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
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")  # a failed commit (a DuckLake conflict) has already rolled back


def is_lake(conn: duckdb.DuckDBPyConnection) -> bool:
    row = conn.execute("SELECT type FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    return bool(row) and row[0] == "ducklake"


def lake_sql(sql: str) -> str:
    """A migration as DuckLake takes it: it has no PRIMARY KEY or UNIQUE constraints (the loads
    keep keys unique with anti-joins and MERGE, serialised by the `loads` row they all update)."""
    sql = re.sub(r",\s*PRIMARY KEY\s*\([^)]*\)", "", sql)
    return re.sub(r"\s+PRIMARY KEY\b", "", sql)


def _register_functions(conn: duckdb.DuckDBPyConnection) -> None:
    """Python functions the migrations call, so stored rows are keyed as new ones are."""
    import pyarrow as pa

    from transforms.articles import url_key

    def url_keys(urls):  # an Arrow column chunk at a time: 1M stored rows in ~8 s, not ~130 s row by row
        return pa.array([url_key(u) for u in urls.to_pylist()], pa.string())

    try:
        conn.create_function("newsflow_url_key", url_keys, ["VARCHAR"], "VARCHAR", type="arrow")
    except duckdb.NotImplementedException:
        pass  # already registered on this connection


def migrate(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply the migrations not yet recorded, each in its own transaction. Returns their names.
    Two writers migrating one DuckLake at once: the loser's commit conflicts and it re-checks. A
    migration that only updates rows (0012 on a new lake: none to update) would not conflict, as
    DuckLake lets concurrent appends through: each one also rewrites the recorded rows, so two
    migrating transactions always touch the same rows."""
    lake = is_lake(conn)
    prepare = lake_sql if lake else (lambda sql: sql)
    retry_conflicts(lambda: conn.execute(prepare(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)")))
    _register_functions(conn)
    applied = []
    for version, name, sql in migrations():
        def apply() -> bool:
            with transaction(conn):
                if conn.execute("SELECT 1 FROM schema_migrations WHERE version = ?", [version]).fetchone():
                    return False
                if lake:
                    conn.execute("UPDATE schema_migrations SET name = name")
                conn.execute(prepare(sql))
                conn.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name])
            return True

        if retry_conflicts(apply):
            applied.append(name)
            log.info("warehouse migrated version=%d name=%s", version, name)
    return applied


def needs_migration(target: Warehouse | Path | str, lock_timeout: float = 30.0) -> bool:
    """True for a new warehouse or one with migrations not yet applied (read-only check)."""
    target = warehouse(target)
    if target.is_lake or not target.path.exists():
        return True  # a DuckLake is checked by `migrate` itself: no file lock to spare
    latest = migrations()[-1][0]
    with connect(target, read_only=True, lock_timeout=lock_timeout) as conn:
        try:
            current = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
        except duckdb.CatalogException:
            return True
    return current is None or current < latest
