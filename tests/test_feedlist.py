"""The feed list: TOML config, OPML in and out, and the `newsflow feeds` commands."""
from __future__ import annotations

from datetime import timedelta

import pytest

from connectors.feedlist import ConfigError, feed_problem, load_feed_list
from tests.conftest import newsflow
from transforms.opml import OpmlError, parse_opml, render_opml
from transforms.stories import StoryPolicy

OPML = b"""<?xml version="1.0"?><opml version="1.0"><head><title>x</title></head><body>
<outline text="News"><outline text="BBC" title="BBC News" type="rss" xmlUrl="https://feeds.example/bbc.xml"/>
  <outline text="Deep"><outline text="DW" xmlUrl="https://feeds.example/dw.xml"/></outline></outline>
<outline text="dup" xmlUrl="https://feeds.example/bbc.xml"/><outline text="no url"/></body></opml>"""

BOMB = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;"><!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;"><!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<opml><body><outline text="&lol9;" xmlUrl="https://x/y"/></body></opml>"""


def test_opml_nested_outlines_round_trip() -> None:
    feeds = parse_opml(OPML)
    assert feeds == [("https://feeds.example/bbc.xml", "BBC News"), ("https://feeds.example/dw.xml", "DW")]
    assert parse_opml(render_opml(feeds)) == feeds


@pytest.mark.parametrize("raw", [b"<rss/>", b"<opml><body>", BOMB])
def test_bad_opml_is_a_clear_error(raw: bytes) -> None:
    with pytest.raises(OpmlError):
        parse_opml(raw)


def test_feed_list_relative_paths_and_validation(tmp_path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text('[[feeds]]\nurl = "sub/feed.xml"\n[[feeds]]\nurl = "https://e.org/rss"\nname = "E"\n'
                    "[fetch]\nread_timeout = 2\nrespect_robots = false\n")
    feed_list = load_feed_list(path, env={"NEWSFLOW_ALLOW_PRIVATE_NETWORKS": "1"})
    assert feed_list.feeds[0].url == (tmp_path / "sub" / "feed.xml").as_uri()
    assert feed_list.policy.read_timeout == 2 and not feed_list.policy.respect_robots
    assert feed_list.policy.allow_private_networks
    path.write_text('[[feeds]]\nurl = "https://e.org"\n[fetch]\nread_timout = 2\n')
    with pytest.raises(ConfigError, match="read_timout"):
        load_feed_list(path)


def test_the_stories_table_sets_the_window_and_threshold(tmp_path) -> None:
    path = tmp_path / "feeds.toml"
    path.write_text('[[feeds]]\nurl = "https://e.org/rss"\n')
    assert load_feed_list(path).stories == StoryPolicy(window=timedelta(days=3), threshold=0.16)
    path.write_text('[[feeds]]\nurl = "https://e.org/rss"\n[stories]\nwindow_days = 7\nthreshold = 0.25\n')
    assert load_feed_list(path).stories == StoryPolicy(window=timedelta(days=7), threshold=0.25)
    for bad, named in (("window_days = 0", "stories.window_days"), ("window_days = 90", "stories.window_days"),
                       ("threshold = 1.5", "stories.threshold"), ("windows = 3", "stories.windows")):
        path.write_text(f'[[feeds]]\nurl = "https://e.org/rss"\n[stories]\n{bad}\n')
        with pytest.raises(ConfigError, match=named):
            load_feed_list(path)


def test_a_feed_that_cannot_be_fetched_is_not_added(tmp_path) -> None:
    feeds = tmp_path / "lists" / "feeds.toml"
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "local.xml").write_text("<rss/>")
    assert feed_problem("https://e.org/rss", feeds) is None
    assert feed_problem("local.xml", feeds) is None  # relative to the list's folder, as a run reads it
    assert feed_problem((tmp_path / "lists" / "local.xml").as_uri(), feeds) is None
    assert feed_problem("e.org/rss", feeds) == f"no such file: {tmp_path / 'lists' / 'e.org' / 'rss'} (did you mean https://e.org/rss?)"
    assert feed_problem("missing.xml", feeds).startswith("no such file:")
    assert "did you mean" not in feed_problem("missing.xml", feeds)
    assert feed_problem("https://", feeds) == "no host in 'https://'"
    assert feed_problem("javascript:alert(1)", feeds).startswith("unsupported scheme 'javascript'")
    feeds.write_text('[[feeds]]\nurl = "http:///rss"\n')
    with pytest.raises(ConfigError, match="no host"):
        load_feed_list(feeds)


def test_feeds_commands_edit_a_list(tmp_path) -> None:
    feeds = str(tmp_path / "feeds.toml")
    opml = tmp_path / "in.opml"
    opml.write_bytes(OPML.replace(b'<outline text="no url"/>', b'<outline text="x" xmlUrl="javascript:alert(1)"/>'))
    typo = newsflow("feeds", "add", "a.example/rss", "--feeds", feeds)
    assert typo.returncode == 2 and "did you mean https://a.example/rss?" in typo.stderr
    assert newsflow("feeds", "add", "https://a.example/rss", "--name", "A", "--feeds", feeds).returncode == 0
    imported = newsflow("feeds", "import", str(opml), "--feeds", feeds)
    assert imported.returncode == 0 and "imported 2 feeds (0 already listed, 1 skipped)" in imported.stdout
    assert "skipped javascript:alert(1): unsupported scheme" in imported.stderr
    assert newsflow("feeds", "remove", "https://feeds.example/dw.xml", "--feeds", feeds).returncode == 0
    listed = newsflow("feeds", "list", "--feeds", feeds, "--db", str(tmp_path / "none.duckdb"))
    assert [line.split("\t")[0] for line in listed.stdout.splitlines()] == ["https://a.example/rss", "https://feeds.example/bbc.xml"]
    exported = newsflow("feeds", "export", "--feeds", feeds)
    assert [u for u, _ in parse_opml(exported.stdout.encode())] == ["https://a.example/rss", "https://feeds.example/bbc.xml"]
    missing = newsflow("feeds", "remove", "https://nope.example/", "--feeds", feeds)
    assert missing.returncode == 2 and "not in" in missing.stderr
    bad = newsflow("feeds", "import", str(tmp_path / "absent.opml"), "--feeds", feeds)
    assert bad.returncode == 2
