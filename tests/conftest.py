"""Test isolation: Prefect's home, the warehouse and every file live in temp dirs."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

# Before anything imports prefect: never the developer's ~/.prefect, no telemetry.
_PREFECT_HOME = tempfile.mkdtemp(prefix="newsflow-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ.pop("PREFECT_API_URL", None)
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["DO_NOT_TRACK"] = "1"

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SEEDS = REPO / "seeds"
NEWSFLOW = Path(sys.executable).parent / "newsflow"


def shared_data(*parts: str) -> Path:
    path = SHARED.joinpath("data", *parts)
    if not path.exists():
        pytest.skip(f"shared data not available: {path}")
    return path


def newsflow(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the real console script, as a user would."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([str(NEWSFLOW), *args], capture_output=True, text=True, env=full_env, timeout=timeout)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"


class Postgres:
    """A throwaway PostgreSQL cluster on loopback, for DuckLake catalogs (Debian's postgresql)."""

    def __init__(self, root: Path) -> None:
        self.root, self.port = root, _free_port()
        self.bin = _postgres_bin()
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:  # initdb refuses to run as root: the cluster belongs to the postgres user
            shutil.chown(root, "postgres")
        data = root / "data"
        self._run("initdb", "-D", str(data), "-A", "trust", "-U", "newsflow", "--no-sync")
        self._run("pg_ctl", "-D", str(data), "-l", str(root / "log"), "-w", "start", "-o",
                  f"-p {self.port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off")
        self.data = data

    def _run(self, tool: str, *args: str) -> None:
        result = subprocess.run([*self.as_user, str(self.bin / tool), *args], capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{tool} failed: {result.stderr or result.stdout}")

    def conninfo(self, dbname: str) -> str:
        return f"dbname={dbname} host=127.0.0.1 port={self.port} user=newsflow"

    def create_database(self, name: str) -> str:
        """A new empty database; returns the DuckLake --db value for it."""
        psql = self.bin / "psql" if (self.bin / "psql").exists() else shutil.which("psql")
        result = subprocess.run([str(psql), "-h", "127.0.0.1", "-p", str(self.port), "-U", "newsflow",
                                 "-d", "postgres", "-qc", f'CREATE DATABASE "{name}"'], capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(result.stderr)
        return f"ducklake:postgres:{self.conninfo(name)}"

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgres_bin() -> Path | None:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    if versions:  # Debian keeps the server tools here, off PATH
        return versions[-1].parent
    found = shutil.which("pg_ctl")
    return Path(found).parent if found and (Path(found).parent / "initdb").exists() else None


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """CI (.ci/run) installs Debian's postgresql and sets NEWSFLOW_REQUIRE_POSTGRES=1: there a missing
    server fails the suite instead of skipping the DuckLake tests."""
    if _postgres_bin() is None or (os.geteuid() == 0 and shutil.which("runuser") is None):
        if os.environ.get("NEWSFLOW_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL server binaries not found (apt-get install postgresql)")
        pytest.skip("PostgreSQL server binaries not found (apt-get install postgresql)")
    # not under pytest's basetemp: its folders are private to this user, and the server runs as postgres
    root = Path(tempfile.mkdtemp(prefix="newsflow-pg-"))
    try:
        server = Postgres(root)
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def lake(postgres: Postgres, tmp_path: Path, request, monkeypatch) -> str:
    """A new DuckLake warehouse: catalog in its own Postgres database, files under tmp_path."""
    name = "lake_" + re.sub(r"\W", "_", request.node.name.lower())[:40] + f"_{os.getpid()}"
    monkeypatch.setenv("NEWSFLOW_LAKE_DATA_PATH", str(tmp_path / "lake-files") + "/")
    monkeypatch.setenv("NEWSFLOW_SPOOL_DIR", str(tmp_path / "spool"))
    return postgres.create_database(name)
