"""A throwaway PostgreSQL cluster on loopback (Debian's server package), for DuckLake catalogs in
tests and benchmarks."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


class Postgres:
    """A throwaway PostgreSQL cluster on loopback, for DuckLake catalogs (Debian's postgresql)."""

    def __init__(self, root: Path) -> None:
        self.root, self.port = root, _free_port()
        self.bin = postgres_bin()
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


def postgres_bin() -> Path | None:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    if versions:  # Debian keeps the server tools here, off PATH
        return versions[-1].parent
    found = shutil.which("pg_ctl")
    return Path(found).parent if found and (Path(found).parent / "initdb").exists() else None


def available() -> bool:
    return postgres_bin() is not None and (os.geteuid() != 0 or shutil.which("runuser") is not None)


@contextmanager
def running_postgres() -> Iterator[Postgres]:
    """A cluster in a new temp folder (not under pytest's basetemp: its folders are private to this
    user, and as root the server runs as postgres), stopped and removed on exit."""
    root = Path(tempfile.mkdtemp(prefix="newsflow-pg-"))
    try:
        server = Postgres(root)
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
