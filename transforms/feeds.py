"""Feed bytes -> entries, with feedparser (never given a URL: it would fetch without limits)."""
from __future__ import annotations

import calendar
import email.utils
import hashlib
import html
import json
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import urljoin

import feedparser

from transforms import charsets
from transforms.records import FeedEntry, FeedState, ParsedFeed


# Dates outside this range are a feed's bug (year 1, 9999), not news: treated as absent.
EARLIEST = datetime(1990, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2100, 1, 1, tzinfo=timezone.utc)


def _to_datetime(struct) -> datetime | None:
    if not struct:
        return None
    try:
        value = datetime.fromtimestamp(calendar.timegm(struct), tz=timezone.utc)
    except (OverflowError, ValueError, TypeError, OSError):
        return None
    return value if EARLIEST <= value < LATEST else None


def _entry_content(entry) -> str | None:
    for item in entry.get("content") or []:
        value = item.get("value")
        if value and value.strip():
            return value
    return None


_BREAK_TAG = re.compile(r"<(?:br|/?(?:p|div|li|h[1-6]))\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<!--.*?-->", re.DOTALL)
_CHAR_REF = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def plain_title(value: str | None, kind: str | None = None) -> str | None:
    """A title as one line of text. An HTML title (feedparser's `title_detail.type`, Atom's
    type="html") loses its markup ("How <i>The Pitt</i>'s ..." -> "How The Pitt's ...") and has its
    character references resolved; references left in any title are resolved too, since publishers
    escape titles twice ("&amp;#8211;" arrives as "&#8211;", "Re&colon;" as itself); line breaks and
    runs of spaces become one space. A "<" that opens no tag ("x < y") stays."""
    if not value:
        return None
    if kind and "html" in kind:
        value = html.unescape(_TAG.sub("", _BREAK_TAG.sub(" ", value)))
    for _ in range(3):  # "&amp;amp;amp;#8211;" in the document: escaped up to four times
        value, before = _CHAR_REF.sub(lambda m: html.unescape(m.group()), value), value
        if value == before:
            break
    return " ".join(value.split()) or None


def _authors(entry) -> str | None:
    """The entry's author names, ", "-joined, without the e-mail addresses RSS puts beside them
    ("jane@example.org (Jane Doe)", Blogger's "Jane Doe (noreply@blogger.com)"): feedparser's
    parsed names, each once; the raw value only when no name was parsed."""
    names = [plain_title(a.get("name")) for a in entry.get("authors") or [] if isinstance(a, dict)]
    if not any(names):
        names = [plain_title((entry.get("author_detail") or {}).get("name")) or plain_title(entry.get("author"))]
    return ", ".join(dict.fromkeys(n for n in names if n)) or None


MAX_TAGS = 40  # a feed's item rarely carries more; beyond this they are a site's keyword spam
MAX_TAG_CHARS = 150
_NO_CATEGORY = frozenset({"uncategorized", "uncategorised"})  # WordPress's default, set on no subject


def entry_tags(values) -> tuple[str, ...]:
    """The publisher's categories and tags of an item (RSS `<category>`, Atom `<category>` by its
    label, else its term, Dublin Core `dc:subject`, `media:keywords` and `itunes:keywords`, which
    feedparser splits at commas; a JSON Feed's `tags`), as plain one-line text,
    each once (compared casefolded, the first spelling kept), in the feed's order. Dropped: empty
    ones, addresses (Blogger marks every post with a schema URL), WordPress's "Uncategorized", and
    anything longer than MAX_TAG_CHARS. A tag is not split at commas: "Putin, Vladimir V" is one."""
    tags: dict[str, str] = {}
    for value in values or ():
        if isinstance(value, dict):
            value = value.get("label") or value.get("term")
        tag = plain_title(value) if isinstance(value, str) else None
        if not tag or "://" in tag or len(tag) > MAX_TAG_CHARS or tag.casefold() in _NO_CATEGORY:
            continue
        tags.setdefault(tag.casefold(), tag)
        if len(tags) == MAX_TAGS:
            break
    return tuple(tags.values())


def _entry_key(entry, link: str | None, title: str | None, published: datetime | None) -> str:
    guid = (entry.get("id") or "").strip()
    if guid:
        return "guid:" + guid
    if link:
        return "link:" + link
    basis = f"{title or ''}|{published.isoformat() if published else ''}"
    return "title:" + hashlib.sha256(basis.encode()).hexdigest()[:24]


_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def readable(raw: bytes, content_type: str | None) -> tuple[bytes, str | None]:
    """Feed bytes and Content-Type that feedparser will decode right, where the feed's declared
    charset does not decode it.

    A feed says its charset in the HTTP Content-Type or its XML declaration, or is UTF-8 by default.
    When that charset cannot read the bytes, feedparser (without chardet installed) reads the whole
    document as windows-1252, and stored text becomes mojibake. Two cases are read right instead:
    - UTF-8 with a few stray windows-1252 bytes (a CMS that pasted a smart quote into a UTF-8 page):
      more valid multi-byte UTF-8 characters than bad bytes; the bad bytes are read as windows-1252,
      the rest as UTF-8 (feedparser would have turned every "é" into "Ã©").
    - a legacy charset declared nowhere (EUC-KR, KOI8-R, Shift_JIS, TIS-620, windows-1255, ...):
      charset-normalizer guesses it (`charsets.guess`).
    Otherwise the input is returned as it is: where the declaration holds, where it names an
    unknown charset (feedparser's fallbacks), and for BOM-marked and UTF-16/32 documents."""
    if raw.startswith(_BOMS) or b"\x00" in raw[:4]:
        return raw, content_type
    declared = charsets.CHARSET.search(content_type or "") or _XML_ENCODING.match(raw[:512])
    name = declared.group(1) if declared else "utf-8"
    name = name.decode("ascii") if isinstance(name, bytes) else name
    try:
        raw.decode(name)
        return raw, content_type
    except LookupError:
        return raw, content_type
    except UnicodeDecodeError:
        pass
    media_type = (content_type or "application/xml").split(";")[0].strip()
    if charsets.is_utf8_name(name) and charsets.mostly_utf8(raw):
        return charsets.decode_mixed(raw).encode("utf-8"), f"{media_type}; charset=utf-8"
    if guessed := charsets.guess(raw):
        return raw, f"{media_type}; charset={guessed}"
    return raw, content_type


def parse_feed(
    raw: bytes, *, feed_url: str, headers: dict[str, str] | None = None
) -> ParsedFeed:
    """Parse feed bytes. HTTP headers let feedparser weigh the HTTP charset against the XML one.

    Relative links resolve against the feed's own URL, so a local fixture feed can point at
    files beside it.
    """
    if (json_feed := _parse_json_feed(raw, feed_url)) is not None:
        return json_feed
    response_headers = {k.lower(): v for k, v in (headers or {}).items()}
    if not feed_url.startswith("file:"):  # feedparser joins file: bases wrongly; we join those below
        response_headers.setdefault("content-location", feed_url)
    raw, content_type = readable(raw, response_headers.get("content-type"))
    if content_type:
        response_headers["content-type"] = content_type
    try:
        parsed = feedparser.parse(raw, response_headers=response_headers, sanitize_html=False)
    except (UnicodeError, LookupError, ValueError):
        # feedparser trips over undecodable bytes inside the XML declaration itself: read the
        # document as UTF-8 with replacement characters instead.
        repaired = re.sub(rb"^\s*<\?xml[^>]*\?>", b"", raw.decode("utf-8", errors="replace").encode("utf-8"))
        try:
            parsed = feedparser.parse(repaired, sanitize_html=False,
                                      response_headers={"content-type": "application/xml; charset=utf-8"})
        except (UnicodeError, LookupError, ValueError) as exc:
            return ParsedFeed(feed_url=feed_url, title=None, entries=[], bozo=f"{type(exc).__name__}: {exc}"[:500])
    raw_entries = []
    for entry in parsed.entries:
        link = (entry.get("link") or "").strip() or None
        if link:
            link = urljoin(feed_url, link)
        title = (entry.get("title") or "").strip() or None  # as parsed: entry keys are built from it
        published = _to_datetime(entry.get("published_parsed") or entry.get("updated_parsed"))
        raw_entries.append((entry, link, title, published))
    # A feed whose GUIDs repeat across different links (a CMS that reuses one id) cannot be
    # trusted on GUIDs: identify its entries by link instead.
    guid_links: dict[str, set] = {}
    for entry, link, _, _ in raw_entries:
        guid = (entry.get("id") or "").strip()
        if guid:
            guid_links.setdefault(guid, set()).add(link)
    guids_repeat = any(len(links) > 1 for links in guid_links.values())
    entries: list[FeedEntry] = []
    seen: set[str] = set()
    for entry, link, title, published in raw_entries:
        key = _entry_key({} if guids_repeat and link else entry, link, title, published)
        if key in seen:  # the same item twice in one document
            continue
        seen.add(key)
        entries.append(
            FeedEntry(
                feed_url=feed_url,
                entry_key=key,
                url=link,
                title=plain_title(title, (entry.get("title_detail") or {}).get("type")),
                published_at=published,
                content=_entry_content(entry),
                summary=(entry.get("summary") or "").strip() or None,
                author=_authors(entry),
                tags=entry_tags(entry.get("tags")),
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
        title=plain_title(parsed.feed.get("title"), (parsed.feed.get("title_detail") or {}).get("type")),
        entries=entries,
        bozo=bozo,
        ttl_minutes=ttl_minutes,
        format=parsed.get("version") or None,
    )


def _json_date(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    return parsed if EARLIEST <= parsed < LATEST else None


def _json_str(value) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _parse_json_feed(raw: bytes, feed_url: str) -> ParsedFeed | None:
    """JSON Feed 1.0/1.1 (jsonfeed.org), which feedparser does not read. None: not a JSON Feed."""
    head = raw[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(b"{"):
        return None
    try:
        doc = json.loads(raw.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError):
        return None
    version = doc.get("version") if isinstance(doc, dict) else None
    if not isinstance(version, str) or "jsonfeed.org/version/" not in version:
        return None
    entries: list[FeedEntry] = []
    seen: set[str] = set()
    items = doc.get("items") if isinstance(doc.get("items"), list) else []
    for item in (i for i in items if isinstance(i, dict)):
        link = _json_str(item.get("url")) or _json_str(item.get("external_url"))
        link = urljoin(feed_url, link) if link else None
        title, published = _json_str(item.get("title")), _json_date(item.get("date_published") or item.get("date_modified"))
        guid = item.get("id")
        key = _entry_key({"id": str(guid)} if isinstance(guid, (str, int)) else {}, link, title, published)
        if key in seen:
            continue
        seen.add(key)
        authors = item.get("authors") if isinstance(item.get("authors"), list) else [item.get("author")]
        names = [plain_title(a["name"]) for a in authors if isinstance(a, dict) and isinstance(a.get("name"), str)]
        entries.append(FeedEntry(
            feed_url=feed_url, entry_key=key, url=link, title=plain_title(title), published_at=published,
            content=_json_str(item.get("content_html")) or _json_str(item.get("content_text")),
            summary=_json_str(item.get("summary")), author=", ".join(dict.fromkeys(n for n in names if n)) or None,
            tags=entry_tags(item.get("tags") if isinstance(item.get("tags"), list) else ()),
        ))
    return ParsedFeed(feed_url=feed_url, title=plain_title(_json_str(doc.get("title"))), entries=entries, bozo=None,
                      format="json" + version.rstrip("/").rsplit("/", 1)[-1].replace(".", ""))


def conditional_headers(previous: FeedState | None) -> dict[str, str]:
    """Validators from the last 200 answer, for a conditional GET."""
    headers: dict[str, str] = {}
    if previous and previous.etag:
        headers["If-None-Match"] = previous.etag
    if previous and previous.last_modified:
        headers["If-Modified-Since"] = previous.last_modified
    return headers


def is_due(state: FeedState | None, now: datetime) -> bool:
    """A feed is fetched unless its backoff, Retry-After or minimum interval is still running."""
    return state is None or state.next_fetch_at is None or state.next_fetch_at <= now


def body_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:32]


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Retry-After as delay-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - now).total_seconds())


def max_age_seconds(headers: dict[str, str] | None) -> float | None:
    control = (headers or {}).get("cache-control", "")
    if re.search(r"\bno-(?:cache|store)\b", control):
        return None
    match = re.search(r"\bmax-age=(\d+)", control)
    return float(match.group(1)) if match else None


def backoff_seconds(failures: int, base: float, cap: float) -> float:
    return min(cap, base * 2 ** max(0, failures - 1))


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
    retry_after: str | None = None,
    backoff_base: float = 900.0,
    backoff_max: float = 86400.0,
) -> FeedState:
    """The feed's row after this fetch. Validators change only on a 200; failures count up and
    push the next fetch back (capped exponential, or the server's Retry-After if longer); a
    healthy feed waits only when it asks to (Cache-Control max-age, RSS <ttl>)."""
    prev = previous or FeedState(url=url)
    if error is not None:
        failures = prev.consecutive_failures + 1
        wait = backoff_seconds(failures, backoff_base, backoff_max)
        asked = retry_after_seconds(retry_after, now) if status in (429, 503) else None
        if asked is not None:
            wait = max(wait, min(asked, backoff_max))
        return FeedState(url=url, name=name, title=prev.title, etag=prev.etag, last_modified=prev.last_modified,
                         body_hash=prev.body_hash, last_fetched_at=now, last_status=status, last_error=error,
                         consecutive_failures=failures, entries_seen=prev.entries_seen,
                         next_fetch_at=now + timedelta(seconds=wait) if wait > 0 else None)
    hints = [h for h in (max_age_seconds(headers), (parsed.ttl_minutes * 60.0) if parsed and parsed.ttl_minutes else None) if h]
    next_fetch_at = now + timedelta(seconds=min(max(hints), backoff_max)) if hints else None
    if status == 304:
        return FeedState(url=url, name=name, title=prev.title, etag=prev.etag, last_modified=prev.last_modified,
                         body_hash=prev.body_hash, last_fetched_at=now, last_status=304, last_error=None,
                         consecutive_failures=0, entries_seen=prev.entries_seen, next_fetch_at=next_fetch_at)
    headers = headers or {}
    return FeedState(
        url=url, name=name, title=(parsed.title if parsed else None) or prev.title,
        etag=headers.get("etag"), last_modified=headers.get("last-modified"),
        body_hash=body_hash(raw) if raw is not None else None, last_fetched_at=now, last_status=status,
        last_error=None, consecutive_failures=0,
        entries_seen=len(parsed.entries) if parsed else prev.entries_seen, next_fetch_at=next_fetch_at,
    )
