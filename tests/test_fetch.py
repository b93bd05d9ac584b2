"""Fetching on a real loopback server: caps, timeouts, redirects, the private-address guard."""
from __future__ import annotations

import gzip
import time

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from connectors.fetch import FetchError, FetchPolicy, fetch, fetch_many, make_client

POLICY = FetchPolicy(read_timeout=1.0, total_timeout=3.0, max_bytes=100_000, max_redirects=3)


def get(url: str, policy: FetchPolicy = POLICY, trusted: bool = True, headers=None):
    with make_client(policy) as client:
        return fetch(client, url, policy, trusted=trusted, headers=headers)


def test_ok_and_user_agent_names_the_project(httpserver) -> None:
    httpserver.expect_request("/a", headers={"User-Agent": POLICY.user_agent}).respond_with_data("hello", content_type="text/html")
    result = get(httpserver.url_for("/a"))
    assert (result.status, result.content, result.content_type) == (200, b"hello", "text/html")


def test_conditional_get_gives_304(httpserver) -> None:
    httpserver.expect_request("/feed", headers={"If-None-Match": '"v1"'}).respond_with_data("", status=304)
    assert get(httpserver.url_for("/feed"), headers={"If-None-Match": '"v1"'}).status == 304


@pytest.mark.parametrize("status", [404, 500, 429])
def test_error_status_raises_with_status(httpserver, status) -> None:
    httpserver.expect_request("/x").respond_with_data("no", status=status)
    with pytest.raises(FetchError) as err:
        get(httpserver.url_for("/x"))
    assert err.value.status == status


def test_oversized_body_and_gzip_bomb_are_capped(httpserver) -> None:
    httpserver.expect_request("/big").respond_with_data(b"x" * 200_000)
    bomb = gzip.compress(b"\0" * 5_000_000)
    assert len(bomb) < POLICY.max_bytes
    httpserver.expect_request("/bomb").respond_with_response(
        Response(bomb, headers={"Content-Encoding": "gzip", "Content-Type": "text/html"}))
    for path in ("/big", "/bomb"):
        with pytest.raises(FetchError, match="larger than the cap"):
            get(httpserver.url_for(path))


def test_hanging_server_times_out() -> None:
    def slow(_request):
        time.sleep(2.5)
        return Response("late")

    server = HTTPServer(threaded=True)  # its own server: the sleeping handler blocks no other test
    server.expect_request("/slow").respond_with_handler(slow)
    server.start()
    try:
        # the server answers after 2.5 s: a "timed out" error means the 1 s read timeout fired first
        with pytest.raises(FetchError, match="timed out"):
            get(server.url_for("/slow"))
    finally:
        server.clear()
        server.stop()


def test_redirect_loop_is_cut(httpserver) -> None:
    httpserver.expect_request("/loop").respond_with_data("", status=302, headers={"Location": "/loop"})
    with pytest.raises(FetchError, match="more than 3 redirects"):
        get(httpserver.url_for("/loop"), FetchPolicy(max_redirects=3, allow_private_networks=True))


def test_untrusted_links_to_private_addresses_are_not_fetched(httpserver) -> None:
    httpserver.expect_request("/page").respond_with_data("secret")
    with pytest.raises(FetchError, match="not public"):
        get(httpserver.url_for("/page"), trusted=False)
    allowed = FetchPolicy(allow_private_networks=True)
    assert get(httpserver.url_for("/page"), allowed, trusted=False).content == b"secret"


def test_trusted_feed_redirecting_to_private_address_is_blocked(httpserver) -> None:
    # the operator trusted the feed's URL, not wherever it redirects to
    httpserver.expect_request("/moved").respond_with_data("", status=301, headers={"Location": httpserver.url_for("/internal")})
    httpserver.expect_request("/internal").respond_with_data("secret")
    with pytest.raises(FetchError, match="not public"):
        get(httpserver.url_for("/moved"), trusted=True)


def test_fetch_many_returns_failures_as_values(httpserver, tmp_path) -> None:
    httpserver.expect_request("/ok").respond_with_data("fine")
    local = tmp_path / "feed.xml"
    local.write_text("<rss/>")
    results = fetch_many([httpserver.url_for("/ok"), httpserver.url_for("/missing"), local.as_uri(), "ftp://x/y"],
                         POLICY, trusted=True)
    assert results[httpserver.url_for("/ok")].content == b"fine"
    assert isinstance(results[httpserver.url_for("/missing")], FetchError)
    assert results[local.as_uri()].content == b"<rss/>"
    assert isinstance(results["ftp://x/y"], FetchError)


def test_robots_txt_is_honoured_for_article_pages(httpserver) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("User-agent: newsflow\nDisallow: /members/\n")
    httpserver.expect_request("/news/1").respond_with_data("open")
    policy = FetchPolicy(allow_private_networks=True)
    results = fetch_many([httpserver.url_for("/news/1"), httpserver.url_for("/members/2")], policy, trusted=False)
    assert results[httpserver.url_for("/news/1")].content == b"open"
    assert "robots.txt" in results[httpserver.url_for("/members/2")].reason
    assert [r[0].path for r in httpserver.log].count("/robots.txt") == 1  # once per host per batch
    assert "/members/2" not in [r[0].path for r in httpserver.log]


def test_missing_robots_allows_and_robots_can_be_turned_off(httpserver) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/a").respond_with_data("ok")
    results = fetch_many([httpserver.url_for("/a")], FetchPolicy(allow_private_networks=True), trusted=False)
    assert results[httpserver.url_for("/a")].content == b"ok"
    off = FetchPolicy(allow_private_networks=True, respect_robots=False)
    httpserver.clear_log()
    fetch_many([httpserver.url_for("/a")], off, trusted=False)
    assert [r[0].path for r in httpserver.log] == ["/a"]


def test_requests_to_one_host_are_spaced(httpserver) -> None:
    arrivals = []

    def record(_request):
        arrivals.append(time.monotonic())
        return Response("ok")

    httpserver.expect_request("/p").respond_with_handler(record)
    policy = FetchPolicy(per_host_concurrency=1, per_host_delay=0.3, concurrency=8)
    before = time.monotonic()
    fetch_many([httpserver.url_for(f"/p?i={i}") for i in range(4)], policy, trusted=True)
    # The k-th request may not start before k delays have passed. A lower bound only: a busy
    # machine can make a request arrive late (and the gap to the next one short), never early.
    assert len(arrivals) == 4
    assert [round(t - before, 3) >= k * 0.3 for k, t in enumerate(sorted(arrivals))] == [True] * 4


def test_last_modified_304_and_retry_after_reach_the_caller(httpserver) -> None:
    stamp = "Tue, 02 Jan 2024 10:00:00 GMT"
    httpserver.expect_request("/lm", headers={"If-Modified-Since": stamp}).respond_with_data("", status=304)
    assert get(httpserver.url_for("/lm"), headers={"If-Modified-Since": stamp}).status == 304
    httpserver.expect_request("/busy").respond_with_data("slow down", status=429, headers={"Retry-After": "120"})
    with pytest.raises(FetchError) as err:
        get(httpserver.url_for("/busy"))
    assert (err.value.status, err.value.retry_after) == (429, "120")


def test_http_charset_is_weighed_against_the_xml_declaration(httpserver) -> None:
    from transforms.feeds import parse_feed

    body = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Caf\u00e9 \u00fcber</title></channel></rss>'
    httpserver.expect_request("/latin1.xml").respond_with_data(body.encode("iso-8859-1"),
                                                               content_type="application/xml; charset=iso-8859-1")
    fetched = get(httpserver.url_for("/latin1.xml"))
    feed = parse_feed(fetched.content, feed_url=fetched.url, headers={**fetched.headers, "content-type": fetched.content_type})
    assert feed.title == "Caf\u00e9 \u00fcber"  # the HTTP charset wins over the (wrong) declaration
