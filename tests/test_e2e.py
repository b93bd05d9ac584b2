"""End to end through the real `newsflow` command, Prefect engine and DuckDB file."""
from __future__ import annotations

import json

import pytest
from werkzeug import Response

from tests.conftest import SEEDS, newsflow
from warehouse import db as wdb
from warehouse.query import run_query

SEED_NOISE = ["No Script", "Please Wait", "Al-Ahed Telegram", "folder_open", "access_time", "Add to favorites",
              "By Staff, Agencies", "Creative Commons", "Above photo", "pic.twitter.com", "t.co/", "@PentagonPresSec",
              "MORE ON THE TOPIC"]


def q(db, sql):
    return run_query(db, sql)[1]


def test_seed_run_meets_the_seed_expectations_and_rerun_adds_nothing(db) -> None:
    first = newsflow("run", "--db", str(db))
    assert first.returncode == 0, first.stderr
    assert "5 articles stored" in first.stdout

    rows = {r[0][:3]: r[1:] for r in q(db, """
        SELECT regexp_extract(url, '(\\d{3})_[0-9a-f]+\\.txt$', 1), article_id, duplicate_of, story_id, language,
               text, author, license, photo_credit
        FROM articles""")}
    assert sorted(rows) == ["000", "001", "002", "003", "004"]
    ids = {k: v[0] for k, v in rows.items()}
    dup = {k: v[1] for k, v in rows.items()}
    assert (dup["001"], dup["000"]) in ((ids["000"], None), (None, ids["001"]))
    assert [k for k, v in dup.items() if v] in (["001"], ["000"])
    story = {k: v[2] for k, v in rows.items()}
    assert story["000"] == story["001"] == story["002"] == story["004"] != story["003"]
    assert {v[3] for v in rows.values()} == {"en"}
    for key, (_, _, _, _, text, *_rest) in rows.items():
        for noise in SEED_NOISE:
            assert noise not in text, (key, noise)
    assert rows["002"][5] == "Staff, Agencies"
    assert "Mehr News Agency" in rows["001"][6]
    assert rows["003"][7] == "Roberto Schmidt/AFP"
    # every paragraph of the article itself is kept
    assert rows["003"][4].count("\n") + 1 == len([l for l in next(SEEDS.glob("003_*.txt")).read_text().split("\n") if l.strip()]) - 2
    entities = set(q(db, "SELECT name, label FROM entities"))
    assert ("Joe Biden", "PERSON") in entities and ("Pentagon", "ORG") in entities
    assert q(db, "SELECT count(*) FROM stories") == [(2,)]
    # enrichment: the border town under three spellings is one place with coordinates
    towns = q(db, """SELECT DISTINCT geonameid, country_code, round(latitude), round(longitude) FROM places
                     WHERE mention IN ('al-Bukamal', 'Al-Bukamal')""")
    assert towns == [(174448, "SY", 34.0, 41.0)]
    assert ("al-Bukamal", "GPE") in entities and ("al-Bukamal", "ORG") not in entities
    assert q(db, "SELECT count(DISTINCT article_id) FROM places WHERE country_code = 'IQ'") == [(5,)]
    # "28 January" in the 3 February 2024 article; "January 3rd, 2020" in the Soleimani paragraph
    assert {str(r[0]) for r in q(db, "SELECT day FROM dates")} >= {"2024-01-28", "2020-01-03"}
    assert q(db, "SELECT count(*) FROM articles WHERE len(keywords) = 8 AND word_count > 0") == [(5,)]
    assert q(db, "SELECT articles FROM term_df WHERE term = 'iraq'") == [(5,)]
    assert q(db, "SELECT sum(articles) FROM entity_names WHERE name = 'Pentagon' AND label = 'ORG'")[0][0] >= 3
    assert {r[0] for r in q(db, "SELECT DISTINCT rule FROM removals")} >= {
        "interstitial", "icon_words", "byline", "license_footer", "photo_credit", "embedded_post", "related_links", "headline"}

    counts = ("SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM entities), (SELECT count(*) FROM removals),"
              " (SELECT count(*) FROM article_bands), (SELECT max(ingested_at) FROM articles), (SELECT count(*) FROM places),"
              " (SELECT count(*) FROM dates), (SELECT sum(articles) FROM term_df), (SELECT sum(articles) FROM entity_names)")
    before = q(db, counts)
    second = newsflow("run", "--db", str(db))
    assert second.returncode == 0, second.stderr
    assert "0 new -> 0 articles stored" in second.stdout
    assert q(db, counts) == before


PARAS = [
    "The city council of Riverton approved a new budget on Tuesday after a debate that lasted well into the night.",
    "Council members voted seven to two in favour of the plan, which raises spending on schools and public transport.",
    "Mayor Anna Lindqvist said the budget was the most ambitious in a decade and thanked residents for their patience.",
    "Opposition members warned that the plan relies on optimistic forecasts of tax revenue from new housing projects.",
]


def html_page(title: str, paras: list[str]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paras)
    return (f"<html><head><title>{title}</title></head><body><nav><a href='/'>Home</a> | <a href='/news'>News</a></nav>"
            f"<article><h1>{title}</h1><p class='byline'>By Jane Doe</p>{body}</article>"
            "<footer>© 2024 Riverton Daily. All rights reserved.</footer></body></html>")


def rss(base: str) -> str:
    content = "".join(f"<p>{p}</p>" for p in reversed(PARAS))
    return f"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Riverton Daily</title>
<item><guid>r0</guid><title>Council approves budget</title><link>{base}/amp/news/budget/</link>
  <pubDate>Tue, 02 Jan 2024 10:00:00 GMT</pubDate></item>
<item><guid>r1</guid><title>Council approves budget</title><link>{base}/news/budget?utm_source=rss</link>
  <pubDate>Tue, 02 Jan 2024 10:00:00 GMT</pubDate></item>
<item><guid>r2</guid><title>Budget: what changes</title><link>{base}/news/gone</link>
  <pubDate>Tue, 02 Jan 2024 12:00:00 GMT</pubDate><category>Local &amp; Politics</category><category>local &amp; politics</category>
  <category>Uncategorized</category><category>Budget 2024</category><content:encoded><![CDATA[{content}]]></content:encoded></item>
<item><guid>r3</guid><title>Please wait page</title><link>{base}/news/wall</link><pubDate>Tue, 02 Jan 2024 13:00:00 GMT</pubDate></item>
<item><guid>r4</guid><title>Robots say no</title><link>{base}/news/private</link><pubDate>Tue, 02 Jan 2024 14:00:00 GMT</pubDate></item>
</channel></rss>"""


@pytest.fixture
def news_site(httpserver):
    base = httpserver.url_for("").rstrip("/")
    feed = rss(base)

    def feed_handler(request):
        if request.headers.get("If-None-Match") == '"v1"':
            return Response("", status=304)
        return Response(feed, content_type="application/rss+xml", headers={"ETag": '"v1"'})

    httpserver.expect_request("/feed.xml").respond_with_handler(feed_handler)
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: *\nDisallow: /news/private\n")
    httpserver.expect_request("/news/budget").respond_with_data(html_page("Council approves budget", PARAS), content_type="text/html")
    httpserver.expect_request("/news/gone").respond_with_data("not here", status=404)
    httpserver.expect_request("/news/wall").respond_with_data(
        "<html><body><noscript>No Script</noscript><div>Please Wait...</div></body></html>", content_type="text/html")
    httpserver.expect_request("/broken.xml").respond_with_data("boom", status=500)
    httpserver.expect_request("/garbage.xml").respond_with_data(b"\x89PNG\r\n\x1a\n\x00\x00binary", content_type="text/html")
    return httpserver


def write_feeds(tmp_path, server) -> str:
    path = tmp_path / "feeds.toml"
    path.write_text("\n".join(f'[[feeds]]\nurl = "{server.url_for(p)}"\n' for p in ("/feed.xml", "/broken.xml", "/garbage.xml"))
                    + '[[feeds]]\nurl = "http://127.0.0.1:9/refused.xml"\n' + "[fetch]\nread_timeout = 3\ntotal_timeout = 5\n")
    return str(path)


def test_http_feeds_pages_failures_and_conditional_rerun(tmp_path, db, news_site) -> None:
    feeds = write_feeds(tmp_path, news_site)
    result = newsflow("run", "--feeds", feeds, "--db", str(db), env={"NEWSFLOW_ALLOW_PRIVATE_NETWORKS": "1"})
    assert result.returncode == 0, result.stderr
    assert "3 failed" in result.stdout

    articles = q(db, "SELECT url, text_source, title, author, text, tags FROM articles ORDER BY published_at")
    assert [(a[0].rsplit("/", 1)[1], a[1]) for a in articles] == [("budget", "page"), ("gone", "feed_content")]
    assert [a[5] for a in articles] == [[], ["Local & Politics", "Budget 2024"]]  # the items' categories
    assert articles[0][4].split("\n") == PARAS and articles[0][3] == "Jane Doe"
    assert articles[1][4].split("\n") == list(reversed(PARAS))
    assert q(db, "SELECT count(DISTINCT story_id) FROM articles") == [(1,)]
    rejected = dict((r[0].rsplit("/", 1)[1], r[1]) for r in q(db, "SELECT url, reason FROM rejections"))
    assert sorted(rejected) == ["private", "wall"]
    assert "robots.txt" in rejected["private"] and "words after cleaning" in rejected["wall"]
    assert "/news/private" not in [r[0].path for r in news_site.log]
    # the AMP address of the budget page is that page: fetched once, by its plain link
    assert [r[0].path for r in news_site.log if "budget" in r[0].path] == ["/news/budget"]
    feeds_rows = {r[0].rsplit("/", 1)[1]: r[1:] for r in q(db, "SELECT url, last_status, last_error, consecutive_failures, etag FROM feeds")}
    assert feeds_rows["feed.xml"] == (200, None, 0, '"v1"')
    assert feeds_rows["broken.xml"][0] == 500 and feeds_rows["broken.xml"][2] == 1
    assert feeds_rows["garbage.xml"][1].startswith("not a feed") and feeds_rows["garbage.xml"][2] == 1
    assert feeds_rows["refused.xml"][1] and feeds_rows["refused.xml"][2] == 1

    again = newsflow("run", "--feeds", feeds, "--db", str(db), env={"NEWSFLOW_ALLOW_PRIVATE_NETWORKS": "1"})
    assert again.returncode == 0, again.stderr
    assert "1 unchanged, 3 not due" in again.stdout and "0 articles stored" in again.stdout
    # failing feeds back off: not fetched again on the next run, their counts unchanged
    assert [r[0].path for r in news_site.log].count("/broken.xml") == 1
    assert q(db, "SELECT consecutive_failures, next_fetch_at > last_fetched_at FROM feeds WHERE url LIKE '%broken.xml'") == [(1, True)]
    assert q(db, "SELECT count(*) FROM articles") == [(2,)]


def test_links_to_private_addresses_are_not_fetched_by_default(tmp_path, db, news_site) -> None:
    result = newsflow("run", "--feeds", write_feeds(tmp_path, news_site), "--db", str(db))
    assert result.returncode == 0, result.stderr
    # the feed itself was configured (trusted); its loopback links were not followed
    assert q(db, "SELECT text_source FROM articles") == [("feed_content",)]
    reasons = [r[0] for r in q(db, "SELECT reason FROM rejections")]
    assert reasons and all("not public" in r for r in reasons)
    assert not [line for line in news_site.log if line[0].path.startswith("/news/")]


def test_cli_contract(tmp_path, db) -> None:
    missing = newsflow("run", "--feeds", str(tmp_path / "nope.toml"), "--db", str(db))
    assert missing.returncode == 2 and "feed list not found" in missing.stderr and len(missing.stderr.strip().splitlines()) == 1
    bad = tmp_path / "bad.toml"
    bad.write_text('[[feeds]]\nurl = "gopher://x"\n')
    invalid = newsflow("run", "--feeds", str(bad), "--db", str(db))
    assert invalid.returncode == 2 and "unsupported scheme" in invalid.stderr
    (tmp_path / "notes.txt").write_text("not a database, but long enough to have a header")
    not_db = newsflow("run", "--db", str(tmp_path / "notes.txt"))
    assert not_db.returncode == 2 and not_db.stderr.strip().endswith("notes.txt is not a DuckDB database file")
    assert (tmp_path / "notes.txt").read_text().startswith("not a database")
    no_db = newsflow("sql", "SELECT 1", "--db", str(db))
    assert no_db.returncode == 2 and "no warehouse" in no_db.stderr
    with wdb.connect(db) as conn:
        wdb.migrate(conn)
    one = newsflow("sql", "SELECT 42 AS answer", "--db", str(db))
    assert one.returncode == 0 and "answer" in one.stdout and "42" in one.stdout and one.stderr.strip() == "1 row"

    extracted = newsflow("extract", *map(str, sorted(SEEDS.glob("00[24]_*.txt"))), "--jsonl")
    assert extracted.returncode == 0, extracted.stderr
    records = [json.loads(line) for line in extracted.stdout.splitlines()]
    assert [set(r) >= {"path", "title", "text", "language", "published_at"} for r in records] == [True, True]
    assert records[0]["language"] == "en" and "Please Wait" not in records[0]["text"]
    # No feed title for a bare file: the headline the page prints twice is found, crumbs before it go.
    assert records[0]["title"] == "Pentagon Claims Airstrikes against Iraqi Resistance Groups along Syria Border"
    assert records[0]["text"].startswith("The United States claimed responsibility")
    assert "pic.twitter.com" not in records[1]["text"]


def test_an_earlier_report_arriving_later_becomes_the_original_and_the_run_says_so(tmp_path, db) -> None:
    """A republished copy is stored (loaded through the pipeline's own dedup and load code); the wire
    report it copies, published three days before, comes in a run of the real command (its feed added
    with a backlog). The stored copy now points at it, stamped revised_at, and the run says so."""
    from datetime import datetime, timezone

    from flows.ingest import dedup_and_cluster
    from transforms.clean import clean_text
    from transforms.records import Article
    from warehouse import db as wdb
    from warehouse import store

    text = next(SEEDS.glob("000_*.txt")).read_text(encoding="utf-8")
    copy = Article(article_id="copy", url="https://copy.example/a", feed_url="https://copy.example/feed",
                   title="US strikes", text=clean_text(text.replace("Pentagon", "US Department of Defense", 1)).text,
                   published_at=datetime(2021, 7, 1, tzinfo=timezone.utc), text_source="page")
    target = wdb.Warehouse(str(db))
    with wdb.connect(target) as conn:
        wdb.migrate(conn)
    batch = dedup_and_cluster.fn(target, [copy], now=datetime(2021, 7, 2, tzinfo=timezone.utc))
    with wdb.connect(target) as conn:
        assert store.load_batch(conn, batch, [], [], now=datetime(2021, 7, 2, tzinfo=timezone.utc)).inserted == 1

    (tmp_path / "wire.txt").write_text(text, encoding="utf-8")
    (tmp_path / "feed.xml").write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><guid>wire</guid>'
        "<title>US strikes</title><link>wire.txt</link><pubDate>Mon, 28 Jun 2021 00:00:00 +0000</pubDate>"
        "</item></channel></rss>", encoding="utf-8")
    (tmp_path / "feeds.toml").write_text('[[feeds]]\nurl = "feed.xml"\n')
    run = newsflow("run", "--feeds", str(tmp_path / "feeds.toml"), "--db", str(db))
    assert run.returncode == 0, run.stderr[-2000:]
    assert "1 stored article became a copy of an earlier report" in run.stdout, run.stdout
    rows = q(db, "SELECT article_id = 'copy', duplicate_of IS NULL, revised_at IS NOT NULL FROM articles ORDER BY 1")
    assert rows == [(False, True, False), (True, False, True)]


def test_a_sites_new_footer_learned_in_a_later_run_leaves_the_earlier_articles_too(tmp_path, db) -> None:
    """Scheduled runs bring a site's articles a few at a time. Its new footer reaches the learned
    count in the second run: that run cuts it from its own articles and from the three stored by
    the first run, and says so."""
    footer = "Get the Valley Ledger newsletter every weekday morning in your inbox."

    def write_feed(numbers: range) -> None:
        items = ""
        for i in numbers:
            (tmp_path / f"story{i}.txt").write_text(
                f"The valley council met on evening {i} to discuss the new bridge over the river.\n"
                f"Residents asked question number {i} about the cost and the timetable of the works.\n{footer}\n",
                encoding="utf-8")
            items += (f"<item><guid>s{i}</guid><title>Bridge meeting {i}</title><link>story{i}.txt</link>"
                      f"<pubDate>Mon, {i:02d} Jun 2025 08:00:00 +0000</pubDate></item>")
        (tmp_path / "feed.xml").write_text(f'<?xml version="1.0"?><rss version="2.0"><channel><title>Ledger</title>{items}'
                                           "</channel></rss>", encoding="utf-8")

    (tmp_path / "feeds.toml").write_text('[[feeds]]\nurl = "feed.xml"\n')
    write_feed(range(1, 4))
    first = newsflow("run", "--feeds", str(tmp_path / "feeds.toml"), "--db", str(db))
    assert first.returncode == 0, first.stderr[-2000:]
    assert q(db, f"SELECT count(*) FROM articles WHERE contains(text, '{footer}')") == [(3,)]  # 3 of 5: not learned yet
    write_feed(range(1, 6))
    second = newsflow("run", "--feeds", str(tmp_path / "feeds.toml"), "--db", str(db))
    assert second.returncode == 0, second.stderr[-2000:]
    assert "3 stored articles lost lines their source repeats" in second.stdout, second.stdout
    assert q(db, f"SELECT count(*), count(*) FILTER (WHERE contains(text, '{footer}')), count(revised_at) FROM articles") == [(5, 0, 3)]
    assert q(db, f"SELECT count(*) FROM removals WHERE rule = 'learned_boilerplate' AND text = '{footer}'") == [(5,)]


def test_a_publishers_new_tag_relabels_a_stored_person_and_the_run_says_so(tmp_path, db) -> None:
    """The small model reads "Twitter" as a PERSON. A first run stores such an article from an
    untagged item; a second run brings an item its publisher tags "Twitter": the new article's
    mention is a PRODUCT at once, the stored one becomes one at that load, and the run says so."""
    stories = {
        "old": "Twitter said on Monday that it would charge for access to its API. Developers who build small "
               "tools on it said the new prices were far too high for hobby projects.",
        "new": "Yesterday Twitter announced new limits on how many posts a free account can read. Twitter says "
               "the change is temporary while it deals with scraping.",
    }
    for name, text in stories.items():
        (tmp_path / f"{name}.txt").write_text(text, encoding="utf-8")

    def write_feed(items: str) -> None:
        (tmp_path / "feed.xml").write_text(f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}'
                                           "</channel></rss>", encoding="utf-8")

    old = ("<item><guid>old</guid><title>API prices</title><link>old.txt</link>"
           "<pubDate>Mon, 02 Jun 2025 08:00:00 +0000</pubDate></item>")
    (tmp_path / "feeds.toml").write_text('[[feeds]]\nurl = "feed.xml"\n')
    write_feed(old)
    first = newsflow("run", "--feeds", str(tmp_path / "feeds.toml"), "--db", str(db))
    assert first.returncode == 0, first.stderr[-2000:]
    assert q(db, "SELECT DISTINCT label FROM entities WHERE name = 'Twitter'") == [("PERSON",)]
    write_feed(old + "<item><guid>new</guid><title>Read limits</title><link>new.txt</link><category>Twitter</category>"
                     "<pubDate>Tue, 03 Jun 2025 08:00:00 +0000</pubDate></item>")
    second = newsflow("run", "--feeds", str(tmp_path / "feeds.toml"), "--db", str(db))
    assert second.returncode == 0, second.stderr[-2000:]
    assert "1 stored article's one-word PERSON names became PRODUCT" in second.stdout, second.stdout
    assert q(db, "SELECT a.title, e.label, a.revised_at IS NOT NULL FROM entities e JOIN articles a USING (article_id) "
                 "WHERE e.name = 'Twitter' GROUP BY ALL ORDER BY 1") == [("API prices", "PRODUCT", True),
                                                                          ("Read limits", "PRODUCT", False)]
