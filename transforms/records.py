"""Typed records that flow between the pipeline's stages."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One item of a feed, as the feed describes it."""

    feed_url: str
    entry_key: str  # identity inside the feed: GUID, else link, else title + date
    url: str | None  # absolute article link, if the entry has one
    title: str | None
    published_at: datetime | None
    content: str | None  # content:encoded / atom content, HTML or text
    summary: str | None
    author: str | None
    tags: tuple[str, ...] = ()  # the publisher's categories and tags for the item (feeds.entry_tags)


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """What a feed document holds: its entries and how well it parsed."""

    feed_url: str
    title: str | None
    entries: list[FeedEntry]
    bozo: str | None  # feedparser's complaint about malformed input, if any
    ttl_minutes: int | None = None
    format: str | None = None  # feedparser's version ("rss20", "atom10", ...); None: not a feed


@dataclass(frozen=True, slots=True)
class Fetched:
    """Bytes from a URL or a local file, with what the transport said about them."""

    url: str  # the URL asked for
    final_url: str  # after redirects
    status: int  # HTTP status; 200 for a local file
    content: bytes
    content_type: str | None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Rejected:
    """Input a stage could not use. Kept in the warehouse, never raised."""

    url: str
    stage: str
    reason: str
    feed_url: str | None = None


@dataclass(frozen=True, slots=True)
class Extracted:
    """Text pulled out of a page or a text file, before cleaning."""

    text: str
    title: str | None = None
    author: str | None = None
    published_at: datetime | None = None
    license: str | None = None


@dataclass(frozen=True, slots=True)
class Removal:
    """One piece of text the cleaner dropped, and the rule that dropped it. `line_no`: for a learned
    line (rule `learned_boilerplate`), its index among the lines of the text as cleaned before any
    learned line was cut, so that a later pass can judge a line next to it as the first pass would
    have (None for the other rules: they cut pieces of lines and page parts)."""

    rule: str
    text: str
    line_no: int | None = None

    def __setstate__(self, state: list) -> None:
        """Unpickle a spooled batch written before `line_no` existed (two values) as well as a new one."""
        for name, value in zip(("rule", "text", "line_no"), [*state, None, None][:3]):
            object.__setattr__(self, name, value)


@dataclass(frozen=True, slots=True)
class Cleaned:
    """Article text with the noise removed, and what the noise told us."""

    text: str
    removals: list[Removal]
    author: str | None = None
    license: str | None = None
    photo_credit: str | None = None
    tags: tuple[str, ...] = ()  # what a "Tags: ..." line under the text listed


@dataclass(frozen=True, slots=True)
class Entity:
    name: str
    label: str
    start_char: int
    end_char: int


@dataclass(frozen=True, slots=True)
class PlaceMention:
    """A place an article names, resolved to the gazetteer."""

    mention: str  # as the article first writes it
    geonameid: int
    place_name: str
    kind: str  # country | region | city | continent
    country_code: str | None
    latitude: float
    longitude: float
    mentions: int
    exact: bool  # False: matched by transliteration skeleton, confirmed by the article's countries


@dataclass(frozen=True, slots=True)
class DateMention:
    """A calendar day (or month) the text mentions."""

    text: str
    day: date
    precision: str  # day | month
    start_char: int


@dataclass(slots=True)
class Article:
    """An article on its way to the warehouse. Stages fill in their fields in turn."""

    article_id: str
    url: str
    feed_url: str
    title: str | None
    text: str
    published_at: datetime | None
    text_source: str  # page | feed_content | feed_summary
    author: str | None = None
    license: str | None = None
    photo_credit: str | None = None
    removals: list[Removal] = field(default_factory=list)
    content_hash: str | None = None
    language: str | None = None
    language_score: float | None = None
    entities: list[Entity] = field(default_factory=list)
    places: list[PlaceMention] = field(default_factory=list)
    dates: list[DateMention] = field(default_factory=list)
    terms: frozenset[str] = frozenset()  # distinct content words, for warehouse-wide document frequencies
    keywords: list[str] = field(default_factory=list)
    word_count: int = 0
    duplicate_of: str | None = None
    duplicate_kind: str | None = None  # exact | near
    supersedes: str | None = None  # a stored original this article, published before it, replaces
    story_id: str | None = None
    band_keys: list[int] = field(default_factory=list)
    story_terms: dict[str, int] | None = None  # content words counted as stories compare them
    source: str | None = None  # publisher host, for learned boilerplate
    line_fingerprints: dict[int, str] = field(default_factory=dict)  # before learned lines were cut
    tags: list[str] = field(default_factory=list)  # the feed item's categories (absent from a batch spooled before: NULL)


@dataclass(frozen=True, slots=True)
class FeedState:
    """A feed's row in the `feeds` table: validators and health after a fetch."""

    url: str
    name: str | None = None
    title: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    last_fetched_at: datetime | None = None
    last_status: int | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    entries_seen: int | None = None
    next_fetch_at: datetime | None = None  # not before this (backoff, Retry-After, max-age, ttl)
