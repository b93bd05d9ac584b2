"""Feed parsing: bytes in, entries out; broken feeds are data, not exceptions."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

from tests.conftest import SEEDS, shared_data
from transforms.feeds import conditional_headers, next_feed_state, parse_feed
from transforms.records import FeedState

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><ttl>30</ttl>
<item><guid>a</guid><title>One</title><link>https://example.org/1</link><pubDate>Tue, 02 Jan 2024 10:00:00 GMT</pubDate></item>
<item><guid>a</guid><title>One again</title><link>https://example.org/1</link></item>
<item><title>No guid</title><link>/relative/2</link><description>&lt;p&gt;Summary&lt;/p&gt;</description></item>
<item><title>Nothing else</title></item>
</channel></rss>"""


def test_entries_identity_links_and_dates() -> None:
    feed = parse_feed(RSS, feed_url="https://example.org/feed.xml")
    assert feed.title == "T" and feed.ttl_minutes == 30 and feed.bozo is None
    keys = [e.entry_key for e in feed.entries]
    assert keys[0] == "guid:https://example.org/a" and keys[1] == "link:https://example.org/relative/2" and keys[2].startswith("title:")
    assert len(feed.entries) == 3  # the same item twice is kept once
    assert feed.entries[0].published_at == datetime(2024, 1, 2, 10, tzinfo=timezone.utc)
    assert feed.entries[1].url == "https://example.org/relative/2"
    assert feed.entries[1].summary == "<p>Summary</p>"


def test_guid_reused_across_links_falls_back_to_links() -> None:
    raw = b"""<rss version="2.0"><channel><title>T</title>
    <item><guid isPermaLink="false">same</guid><link>https://example.org/1</link></item>
    <item><guid isPermaLink="false">same</guid><link>https://example.org/2</link></item></channel></rss>"""
    feed = parse_feed(raw, feed_url="https://example.org/feed")
    assert [e.entry_key for e in feed.entries] == ["link:https://example.org/1", "link:https://example.org/2"]


def test_seed_feed_links_resolve_to_files_beside_it() -> None:
    raw = (SEEDS / "feed.xml").read_bytes()
    feed = parse_feed(raw, feed_url=(SEEDS / "feed.xml").as_uri(), headers={"content-type": "application/xml"})
    assert len(feed.entries) == 5
    for entry in feed.entries:
        assert entry.url.startswith("file:///") and entry.url.endswith(".txt")


def test_every_broken_parser_feed_parses_without_raising() -> None:
    root = shared_data("feeds", "feedparser")
    files = [p for p in root.rglob("*") if p.is_file() and p.suffix in (".xml", ".rdf", ".atom", ".rss")]
    assert len(files) > 300
    for path in files:
        parse_feed(path.read_bytes(), feed_url=path.as_uri())


def test_garbage_is_a_bozo_feed_with_no_entries() -> None:
    feed = parse_feed(b"\x00\x01 not a feed <<<", feed_url="https://example.org/x")
    assert feed.entries == [] and feed.bozo and feed.format is None
    empty = parse_feed(b'<rss version="2.0"><channel><title>&zeta;</title></channel></rss>', feed_url="https://e.org/f")
    assert empty.entries == [] and empty.format == "rss20"  # a feed, just an empty one


def test_feed_state_validators_only_from_200_and_failures_count() -> None:
    now = datetime(2024, 1, 1, tzinfo=timezone.utc)
    ok = next_feed_state("u", None, None, status=200, error=None, now=now,
                         headers={"etag": '"v1"', "last-modified": "Mon, 01 Jan 2024 00:00:00 GMT"}, raw=b"x")
    assert conditional_headers(ok) == {"If-None-Match": '"v1"', "If-Modified-Since": "Mon, 01 Jan 2024 00:00:00 GMT"}
    failed = next_feed_state("u", None, ok, status=500, error="HTTP 500", now=now)
    failed = next_feed_state("u", None, failed, status=500, error="HTTP 500", now=now)
    assert failed.consecutive_failures == 2 and failed.etag == '"v1"' and failed.last_error == "HTTP 500"
    back = next_feed_state("u", None, failed, status=304, error=None, now=now)
    assert back.consecutive_failures == 0 and back.etag == '"v1"'
    assert conditional_headers(FeedState(url="u")) == {}


def test_backoff_retry_after_and_feed_intervals() -> None:
    now = datetime(2024, 1, 1, tzinfo=timezone.utc)
    state = None
    waits = []
    for _ in range(4):
        state = next_feed_state("u", None, state, status=500, error="HTTP 500", now=now, backoff_base=60, backoff_max=300)
        waits.append((state.next_fetch_at - now).total_seconds())
    assert waits == [60, 120, 240, 300]  # doubling, capped
    limited = next_feed_state("u", None, None, status=429, error="HTTP 429", now=now, retry_after="3600",
                              backoff_base=60, backoff_max=86400)
    assert (limited.next_fetch_at - now).total_seconds() == 3600
    dated = next_feed_state("u", None, None, status=503, error="HTTP 503", now=now,
                            retry_after="Mon, 01 Jan 2024 00:10:00 GMT", backoff_base=60)
    assert (dated.next_fetch_at - now).total_seconds() == 600
    healthy = next_feed_state("u", None, state, status=200, error=None, now=now, raw=b"x", parsed=None)
    assert healthy.next_fetch_at is None and healthy.consecutive_failures == 0  # polled every run
    cached = next_feed_state("u", None, None, status=200, error=None, now=now, raw=b"x",
                             headers={"cache-control": "public, max-age=1800"})
    assert (cached.next_fetch_at - now).total_seconds() == 1800
    feed = parse_feed(RSS, feed_url="https://example.org/feed.xml")
    ttl = next_feed_state("u", None, None, status=200, error=None, now=now, raw=RSS, parsed=feed)
    assert (ttl.next_fetch_at - now).total_seconds() == 30 * 60


def test_implausible_dates_are_absent() -> None:
    raw = b"""<rss version="2.0"><channel><title>T</title>
    <item><link>https://e.org/1</link><pubDate>Mon, 01 Jan 0001 00:00:00 GMT</pubDate></item>
    <item><link>https://e.org/2</link><pubDate>Fri, 31 Dec 9999 23:59:59 GMT</pubDate></item></channel></rss>"""
    assert [e.published_at for e in parse_feed(raw, feed_url="https://e.org/f").entries] == [None, None]


def test_content_escaped_twice_by_its_publisher_becomes_text() -> None:
    """Real cases from shared/data/feeds/real: a JSON feed whose content_html is escaped markup,
    and RSS summaries with "[&amp;#8230;]" and "&#x26;amp;" (escaped two and three times)."""
    from transforms.articles import build_article

    body = "Supabase uses JWT signing keys to sign authentication tokens. " * 3
    doc = {"version": "https://jsonfeed.org/version/1", "title": "J", "items": [
        {"id": "1", "url": "https://example.org/1", "title": "Keys",
         "content_html": f"&lt;p&gt;&lt;a href=&quot;https://supabase.com&quot;&gt;{body}&lt;/a&gt;&lt;/p&gt;\n&lt;h2&gt;Generate a key&lt;/h2&gt;"}]}
    rss = f"""<rss version="2.0"><channel><title>T</title><item><guid>2</guid><title>Deal</title><link>https://example.org/2</link>
<description>&lt;p&gt;{body} Vaccines from MSD (known as Merck &#x26;amp; Co.) were announced. The talks [&amp;#8230;]&lt;/p&gt;</description></item></channel></rss>"""
    texts = [build_article(parse_feed(raw, feed_url="https://example.org/f").entries[0], None).text
             for raw in (json.dumps(doc).encode(), rss.encode())]
    assert texts[0].startswith("Supabase uses JWT") and "Generate a key" in texts[0]
    assert "&lt;" not in texts[0] and "&quot;" not in texts[0] and "<p>" not in texts[0]
    assert "Merck & Co.) were announced." in texts[1] and "&" + "amp;" not in texts[1]
    assert texts[1].endswith("were announced.")  # the cut sentence and its "[…]" went


def test_titles_are_one_line_of_text() -> None:
    """Real titles from shared/data/feeds/real: an RSS title with escaped markup, an Atom
    type="html" title with character references, an Atom text title with "&colon;" left in it, and
    a title of three lines; the entry keys stay those of the title as parsed."""
    real = shared_data("feeds", "real", "files")
    titles: set[str] = set()
    for name in ("5da3b20f957be51d", "818f59b753411031", "3d13901a267083a8", "6ca5c4168c5b374f"):
        titles.update(e.title for e in parse_feed((real / name).read_bytes(), feed_url=f"https://example.org/{name}").entries if e.title)
    assert "How The Pitt’s AI Drama is Playing Out in Real Hospitals" in titles
    assert "Common dolphins – maybe not aging well…" in titles
    assert "Re: Double-entry accounting at scale" in titles
    assert any(t.startswith("Eye idol ca. 3700–3500 BCE On view at The Met") for t in titles)
    assert not [t for t in titles if "<" in t or "\n" in t or "&#" in t or "&colon;" in t]
    raw = b"""<rss version="2.0"><channel><title>A &amp;amp; B</title>
    <item><title>x &lt; y, AT&amp;T and R&amp;D</title></item>
    <item><title>Markup &lt;b&gt;bold&lt;/b&gt;&lt;br&gt;next line</title></item></channel></rss>"""
    feed = parse_feed(raw, feed_url="https://example.org/f")
    assert feed.title == "A & B"
    assert [e.title for e in feed.entries] == ["x < y, AT&T and R&D", "Markup bold next line"]
    # a link-less, guid-less entry is known by its title as parsed, as before: stored keys stay valid
    assert feed.entries[1].entry_key == "title:" + hashlib.sha256(b"Markup <b>bold</b><br />next line|").hexdigest()[:24]


def test_authors_are_names_without_addresses() -> None:
    """Real feeds: RSS "email (Name)", Blogger's "Name (noreply@blogger.com)", a wire feed's
    "none@none.com (Reuters)", an author listed twice; and an Atom entry with two authors."""
    real = shared_data("feeds", "real", "files")

    def authors(name: str) -> set[str | None]:
        return {e.author for e in parse_feed((real / name).read_bytes(), feed_url=f"https://example.org/{name}").entries}

    assert authors("0dbdbb0dda62ed3f") == {"Nate Barbettini"}
    assert "Jean-François Gagné" in authors("2b665d9e4b6bb33a")
    wire = authors("ce5f942d1cd40fc0")
    assert "Reuters" in wire and not [a for a in wire if a and "@" in a]
    assert "Fallthrough Media" in authors("72d1083fa3130282")
    raw = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><entry><id>1</id><title>t</title>
    <author><name>Jane Doe</name><email>jane@example.org</email></author><author><name>R&#233;mi Roe</name></author></entry>
    <entry><id>2</id><title>u</title><author><email>only@example.org</email></author></entry></feed>"""
    assert [e.author for e in parse_feed(raw, feed_url="https://example.org/f").entries] == ["Jane Doe, Rémi Roe", "only@example.org"]
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": [{"id": "1", "url": "https://example.org/1",
           "title": "A\n B &amp; C", "authors": [{"name": "Jane  Doe"}, {"name": "Jane Doe"}, {"name": "Bo"}]}]}
    entry = parse_feed(json.dumps(doc).encode(), feed_url="https://example.org/f").entries[0]
    assert (entry.title, entry.author) == ("A B & C", "Jane Doe, Bo")  # a JSON Feed's titles and authors alike


def test_tags_are_the_items_categories_each_once() -> None:
    """RSS categories and dc:subject, an Atom category by its label (else its term), a JSON Feed's
    tags: plain text, each once (the first spelling), without WordPress's default or a schema URL;
    a tag holding a comma stays one tag ("Putin, Vladimir V"). And the real feeds: NYT's subjects."""
    rss_doc = b"""<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>T</title>
    <item><guid>1</guid><title>a</title><category>Ebola</category><category> ebola </category><category>Uncategorized</category>
    <category>Health &amp;amp; Medicine</category><category>Putin, Vladimir V</category><dc:subject>Africa</dc:subject></item>
    <item><guid>2</guid><title>b</title></item></channel></rss>"""
    assert [e.tags for e in parse_feed(rss_doc, feed_url="https://example.org/f").entries] == [
        ("Ebola", "Health & Medicine", "Putin, Vladimir V", "Africa"), ()]
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><entry><id>1</id><title>t</title>
    <category scheme="http://schemas.google.com/g/2005#kind" term="http://schemas.google.com/blogger/2008/kind#post"/>
    <category term="ml" label="Machine learning"/><category term="go"/></entry></feed>"""
    assert parse_feed(atom, feed_url="https://example.org/f").entries[0].tags == ("Machine learning", "go")
    podcast = b"""<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
    <channel><title>P</title><item><guid>1</guid><title>e</title><media:keywords>zig, llm</media:keywords>
    <itunes:keywords>Go,zig</itunes:keywords></item></channel></rss>"""
    assert parse_feed(podcast, feed_url="https://example.org/f").entries[0].tags == ("zig", "llm", "Go")
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": "J",
           "items": [{"id": "1", "url": "https://example.org/1", "tags": ["zig", "Zig", 7, "", "llm"]}]}
    assert parse_feed(json.dumps(doc).encode(), feed_url="https://example.org/f").entries[0].tags == ("zig", "llm")
    nyt = shared_data("feeds", "real", "files", "78f77fae2e1ffc14")
    tags = [e.tags for e in parse_feed(nyt.read_bytes(), feed_url="https://rss.nytimes.com/x").entries]
    assert sum(bool(t) for t in tags) > len(tags) / 2 and any("Trump, Donald J" in t for t in tags)


# feedparser's feeds in legacy charsets declared nowhere (shared/data/feeds/feedparser/illformed/chardet):
# a phrase of each as its writer wrote it
UNDECLARED = {
    "big5.xml": "很容易", "eucjp.xml": "ゲーム三昧な正月", "euckr.xml": "한글닉네임", "gb2312.xml": "专业工作",
    "koi8r.xml": "Как пережить новогоднюю ночь", "shiftjis.xml": "記事投稿", "tis620.xml": "สำนักงานส่งเสริม",
    "windows1255.xml": "תדפיס נייר",
}


def _all_text(feed) -> str:
    return " ".join(filter(None, [feed.title] + [v for e in feed.entries for v in (e.title, e.summary, e.content)]))


def test_a_feed_in_a_legacy_charset_it_declares_nowhere_is_read_in_that_charset() -> None:
    root = shared_data("feeds", "feedparser", "illformed", "chardet")
    for name, phrase in UNDECLARED.items():
        raw = (root / name).read_bytes()
        with_type = parse_feed(raw, feed_url="https://example.org/" + name, headers={"content-type": "application/xml"})
        without = parse_feed(raw, feed_url="https://example.org/" + name)  # no HTTP headers at all
        assert phrase in _all_text(with_type) and phrase in _all_text(without), name


def test_utf8_with_stray_windows_1252_bytes_keeps_its_utf8_and_reads_the_strays() -> None:
    raw = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Café</title><item>'
           '<title>Zürich ' + "\x93X\x94" + ' 5 °C</title><link>https://example.org/1</link></item></channel></rss>')
    mixed = raw.encode("utf-8").replace("\x93".encode("utf-8"), b"\x93").replace("\x94".encode("utf-8"), b"\x94")
    feed = parse_feed(mixed, feed_url="https://example.org/f", headers={"content-type": "application/rss+xml"})
    assert feed.title == "Café" and feed.entries[0].title == "Zürich “X” 5 °C"  # not "CafÃ©", not "ZÃ¼rich"


def test_a_feed_its_declaration_decodes_is_left_to_feedparser() -> None:
    from transforms.feeds import readable

    latin = '<?xml version="1.0" encoding="iso-8859-1"?><rss><channel><title>Caf\xe9</title></channel></rss>'.encode("latin-1")
    assert readable(latin, "application/xml") == (latin, "application/xml")
    utf8 = "<rss><channel><title>日本語</title></channel></rss>".encode("utf-8")
    assert readable(utf8, None) == (utf8, None)
    # a handful of non-ASCII bytes is too little to guess a charset from: feedparser's reading stands
    few = b"<rss><channel><title>Caf\xe9 cr\xe8me</title></channel></rss>"
    assert readable(few, "application/xml") == (few, "application/xml")
    assert parse_feed(few, feed_url="https://example.org/f").title == "Café crème"


def test_a_japanese_post_is_an_article_not_six_words() -> None:
    from transforms.articles import build_article

    raw = shared_data("feeds", "feedparser", "illformed", "chardet", "eucjp.xml").read_bytes()
    entry = parse_feed(raw, feed_url="https://example.org/eucjp.xml").entries[0]
    article = build_article(entry, None)
    assert article.text.startswith("『SDガンダムGジェネレーションNEO』"), article  # was rejected: "6 words after cleaning"


def test_utf8_served_as_latin_1_is_read_as_utf8() -> None:
    # feedparser mends this itself (its misencoded-UTF-8 check); `readable` must leave it so
    raw = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Café in Zürich</title></channel></rss>'
    for content_type in ("application/rss+xml; charset=ISO-8859-1", "text/xml; charset=windows-1252"):
        feed = parse_feed(raw.encode("utf-8"), feed_url="https://example.org/f", headers={"content-type": content_type})
        assert feed.title == "Café in Zürich", content_type  # not "CafÃ© in ZÃ¼rich"
    latin = raw.replace("utf-8", "iso-8859-1").encode("latin-1")  # really Latin-1: read as declared
    assert parse_feed(latin, feed_url="https://example.org/f", headers={"content-type": "application/rss+xml; charset=ISO-8859-1"}).title == "Café in Zürich"


def test_feedparsers_own_expectations_hold_after_the_charset_repair() -> None:
    """feedparser's test feeds state what they must parse to ("Expect:", under the HTTP "Header:"
    they are served with). Every expectation plain feedparser meets, it still meets on what
    `readable` hands it, but line noise: the valid UTF-8 among its stray bytes is read as UTF-8."""
    import re

    import feedparser

    from transforms.feeds import readable

    met, kept, broken = 0, 0, []
    for path in sorted(shared_data("feeds", "feedparser").rglob("*.xml")):
        raw = path.read_bytes()
        head = raw[:2000].decode("latin-1")
        expect = re.search(r"^Expect:\s*(.+)$", head, re.M)
        if not expect:
            continue
        header = re.search(r"^Header:\s*([^:\n]+):\s*(.+)$", head, re.M)
        headers = {header[1].strip().lower(): header[2].strip()} if header else {}

        def meets(result) -> bool:
            try:
                return bool(eval(expect[1], {}, dict(result)))  # feedparser's own test expressions
            except Exception:
                return False

        if not meets(feedparser.parse(raw, response_headers=dict(headers))):
            continue
        met += 1
        repaired, content_type = readable(raw, headers.get("content-type"))
        if meets(feedparser.parse(repaired, response_headers={**headers, **({"content-type": content_type} if content_type else {})})):
            kept += 1
        else:
            broken.append(path.name)
    assert met > 300 and broken == ["bozo_linenoise.xml"], broken
