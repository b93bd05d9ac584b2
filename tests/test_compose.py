"""docker-compose.yml and the Dockerfile, checked without a Docker engine: the Compose
Specification's JSON schema, then what the stack needs to work (health checks gating start-up,
the warehouse on a named volume, newsflow pointed at the server it waits for)."""
from __future__ import annotations

import copy
import json
import re
import tomllib

import jsonschema
import pytest
import yaml

from tests.conftest import REPO, shared_data

COMPOSE = REPO / "docker-compose.yml"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    schema = json.loads(shared_data("compose", "compose-spec.json").read_text())
    return jsonschema.Draft7Validator(schema)


def test_compose_file_follows_the_compose_specification(compose, validator) -> None:
    errors = sorted(validator.iter_errors(compose), key=lambda e: list(e.path))
    assert not errors, [f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors]


@pytest.mark.parametrize("breakage", [
    lambda c: c["services"]["newsflow"].__setitem__("depends_on", {"prefect-server": {"condition": "when_ready"}}),
    lambda c: c["services"]["postgres"]["healthcheck"].__setitem__("interval", 5),
    lambda c: c["services"].__setitem__("extra", {"image": "x", "unknown_key": 1}),
])
def test_the_schema_check_catches_a_broken_file(compose, validator, breakage) -> None:
    broken = copy.deepcopy(compose)
    breakage(broken)
    assert list(validator.iter_errors(broken))


def test_every_service_is_health_checked_and_waits_for_healthy_dependencies(compose) -> None:
    services = compose["services"]
    for name, service in services.items():
        assert service.get("healthcheck", {}).get("test"), name
        for dependency, rule in (service.get("depends_on") or {}).items():
            assert dependency in services and rule["condition"] == "service_healthy", (name, dependency)


def test_newsflow_serves_against_the_server_with_the_warehouse_on_a_named_volume(compose) -> None:
    services = compose["services"]
    newsflow, server = services["newsflow"], services["prefect-server"]
    assert newsflow["command"][:2] == ["newsflow", "serve"]
    api = newsflow["environment"]["PREFECT_API_URL"]
    host, port = re.match(r"http://([\w-]+):(\d+)/api$", api).groups()
    assert host == "prefect-server" and server["command"][server["command"].index("--port") + 1] == port
    assert "postgresql+asyncpg://" in server["environment"]["PREFECT_API_DATABASE_CONNECTION_URL"]
    volume, target = newsflow["volumes"][0].split(":")[:2]
    assert volume in compose["volumes"] and newsflow["environment"]["NEWSFLOW_DB"].startswith(target + "/")
    assert "8080" in " ".join(newsflow["healthcheck"]["test"]) and newsflow["environment"]["PREFECT_RUNNER_SERVER_PORT"] == "8080"


def test_images_match_the_pinned_prefect_and_the_dockerfile_serves(compose) -> None:
    pinned = next(d for d in tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
                  if d.startswith("prefect"))
    version = pinned.split("==")[1]
    assert compose["services"]["prefect-server"]["image"].startswith(f"prefecthq/prefect:{version}-python3.11")
    dockerfile = (REPO / "Dockerfile").read_text()
    assert dockerfile.startswith("#") and "FROM python:3.11" in dockerfile
    assert 'CMD ["newsflow", "serve"' in dockerfile and "HEALTHCHECK" in dockerfile
    for folder in ("newsflow", "flows", "connectors", "transforms", "warehouse", "seeds"):
        assert f"COPY {folder} {folder}" in dockerfile, folder
