"""The figures behind `newsflow report`, read in one brief read-only connection."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from warehouse.db import connect

# name -> SQL. Each answers one question an operator or analyst asks of the warehouse.
QUERIES: dict[str, str] = {
    "totals": """
        SELECT (SELECT count(*) FROM articles) AS articles,
               (SELECT count(*) FROM articles WHERE duplicate_of IS NOT NULL) AS duplicates,
               (SELECT count(*) FROM stories) AS stories,
               (SELECT count(*) FROM stories WHERE article_count > 1) AS multi_article_stories,
               (SELECT count(*) FROM feeds) AS feeds,
               (SELECT count(*) FROM feeds WHERE consecutive_failures > 0) AS failing_feeds,
               (SELECT count(*) FROM rejections) AS rejections,
               (SELECT count(*) FROM entities) AS entities,
               (SELECT max(ingested_at) FROM articles) AS last_ingest""",
    "per_day": """
        SELECT CAST(coalesce(published_at, ingested_at) AS DATE) AS day, count(*) AS articles,
               count(*) FILTER (WHERE duplicate_of IS NOT NULL) AS duplicates
        FROM articles GROUP BY ALL ORDER BY day DESC LIMIT 60""",
    "languages": "SELECT coalesce(language, '?') AS language, count(*) AS articles FROM articles GROUP BY ALL ORDER BY 2 DESC LIMIT 15",
    "stories": """
        SELECT title, article_count, feeds, copies, first_seen, last_seen FROM story_summary
        ORDER BY article_count DESC, last_seen DESC LIMIT 20""",
    "entities": """
        SELECT label, name, count(DISTINCT article_id) AS articles FROM entities
        GROUP BY label, name QUALIFY row_number() OVER (PARTITION BY label ORDER BY count(DISTINCT article_id) DESC, name) <= 8
        ORDER BY label, articles DESC""",
    "tags": """
        SELECT tag, count(*) AS articles, count(DISTINCT feed_url) AS feeds
        FROM (SELECT unnest(tags) AS tag, feed_url FROM articles WHERE duplicate_of IS NULL)
        GROUP BY tag ORDER BY articles DESC, tag LIMIT 20""",
    "feeds": """
        SELECT coalesce(f.name, f.title, f.url) AS feed, f.url, f.last_status, f.last_error, f.consecutive_failures,
               f.last_fetched_at, count(a.article_id) AS articles
        FROM feeds f LEFT JOIN articles a ON a.feed_url = f.url
        GROUP BY ALL ORDER BY f.consecutive_failures DESC, articles DESC LIMIT 50""",
    "rejections": """
        SELECT stage, regexp_replace(reason, '[0-9]+', 'N', 'g') AS reason, count(*) AS entries
        FROM rejections GROUP BY ALL ORDER BY entries DESC LIMIT 15""",
    "removals": "SELECT rule, count(*) AS pieces, count(DISTINCT article_id) AS articles FROM removals GROUP BY ALL ORDER BY 2 DESC",
}


@dataclass
class Section:
    columns: list[str]
    rows: list[tuple]


@dataclass
class ReportData:
    path: Path
    sections: dict[str, Section] = field(default_factory=dict)


def report_data(path: Path, *, lock_timeout: float = 10.0) -> ReportData:
    data = ReportData(path=path)
    with connect(path, read_only=True, lock_timeout=lock_timeout) as conn:
        for name, sql in QUERIES.items():
            cursor = conn.execute(sql)
            data.sections[name] = Section([d[0] for d in cursor.description], cursor.fetchall())
    return data
