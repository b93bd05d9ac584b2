"""Test isolation: Prefect's home, the warehouse and every file live in temp dirs."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from tests.pg import Postgres, available, running_postgres

# Before anything imports prefect: never the developer's ~/.prefect, no telemetry.
_PREFECT_HOME = tempfile.mkdtemp(prefix="newsflow-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ.pop("PREFECT_API_URL", None)
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["DO_NOT_TRACK"] = "1"
# The gazetteer's cache (built once, then read by every run of the session), never ~/.cache.
os.environ["NEWSFLOW_CACHE_DIR"] = tempfile.mkdtemp(prefix="newsflow-cache-")

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


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """CI (.ci/run) installs Debian's postgresql and sets NEWSFLOW_REQUIRE_POSTGRES=1: there a missing
    server fails the suite instead of skipping the DuckLake tests."""
    if not available():
        if os.environ.get("NEWSFLOW_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL server binaries not found (apt-get install postgresql)")
        pytest.skip("PostgreSQL server binaries not found (apt-get install postgresql)")
    with running_postgres() as server:
        yield server


@pytest.fixture
def lake(postgres: Postgres, tmp_path: Path, request, monkeypatch) -> str:
    """A new DuckLake warehouse: catalog in its own Postgres database, files under tmp_path."""
    name = "lake_" + re.sub(r"\W", "_", request.node.name.lower())[:40] + f"_{os.getpid()}"
    monkeypatch.setenv("NEWSFLOW_LAKE_DATA_PATH", str(tmp_path / "lake-files") + "/")
    monkeypatch.setenv("NEWSFLOW_SPOOL_DIR", str(tmp_path / "spool"))
    return postgres.create_database(name)
