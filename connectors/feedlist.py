"""The feed list: a TOML file of [[feeds]] and optional [fetch] and [stories] tables."""
from __future__ import annotations

import hashlib
import os
import re
import tomllib

import tomli_w
from dataclasses import dataclass, field, fields, replace
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from connectors.fetch import FetchPolicy
from transforms.stories import MAX_WINDOW, THRESHOLD, WINDOW, StoryPolicy

SEED_FEEDS = Path(__file__).resolve().parent.parent / "seeds" / "feeds.toml"


class ConfigError(Exception):
    """The configuration cannot be used; the message names the problem in one line."""


@dataclass(frozen=True, slots=True)
class FeedSource:
    url: str
    name: str | None = None


class _Feed(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(min_length=1)
    name: str | None = None

    @field_validator("url")
    @classmethod
    def _scheme(cls, value: str) -> str:
        scheme = urlsplit(value).scheme
        if scheme not in ("", "http", "https", "file") and len(scheme) > 1:
            raise ValueError(f"unsupported scheme {scheme!r}: use http(s), file: or a path")
        if scheme in ("http", "https") and not urlsplit(value).hostname:
            raise ValueError(f"no host in {value!r}")
        return value


class _Fetch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    connect_timeout: float = Field(default=5.0, gt=0)
    read_timeout: float = Field(default=10.0, gt=0)
    total_timeout: float = Field(default=30.0, gt=0)
    max_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    max_redirects: int = Field(default=5, ge=0, le=20)
    user_agent: str | None = None
    concurrency: int = Field(default=8, ge=1, le=64)
    allow_private_networks: bool = False
    backoff_base_seconds: float = Field(default=900.0, ge=0)
    backoff_max_seconds: float = Field(default=86400.0, ge=0)
    per_host_concurrency: int = Field(default=2, ge=1, le=16)
    per_host_delay: float = Field(default=0.25, ge=0)
    respect_robots: bool = True


class _Stories(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # members are read from the whole window around a batch's dates: a month is the most allowed
    window_days: float = Field(default=WINDOW / timedelta(days=1), gt=0, le=MAX_WINDOW / timedelta(days=1))
    threshold: float = Field(default=THRESHOLD, gt=0, le=1)


class _FeedFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    feeds: list[_Feed] = Field(default_factory=list)
    fetch: _Fetch = Field(default_factory=_Fetch)
    stories: _Stories = Field(default_factory=_Stories)


@dataclass(frozen=True, slots=True)
class FeedList:
    path: Path
    feeds: list[FeedSource]
    policy: FetchPolicy
    stories: StoryPolicy = field(default_factory=StoryPolicy)

    def shard(self, index: int, count: int) -> "FeedList":
        """The feeds of shard `index` of `count` (1-based). A feed's shard depends on its URL only, so
        N runs (or deployments) with the same N cover every feed exactly once, whatever the list's order."""
        if not 1 <= index <= count:
            raise ConfigError(f"shard {index}/{count}: need 1 <= I <= N")
        return replace(self, feeds=[f for f in self.feeds if shard_of(f.url, count) == index])


def shard_of(url: str, count: int) -> int:
    """1-based shard of a feed URL: a stable hash (not Python's salted hash())."""
    return int.from_bytes(hashlib.sha256(url.encode("utf-8")).digest()[:8], "big") % count + 1


def _absolute(url: str, base: Path) -> str:
    """Relative paths are relative to the feed file, so a feed list travels with its fixtures."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https", "file"):
        return url
    path = Path(url).expanduser()
    return (path if path.is_absolute() else (base / path)).resolve().as_uri()


def _read_feed_file(path: Path) -> tuple[dict, _FeedFile]:
    """The file as plain data and validated; every problem is a one-line ConfigError."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"feed list not found: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read feed list {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"feed list {path} is not valid TOML: {exc}") from exc
    try:
        return raw, _FeedFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"feed list {path}: {where}: {first['msg']}") from exc


def load_feed_list(path: Path, *, env: dict[str, str] | None = None) -> FeedList:
    env = os.environ if env is None else env
    _, parsed = _read_feed_file(path)
    base = path.resolve().parent
    feeds, seen = [], set()
    for feed in parsed.feeds:
        url = _absolute(feed.url, base)
        if url not in seen:
            seen.add(url)
            feeds.append(FeedSource(url=url, name=feed.name))
    options = parsed.fetch.model_dump(exclude_none=True)
    if env.get("NEWSFLOW_ALLOW_PRIVATE_NETWORKS", "") == "1":
        options["allow_private_networks"] = True
    known = {f.name for f in fields(FetchPolicy)}
    stories = StoryPolicy(window=timedelta(days=parsed.stories.window_days), threshold=parsed.stories.threshold)
    return FeedList(path=path, feeds=feeds, policy=FetchPolicy(**{k: v for k, v in options.items() if k in known}),
                    stories=stories)


_HOST_LIKE = re.compile(r"^(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}[:/?]|^www\.", re.IGNORECASE)


def feed_problem(url: str, feed_file: Path) -> str | None:
    """Why `url` should not be added to the list at `feed_file` (None if it may): a URL it cannot
    fetch, or a path (read relative to the list's folder, as a run reads it) that does not exist."""
    try:
        _Feed(url=url)
    except ValidationError as exc:
        return str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
    if urlsplit(url).scheme in ("http", "https"):
        return None
    target = Path(url2pathname(urlsplit(_absolute(url, feed_file.resolve().parent)).path))
    if target.is_file():
        return None
    hint = f" (did you mean https://{url}?)" if _HOST_LIKE.match(url) else ""
    return f"no such file: {target}{hint}"


def read_feed_table(path: Path) -> dict:
    """The feed list as plain data, for editing; a missing file is an empty list."""
    if not path.exists():
        return {"feeds": []}
    raw, _ = _read_feed_file(path)
    raw.setdefault("feeds", [])
    return raw


def write_feed_table(path: Path, table: dict) -> None:
    """Write atomically: a crash mid-write never leaves half a feed list."""
    _FeedFile.model_validate(table)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(tomli_w.dumps({k: v for k, v in table.items() if v or k == "feeds"}), encoding="utf-8")
    os.replace(tmp, path)


def read_bytes(path: Path, max_bytes: int = 10 * 1024 * 1024) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if len(data) > max_bytes:
        raise ConfigError(f"{path} is larger than {max_bytes} bytes")
    return data
