"""Every feed of shared/data/feeds, served on loopback, through the real `newsflow run`."""
from __future__ import annotations

import re

import pytest

from bench.corpus import serve_corpus, write_feed_list
from tests.conftest import newsflow, shared_data
from warehouse.query import run_query


@pytest.mark.slow
def test_whole_feed_corpus_runs_records_every_feed_and_exits_0(tmp_path, db) -> None:
    shared_data("feeds")
    server, urls = serve_corpus()
    try:
        feeds = write_feed_list(tmp_path / "feeds.toml", urls)
        result = newsflow("run", "--feeds", str(feeds), "--db", str(db), timeout=1800)
        assert result.returncode == 0, result.stderr[-3000:]
        recorded = run_query(db, "SELECT count(*), count(*) FILTER (WHERE last_status = 200) FROM feeds")[1][0]
        assert recorded[0] == len(urls) and recorded[1] > 0.9 * len(urls)
        stored = run_query(db, "SELECT count(*), count(DISTINCT feed_url) FROM articles")[1][0]
        assert stored[0] > 1000 and stored[1] > 80
        # links point at the live web, which tests cannot reach: pages fail cleanly, feed text is used
        assert run_query(db, "SELECT count(*) FROM articles WHERE text_source = 'page'")[1] == [(0,)]
        # feeds in legacy charsets they declare nowhere are read in them: stored in their language,
        # not as windows-1252 mojibake (which was taken for Yoruba); the Japanese post is no "6 words"
        languages = dict(run_query(db, r"""SELECT regexp_extract(feed_url, '/chardet/(\w+)\.xml', 1), language
                                           FROM articles WHERE feed_url LIKE '%/chardet/%'""")[1])
        assert {"euckr": "ko", "koi8r": "ru", "tis620": "th", "windows1255": "he", "eucjp": "ja"}.items() <= languages.items()

        again = newsflow("run", "--feeds", str(feeds), "--db", str(db), timeout=600)
        assert again.returncode == 0, again.stderr[-3000:]
        assert re.search(r"\b0 articles stored", again.stdout)
        assert run_query(db, "SELECT count(*) FROM articles")[1][0][0] == stored[0]
    finally:
        server.stop()
