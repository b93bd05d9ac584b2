"""`newsflow report`: a self-contained page of the warehouse, read-only, with hostile text escaped."""
from __future__ import annotations

import re
import subprocess
import sys

import duckdb
import pytest

from tests.conftest import newsflow


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    db = tmp_path_factory.mktemp("report") / "w.duckdb"
    run = newsflow("run", "--db", str(db))
    assert run.returncode == 0, run.stderr[-2000:]
    return db


def test_report_shows_the_warehouse_and_fetches_nothing(seeded, tmp_path) -> None:
    out = tmp_path / "r.html"
    done = newsflow("report", "--db", str(seeded), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "5 articles, 2 stories, 1 feeds" in done.stdout
    page = out.read_text()
    assert page.startswith("<!doctype html>") and page.endswith("</html>")
    assert "<script" not in page and not re.search(r"(src|href)=['\"]?https?:", page)  # self-contained
    assert "<svg" in page and "Seed fixtures" in page
    story_title = duckdb.connect(str(seeded), read_only=True).execute(
        "SELECT title FROM stories ORDER BY article_count DESC LIMIT 1").fetchone()[0]
    assert story_title[:40] in page.replace("&#x27;", "'").replace("&quot;", '"')
    for rule in ("interstitial", "embedded_post", "license_footer"):
        assert f"<td>{rule}</td>" in page


def test_hostile_text_is_escaped_and_a_held_file_still_reports(seeded, tmp_path) -> None:
    db = tmp_path / "copy.duckdb"
    db.write_bytes(seeded.read_bytes())
    with duckdb.connect(str(db)) as conn:
        conn.execute("UPDATE stories SET title = '<script>alert(1)</script><img src=x onerror=y>'")
        conn.execute("UPDATE articles SET tags = ['<b onclick=z>bold</b>', 'Health & Medicine']")
    # an analyst's read-only session stays open during the report
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb,sys; c=duckdb.connect(sys.argv[1], read_only=True);"
                               "print('held', flush=True); sys.stdin.read()", str(db)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        out = tmp_path / "r.html"
        done = newsflow("report", "--db", str(db), "--out", str(out))
        assert done.returncode == 0, done.stderr
    finally:
        holder.communicate("")
    page = out.read_text()
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b " not in page and "&lt;b onclick=z&gt;bold&lt;/b&gt;" in page and "<td>Health &amp; Medicine</td>" in page


def test_report_without_a_warehouse_is_a_usage_error(tmp_path) -> None:
    done = newsflow("report", "--db", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "r.html"))
    assert done.returncode == 2 and "no warehouse" in done.stderr
    assert not (tmp_path / "r.html").exists()
