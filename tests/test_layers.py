"""House rules: only flows/ imports prefect, only warehouse/ opens DuckDB, transforms do no I/O."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

FORBIDDEN = {
    "transforms": {"prefect", "duckdb", "httpx", "requests", "urllib.request", "socket", "connectors", "warehouse", "flows"},
    "connectors": {"prefect", "duckdb", "warehouse", "flows"},
    "warehouse": {"prefect", "httpx", "requests", "connectors", "flows"},
    "flows": {"duckdb", "httpx"},
}


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layer_imports(package: str) -> None:
    files = list((REPO / package).rglob("*.py"))
    assert files
    for path in files:
        for name in imports(path):
            top = {name, name.split(".")[0]}
            assert not (top & FORBIDDEN[package]), f"{path.relative_to(REPO)} imports {name}"
