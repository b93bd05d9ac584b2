"""Read-only access for analysts: open briefly, run one query, close."""
from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse.db import WarehouseError, connect


class QueryError(WarehouseError):
    """The query itself is wrong (syntax, unknown column, or an attempt to write)."""


def run_query(path: Path, sql: str, *, lock_timeout: float = 10.0) -> tuple[list[str], list[tuple]]:
    with connect(path, read_only=True, lock_timeout=lock_timeout) as conn:
        try:
            cursor = conn.execute(sql)
        except duckdb.Error as exc:
            raise QueryError(str(exc).splitlines()[0]) from exc
        if cursor.description is None:
            return [], []
        return [d[0] for d in cursor.description], cursor.fetchall()
