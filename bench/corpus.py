"""Serve shared/data/feeds (feedparser's broken feeds and 100 real captures) on loopback."""
from __future__ import annotations

import json
import re
from pathlib import Path

import logging

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

FEEDS = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "feeds"
CONTENT_TYPES = {"rss": "application/rss+xml", "atom": "application/atom+xml", "rdf": "application/rdf+xml",
                 "json": "application/feed+json"}


def corpus_files() -> dict[str, tuple[Path, str]]:
    """URL path -> (file, content type) for every feed of the corpus."""
    files: dict[str, tuple[Path, str]] = {}
    for line in (FEEDS / "real" / "index.jsonl").read_text().splitlines():
        item = json.loads(line)
        files[f"/real/{Path(item['file']).name}"] = (FEEDS / "real" / item["file"], CONTENT_TYPES.get(item["kind"], "application/xml"))
    for path in sorted((FEEDS / "feedparser").rglob("*")):
        if path.is_file() and path.suffix != ".txt":
            files["/feedparser/" + path.relative_to(FEEDS / "feedparser").as_posix()] = (path, "application/xml")
    return files


def serve_corpus() -> tuple[HTTPServer, list[str]]:
    files = corpus_files()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request would drown the output
    server = HTTPServer(threaded=True)

    def handler(request: Request) -> Response:
        path, ctype = files[request.path]
        return Response(path.read_bytes(), content_type=ctype)

    server.expect_request(re.compile("^/(real|feedparser)/")).respond_with_handler(handler)
    server.start()
    return server, [server.url_for(p) for p in files]


def write_feed_list(path: Path, urls: list[str]) -> Path:
    body = "".join(f'[[feeds]]\nurl = "{u}"\n' for u in urls)
    # every feed is on one loopback host here: no per-host spacing, or the run would mostly wait
    path.write_text(body + "[fetch]\nper_host_delay = 0\nper_host_concurrency = 8\nread_timeout = 5\ntotal_timeout = 10\n")
    return path
