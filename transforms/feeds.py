"""Feed bytes -> entries, with feedparser (never given a URL: it would fetch without limits)."""
from __future__ import annotations

import calendar
import hashlib
from datetime import datetime, timezone
from urllib.parse import urljoin

import feedparser

from transforms.records import FeedEntry, FeedState, ParsedFeed


def _to_datetime(struct) -> datetime | None:
    if not struct:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(struct), tz=timezone.utc)
    except (OverflowError, ValueError, TypeError):
        return None


def _entry_content(entry) -> str | None:
    for item in entry.get("content") or []:
        value = item.get("value")
        if value and value.strip():
            return value
    return None


def _entry_key(entry, link: str | None, title: str | None, published: datetime | None) -> str:
    guid = (entry.get("id") or "").strip()
    if guid:
        return "guid:" + guid
    if link:
        return "link:" + link
    basis = f"{title or ''}|{published.isoformat() if published else ''}"
    return "title:" + hashlib.sha256(basis.encode()).hexdigest()[:24]


def parse_feed(
    raw: bytes, *, feed_url: str, headers: dict[str, str] | None = None
) -> ParsedFeed:
    """Parse feed bytes. HTTP headers let feedparser weigh the HTTP charset against the XML one.

    Relative links resolve against the feed's own URL, so a local fixture feed can point at
    files beside it.
    """
    response_headers = {k.lower(): v for k, v in (headers or {}).items()}
    if not feed_url.startswith("file:"):  # feedparser joins file: bases wrongly; we join those below
        response_headers.setdefault("content-location", feed_url)
    parsed = feedparser.parse(raw, response_headers=response_headers, sanitize_html=False)
    entries: list[FeedEntry] = []
    seen: set[str] = set()
    for entry in parsed.entries:
        link = (entry.get("link") or "").strip() or None
        if link:
            link = urljoin(feed_url, link)
        title = (entry.get("title") or "").strip() or None
        published = _to_datetime(entry.get("published_parsed") or entry.get("updated_parsed"))
        key = _entry_key(entry, link, title, published)
        if key in seen:  # a feed that repeats a GUID: keep the first
            continue
        seen.add(key)
        entries.append(
            FeedEntry(
                feed_url=feed_url,
                entry_key=key,
                url=link,
                title=title,
                published_at=published,
                content=_entry_content(entry),
                summary=(entry.get("summary") or "").strip() or None,
                author=(entry.get("author") or "").strip() or None,
            )
        )
    bozo = None
    # A missing or non-XML Content-Type is no fault of the document.
    if parsed.get("bozo") and not isinstance(parsed.get("bozo_exception"), feedparser.NonXMLContentType):
        bozo = f"{type(parsed.get('bozo_exception')).__name__}: {parsed.get('bozo_exception')}"[:500]
    ttl = parsed.feed.get("ttl")
    try:
        ttl_minutes = int(ttl) if ttl else None
    except (TypeError, ValueError):
        ttl_minutes = None
    return ParsedFeed(
        feed_url=feed_url,
        title=(parsed.feed.get("title") or "").strip() or None,
        entries=entries,
        bozo=bozo,
        ttl_minutes=ttl_minutes,
    )


def conditional_headers(previous: FeedState | None) -> dict[str, str]:
    """Validators from the last 200 answer, for a conditional GET."""
    headers: dict[str, str] = {}
    if previous and previous.etag:
        headers["If-None-Match"] = previous.etag
    if previous and previous.last_modified:
        headers["If-Modified-Since"] = previous.last_modified
    return headers


def body_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:32]


def next_feed_state(
    url: str,
    name: str | None,
    previous: FeedState | None,
    *,
    status: int | None,
    error: str | None,
    now: datetime,
    headers: dict[str, str] | None = None,
    raw: bytes | None = None,
    parsed: ParsedFeed | None = None,
) -> FeedState:
    """The feed's row after this fetch. Validators change only on a 200; failures count up."""
    prev = previous or FeedState(url=url)
    if error is not None:
        return FeedState(url=url, name=name, title=prev.title, etag=prev.etag, last_modified=prev.last_modified,
                         body_hash=prev.body_hash, last_fetched_at=now, last_status=status, last_error=error,
                         consecutive_failures=prev.consecutive_failures + 1, entries_seen=prev.entries_seen)
    if status == 304:
        return FeedState(url=url, name=name, title=prev.title, etag=prev.etag, last_modified=prev.last_modified,
                         body_hash=prev.body_hash, last_fetched_at=now, last_status=304, last_error=None,
                         consecutive_failures=0, entries_seen=prev.entries_seen)
    headers = headers or {}
    return FeedState(
        url=url, name=name, title=(parsed.title if parsed else None) or prev.title,
        etag=headers.get("etag"), last_modified=headers.get("last-modified"),
        body_hash=body_hash(raw) if raw is not None else None, last_fetched_at=now, last_status=status,
        last_error=(f"parsed with errors: {parsed.bozo}"[:500] if parsed and parsed.bozo and not parsed.entries else None),
        consecutive_failures=0, entries_seen=len(parsed.entries) if parsed else None,
    )
