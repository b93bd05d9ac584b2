"""`newsflow serve`: a scheduled Prefect deployment against a real `prefect server start` on loopback,
the same commands the compose services run."""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest

from newsflow.cli import EPHEMERAL_STARTUP_SECONDS, _prefect_env, parse_interval
from tests.conftest import NEWSFLOW, REPO, SEEDS, newsflow
from warehouse.query import run_query

PREFECT = Path(sys.executable).parent / "prefect"


@pytest.mark.parametrize(("text", "expected"), [
    ("15m", timedelta(minutes=15)), ("1h", timedelta(hours=1)), ("1h30m", timedelta(minutes=90)),
    ("1d", timedelta(days=1)), ("90s", timedelta(seconds=90)),
])
def test_intervals(text, expected) -> None:
    assert parse_interval(text) == expected


def test_a_one_off_run_waits_long_enough_for_prefects_temporary_server(monkeypatch) -> None:
    """Prefect's 20 s wait failed runs on a busy machine; a user's own setting wins."""
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS")}
    monkeypatch.setattr(os, "environ", env)  # the test's own copy: nothing leaks into later tests
    _prefect_env(verbose=False)
    assert env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] == str(EPHEMERAL_STARTUP_SECONDS)
    env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "45"
    _prefect_env(verbose=False)
    assert env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] == "45"


@pytest.mark.parametrize("text", ["", "15", "fifteen minutes", "10s", "15m and more", "-5m"])
def test_bad_intervals_are_refused(text) -> None:
    with pytest.raises(ValueError):
        parse_interval(text)


@pytest.mark.parametrize(("args", "message"), [
    (["--every", "15m", "--cron", "* * * * *"], "exactly one of"),
    ([], "exactly one of"),
    (["--every", "5s"], "under a minute"),
    (["--cron", "every friday"], "not a cron expression"),
    (["--every", "15m"], "needs a Prefect server"),
])
def test_serve_refuses_what_it_cannot_schedule(args, message) -> None:
    result = newsflow("serve", *args, env={"PREFECT_API_URL": ""})
    assert result.returncode == 2
    assert message in result.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return json.loads(response.read())
    except OSError:
        return None


def _wait(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (value := condition()):
            return value
        time.sleep(1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@contextmanager
def _process(args: list[str], env: dict, log: Path):
    with log.open("w") as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _articles(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        return run_query(db, "SELECT count(*) FROM articles")[1][0][0]
    except Exception:  # the run holds the file while it loads
        return 0


def _compose_commands(port: int, runner_port: int, db: Path) -> tuple[list[str], list[str], dict[str, str]]:
    """The prefect-server and newsflow services' commands and newsflow's environment, from
    docker-compose.yml, moved onto loopback ports, this checkout and a temporary warehouse."""
    import yaml

    services = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    server = [str(PREFECT) if a == "prefect" else a for a in services["prefect-server"]["command"]]
    server[server.index("--host") + 1] = "127.0.0.1"
    server[server.index("--port") + 1] = str(port)
    serve = [str(NEWSFLOW) if a == "newsflow" else re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", a)
             for a in services["newsflow"]["command"]]
    env = {k: str(v) for k, v in services["newsflow"]["environment"].items()}
    env.update(PREFECT_API_URL=f"http://127.0.0.1:{port}/api", NEWSFLOW_DB=str(db), NEWSFLOW_FEEDS=str(SEEDS / "feeds.toml"),
               PREFECT_RUNNER_SERVER_HOST="127.0.0.1", PREFECT_RUNNER_SERVER_PORT=str(runner_port))
    env.pop("NEWSFLOW_DUCKDB_MEMORY_LIMIT", None)
    env.pop("NEWSFLOW_DUCKDB_READ_MEMORY_LIMIT", None)
    return server, serve, env


@pytest.mark.slow
def test_served_deployment_runs_on_trigger_and_keeps_its_schedule_across_restarts(tmp_path) -> None:
    port, runner_port = _free_port(), _free_port()
    db = tmp_path / "warehouse.duckdb"
    server, serve, service_env = _compose_commands(port, runner_port, db)
    assert serve[1:] == ["serve", "--every", "15m"]
    api = service_env["PREFECT_API_URL"]
    env = {**os.environ, **service_env, "PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_RUNNER_POLL_FREQUENCY": "2"}
    deployment_url = f"{api}/deployments/name/newsflow-scheduled/newsflow"
    with _process(server, env, tmp_path / "server.log"):
        _wait(lambda: _get(f"{api}/health") is not None, 90, "the Prefect server")
        with _process(serve, env, tmp_path / "serve.log"):
            _wait(lambda: _get(deployment_url), 90, "the deployment")
            # the compose health check of the newsflow service: Prefect's runner webserver
            _wait(lambda: _get(f"http://127.0.0.1:{runner_port}/health") is not None, 60, "the runner's health endpoint")
            trigger = subprocess.run([str(PREFECT), "deployment", "run", "newsflow-scheduled/newsflow"], env=env,
                                     capture_output=True, text=True, timeout=60)
            assert trigger.returncode == 0, trigger.stderr
            _wait(lambda: _articles(db) == 5, 180, "the triggered run to fill the warehouse")
        deployment = _get(deployment_url)
        assert deployment["paused"] is False
        assert [(s["active"], s["schedule"]["interval"]) for s in deployment["schedules"]] == [(True, 900.0)]
        assert deployment["parameters"] == {"feeds": str((SEEDS / "feeds.toml").resolve()), "db": str(db)}
        # a restarted serve finds its schedule as it left it, and the next scheduled run is queued
        with _process(serve, env, tmp_path / "serve2.log"):
            _wait(lambda: (_get(deployment_url) or {}).get("status") == "READY", 90, "the restarted deployment")
            runs = _wait(lambda: _post(f"{api}/flow_runs/filter", {"flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}}}),
                         60, "a scheduled run")
            assert all(r["deployment_id"] == deployment["id"] for r in runs)
    assert _articles(db) == 5


def _post(url: str, body: dict) -> list | None:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read()) or None
    except OSError:
        return None
