"""Durable spool beside the warehouse for batches that could not be loaded (file locked).

A batch is written whole to a temp file, fsynced, then renamed into `<db>.spool/`: a crash
leaves either a complete batch file or none. Loads are idempotent, so draining a batch that
was partly seen before stores nothing twice.
"""
from __future__ import annotations

import os
import pickle
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from transforms.records import Article, FeedState, Rejected
from warehouse.db import Warehouse, warehouse

SUFFIX = ".batch"


@dataclass(frozen=True, slots=True)
class SpooledBatch:
    articles: list[Article]
    rejections: list[Rejected]
    states: list[FeedState]
    now: datetime


def spool_dir(target: Warehouse | Path | str) -> Path:
    return warehouse(target).spool_dir()


def write_batch(target: Warehouse | Path | str, batch: SpooledBatch) -> Path:
    folder = spool_dir(target)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}{SUFFIX}"
    tmp = folder / (name + ".tmp")
    with tmp.open("wb") as handle:
        pickle.dump(batch, handle, protocol=pickle.HIGHEST_PROTOCOL)
        handle.flush()
        os.fsync(handle.fileno())
    final = folder / name
    os.replace(tmp, final)
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return final


def pending(target: Warehouse | Path | str) -> list[Path]:
    """Complete spooled batches, oldest first (half-written temp files are ignored)."""
    folder = spool_dir(target)
    return sorted(folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []


def read_batch(path: Path) -> SpooledBatch:
    with path.open("rb") as handle:
        return pickle.load(handle)  # our own files, written by write_batch
