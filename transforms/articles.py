"""Feed entry + fetched page -> a clean Article, or a Rejected record saying why not."""
from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from transforms.clean import clean_text, spaced
from transforms.extract import extract_article, html_to_text
from transforms.feeds import entry_tags
from transforms.records import Article, Extracted, FeedEntry, Fetched, Rejected

STUB_RATIO = 0.5  # page text under half the feed's full text: take the feed's
MIN_WORDS = 15  # below this, "text" is a banner or a stub; interstitial lines are already gone
_TRACKING = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid", "ocid", "cmpid", "_ga", "igshid", "ref_src")


def canonical_url(url: str) -> str:
    """Scheme and host lowercased, fragment and tracking parameters dropped, default port gone."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        return urlunsplit((parts.scheme.lower(), parts.netloc, parts.path, parts.query, ""))
    host = (parts.hostname or "").lower()
    if parts.port and not ((parts.scheme == "http" and parts.port == 80) or (parts.scheme == "https" and parts.port == 443)):
        host = f"{host}:{parts.port}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not k.lower().startswith(_TRACKING)]
    return urlunsplit((parts.scheme.lower(), host, parts.path or "/", urlencode(query), ""))


# AMP and mobile copies of a page: the same article at another address.
_VARIANT_HOST_LABELS = ("www", "m", "mobile", "amp")
_AMP_CACHE = re.compile(r"^/[cv]/(?:s/)?(?P<rest>[^/]+\.[^/]+/.*)$")  # <host>.cdn.ampproject.org/c/s/<host>/<path>
_AMP_PATH = (re.compile(r"^/amp(?=/)"), re.compile(r"/amp/?$"), re.compile(r"\.amp(?=\.html?$|$)"))
_AMP_QUERY = ("amp", "usqp", "amp_js_v", "amp_gsa")


def url_key(url: str) -> str:
    """The page behind a URL, whatever address it was linked by: no scheme (http = https), no
    www./m./mobile./amp. host label, no AMP path marker (/amp/..., .../amp, .amp.html) or AMP query
    parameter, no Google AMP cache wrapper, no trailing slash, query parameters sorted. Two links
    with one key are one article, fetched and stored once. Takes a stored `url` (canonical): one
    with a fragment names a feed entry without a link and is its own key."""
    return _fold(url, variants=True)


def variant_rank(url: str) -> tuple[bool, bool]:
    """(an AMP or mobile address, plain http): of two links with one key, the lower rank is fetched."""
    return _fold(url, variants=True) != _fold(url, variants=False), urlsplit(url.strip()).scheme.lower() == "http"


def _fold(url: str, *, variants: bool) -> str:
    if "#" in url:  # an entry without a link is stored as <feed>#<entry key>: the fragment is its identity
        return url
    url = canonical_url(url)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return url
    host, path = parts.netloc, parts.path
    if variants and host.endswith(".cdn.ampproject.org") and (inner := _AMP_CACHE.match(path)):
        return _fold("https://" + inner["rest"] + (f"?{parts.query}" if parts.query else ""), variants=True)
    labels = host.split(".")
    while len(labels) > 2 and labels[0] in (_VARIANT_HOST_LABELS if variants else ("www",)):
        labels = labels[1:]
    for marker in _AMP_PATH if variants else ():
        path = marker.sub("", path)
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                   if not variants or (k.lower() not in _AMP_QUERY and not (k.lower() == "outputtype" and v.lower() == "amp")))
    return ".".join(labels) + path.rstrip("/") + (f"?{urlencode(query)}" if query else "")


def article_id_for(url: str) -> str:
    return hashlib.sha256(canonical_url(url).encode()).hexdigest()[:20]


def entry_url(entry: FeedEntry) -> str:
    """Where the article lives; an entry with no link is identified within its feed."""
    if entry.url:
        return canonical_url(entry.url)
    return f"{entry.feed_url}#{entry.entry_key}"


def _from_feed(entry: FeedEntry) -> tuple[Extracted, str] | None:
    for value, source in ((entry.content, "feed_content"), (entry.summary, "feed_summary")):
        if value:
            return Extracted(text=html_to_text(value), author=entry.author), source
    return None


def build_article(entry: FeedEntry, page: Fetched | None, page_error: str | None = None) -> Article | Rejected:
    """Extract and clean the page; when the page gives no article, fall back to the feed's own
    content. The text source is recorded. Short or empty results are rejected, not stored."""
    url = entry_url(entry)
    attempts: list[tuple[Extracted, str]] = []
    if page is not None:
        extracted = extract_article(page.content, url=page.final_url, content_type=page.content_type)
        if extracted is not None:
            attempts.append((extracted, "page"))
    if (fallback := _from_feed(entry)) is not None:
        attempts.append(fallback)
    reasons = [page_error] if page_error else ([] if page is not None else ["no link and no content"])
    candidates = []
    for extracted, source in attempts:
        title = entry.title or extracted.title
        cleaned = clean_text(extracted.text, title=title, summary=source == "feed_summary")
        words = len(spaced(cleaned.text).split())  # a Chinese or Japanese character is a word
        if words < MIN_WORDS:
            reasons.append(f"{source}: {words} words after cleaning")
            continue
        candidates.append((extracted, source, title, cleaned, words))
    if candidates:
        extracted, source, title, cleaned, words = candidates[0]
        # A page much shorter than the feed's own full text is a paywall or consent stub.
        if source == "page" and len(candidates) > 1 and words < STUB_RATIO * candidates[1][4]:
            extracted, source, title, cleaned, words = candidates[1]
        headline = next((r.text for r in cleaned.removals if r.rule == "headline"), None)
        return Article(
            article_id=article_id_for(url),
            url=url,
            feed_url=entry.feed_url,
            title=title or headline,
            text=cleaned.text,
            published_at=entry.published_at or extracted.published_at,
            text_source=source,
            author=cleaned.author or extracted.author or entry.author,
            license=cleaned.license or extracted.license,
            photo_credit=cleaned.photo_credit,
            removals=cleaned.removals,
            tags=list(entry_tags([*entry.tags, *cleaned.tags])),  # the feed's, then the text's own line
        )
    if page is not None and not attempts:
        reasons.append("page: no article text found")
    return Rejected(url=url, stage="extract", reason="; ".join(reasons) or "no text", feed_url=entry.feed_url)
