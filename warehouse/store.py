"""Reads the pipeline needs, and the one bulk, idempotent, all-or-nothing load of a batch."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime, timedelta, timezone

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from transforms import boilerplate, enrich, revise
from transforms.articles import url_key
from transforms.dedup import Known
from transforms.enrich import LEARNED_MIN_ARTICLES, LEARNED_MIN_SHARE, History, content_terms, reading_minutes, title_terms
from transforms.gazetteer import ADDRESS, CAMEL_CASE, gazetteer
from transforms.records import Article, Entity, FeedState, Rejected, Removal
from transforms.stories import TERMS_SCHEME, Members, StoryDoc, as_strings
from warehouse.db import retry_conflicts, transaction

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _literals(values: list[str]) -> str:
    """`(v1, v2, ...)` as SQL string literals. A constant IN list is pushed into the table scan, so
    only matching rows' other columns are read: 100 ids out of 1M articles with their texts take
    0.02 s this way and 0.24 s as `IN (SELECT unnest(?))` (a join reading every row's text)."""
    return "(" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")" if values else "(NULL)"


@contextmanager
def _wanted(conn: duckdb.DuckDBPyConnection, column: str, values) -> Iterator[None]:
    """`values` as a one-column table `wanted_<column>` to join with. Not a list parameter: DuckDB
    checks every element of a Python list against pandas' and polars' types, trying to import them
    each time where they are not installed: a batch's 20,000 terms took 1.3 s that way, 0.01 s as
    an Arrow table (a run over the 100 real feeds made 288,670 failed imports). An Arrow column
    is registered as it is."""
    name = f"wanted_{column}"
    if not isinstance(values, (pa.Array, pa.ChunkedArray)):
        values = pa.array(list(values), pa.string())
    conn.register(name, pa.table({column: values}))
    try:
        yield
    finally:
        conn.unregister(name)


def feed_states(conn: duckdb.DuckDBPyConnection, urls: list[str]) -> dict[str, FeedState]:
    if not urls:
        return {}
    names = [f.name for f in fields(FeedState)]
    with _wanted(conn, "url", urls):
        rows = conn.execute(f"SELECT {', '.join(names)} FROM feeds SEMI JOIN wanted_url USING (url)").fetchall()
    return {row[0]: FeedState(**dict(zip(names, row))) for row in rows}


def known_article_ids(conn: duckdb.DuckDBPyConnection, ids: list[str]) -> set[str]:
    if not ids:
        return set()
    rows = conn.execute(f"SELECT article_id FROM articles WHERE article_id IN {_literals(ids)}").fetchall()
    return {r[0] for r in rows}


def known_url_keys(conn: duckdb.DuckDBPyConnection, keys: list[str]) -> set[str]:
    """The keys (transforms.articles.url_key) of pages already stored under some address."""
    if not keys:
        return set()
    with _wanted(conn, "url_key", keys):
        rows = conn.execute("SELECT DISTINCT url_key FROM articles SEMI JOIN wanted_url_key USING (url_key)").fetchall()
    return {r[0] for r in rows}


def source_line_counts(conn: duckdb.DuckDBPyConnection, pairs: list[tuple[str, int]]) -> dict[tuple[str, int], int]:
    if not pairs:
        return {}
    conn.register("batch_lines", _table(_LINE_KEY_SCHEMA, pairs))
    try:
        rows = conn.execute("SELECT source, fingerprint, articles FROM source_lines JOIN batch_lines USING (source, fingerprint)").fetchall()
    finally:
        conn.unregister("batch_lines")
    return {(r[0], r[1]): r[2] for r in rows}


def given_up_urls(conn: duckdb.DuckDBPyConnection, urls: list[str], max_attempts: int) -> set[str]:
    if not urls:
        return set()
    with _wanted(conn, "url", urls):
        rows = conn.execute("SELECT url FROM rejections SEMI JOIN wanted_url USING (url) WHERE attempts >= ?",
                            [max_attempts]).fetchall()
    return {r[0] for r in rows}


def duplicate_candidates(conn: duckdb.DuckDBPyConnection, hashes: list[str], band_keys: list[int]) -> list[Known]:
    """Stored articles sharing a content hash or an LSH band key with the batch: a join over
    the whole history, not an index rebuilt in memory."""
    conn.register("batch_keys", pa.table({"band_key": pa.array(band_keys, pa.int64())}))
    try:
        # one pass over the keys; a stored article's other keys could match nothing in the batch
        by_number = dict(conn.execute("SELECT article_no, list(band_key) FROM article_bands SEMI JOIN batch_keys"
                                      " USING (band_key) GROUP BY article_no").fetchall())
    finally:
        conn.unregister("batch_keys")
    with _wanted(conn, "content_hash", hashes):
        same_text = [r[0] for r in conn.execute("SELECT article_id FROM articles SEMI JOIN wanted_content_hash"
                                                " USING (content_hash)").fetchall()]
    # numbers -> ids by a constant IN list (pushed into the scan, as `_literals` for ids)
    numbers = ", ".join(str(n) for n in sorted(by_number)) or "NULL"
    shared = {aid: by_number[no] for no, aid in
              conn.execute(f"SELECT article_no, article_id FROM article_numbers WHERE article_no IN ({numbers})").fetchall()}
    # then the few hits by id (a join with the first query would scan every stored text)
    rows = conn.execute(
        f"""
        SELECT article_id, text, content_hash, duplicate_of, coalesce(published_at, ingested_at), ingested_at, title
        FROM articles WHERE article_id IN {_literals(sorted(set(shared) | set(same_text)))}
        """).fetchall()
    orders = {r[0]: (r[4], 0, r[5]) for r in rows}
    # the originals of the copies among them: a batch article published earlier takes their place
    roots = sorted({r[3] for r in rows if r[3] is not None} - set(orders))
    if roots:
        orders.update((r[0], (r[1], 0, r[2])) for r in conn.execute(
            f"SELECT article_id, coalesce(published_at, ingested_at), ingested_at FROM articles"
            f" WHERE article_id IN {_literals(roots)}").fetchall())
    return [
        Known(article_id=r[0], text=r[1], content_hash=r[2], duplicate_of=r[3],
              band_keys=frozenset(shared.get(r[0], ())), order=orders[r[0]], title=r[6],
              root_order=orders.get(r[3]))
        for r in rows
    ]


def originals_counter(conn: duckdb.DuckDBPyConnection, start: datetime, end: datetime) -> Callable[[datetime, datetime], int]:
    """How many stored originals are dated in a range within [start, end], counted by whole UTC
    days (a range's first and last day count in full): one aggregate, then lookups."""
    rows = conn.execute(
        """
        SELECT epoch_us(date_trunc('day', ts AT TIME ZONE 'UTC')) // 86400000000 AS day, count(*)
        FROM (SELECT coalesce(published_at, ingested_at) AS ts FROM articles WHERE duplicate_of IS NULL)
        WHERE ts BETWEEN ? AND ? GROUP BY day ORDER BY day
        """, [start, end]).fetchall()
    days = np.array([r[0] for r in rows], dtype=np.int64)
    total = np.concatenate([[0], np.cumsum([r[1] for r in rows])]).astype(np.int64)

    def count(lo: datetime, hi: datetime) -> int:
        first, last = ((when - _EPOCH) // timedelta(days=1) for when in (lo, hi))
        return int(total[np.searchsorted(days, last, side="right")] - total[np.searchsorted(days, first, side="left")])

    return count


def story_members(conn: duckdb.DuckDBPyConnection, start: datetime, end: datetime,
                  per_story: int = 25) -> Members:
    """Original articles published in [start, end] of the stories active then, the most recent
    `per_story` of each, with their stored term counts (texts are read and tokenised only where
    none are stored). Earlier or later members could never be within the window of the batch.
    Three reads, so that DuckDB holds only ids, dates and stories at once: the members are chosen,
    then their names and term counts are streamed out by a semi-join with them and grouped and
    aligned in Arrow. One query joining all three held every member's terms in DuckDB's memory: at
    the pipeline's 256 MB read limit it failed, and the run with it, at 131,507 members (65,754
    fitted): on the 1M-article bench warehouse, a 30-day stories window."""
    chosen = conn.execute(
        """
        WITH active AS (SELECT story_id FROM stories WHERE last_seen >= ? AND first_seen <= ?),
        ranked AS (
            SELECT a.article_id, coalesce(a.published_at, a.ingested_at) AS ts, a.story_id,
                   row_number() OVER (PARTITION BY a.story_id ORDER BY coalesce(a.published_at, a.ingested_at) DESC) AS rn
            FROM articles a JOIN active USING (story_id)
            WHERE a.duplicate_of IS NULL AND coalesce(a.published_at, a.ingested_at) BETWEEN ? AND ?
        )
        SELECT article_id, ts, story_id FROM ranked WHERE rn <= ? ORDER BY ts, article_id
        """,
        [start, end, start, end, per_story],
    ).to_arrow_table()
    with _wanted(conn, "article_id", chosen["article_id"]):
        names = conn.execute("SELECT article_id, name FROM entities SEMI JOIN wanted_article_id USING (article_id)").to_arrow_table()
        counted = conn.execute("SELECT article_id, terms, counts FROM story_terms SEMI JOIN wanted_article_id USING (article_id)"
                               " WHERE published_at BETWEEN ? AND ? AND scheme = ?", [start, end, TERMS_SCHEME]).to_arrow_table()
    grouped = names.group_by("article_id").aggregate([("name", "distinct")])
    at = pc.index_in(chosen["article_id"], value_set=grouped["article_id"])
    named = grouped["name_distinct"].take(at).to_pylist()  # null where a member names no entity
    # dates through integers: pyarrow's own conversion of zoned timestamps is ~7x slower
    dates = [_EPOCH + timedelta(microseconds=us) for us in pc.cast(chosen["ts"], pa.int64()).to_numpy(zero_copy_only=False).tolist()]
    docs = [StoryDoc(article_id=aid, text="", published_at=ts, story_id=story, entity_names=frozenset(names or ()))
            for aid, ts, story, names in zip(chosen["article_id"].to_pylist(), dates, chosen["story_id"].to_pylist(), named)]
    row = pc.index_in(chosen["article_id"], value_set=counted["article_id"])  # each member's counts, null where none
    stored = pc.is_valid(row).to_numpy(zero_copy_only=False)
    found = counted.take(row.drop_null())  # one copy, in the members' order
    del counted
    members = Members.from_strings([d for d, ok in zip(docs, stored) if ok], found["terms"].combine_chunks(),
                                   found["counts"].combine_chunks())
    del found
    missing = np.flatnonzero(~stored)
    if not missing.size:
        return members
    # stored before term counts were kept (or under another scheme): count them from their text
    stored_text = {aid: {"text": text, "language": language, "title": title} for aid, text, language, title in conn.execute(
        "SELECT article_id, text, language, title FROM articles WHERE article_id IN "
        + _literals([docs[i].article_id for i in missing])).fetchall()}
    counted = Members.of([replace(docs[i], **stored_text[docs[i].article_id]) for i in missing])
    where = np.concatenate([np.flatnonzero(stored), missing])  # each row's place in the query's order
    return (members + counted).take(np.argsort(where, kind="stable"))


def stories_of(conn: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = conn.execute(f"SELECT article_id, story_id FROM articles WHERE article_id IN {_literals(ids)}").fetchall()
    return dict(rows)


@dataclass(frozen=True, slots=True)
class LoadResult:
    inserted: int
    already_stored: int
    rejections: int
    spooled: int = 0  # articles written to the spool because the file was locked
    revised: int = 0  # stored articles re-pointed at an earlier new original (revised_at set)
    recleaned: int = 0  # stored articles cleaned of lines their source's boilerplate now has (revised_at set)
    relabelled: int = 0  # stored articles whose one-word PERSON a new publisher's tag made a PRODUCT (revised_at set)

    def __add__(self, other: LoadResult) -> LoadResult:
        return LoadResult(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


_ARTICLE_COLUMNS = {
    "article_id": pa.string(), "url": pa.string(), "feed_url": pa.string(), "title": pa.string(),
    "text": pa.string(), "published_at": pa.timestamp("us", tz="UTC"), "language": pa.string(),
    "language_score": pa.float64(), "duplicate_of": pa.string(), "duplicate_kind": pa.string(),
    "story_id": pa.string(), "text_source": pa.string(), "author": pa.string(), "license": pa.string(),
    "photo_credit": pa.string(), "content_hash": pa.string(), "word_count": pa.int32(),
    "reading_minutes": pa.float64(), "keywords": pa.list_(pa.string()), "entry_key": pa.string(),
    "url_key": pa.string(), "tags": pa.list_(pa.string()),
}


_ENTITY_SCHEMA = pa.schema([("article_id", pa.string()), ("name", pa.string()), ("label", pa.string()),
                            ("start_char", pa.int32()), ("end_char", pa.int32())])
_PLACE_SCHEMA = pa.schema([("article_id", pa.string()), ("mention", pa.string()), ("geonameid", pa.int64()),
                           ("place_name", pa.string()), ("kind", pa.string()), ("country_code", pa.string()),
                           ("latitude", pa.float64()), ("longitude", pa.float64()), ("mentions", pa.int32()),
                           ("exact", pa.bool_())])
_DATE_SCHEMA = pa.schema([("article_id", pa.string()), ("text", pa.string()), ("day", pa.date32()),
                          ("precision", pa.string()), ("start_char", pa.int32())])
_TERM_SCHEMA = pa.schema([("article_id", pa.string()), ("term", pa.string())])
_NAME_SCHEMA = pa.schema([("name", pa.string()), ("label", pa.string())])
_STORY_TERMS_SCHEMA = pa.schema([("article_id", pa.string()), ("published_at", pa.timestamp("us", tz="UTC")),
                                 ("scheme", pa.int32()), ("terms", pa.string()), ("counts", pa.string())])
_REMOVAL_SCHEMA = pa.schema([("article_id", pa.string()), ("rule", pa.string()), ("text", pa.string()),
                             ("line_no", pa.int32())])
_BAND_SCHEMA = pa.schema([("band_key", pa.int64()), ("article_id", pa.string())])
_MOVE_SCHEMA = pa.schema([("article_id", pa.string()), ("supersedes", pa.string()), ("content_hash", pa.string())])
_LINE_KEY_SCHEMA = pa.schema([("source", pa.string()), ("fingerprint", pa.int64())])
_LINE_SCHEMA = pa.schema([("article_id", pa.string()), ("source", pa.string()), ("fingerprint", pa.int64()), ("sample", pa.string())])
_REJECTION_SCHEMA = pa.schema([("url", pa.string()), ("feed_url", pa.string()), ("stage", pa.string()), ("reason", pa.string())])


def _table(schema: pa.Schema, rows: list[tuple]) -> pa.Table:
    """Rows -> an Arrow table with a fixed schema (an empty batch must not turn columns into nulls)."""
    columns = list(zip(*rows)) if rows else [[] for _ in schema]
    return pa.table([pa.array(list(c), f.type) for c, f in zip(columns, schema)], schema=schema)


def _articles_table(articles: list[Article]) -> pa.Table:
    columns = {name: [] for name in _ARTICLE_COLUMNS}
    for a in articles:
        row = {f: getattr(a, f, None) for f in _ARTICLE_COLUMNS}
        row["reading_minutes"] = reading_minutes(a.word_count)
        row["url_key"] = url_key(a.url)
        for name in columns:
            columns[name].append(row[name])
    return pa.table({n: pa.array(v, t) for (n, t), v in zip(_ARTICLE_COLUMNS.items(), columns.values())})


def load_batch(conn: duckdb.DuckDBPyConnection, articles: list[Article], rejections: list[Rejected],
               states: list[FeedState], *, now: datetime) -> LoadResult:
    """Append a batch in one transaction: all of it is visible, or none. Articles already stored
    (same article_id, or another address of a stored page: same url_key) are skipped by an
    anti-join, so re-loading a batch adds nothing."""
    staging = {
        "staging_articles": _articles_table(articles),
        "staging_entities": _table(_ENTITY_SCHEMA, [(a.article_id, e.name, e.label, e.start_char, e.end_char)
                                                    for a in articles for e in a.entities]),
        "staging_places": _table(_PLACE_SCHEMA, [(a.article_id, p.mention, p.geonameid, p.place_name, p.kind,
                                                  p.country_code, p.latitude, p.longitude, p.mentions, p.exact)
                                                 for a in articles for p in a.places]),
        "staging_dates": _table(_DATE_SCHEMA, [(a.article_id, d.text, d.day, d.precision, d.start_char)
                                               for a in articles for d in a.dates]),
        "staging_terms": _table(_TERM_SCHEMA, [(a.article_id, t) for a in articles for t in a.terms]),
        "staging_story_terms": _table(_STORY_TERMS_SCHEMA, [
            (a.article_id, a.published_at, TERMS_SCHEME, *as_strings(a.story_terms))
            for a in articles if getattr(a, "story_terms", None) is not None]),  # spooled before: absent
        "staging_removals": _table(_REMOVAL_SCHEMA, [(a.article_id, r.rule, r.text, r.line_no)
                                                      for a in articles for r in a.removals]),
        "staging_bands": _table(_BAND_SCHEMA, [(k, a.article_id) for a in articles for k in a.band_keys]),
        "staging_moves": _table(_MOVE_SCHEMA, [(a.article_id, a.supersedes, a.content_hash) for a in articles
                                               if getattr(a, "supersedes", None)]),  # spooled before: absent
        "staging_rejections": _table(_REJECTION_SCHEMA, [(r.url, r.feed_url, r.stage, r.reason) for r in rejections]),
        "staging_feeds": _feeds_table(states),
        "staging_lines": _table(_LINE_SCHEMA, [(a.article_id, a.source, fp, line) for a in articles
                                               for fp, line in a.line_fingerprints.items()]),
    }
    def attempt() -> LoadResult:
        with transaction(conn):
            return _load(conn, now)

    for name, table in staging.items():
        conn.register(name, table)
    try:
        result = retry_conflicts(attempt)
    finally:
        for name in staging:
            conn.unregister(name)
    return result


def _feeds_table(states: list[FeedState]) -> pa.Table:
    names = [f.name for f in fields(FeedState)]
    types = {"last_fetched_at": pa.timestamp("us", tz="UTC"), "next_fetch_at": pa.timestamp("us", tz="UTC"), "last_status": pa.int32(),
             "consecutive_failures": pa.int32(), "entries_seen": pa.int32()}
    rows = [asdict(s) for s in states]
    return pa.table({n: pa.array([r[n] for r in rows], types.get(n, pa.string())) for n in names})


# Add a batch's counts to a counter table keyed by `keys` (one row per key).
_ADD_COUNTS = """
    MERGE INTO {table} USING ({source}) AS s USING ({keys})
    WHEN MATCHED THEN UPDATE SET articles = {table}.articles + s.articles
    WHEN NOT MATCHED THEN INSERT BY NAME
"""
# Articles that no longer have a counted key (a cut line's words, a dropped name): one fewer each.
_SUBTRACT_COUNTS = """
    MERGE INTO {table} USING (SELECT {keys}, count(*) AS articles FROM {gone} GROUP BY ALL) AS s USING ({keys})
    WHEN MATCHED THEN UPDATE SET articles = {table}.articles - s.articles
"""


def _load(conn: duckdb.DuckDBPyConnection, now: datetime) -> LoadResult:
    # each new article is numbered after the largest number stored (concurrent DuckLake loads are
    # serialised by the `loads` row they all update, so no two take the same numbers)
    conn.execute("""
        CREATE OR REPLACE TEMP TABLE new_ids AS
        SELECT article_id, (SELECT coalesce(max(article_no), 0) FROM article_numbers)
                           + row_number() OVER (ORDER BY article_id) AS article_no
        FROM (SELECT DISTINCT ON (url_key) article_id FROM staging_articles s
              WHERE NOT EXISTS (SELECT 1 FROM articles a WHERE a.article_id = s.article_id)
                AND NOT EXISTS (SELECT 1 FROM articles a WHERE a.url_key = s.url_key)
              ORDER BY url_key, article_id)
    """)
    inserted = conn.execute("SELECT count(*) FROM new_ids").fetchone()[0]
    total = conn.execute("SELECT count(DISTINCT article_id) FROM staging_articles").fetchone()[0]
    conn.execute("""
        INSERT INTO articles BY NAME
        SELECT DISTINCT ON (s.article_id) s.*, current_timestamp AS ingested_at
        FROM staging_articles s SEMI JOIN new_ids USING (article_id)
    """)
    conn.execute("INSERT INTO article_numbers SELECT article_no, article_id FROM new_ids ORDER BY article_no")
    for table in ("entities", "removals", "places", "dates"):
        conn.execute(f"INSERT INTO {table} BY NAME SELECT s.* FROM staging_{table} s SEMI JOIN new_ids USING (article_id)")
    # Upserts are MERGE: the same statements run on a DuckDB file and on a DuckLake (no keys there).
    conn.execute(_ADD_COUNTS.format(table="term_df", keys="term", source="""
        SELECT term, count(DISTINCT article_id) AS articles FROM staging_terms SEMI JOIN new_ids USING (article_id)
        GROUP BY term"""))
    conn.execute(_ADD_COUNTS.format(table="entity_names", keys="name, label", source="""
        SELECT name, label, count(DISTINCT article_id) AS articles FROM staging_entities SEMI JOIN new_ids USING (article_id)
        GROUP BY ALL"""))
    conn.execute("""
        CREATE OR REPLACE TEMP TABLE loaded_tags AS
        SELECT article_id, lower(unnest(tags)) AS tag FROM staging_articles SEMI JOIN new_ids USING (article_id)""")
    conn.execute("""
        CREATE OR REPLACE TEMP TABLE new_topics AS
        SELECT DISTINCT tag FROM loaded_tags WHERE tag <> '' AND NOT contains(tag, ' ') AND tag NOT IN (SELECT tag FROM tag_names)""")
    conn.execute(_ADD_COUNTS.format(table="tag_names", keys="tag", source="""
        SELECT tag, count(DISTINCT article_id) AS articles FROM loaded_tags GROUP BY tag"""))
    conn.execute("""
        INSERT INTO story_terms BY NAME
        SELECT s.* REPLACE (coalesce(s.published_at, current_timestamp) AS published_at)  -- as articles.ingested_at
        FROM staging_story_terms s SEMI JOIN new_ids USING (article_id)""")
    conn.execute("""
        INSERT INTO article_bands
        SELECT DISTINCT s.band_key, n.article_no FROM staging_bands s JOIN new_ids n USING (article_id)
        ORDER BY n.article_no
    """)
    revised = _move_groups(conn)
    relabelled = _relabel_topics(conn)
    conn.execute("""
        MERGE INTO stories USING (
            SELECT story_id, min(coalesce(published_at, ingested_at)) AS first_seen,
                   max(coalesce(published_at, ingested_at)) AS last_seen, count(*) AS article_count,
                   arg_min(title, coalesce(published_at, ingested_at)) FILTER (WHERE title IS NOT NULL) AS title
            FROM articles
            WHERE story_id IN (SELECT DISTINCT story_id FROM staging_articles SEMI JOIN new_ids USING (article_id))
            GROUP BY story_id
        ) AS s USING (story_id)
        WHEN MATCHED THEN UPDATE BY NAME WHEN NOT MATCHED THEN INSERT BY NAME
    """)
    conn.execute("""
        MERGE INTO rejections USING (
            SELECT DISTINCT ON (url) url, feed_url, stage, reason, ?::TIMESTAMPTZ AS seen FROM staging_rejections
        ) AS s USING (url)
        WHEN MATCHED THEN UPDATE SET stage = s.stage, reason = s.reason, last_seen_at = s.seen,
            attempts = rejections.attempts + 1
        WHEN NOT MATCHED THEN INSERT (url, feed_url, stage, reason, first_seen_at, last_seen_at, attempts)
            VALUES (s.url, s.feed_url, s.stage, s.reason, s.seen, s.seen, 1)
    """, [now])
    conn.execute("DELETE FROM rejections WHERE url IN (SELECT url FROM articles SEMI JOIN new_ids USING (article_id))")
    recleaned = _count_lines(conn)
    conn.execute("""
        MERGE INTO feeds USING (SELECT DISTINCT ON (url) * FROM staging_feeds) AS s USING (url)
        WHEN MATCHED THEN UPDATE BY NAME WHEN NOT MATCHED THEN INSERT BY NAME
    """)
    # Every load changes this row: concurrent DuckLake loads conflict here and the later one retries.
    conn.execute("UPDATE loads SET batches = batches + 1, last_load_at = current_timestamp")
    rejected = conn.execute("SELECT count(*) FROM staging_rejections").fetchone()[0]
    return LoadResult(inserted=inserted, already_stored=total - inserted, rejections=rejected, revised=revised,
                      recleaned=recleaned, relabelled=relabelled)


def _relabel_topics(conn: duckdb.DuckDBPyConnection) -> int:
    """The one-word tags this load brought into the warehouse (`new_topics`) make the stored
    English articles' one-word PERSONs they spell PRODUCTs, as `enrich.recorrect` judges a new
    article's (entity scheme 4): a publisher tagging "Twitter" today tells about the "Twitter" stored
    yesterday. Not where the name is part of a person the article names in full. The load's own
    articles were judged with the batch's tags already. `entity_names` follows, `revised_at` is
    stamped. Returns how many stored articles changed."""
    # the names first, from the warehouse's label counts: most loads bring no tag a stored person spells
    names = [r[0] for r in conn.execute("""
        SELECT DISTINCT name FROM entity_names
        WHERE label = 'PERSON' AND articles > 0 AND NOT contains(name, ' ') AND lower(name) IN (SELECT tag FROM new_topics)
    """).fetchall()]
    if not names:
        return 0
    conn.execute(f"""
        CREATE OR REPLACE TEMP TABLE topic_rows AS
        SELECT DISTINCT e.article_id, e.name FROM entities e JOIN articles a USING (article_id)
        WHERE e.label = 'PERSON' AND e.name IN {_literals(names)}
          AND a.language = 'en' AND e.article_id NOT IN (SELECT article_id FROM new_ids)
          AND NOT EXISTS (SELECT 1 FROM entities p WHERE p.article_id = e.article_id AND p.label = 'PERSON'
                          AND contains(p.name, ' ') AND e.name IN (split_part(p.name, ' ', 1), split_part(p.name, ' ', -1)))
    """)
    changed = conn.execute("SELECT count(DISTINCT article_id) FROM topic_rows").fetchone()[0]
    if not changed:
        return 0
    conn.execute("""
        CREATE OR REPLACE TEMP TABLE topic_gone AS SELECT name, 'PERSON' AS label FROM topic_rows""")
    conn.execute("""
        CREATE OR REPLACE TEMP TABLE topic_new AS
        SELECT name, 'PRODUCT' AS label FROM topic_rows t
        WHERE NOT EXISTS (SELECT 1 FROM entities e WHERE e.article_id = t.article_id AND e.name = t.name AND e.label = 'PRODUCT')""")
    conn.execute("""
        UPDATE entities SET label = 'PRODUCT' FROM topic_rows t
        WHERE entities.article_id = t.article_id AND entities.name = t.name AND entities.label = 'PERSON'""")
    conn.execute(_SUBTRACT_COUNTS.format(table="entity_names", keys="name, label", gone="topic_gone"))
    conn.execute(_ADD_COUNTS.format(table="entity_names", keys="name, label", source="""
        SELECT name, label, count(*) AS articles FROM topic_new GROUP BY ALL"""))
    conn.execute("UPDATE articles SET revised_at = current_timestamp WHERE article_id IN (SELECT article_id FROM topic_rows)")
    return changed


def _count_lines(conn: duckdb.DuckDBPyConnection) -> int:
    """Add the new articles' lines to their sources' counts. A line keeps its carriers (by article
    number) while its count is below the learned one; the load that takes it there cleans those
    stored articles of it (`_reclean`). Returns how many stored articles were cleaned. The lines
    this load takes to the count are read before the MERGE (a MERGE ... RETURNING would save that
    join, 0.18 s a load on a 1M-article warehouse's 18M lines, but cost 0.5-1.1 s more itself,
    and DuckLake has no RETURNING)."""
    conn.execute("""
        CREATE OR REPLACE TEMP TABLE loaded_lines AS
        SELECT source, fingerprint, count(DISTINCT article_id) AS articles, any_value(sample) AS sample,
               string_agg(DISTINCT n.article_no::VARCHAR, ' ') AS carriers
        FROM staging_lines JOIN new_ids n USING (article_id) GROUP BY source, fingerprint
    """)
    counted = {"min": boilerplate.MIN_ARTICLES}
    carriers = sorted({int(number) for (listed,) in conn.execute("""
        SELECT l.carriers FROM source_lines l JOIN loaded_lines b USING (source, fingerprint)
        WHERE l.articles < $min AND l.articles + b.articles >= $min AND l.carriers IS NOT NULL
    """, counted).fetchall() for number in listed.split()})
    conn.execute("""
        MERGE INTO source_lines USING loaded_lines AS s USING (source, fingerprint)
        WHEN MATCHED THEN UPDATE SET articles = source_lines.articles + s.articles,
            carriers = CASE WHEN source_lines.articles + s.articles < $min
                            THEN concat_ws(' ', source_lines.carriers, s.carriers) END
        WHEN NOT MATCHED THEN INSERT (source, fingerprint, articles, sample, carriers)
            VALUES (s.source, s.fingerprint, s.articles, s.sample, CASE WHEN s.articles < $min THEN s.carriers END)
    """, counted)
    return _reclean(conn, carriers) if carriers else 0


def _reclean(conn: duckdb.DuckDBPyConnection, numbers: list[int]) -> int:
    """Clean stored articles (by number) of every line their source has now learned, as if they had
    arrived after it was: text, removals, entities (moved to the new offsets), places, dates,
    keywords, word count, content hash, story terms and candidate keys follow the new text; the
    warehouse-wide counts (term_df, entity_names) lose what only the cut lines had. Stamps revised_at."""
    ids = dict(conn.execute(f"SELECT article_id, article_no FROM article_numbers WHERE article_no IN "
                            f"({', '.join(map(str, numbers))})").fetchall())
    rows = conn.execute(f"SELECT article_id, url, feed_url, text, language, published_at, title FROM articles"
                        f" WHERE article_id IN {_literals(sorted(ids))}").fetchall()
    entities = _stored_entities(conn, sorted(ids))
    sources = {r[0]: boilerplate.source_of_urls(r[1], r[2]) for r in rows}
    lines = {r[0]: boilerplate.text_fingerprints(r[3]) for r in rows}
    counts = source_line_counts(conn, sorted({(sources[aid], fp) for aid, fps in lines.items() for fp in fps}))
    learned = {aid: {fp for fp in fps if counts.get((sources[aid], fp), 0) >= boilerplate.MIN_ARTICLES}
               for aid, fps in lines.items()}
    rows = [r for r in rows if learned[r[0]]]
    # keywords are ranked again, by the warehouse's counts of the words and names the texts hold
    history = enrichment_history(conn, {t for r in rows for t in content_terms(r[3], r[4]).keys() | title_terms(r[6], r[4]).keys()},
                                 {e.name for r in rows for e in entities.get(r[0], [])}, organisations=False)
    earlier = _learned_removals(conn, [r[0] for r in rows])
    revisions = [revision for aid, _, _, text, language, published, title in rows if (revision := revise.revise_stored(
        revise.StoredArticle(aid, text, language, published, entities.get(aid, []), title), learned[aid], history,
        earlier.get(aid, [])))]
    if not revisions:
        return 0
    changed = _literals([r.article_id for r in revisions])
    staging = {
        "revised_articles": pa.table({
            "article_id": pa.array([r.article_id for r in revisions], pa.string()),
            "text": pa.array([r.text for r in revisions], pa.string()),
            "word_count": pa.array([r.word_count for r in revisions], pa.int32()),
            "reading_minutes": pa.array([reading_minutes(r.word_count) for r in revisions], pa.float64()),
            "content_hash": pa.array([r.content_hash for r in revisions], pa.string()),
            "keywords": pa.array([r.keywords for r in revisions], pa.list_(pa.string()))}),
        "revised_entities": _table(_ENTITY_SCHEMA, [(r.article_id, e.name, e.label, e.start_char, e.end_char)
                                                    for r in revisions for e in r.entities]),
        "revised_places": _table(_PLACE_SCHEMA, [(r.article_id, p.mention, p.geonameid, p.place_name, p.kind, p.country_code,
                                                  p.latitude, p.longitude, p.mentions, p.exact) for r in revisions for p in r.places]),
        "revised_dates": _table(_DATE_SCHEMA, [(r.article_id, d.text, d.day, d.precision, d.start_char)
                                               for r in revisions for d in r.dates]),
        "revised_removals": _table(_REMOVAL_SCHEMA, [(r.article_id, x.rule, x.text, x.line_no)
                                                      for r in revisions for x in r.removals]),
        "revised_terms": _table(_STORY_TERMS_SCHEMA, [(r.article_id, None, TERMS_SCHEME, *as_strings(r.story_terms))
                                                      for r in revisions]),
        "revised_bands": pa.table({"band_key": pa.array([k for r in revisions for k in r.band_keys], pa.int64()),
                                   "article_no": pa.array([ids[r.article_id] for r in revisions for _ in r.band_keys], pa.int64())}),
        "terms_gone": _table(_TERM_SCHEMA, [(r.article_id, t) for r in revisions for t in r.terms_gone]),
        "names_gone": _table(pa.schema([("article_id", pa.string()), ("name", pa.string()), ("label", pa.string())]),
                             [(r.article_id, name, label) for r in revisions for name, label in r.names_gone]),
    }
    for name, table in staging.items():
        conn.register(name, table)
    try:
        conn.execute("""
            UPDATE articles SET text = r.text, word_count = r.word_count, reading_minutes = r.reading_minutes,
                content_hash = r.content_hash, keywords = r.keywords, revised_at = current_timestamp
            FROM revised_articles r WHERE articles.article_id = r.article_id
        """)
        for table in ("entities", "places", "dates"):
            conn.execute(f"DELETE FROM {table} WHERE article_id IN {changed}")
            conn.execute(f"INSERT INTO {table} BY NAME SELECT * FROM revised_{table}")
        conn.execute("INSERT INTO removals BY NAME SELECT * FROM revised_removals")
        conn.execute(f"DELETE FROM story_terms WHERE article_id IN {changed}")
        conn.execute("""
            INSERT INTO story_terms BY NAME
            SELECT r.* REPLACE (coalesce(a.published_at, a.ingested_at) AS published_at)
            FROM revised_terms r JOIN articles a USING (article_id)""")
        conn.execute(f"DELETE FROM article_bands WHERE article_no IN ({', '.join(str(ids[r.article_id]) for r in revisions)})")
        conn.execute("INSERT INTO article_bands SELECT DISTINCT band_key, article_no FROM revised_bands ORDER BY article_no")
        conn.execute(_SUBTRACT_COUNTS.format(table="term_df", keys="term", gone="terms_gone"))
        conn.execute(_SUBTRACT_COUNTS.format(table="entity_names", keys="name, label", gone="names_gone"))
    finally:
        for name in staging:
            conn.unregister(name)
    return len(revisions)


def _learned_removals(conn: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, list[Removal]]:
    """The learned lines already cut from these stored articles, with their places (`revise_stored`)."""
    if not ids:
        return {}
    found: dict[str, list[Removal]] = {}
    for article_id, text, line_no in conn.execute(
            f"SELECT article_id, text, line_no FROM removals WHERE rule = 'learned_boilerplate' AND article_id IN "
            f"{_literals(sorted(ids))}").fetchall():
        found.setdefault(article_id, []).append(Removal("learned_boilerplate", text, line_no))
    return found


def _move_groups(conn: duckdb.DuckDBPyConnection) -> int:
    """Point each stored group whose original a new article predates (`supersedes`) at that
    article: the old original and its copies become its copies (exact where the text hashes alike),
    stamped `revised_at`. Only a new article moves a group, and only a group whose original is still
    one (a concurrent load may have moved it first: then this article simply stays an original).
    Returns how many stored articles it changed."""
    if not conn.execute("SELECT count(*) FROM staging_moves").fetchone()[0]:
        return 0
    conn.execute("""
        CREATE OR REPLACE TEMP TABLE moves AS
        SELECT m.* FROM staging_moves m SEMI JOIN new_ids USING (article_id)
        WHERE m.supersedes IN (SELECT article_id FROM articles WHERE duplicate_of IS NULL)
    """)
    changed = conn.execute("""
        UPDATE articles SET duplicate_of = m.article_id, revised_at = current_timestamp,
            duplicate_kind = CASE WHEN articles.content_hash = m.content_hash THEN 'exact' ELSE 'near' END
        FROM moves m WHERE articles.article_id = m.supersedes OR articles.duplicate_of = m.supersedes
    """).fetchone()
    return changed[0] if changed else 0


def enrichment_history(conn: duckdb.DuckDBPyConnection, terms: set[str], names: set[str], *,
                       organisations: bool) -> History:
    """Document frequencies of the batch's words, the labels stored for its names, the publishers'
    tags that spell its one-word names, and (when a batch holds languages without a model) every
    name the warehouse mostly labels ORG."""
    documents = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    term_df = {}
    if terms:
        with _wanted(conn, "term", terms):
            term_df = dict(conn.execute("SELECT term, articles FROM term_df SEMI JOIN wanted_term USING (term)").fetchall())
    labels: dict[str, dict[str, int]] = {}
    if names:
        with _wanted(conn, "name", names):
            for name, label, count in conn.execute(
                    "SELECT name, label, articles FROM entity_names SEMI JOIN wanted_name USING (name)").fetchall():
                labels.setdefault(name, {})[label] = count
    topics = frozenset()
    if one_word := {name.lower() for name in names if " " not in name}:
        with _wanted(conn, "tag", one_word):
            topics = frozenset(r[0] for r in conn.execute("SELECT tag FROM tag_names SEMI JOIN wanted_tag USING (tag)").fetchall())
    learned = frozenset()
    if organisations:
        learned = frozenset(r[0] for r in conn.execute("""
            SELECT name FROM entity_names GROUP BY name
            HAVING sum(articles) >= ? AND coalesce(sum(articles) FILTER (WHERE label = 'ORG'), 0) >= ? * sum(articles)
        """, [LEARNED_MIN_ARTICLES, LEARNED_MIN_SHARE]).fetchall())
    return History(documents=documents, term_df=term_df, labels=labels, organisations=learned, topics=topics)


def index_version(conn: duckdb.DuckDBPyConnection, name: str) -> int | None:
    row = conn.execute("SELECT version FROM index_state WHERE name = ?", [name]).fetchone()
    return row[0] if row else None


def rebuild_band_keys(conn: duckdb.DuckDBPyConnection, version: int, keys_for, chunk: int = 5000) -> int:
    """Recompute every stored article's candidate keys with `keys_for(texts)`: readers see the old
    keys or the new ones, never a mix."""
    def refill() -> int:
        conn.execute("DELETE FROM article_bands")
        numbers = [r[0] for r in conn.execute("SELECT article_no FROM article_numbers ORDER BY article_no").fetchall()]
        for start in range(0, len(numbers), chunk):  # a range of numbers is a few row groups, not a scan
            stored = conn.execute("""
                SELECT n.article_no, a.text FROM article_numbers n JOIN articles a USING (article_id)
                WHERE n.article_no BETWEEN ? AND ? ORDER BY n.article_no""",
                [numbers[start], numbers[min(start + chunk, len(numbers)) - 1]]).fetchall()
            keys = keys_for([text for _, text in stored])
            conn.register("rebuilt", pa.table({
                "band_key": pa.array([k for row in keys for k in set(row)], pa.int64()),
                "article_no": pa.array([no for (no, _), row in zip(stored, keys) for _ in set(row)], pa.int64())}))
            conn.execute("INSERT INTO article_bands BY NAME SELECT band_key, article_no FROM rebuilt")
            conn.unregister("rebuilt")
        return len(numbers)

    return _rebuild_index(conn, "article_bands", version, refill)


def rebuild_term_df(conn: duckdb.DuckDBPyConnection, version: int, terms_for, chunk: int = 5000,
                    rerank=None) -> tuple[int, int]:
    """Recount every stored article's content words with `terms_for(text, language)` (a warehouse
    older than the table, or a changed tokeniser): one pass over the stored text, counted in
    memory and written once. The stored articles whose words `rerank(terms)` says the change
    reads differently have their keywords ranked again on the new counts (same transaction).
    Returns (articles counted, articles whose keywords changed)."""
    reranked = 0

    def refill() -> int:
        nonlocal reranked
        counts: Counter[str] = Counter()
        stored = conn.execute("SELECT article_id, text, language FROM articles")
        articles, retokenised = 0, []
        while rows := stored.fetchmany(chunk):
            articles += len(rows)
            for article_id, text, language in rows:
                terms = terms_for(text, language)
                counts.update(terms.keys())  # each distinct word once an article
                if rerank is not None and rerank(terms):
                    retokenised.append(article_id)
        conn.execute("DELETE FROM term_df")
        conn.register("rebuilt", pa.table({"term": pa.array(list(counts), pa.string()),
                                           "articles": pa.array(list(counts.values()), pa.int32())}))
        conn.execute("INSERT INTO term_df BY NAME SELECT term, articles FROM rebuilt")
        conn.unregister("rebuilt")
        reranked = _rerank_keywords(conn, retokenised)  # a retried transaction counts again
        return articles

    return _rebuild_index(conn, "term_df", version, refill), reranked


def recount_story_terms(conn: duckdb.DuckDBPyConnection, version: int, terms_for, since: datetime,
                        chunk: int = 2000) -> int:
    """Count again, with `terms_for(text, language, title)`, the story terms of the stored originals
    dated `since` or later that have none of scheme `version` (a scheme change dropped them), so
    that the next batches read their members' counts rather than tokenise them run after run.
    Older ones, rarely members, are still counted from their text when they are. Returns how many."""
    def refill() -> int:
        ids = [r[0] for r in conn.execute("""
            SELECT article_id FROM articles a
            WHERE duplicate_of IS NULL AND coalesce(published_at, ingested_at) >= ?
              AND NOT EXISTS (SELECT 1 FROM story_terms s WHERE s.article_id = a.article_id AND s.scheme = ?)
            ORDER BY article_id""", [since, version]).fetchall()]
        for start in range(0, len(ids), chunk):
            rows = conn.execute("SELECT article_id, coalesce(published_at, ingested_at), text, language, title"
                                f" FROM articles WHERE article_id IN {_literals(ids[start : start + chunk])}").fetchall()
            conn.register("recounted", _table(_STORY_TERMS_SCHEMA, [
                (aid, when, version, *as_strings(terms_for(text, language, title))) for aid, when, text, language, title in rows]))
            conn.execute("DELETE FROM story_terms WHERE article_id IN (SELECT article_id FROM recounted)")
            conn.execute("INSERT INTO story_terms BY NAME SELECT * FROM recounted")
            conn.unregister("recounted")
        return len(ids)

    return _rebuild_index(conn, "story_terms", version, refill)


def _stored_entities(conn: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, list[Entity]]:
    """The stored articles' entities, in text order."""
    entities: dict[str, list[Entity]] = {}
    for aid, name, label, start, end in conn.execute(
            f"SELECT article_id, name, label, start_char, end_char FROM entities WHERE article_id IN {_literals(ids)}"
            " ORDER BY article_id, start_char").fetchall():
        entities.setdefault(aid, []).append(Entity(name, label, start, end))
    return entities


def _rerank_keywords(conn: duckdb.DuckDBPyConnection, ids: list[str], chunk: int = 1000) -> int:
    """Rank the stored articles' keywords again on their text, by the warehouse's (just recounted)
    statistics, as `enrich.finish` ranks a new article's; a changed row is stamped revised_at.
    Returns how many changed."""
    changed = 0
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        rows = conn.execute(f"SELECT article_id, text, language, published_at, keywords, title FROM articles"
                            f" WHERE article_id IN {_literals(part)}").fetchall()
        entities = _stored_entities(conn, part)
        history = enrichment_history(conn, {t for r in rows for t in content_terms(r[1], r[2]).keys() | title_terms(r[5], r[2]).keys()},
                                     {e.name for es in entities.values() for e in es}, organisations=False)
        ranked = {aid: keywords for aid, text, language, published, old, title in rows if (keywords := revise.keywords_again(
            revise.StoredArticle(aid, text, language, published, entities.get(aid, []), title), history)) != list(old or [])}
        _set_keywords(conn, ranked)
        changed += len(ranked)
    return changed


def reclean_stored(conn: duckdb.DuckDBPyConnection, version: int, chunk: int = 5000) -> tuple[int, int]:
    """For a warehouse whose lines were counted before their carriers were kept (migration 0013):
    clean every stored article of the lines its source has learned (`_reclean`), and list the
    carriers of the lines still under the count, from one pass over the stored text. Returns
    (articles read, articles cleaned). One transaction a chunk of articles: held in one, a
    million articles' carrier lists took the process to 1.7 GB. A pass cut short starts over at the
    next run (the scheme is recorded last): the carriers are listed anew, and the articles it
    cleaned have no learned line left to cut."""
    def reset() -> list[int]:
        with transaction(conn):
            conn.execute("UPDATE source_lines SET carriers = NULL WHERE carriers IS NOT NULL")
            _serialise_with_loads(conn)
        return [r[0] for r in conn.execute("SELECT article_no FROM article_numbers ORDER BY article_no").fetchall()]

    def pass_over(first: int, last: int) -> int:
        with transaction(conn):
            stored = conn.execute("""
                SELECT n.article_no, a.url, a.feed_url, a.text FROM article_numbers n JOIN articles a USING (article_id)
                WHERE n.article_no BETWEEN ? AND ?""", [first, last]).fetchall()
            conn.register("stored_lines", _table(pa.schema([("source", pa.string()), ("fingerprint", pa.int64()),
                                                             ("article_no", pa.int64())]), [
                (source, fp, no) for no, url, feed_url, text in stored
                for source in (boilerplate.source_of_urls(url, feed_url),) for fp in boilerplate.text_fingerprints(text)]))
            try:
                conn.execute("""
                    UPDATE source_lines SET carriers = concat_ws(' ', source_lines.carriers, c.carriers)
                    FROM (SELECT source, fingerprint, string_agg(article_no::VARCHAR, ' ' ORDER BY article_no) AS carriers
                          FROM stored_lines GROUP BY source, fingerprint) AS c
                    WHERE source_lines.source = c.source AND source_lines.fingerprint = c.fingerprint
                      AND source_lines.articles < ?""", [boilerplate.MIN_ARTICLES])
                carrying = [r[0] for r in conn.execute("""
                    SELECT DISTINCT s.article_no FROM stored_lines s JOIN source_lines l USING (source, fingerprint)
                    WHERE l.articles >= ? ORDER BY 1""", [boilerplate.MIN_ARTICLES]).fetchall()]
            finally:
                conn.unregister("stored_lines")
            _serialise_with_loads(conn)
            return _reclean(conn, carrying) if carrying else 0

    def record() -> None:
        with transaction(conn):
            _index_built(conn, "source_lines", version)

    numbers = retry_conflicts(reset)
    cleaned = 0
    for start in range(0, len(numbers), chunk):  # a range of numbers is a few row groups, not a scan
        first, last = numbers[start], numbers[min(start + chunk, len(numbers)) - 1]
        cleaned += retry_conflicts(lambda: pass_over(first, last))
    retry_conflicts(record)
    return len(numbers), cleaned


def recorrect_stored(conn: duckdb.DuckDBPyConnection, version: int, chunk: int = 2000) -> tuple[int, int]:
    """Give the stored English articles' entities the corrections of `enrich.recorrect` (scheme
    `version`: rules that need only the stored entities, the text, whether the article has a place
    and the warehouse's one-word tags), as a new article gets them: relabelled and dropped rows, `entity_names` counted again
    for the (name, label) pairs an article gained or lost, `revised_at` stamped. Keywords stay as
    ranked at ingestion (ranking them again cost 7 ms an article, 4 times the rest of the pass; a
    dropped "Git" PERSON stays a keyword as the word it is). One transaction a chunk of articles
    (the corrections give the same result twice, so a pass cut short simply starts over at the next
    run; the scheme is recorded last). Returns (articles with a mention the rules judge, articles
    changed)."""
    places = gazetteer()
    topics = enrich.topic_tags(r[0] for r in conn.execute("SELECT tag FROM tag_names WHERE NOT contains(tag, ' ')").fetchall())

    def pass_over(part: list[str]) -> int:
        with transaction(conn):
            rows = conn.execute(f"""
                SELECT a.article_id, a.text, EXISTS (SELECT 1 FROM places p WHERE p.article_id = a.article_id)
                FROM articles a WHERE a.article_id IN {_literals(part)} AND a.language = 'en'""").fetchall()
            stored = _stored_entities(conn, [r[0] for r in rows]) if rows else {}
            changed = {aid: fixed for aid, text, placed in rows
                       if (fixed := enrich.recorrect(stored.get(aid, []), text, placed, places, topics)) != stored.get(aid, [])}
            if not changed:
                _serialise_with_loads(conn)
                return 0
            pairs = [({(e.name, e.label) for e in stored[aid]}, {(e.name, e.label) for e in fixed})
                     for aid, fixed in changed.items()]
            staging = {
                "recorrected": _table(_ENTITY_SCHEMA, [(aid, e.name, e.label, e.start_char, e.end_char)
                                                       for aid, fixed in changed.items() for e in fixed]),
                "pairs_gone": _table(_NAME_SCHEMA, [pair for old, new in pairs for pair in old - new]),
                "pairs_new": _table(_NAME_SCHEMA, [pair for old, new in pairs for pair in new - old]),
            }
            ids = _literals(sorted(changed))
            for name, table in staging.items():
                conn.register(name, table)
            try:
                conn.execute(f"DELETE FROM entities WHERE article_id IN {ids}")
                conn.execute("INSERT INTO entities BY NAME SELECT * FROM recorrected")
                conn.execute(_SUBTRACT_COUNTS.format(table="entity_names", keys="name, label", gone="pairs_gone"))
                conn.execute(_ADD_COUNTS.format(table="entity_names", keys="name, label", source="""
                    SELECT name, label, count(*) AS articles FROM pairs_new GROUP BY ALL"""))
                conn.execute(f"UPDATE articles SET revised_at = current_timestamp WHERE article_id IN {ids}")
            finally:
                for name in staging:
                    conn.unregister(name)
            _serialise_with_loads(conn)
            return len(changed)

    # the articles with a mention the rules judge, found in one scan of the entities
    ids = [r[0] for r in conn.execute("""
        SELECT DISTINCT article_id FROM entities
        WHERE label IN ('GPE', 'LOC') OR label = 'PERSON' AND NOT contains(name, ' ') OR regexp_matches(name, ?)
              OR regexp_matches(name, ?) OR label = 'LAW' AND regexp_matches(name, ?)
        ORDER BY 1""", [CAMEL_CASE, ADDRESS, enrich.CHAPTER_HEADING]).fetchall()]
    return len(ids), _in_chunks(conn, "entities", version, ids, pass_over, chunk)


def respell_keywords(conn: duckdb.DuckDBPyConnection, version: int, chunk: int = 2000) -> tuple[int, int]:
    """Spell the stored articles' lower-case keywords as their text writes them, or as the
    warehouse's one-word names are (`enrich.spelt_as_written`, scheme `version`), as a new
    article's are: "mysql" -> "MySQL". The ranking stays. One transaction a chunk, a changed row stamped revised_at; the pass gives the
    same result twice, so one cut short starts over at the next run (the scheme is recorded last).
    Returns (articles with a lower-case keyword, articles changed)."""
    def pass_over(part: list[str]) -> int:
        with transaction(conn):
            rows = conn.execute(f"SELECT article_id, text, title, keywords FROM articles WHERE article_id IN {_literals(part)}").fetchall()
            spelt = {aid: new for aid, text, title, old in rows
                     if (new := enrich.spelt_as_written(old, enrich.with_title(text, title), spellings)) != old}
            _set_keywords(conn, spelt)
            _serialise_with_loads(conn)
            return len(spelt)

    names: dict[str, dict[str, int]] = {}
    for name, label, articles in conn.execute(
            "SELECT name, label, articles FROM entity_names WHERE NOT contains(name, ' ') AND articles > 0").fetchall():
        names.setdefault(name, {})[label] = articles
    words = conn.execute("SELECT term, articles FROM term_df WHERE term IN (SELECT lower(name) FROM entity_names"
                         " WHERE NOT contains(name, ' '))").fetchall()
    spellings = enrich.name_spellings(names, dict(words))
    # a keyword in lower case that has an upper case ("mysql"; not a name, not 感染)
    ids = [r[0] for r in conn.execute("""
        SELECT article_id FROM articles
        WHERE len(list_filter(keywords, lambda k: k = lower(k) AND k <> upper(k) AND NOT contains(k, ' '))) > 0
        ORDER BY 1""").fetchall()]
    return len(ids), _in_chunks(conn, "keywords", version, ids, pass_over, chunk)


def _in_chunks(conn: duckdb.DuckDBPyConnection, index: str, version: int, ids: list[str],
               pass_over: Callable[[list[str]], int], chunk: int) -> int:
    """`pass_over(part)` (one transaction, retried on a conflict) over `ids` a chunk at a time, then
    `version` recorded for `index`: a pass cut short starts over at the next run. Returns the sum of
    what the parts returned."""
    changed = 0
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        changed += retry_conflicts(lambda: pass_over(part))

    def record() -> None:
        with transaction(conn):
            _index_built(conn, index, version)

    retry_conflicts(record)
    return changed


def _set_keywords(conn: duckdb.DuckDBPyConnection, keywords: dict[str, list[str]]) -> None:
    """Store these articles' new keywords (article_id -> keywords), stamping revised_at."""
    if not keywords:
        return
    conn.register("new_keywords", pa.table({"article_id": pa.array(list(keywords), pa.string()),
                                            "keywords": pa.array(list(keywords.values()), pa.list_(pa.string()))}))
    try:
        conn.execute("""UPDATE articles SET keywords = k.keywords, revised_at = current_timestamp
                        FROM new_keywords k WHERE articles.article_id = k.article_id""")
    finally:
        conn.unregister("new_keywords")


def _rebuild_index(conn: duckdb.DuckDBPyConnection, index: str, version: int, refill) -> int:
    """Empty and refill `index` from the stored articles (`refill()`, which returns how many it
    read) and record the scheme in index_state, in one transaction."""
    def attempt() -> int:
        with transaction(conn):
            articles = refill()
            _index_built(conn, index, version)
        return articles

    return retry_conflicts(attempt)


def _index_built(conn: duckdb.DuckDBPyConnection, index: str, version: int) -> None:
    """Record that `index` is built by scheme `version` (inside the caller's transaction)."""
    conn.execute("""
        MERGE INTO index_state USING (SELECT ? AS name, ? AS version, current_timestamp AS built_at) AS s
        USING (name) WHEN MATCHED THEN UPDATE BY NAME WHEN NOT MATCHED THEN INSERT BY NAME
    """, [index, version])
    _serialise_with_loads(conn)


def _serialise_with_loads(conn: duckdb.DuckDBPyConnection) -> None:
    """Make the caller's transaction conflict with any load committed meanwhile (a DuckLake has no
    keys to do it: the loads all update this row), so that one of them retries."""
    conn.execute("UPDATE loads SET batches = batches")
