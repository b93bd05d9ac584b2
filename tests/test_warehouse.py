"""Warehouse: migrations once, idempotent bulk loads, bounded waits on another process's lock."""
from __future__ import annotations

import logging
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest

from transforms.records import Article, Entity, FeedState, Rejected, Removal
from warehouse import db as wdb
from warehouse import store
from warehouse.query import QueryError, run_query

NOW = datetime(2024, 1, 1, tzinfo=timezone.utc)


def article(i: int, **kw) -> Article:
    base = dict(article_id=f"id{i}", url=f"https://example.org/{i}", feed_url="https://example.org/feed",
                title=f"T{i}", text=f"text {i}", published_at=NOW, text_source="page", content_hash=f"h{i}",
                story_id=f"id{i}", entities=[Entity("Pentagon", "ORG", 0, 8)], removals=[Removal("byline", "By X")],
                band_keys=[i, i + 1000])
    return Article(**{**base, **kw})


def test_a_file_that_cannot_hold_the_warehouse_is_named_before_a_run(tmp_path, db) -> None:
    assert wdb.file_problem(tmp_path / "new.duckdb") is None  # a run creates it
    with wdb.connect(db) as conn:
        wdb.migrate(conn)
    assert wdb.file_problem(db) is None
    (tmp_path / "notes.txt").write_text("not a database, but long enough to have a header")
    assert wdb.file_problem(tmp_path / "notes.txt") == f"{tmp_path / 'notes.txt'} is not a DuckDB database file"
    (tmp_path / "touched.duckdb").touch()
    assert wdb.file_problem(tmp_path / "touched.duckdb").endswith("is not a DuckDB database file (it is empty)")
    assert wdb.file_problem(tmp_path) == f"{tmp_path} is a directory, not a database file"


def test_migrations_apply_once(db) -> None:
    with wdb.connect(db) as conn:
        assert len(wdb.migrate(conn)) == len(wdb.migrations()) >= 2
        assert wdb.migrate(conn) == []


def test_load_is_idempotent_and_complete(db) -> None:
    batch = [article(1), article(2, duplicate_of="id1", story_id="id1")]
    with wdb.connect(db) as conn:
        wdb.migrate(conn)
        first = store.load_batch(conn, batch, [Rejected("https://example.org/x", "extract", "empty")],
                                 [FeedState(url="https://example.org/feed", last_status=200)], now=NOW)
        again = store.load_batch(conn, batch, [Rejected("https://example.org/x", "extract", "empty")], [], now=NOW)
    assert (first.inserted, again.inserted, again.already_stored) == (2, 0, 2)
    counts = run_query(db, "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM entities),"
                           " (SELECT count(*) FROM removals), (SELECT count(*) FROM article_bands),"
                           " (SELECT attempts FROM rejections), (SELECT article_count FROM stories WHERE story_id='id1')")[1]
    assert counts == [(2, 2, 2, 4, 2, 2)]


def test_tags_are_stored_and_a_batch_spooled_before_they_existed_loads_without_them(db) -> None:
    """An article spooled by an older version has no `tags` slot (pickled state is by slot name):
    it loads, with NULL tags; a new one keeps its list, empty or not."""
    old = article(3)
    del old.tags
    batch = [article(1, tags=["Ebola", "Health & Medicine"]), article(2), old]
    with wdb.connect(db) as conn:
        wdb.migrate(conn)
        assert store.load_batch(conn, batch, [], [], now=NOW).inserted == 3
    assert run_query(db, "SELECT article_id, tags FROM articles ORDER BY 1")[1] == [
        ("id1", ["Ebola", "Health & Medicine"]), ("id2", []), ("id3", None)]


def test_failed_load_leaves_nothing_behind(db) -> None:
    with wdb.connect(db) as conn:
        wdb.migrate(conn)
        with pytest.raises(Exception):
            store.load_batch(conn, [article(1), article(2, text=None)], [], [], now=NOW)  # NOT NULL violated
    assert run_query(db, "SELECT count(*) FROM articles")[1] == [(0,)]
    assert run_query(db, "SELECT count(*) FROM entities")[1] == [(0,)]


def test_candidates_come_from_band_join_and_hash(db) -> None:
    with wdb.connect(db) as conn:
        wdb.migrate(conn)
        store.load_batch(conn, [article(1), article(2)], [], [], now=NOW)
        found = store.duplicate_candidates(conn, ["h2"], [1001, 99999])
    assert sorted((k.article_id, k.title) for k in found) == [("id1", "T1"), ("id2", "T2")]  # titles: dedup.different_items


def test_a_warehouse_keyed_by_ids_is_renumbered_with_its_keys_kept(db, monkeypatch) -> None:
    """Migration 0009 on a warehouse whose article_bands name articles by id: each stored article
    gets a number in the order it was stored, its keys follow it, and the next load numbers on."""
    every = wdb.migrations()
    with wdb.connect(db) as conn:
        monkeypatch.setattr(wdb, "migrations", lambda: [m for m in every if m[0] < 9])
        wdb.migrate(conn)
        monkeypatch.undo()
        for i, stored in ((2, "2024-01-01"), (1, "2024-01-02")):  # id2 was stored first
            conn.execute("INSERT INTO articles (article_id, url, feed_url, text, ingested_at, text_source, content_hash)"
                         " VALUES (?, ?, 'f', 't', ?, 'page', ?)", [f"id{i}", f"u{i}", stored, f"h{i}"])
            conn.execute("INSERT INTO article_bands VALUES (?, ?), (?, ?)", [i, f"id{i}", i + 1000, f"id{i}"])
        assert wdb.migrate(conn)[:2] == ["0009_number_articles.sql", "0010_add_url_key.sql"]
        assert conn.execute("SELECT article_id, article_no FROM article_numbers ORDER BY 2").fetchall() == [("id2", 1), ("id1", 2)]
        assert store.duplicate_candidates(conn, [], [1001])[0].band_keys == frozenset({1001})
        store.load_batch(conn, [article(3)], [], [], now=NOW)
        numbered = conn.execute("SELECT n.article_id, list(b.band_key ORDER BY b.band_key) FROM article_bands b"
                                " JOIN article_numbers n USING (article_no) GROUP BY ALL ORDER BY min(n.article_no)").fetchall()
    assert numbered == [("id2", [2, 1002]), ("id1", [1, 1001]), ("id3", [3, 1003])]


def test_stored_pages_get_their_url_key_and_another_address_of_one_is_not_loaded(db, monkeypatch) -> None:
    """Migration 0010 keys the stored rows with the Python function new rows use; a load then skips
    an article whose address is another form (https, AMP, mobile) of a stored page's."""
    every = wdb.migrations()
    with wdb.connect(db) as conn:
        monkeypatch.setattr(wdb, "migrations", lambda: [m for m in every if m[0] < 10])
        wdb.migrate(conn)
        monkeypatch.undo()
        for i, url in ((1, "http://www.example.org/news/a/"), (2, "https://example.org/b")):
            conn.execute("INSERT INTO articles (article_id, url, feed_url, text, ingested_at, text_source, content_hash)"
                         " VALUES (?, ?, 'f', 't', ?, 'page', ?)", [f"id{i}", url, NOW, f"h{i}"])
        assert wdb.migrate(conn)[0] == "0010_add_url_key.sql"
        assert conn.execute("SELECT url_key FROM articles ORDER BY article_id").fetchall() == [
            ("example.org/news/a",), ("example.org/b",)]
        assert store.known_url_keys(conn, ["example.org/news/a", "example.org/c"]) == {"example.org/news/a"}
        result = store.load_batch(conn, [article(3, url="https://amp.example.org/news/a/amp"),
                                         article(4, url="https://example.org/c"), article(5, url="http://example.org/c/")],
                                  [], [], now=NOW)
        stored = conn.execute("SELECT article_id, url_key FROM articles ORDER BY article_id").fetchall()
    assert (result.inserted, result.already_stored) == (1, 2)
    assert stored == [("id1", "example.org/news/a"), ("id2", "example.org/b"), ("id4", "example.org/c")]


def test_sql_is_read_only_and_errors_are_clear(db) -> None:
    with pytest.raises(wdb.WarehouseError, match="no warehouse"):
        run_query(db, "SELECT 1")
    with wdb.connect(db) as conn:
        wdb.migrate(conn)
    with pytest.raises(QueryError):
        run_query(db, "DELETE FROM articles")
    with pytest.raises(QueryError):
        run_query(db, "SELEC nonsense")


HOLD = "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(float(sys.argv[2]))"


def test_waits_for_another_process_then_gives_up_or_gets_in(db) -> None:
    with wdb.connect(db) as conn:
        wdb.migrate(conn)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(db), "2.5"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(wdb.WarehouseLocked):
            with wdb.connect(db, lock_timeout=0.3):
                pass
        started = time.monotonic()
        with wdb.connect(db, lock_timeout=30) as conn:  # gets in once the holder exits
            assert conn.execute("SELECT count(*) FROM articles").fetchone() == (0,)
        assert time.monotonic() - started < 30
    finally:
        holder.kill()
        holder.wait()


def test_source_line_counts_accumulate_across_batches_once_per_article(db) -> None:
    from transforms.boilerplate import fingerprint, strip_learned

    def batch(ids):
        arts = [article(i, url=f"https://www.example.org/{i}", text=f"own line {i}\nSubscribe to Example Daily today") for i in ids]
        return strip_learned(arts, {})

    with wdb.connect(db) as conn:
        wdb.migrate(conn)
        store.load_batch(conn, batch([1, 2]), [], [], now=NOW)
        store.load_batch(conn, batch([1, 2, 3]), [], [], now=NOW)  # 1 and 2 again: not counted twice
        arts = batch([4])
        counts = store.source_line_counts(conn, [("example.org", fp) for fp in arts[0].line_fingerprints])
    shared = fingerprint("Subscribe to Example Daily today")
    assert counts == {("example.org", shared): 3}  # article 4's own line is not stored yet


def test_batch_reads_hand_duckdb_tables_not_python_lists(db) -> None:
    """A Python list as a query parameter makes DuckDB look up pandas and polars for every element
    (an import attempt each time where they are not installed): 1.3 s for a batch's 20,000 terms.
    The batch reads pass their values as Arrow tables: a handful of module lookups, not thousands."""
    looked_up: list[str] = []

    class Spy:
        @staticmethod
        def find_spec(name, path=None, target=None):
            looked_up.append(name)
            return None

    values = [f"value{i}" for i in range(2000)]
    with wdb.connect(db) as conn:
        wdb.migrate(conn)
        sys.meta_path.insert(0, Spy)
        try:
            history = store.enrichment_history(conn, set(values), set(values), organisations=False)
            found = (store.known_url_keys(conn, values), store.given_up_urls(conn, values, 3), store.feed_states(conn, values))
        finally:
            sys.meta_path.remove(Spy)
    assert (history.term_df, history.labels, found) == ({}, {}, (set(), set(), {}))
    assert len(looked_up) < 100, sorted(set(looked_up))[:10]


def test_enrichment_statistics_accumulate_and_rebuild_from_stored_text(db) -> None:
    from transforms import enrich

    with wdb.connect(db) as conn:
        wdb.migrate(conn)
        first = [article(i, text=f"Harbour dredging plan number {i}", terms=frozenset({"harbour", "dredging", f"n{i}"}))
                 for i in range(3)]
        store.load_batch(conn, first, [], [], now=NOW)
        store.load_batch(conn, first, [], [], now=NOW)  # a reloaded batch counts nothing twice
        assert dict(conn.execute("SELECT term, articles FROM term_df WHERE term IN ('harbour', 'n1')").fetchall()) == {
            "harbour": 3, "n1": 1}
        assert conn.execute("SELECT articles FROM entity_names WHERE name = 'Pentagon' AND label = 'ORG'").fetchone() == (3,)
        history = store.enrichment_history(conn, {"harbour", "absent"}, {"Pentagon"}, organisations=True)
        assert (history.documents, history.term_df, history.labels) == (3, {"harbour": 3}, {"Pentagon": {"ORG": 3}})
        assert history.organisations == frozenset({"Pentagon"})
        # a warehouse from before term_df (or a changed tokeniser): counts rebuilt from the stored text
        assert store.rebuild_term_df(conn, enrich.TERM_SCHEME, enrich.content_terms, chunk=2) == (3, 0)
        rebuilt = dict(conn.execute("SELECT term, articles FROM term_df").fetchall())
        assert rebuilt == {"harbour": 3, "dredging": 3, "plan": 3, "number": 3}
        assert store.index_version(conn, "term_df") == enrich.TERM_SCHEME


def test_a_recount_by_a_new_tokeniser_ranks_again_the_keywords_of_the_texts_it_reads_otherwise(db) -> None:
    """Term scheme 3 reads Hindi words whole (scheme 2 cut them at their vowel signs) and Chinese
    and Japanese as words: the recount ranks those articles' stored keywords again on the new
    counts and stamps them revised; an English article keeps its keywords and stays unrevised."""
    from transforms import enrich

    hindi = "भारत सरकार ने नई शिक्षा नीति की घोषणा की। शिक्षा मंत्री ने कहा कि नीति से छात्रों को लाभ होगा।"
    english = "Harbour dredging plan approved by the council after a long debate on costs"
    batch = [article(0, text=hindi, language="hi", keywords=["सरक", "घ", "षण"], entities=[]),
             article(1, text=english, language="en", keywords=["harbour", "dredging"], entities=[])]
    with wdb.connect(db) as conn:
        wdb.migrate(conn)
        store.load_batch(conn, batch, [], [], now=NOW)
        assert store.rebuild_term_df(conn, enrich.TERM_SCHEME, enrich.content_terms, rerank=enrich.retokenised) == (2, 1)
        rows = dict(conn.execute("SELECT article_id, (keywords, revised_at IS NOT NULL) FROM articles").fetchall())
    keywords, revised = rows["id0"]
    assert revised and {"शिक्षा", "नीति"} <= set(keywords) and not {"सरक", "घ", "षण"} & set(keywords)
    assert rows["id1"] == (["harbour", "dredging"], False)


def test_story_members_read_stored_term_counts_or_count_them_from_text(db) -> None:
    """Members come with the term counts stored at load; members stored without them (an older
    warehouse, or another scheme) are counted from their text, in the same order: same rows."""
    from transforms.stories import TERMS_SCHEME, story_terms

    texts = ["Flooding closed the river road near Lyon", "The council voted on the river road budget",
             "Flooding in Lyon: the river rose overnight", "Unrelated market report on grain prices", "It is so."]
    batch = [article(i, text=t, story_id="s1" if i < 3 else f"s{i}", story_terms=story_terms(t)) for i, t in enumerate(texts)]
    batch.append(article(9, text="Flooding closed the river road", story_id="s1", duplicate_of="id0"))  # copies are not members
    with wdb.connect(db) as conn:
        wdb.migrate(conn)
        store.load_batch(conn, batch, [], [], now=NOW)
        assert conn.execute("SELECT count(*), min(scheme), max(scheme) FROM story_terms").fetchone() == (5, TERMS_SCHEME, TERMS_SCHEME)
        stored = store.story_members(conn, NOW, NOW)
        conn.execute("DELETE FROM story_terms WHERE article_id IN ('id0', 'id2')")
        conn.execute("UPDATE story_terms SET scheme = scheme + 1 WHERE article_id = 'id3'")
        counted = store.story_members(conn, NOW, NOW)
    assert [d.article_id for d in stored.docs] == [d.article_id for d in counted.docs] == ["id0", "id1", "id2", "id3", "id4"]
    assert [d.story_id for d in stored.docs] == ["s1", "s1", "s1", "s3", "s4"]
    expected = [dict(story_terms(t)) for t in texts]
    for members in (stored, counted):
        rows = [dict(zip(t, c)) for t, c in zip(members.terms.to_pylist(), members.counts.to_pylist())]
        assert rows == expected and expected[-1] == {}
        assert all(d.entity_names == {"Pentagon"} for d in members.docs)


def test_story_members_hold_more_term_text_than_the_readers_memory_cap(db) -> None:
    """A dense warehouse's window holds more members' term counts than a read connection's memory
    cap: they stream out of DuckDB instead of being joined inside it (one joined query failed here
    with DuckDB's out-of-memory error, and with it the run)."""
    from transforms.stories import TERMS_SCHEME

    n = 8000  # 13 MB of term strings against a 16 MB cap
    with wdb.connect(db) as conn:
        wdb.migrate(conn)
        conn.execute(f"""INSERT INTO articles (article_id, url, feed_url, title, text, published_at, story_id, ingested_at,
                                               text_source, content_hash, word_count)
            SELECT 'a' || i, 'https://x.example/' || i, 'f', 't', 'x', TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_seconds(i),
                   's' || (i // 2), TIMESTAMPTZ '2026-01-02 00:00:00+00', 'page', md5(i::VARCHAR), 1 FROM range({n}) t(i)""")
        conn.execute("INSERT INTO stories SELECT story_id, min(published_at), max(published_at), count(*), 't' FROM articles GROUP BY 1")
        conn.execute("INSERT INTO entities SELECT article_id, 'Name ' || (hash(article_id) % 100)::VARCHAR, 'ORG', 0, 4 FROM articles")
        conn.execute("INSERT INTO entities SELECT article_id, 'Name 100', 'ORG', 9, 17 FROM articles WHERE article_id = 'a7'")
        conn.execute(f"""INSERT INTO story_terms SELECT article_id, published_at, {TERMS_SCHEME},
            array_to_string(list_transform(range(200), k -> 'w' || (hash(article_id, k) % 50000)::VARCHAR), ' '),
            array_to_string(list_transform(range(200), k -> (1 + k % 3)::VARCHAR), ' ') FROM articles""")
        expected = dict(conn.execute("SELECT article_id, terms FROM story_terms WHERE article_id IN ('a0', 'a7', 'a7999')").fetchall())
        names = dict(conn.execute("SELECT article_id, list(name ORDER BY start_char) FROM entities WHERE article_id = 'a7' GROUP BY 1").fetchall())
    with wdb.connect(db, read_only=True, memory_limit="16MB") as conn:
        members = store.story_members(conn, datetime(2025, 12, 31, tzinfo=timezone.utc), datetime(2026, 1, 2, tzinfo=timezone.utc))
    assert len(members.docs) == n
    assert [d.article_id for d in members.docs[:3]] == ["a0", "a1", "a2"] and members.docs[-1].story_id == "s3999"
    found = {d.article_id: (" ".join(t), c) for d, t, c in zip(members.docs, members.terms.to_pylist(), members.counts.to_pylist())}
    assert {a: found[a][0] for a in expected} == expected and found["a7"][1][:4] == [1, 2, 3, 1]
    assert members.docs[7].entity_names == frozenset(names["a7"]) and len(names["a7"]) == 2


def test_cursor_reads_the_connections_catalog_from_another_thread(tmp_path) -> None:
    """A lake's connection has `USE lake`; a bare cursor would read the default catalog instead.
    Here a second file attached and chosen with USE stands for the lake."""
    from concurrent.futures import ThreadPoolExecutor

    import duckdb

    conn = duckdb.connect(str(tmp_path / "main.duckdb"))
    conn.execute("CREATE TABLE marker AS SELECT 'default' AS side")
    conn.execute(f"ATTACH '{tmp_path / 'other.duckdb'}' AS \"other side\"")
    conn.execute('CREATE TABLE "other side".marker AS SELECT \'attached\' AS side')
    conn.execute('USE "other side"')
    with wdb.cursor(conn) as other, ThreadPoolExecutor(1) as pool:
        assert pool.submit(lambda: other.execute("SELECT side FROM marker").fetchall()).result() == [("attached",)]
    with pytest.raises(duckdb.ConnectionException):  # closed on exit; the connection itself stays open
        other.execute("SELECT 1")
    assert conn.execute("SELECT side FROM marker").fetchall() == [("attached",)]
    conn.close()


def test_an_earlier_report_found_later_becomes_the_stored_groups_original(db) -> None:
    earlier_report_becomes_the_original(str(db))


def earlier_report_becomes_the_original(location: str) -> None:
    """Dedup and stories (the flow's own stage) and the load, on a real file: a republished copy and
    its own copy are stored first; the original, published three days before, arrives later (a feed
    added with its backlog). It becomes the group's original, in the stored story; the stored rows
    point at it, marked revised; a report of the same text published after them stays a copy."""
    from flows.ingest import dedup_and_cluster
    from tests.conftest import SEEDS
    from transforms.clean import clean_text

    text = clean_text(next(SEEDS.glob("000_*.txt")).read_text(encoding="utf-8")).text
    edited = text.replace("Pentagon", "US Department of Defense", 1)
    day = datetime(2021, 6, 28, tzinfo=timezone.utc)

    def item(name: str, body: str, days: int) -> Article:
        return Article(article_id=name, url=f"https://{name}.example/a", feed_url=f"https://{name}.example/feed",
                       title="US strikes", text=body, published_at=day + timedelta(days=days), text_source="page")

    target = wdb.Warehouse(location)
    with wdb.connect(target) as conn:
        wdb.migrate(conn)
    revised = []
    for batch in ([item("republisher", edited, 3), item("aggregator", edited, 4)],
                  [item("wire", text, 0), item("late", text, 5)]):
        batch = dedup_and_cluster.fn(target, batch, now=day + timedelta(days=6))  # the task's own code
        with wdb.connect(target) as conn:
            revised.append(store.load_batch(conn, batch, [], [], now=day).revised)
    assert revised == [0, 2]  # what the run's summary reports
    rows = {r[0]: r[1:] for r in run_query(location, "SELECT article_id, duplicate_of, duplicate_kind, story_id,"
                                               " revised_at IS NOT NULL FROM articles")[1]}
    assert rows == {"wire": (None, None, "republisher", False),
                    "republisher": ("wire", "near", "republisher", True),
                    "aggregator": ("wire", "near", "republisher", True),
                    "late": ("wire", "exact", "republisher", False)}
    assert run_query(location, "SELECT article_id FROM unique_articles")[1] == [("wire",)]
    assert run_query(location, "SELECT first_seen, article_count FROM stories")[1] == [(day, 4)]


def test_the_story_window_and_threshold_come_from_the_policy(tmp_path) -> None:
    """Two reports of one event (seeds 000 and 002), the second stored five days after the first:
    apart under the default 3-day window, one story under a 7-day one; a threshold no pair reaches
    keeps them apart again. Through the flow's own stage, with the first report read from the file."""
    from flows.ingest import dedup_and_cluster
    from tests.conftest import SEEDS
    from transforms.clean import clean_text
    from transforms.stories import StoryPolicy

    day = datetime(2021, 6, 28, tzinfo=timezone.utc)

    def report(prefix: str, days: int) -> Article:
        text = clean_text(next(SEEDS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")).text
        return Article(article_id=prefix, url=f"https://{prefix}.example/a", feed_url="https://x.example/feed",
                       title=None, text=text, published_at=day + timedelta(days=days), text_source="page")

    def stories_with(name: str, policy: StoryPolicy | None) -> set[str]:
        target = wdb.Warehouse(str(tmp_path / f"{name}.duckdb"))
        with wdb.connect(target) as conn:
            wdb.migrate(conn)
        for batch in ([report("000", 0)], [report("002", 5)]):
            extra = () if policy is None else (policy,)
            batch = dedup_and_cluster.fn(target, batch, day + timedelta(days=6), *extra)
            with wdb.connect(target) as conn:
                store.load_batch(conn, batch, [], [], now=day)
        return {r[0] for r in run_query(str(target.path), "SELECT story_id FROM articles")[1]}

    assert stories_with("default", None) == {"000", "002"}
    assert stories_with("week", StoryPolicy(window=timedelta(days=7))) == {"000"}
    assert stories_with("strict", StoryPolicy(window=timedelta(days=7), threshold=0.95)) == {"000", "002"}


def test_a_batch_with_dates_years_apart_reads_a_crowded_history_run_by_run(db, monkeypatch) -> None:
    import flows.ingest as ingest

    placed, expected = archive_batch_reads_run_by_run(str(db), monkeypatch)
    # Another process takes the file for writing after the second run's read: the third run's read
    # waits out the lock timeout and goes without history, and so does the fourth, without waiting.
    monkeypatch.setattr(ingest, "LOCK_TIMEOUT", 0.2)
    monkeypatch.setattr(ingest, "get_run_logger", lambda: logging.getLogger("newsflow.test"))  # no flow run here
    real_read_or, tried, holder = ingest.read_or, [], []

    def read_or(target, what, query, default):
        tried.append(what)
        result = real_read_or(target, what, query, default)
        if what == "story members" and not holder:
            holder.append(subprocess.Popen([sys.executable, "-c", HOLD, str(db), "60"], stdout=subprocess.PIPE, text=True))
            assert holder[0].stdout.readline().strip() == "held"
        return result

    monkeypatch.setattr(ingest, "read_or", read_or)
    try:
        assert placed() == expected  # the copies' stories were read with the first run's; "next run" is placed before the lock
    finally:
        holder[0].kill()
        holder[0].wait()
    assert tried == ["dedup history", "story members", "story members"]


def archive_batch_reads_run_by_run(location: str, monkeypatch) -> None:
    """A feed added with its archive brings dates years apart. Where the history around them is
    crowded, the members are read run by run (2 x window of the batch's dates and the window around
    them), not every stored article between the oldest and the newest date: on a 1M-article
    warehouse that one read ran DuckDB out of memory. The assignments are those of one pass: a
    report joins the story of its own year, one joins through a report placed in the run before,
    copies take their original's story (also an original placed in an earlier run of the batch)."""
    from dataclasses import replace

    from flows.ingest import dedup_and_cluster
    from tests.conftest import SEEDS
    from transforms import stories
    from transforms.clean import clean_text

    def seed(prefix: str) -> str:
        return clean_text(next(SEEDS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")).text

    def item(name: str, text: str, when: datetime) -> Article:
        return Article(article_id=name, url=f"https://{name}.example/a", feed_url="https://archive.example/feed",
                       title=None, text=text, published_at=when, text_source="page")

    # the strikes again, in other words; of the reports, within reach of the follow-up only (two days
    # before it), which is in the run before: a run is at most 2 x 3 days, it starts with an unrelated item
    COUNCIL = "The town council approved the budget for parks and libraries after a long debate on Tuesday evening."
    REWRITE = ("The Pentagon said American F-15 and F-16 jets hit weapons storage facilities of Iran-backed militias"
               " on the Iraq-Syria border, ordered by President Biden after drone attacks on U.S. personnel in Iraq."
               " The Popular Mobilization Units said four of their fighters were killed in the strikes.")
    june_2021, february_2024 = datetime(2021, 6, 28, tzinfo=timezone.utc), datetime(2024, 2, 3, tzinfo=timezone.utc)
    target = wdb.Warehouse(location)
    with wdb.connect(target) as conn:
        wdb.migrate(conn)
    now = datetime(2024, 3, 2, tzinfo=timezone.utc)
    first = dedup_and_cluster.fn(target, [item("strikes", seed("000"), june_2021), item("bombing", seed("003"), february_2024)], now)
    with wdb.connect(target) as conn:
        store.load_batch(conn, first, [], [], now=now)

    reads: list[tuple[datetime, datetime]] = []
    real = store.story_members

    def recorded(conn, start, end, *args, **kwargs):
        reads.append((start, end))
        return real(conn, start, end, *args, **kwargs)

    monkeypatch.setattr(store, "story_members", recorded)
    batch = [item("council", COUNCIL, june_2021 - timedelta(days=1)),
             item("report", seed("002"), june_2021 + timedelta(days=1)),
             item("follow-up", seed("004"), june_2021 + timedelta(days=3)),
             item("next run", REWRITE, june_2021 + timedelta(days=5, hours=1)),
             item("reprint", seed("003"), february_2024 + timedelta(days=1)),
             item("late", seed("002"), now - timedelta(days=1))]
    expected = {"council": (None, "council"), "report": (None, "strikes"), "follow-up": (None, "strikes"),
                "next run": (None, "strikes"), "reprint": ("bombing", "bombing"), "late": ("report", "strikes")}

    def placed() -> dict[str, tuple[str | None, str]]:
        done = dedup_and_cluster.fn(target, [replace(a) for a in batch], now)  # only reads the warehouse
        return {a.article_id: (a.duplicate_of, a.story_id) for a in done}

    # two stored originals are far below the read budget: one run, one read
    assert placed() == expected
    assert reads == [(june_2021 - timedelta(days=4), now + timedelta(days=2))]
    reads.clear()
    monkeypatch.setattr(stories, "READ_BUDGET", 0)  # as if every stretch of the history were crowded
    assert placed() == expected  # "next run" joins through "follow-up", placed in the run before
    assert sorted(reads) == [(june_2021 - timedelta(days=4), june_2021 + timedelta(days=6)),
                             (june_2021 + timedelta(days=2, hours=1), june_2021 + timedelta(days=8, hours=1)),
                             (february_2024 - timedelta(days=2), february_2024 + timedelta(days=4)),
                             (now - timedelta(days=4), now + timedelta(days=2))]
    return placed, expected


def test_new_entries_are_batched_in_published_order_undated_ones_last() -> None:
    """A feed's archive listed newest first, beside another feed: batches follow the dates (a naive
    date counts as UTC), so a batch's stories read a few weeks of members, not every year."""
    from flows.ingest import in_batches
    from transforms.records import FeedEntry

    now = datetime(2026, 2, 18, tzinfo=timezone.utc)

    def entry(key: str, when: datetime | None) -> FeedEntry:
        return FeedEntry(feed_url="https://x.example/feed", entry_key=key, url=f"https://x.example/{key}", title=key,
                         published_at=when, content=None, summary=None, author=None)

    entries = [entry("2026", now - timedelta(hours=2)), entry("undated", None), entry("2019", datetime(2019, 3, 1, tzinfo=timezone.utc)),
               entry("2008", datetime(2008, 5, 22)), entry("2026-b", now - timedelta(days=1)), entry("2019-b", datetime(2019, 2, 1, tzinfo=timezone.utc))]
    batches = in_batches(entries, 2, now)
    assert [[e.entry_key for e in batch] for batch in batches] == [["2008", "2019-b"], ["2019", "2026-b"], ["2026", "undated"]]
    assert in_batches([], 2, now) == []


def test_the_pipelines_reads_run_under_their_own_memory_cap(db) -> None:
    """`read_or` (the pipeline's lookups) opens with READ_MEMORY_LIMIT, other connections keep
    MEMORY_LIMIT: a lookup's extra memory only caches scanned blocks (README, warehouse/db.py)."""
    import duckdb

    from flows.ingest import read_or

    def cap(conn) -> str:
        return conn.execute("SELECT current_setting('memory_limit')").fetchone()[0]

    target = wdb.Warehouse(str(db))
    with wdb.connect(target) as conn:
        wdb.migrate(conn)
        full = cap(conn)
    with duckdb.connect(config={"memory_limit": wdb.READ_MEMORY_LIMIT}) as scratch:
        expected = cap(scratch)
    assert read_or(target, "memory cap", cap, None) == expected != full


def test_story_terms_of_the_first_scheme_are_kept_for_english_and_recounted_for_other_languages(db) -> None:
    """Scheme 2 also leaves out the article's own language's stop words. Migration 0012 re-marks
    the rows whose counts are the same under both (English, no language) and drops the others,
    which are then counted from their text, with their language's stop words."""
    from transforms.stories import TERMS_SCHEME, story_terms

    texts = {"en": "The river road closed after the flooding", None: "Flooding closed the river road",
             "pt": "A estrada do rio foi fechada para obras depois das cheias"}
    batch = [article(i, text=t, language=lang, story_id="s1", story_terms=story_terms(t, lang), title=None)
             for i, (lang, t) in enumerate(texts.items())]
    with wdb.connect(db) as conn:
        wdb.migrate(conn)
        store.load_batch(conn, batch, [], [], now=NOW)
        # the warehouse as scheme 1 left it, before migration 0012
        conn.execute("UPDATE story_terms SET scheme = 1")
        conn.execute("DELETE FROM schema_migrations WHERE version IN (12, 14, 15)")
        assert wdb.migrate(conn) == ["0012_story_terms_language.sql", "0014_story_terms_unspaced.sql",
                                     "0015_story_terms_title.sql"]
        assert conn.execute("SELECT article_id, scheme FROM story_terms ORDER BY 1").fetchall() == [
            ("id0", TERMS_SCHEME), ("id1", TERMS_SCHEME)]
        members = store.story_members(conn, NOW, NOW)
    rows = {d.article_id: dict(zip(t, c)) for d, t, c in zip(members.docs, members.terms.to_pylist(), members.counts.to_pylist())}
    assert rows == {f"id{i}": dict(story_terms(t, lang)) for i, (lang, t) in enumerate(texts.items())}
    assert "para" not in rows["id2"] and "das" not in rows["id2"] and {"estrada", "cheias"} <= set(rows["id2"])


def test_story_terms_of_chinese_japanese_and_marked_scripts_are_recounted_as_words_and_others_kept(db) -> None:
    """Scheme 3 takes words and character pairs from Chinese and Japanese, where scheme 2 took
    whole clauses, and keeps vowel signs in their words. Migration 0014 re-marks the rows of texts
    with neither (their counts are the same) and drops the others, then counted from their text."""
    from transforms.stories import TERMS_SCHEME, story_terms

    texts = {"en": "The river road closed after the flooding", "ja": "東京都は新たに感染を確認したと発表した。",
             "zh": "国家统计局公布的数据显示居民消费价格同比上涨", "hi": "हिन्दी समाचार भारत सरकार"}
    batch = [article(i, text=t, language=lang, story_id="s1", story_terms=story_terms(t, lang), title=None)
             for i, (lang, t) in enumerate(texts.items())]
    with wdb.connect(db) as conn:
        wdb.migrate(conn)
        store.load_batch(conn, batch, [], [], now=NOW)
        conn.execute("UPDATE story_terms SET scheme = 2")  # as scheme 2 left them, before migration 0014
        conn.execute("DELETE FROM schema_migrations WHERE version IN (14, 15)")
        assert wdb.migrate(conn) == ["0014_story_terms_unspaced.sql", "0015_story_terms_title.sql"]
        assert conn.execute("SELECT article_id, scheme FROM story_terms ORDER BY 1").fetchall() == [("id0", TERMS_SCHEME)]
        members = store.story_members(conn, NOW, NOW)
    rows = {d.article_id: set(t) for d, t in zip(members.docs, members.terms.to_pylist())}
    assert {"東京都", "感染", "確認", "発表"} <= rows["id1"] and not any(len(t) > 4 for t in rows["id1"])
    assert {"统计", "数据", "消费", "价格", "上涨"} <= rows["id2"] and rows["id0"] == {"river", "road", "closed", "flooding"}
    assert rows["id3"] == {"हिन्दी", "समाचार", "भारत", "सरकार"}  # scheme 2: "सरक" and nothing else


def test_story_terms_of_titled_articles_are_recounted_with_their_title_and_others_kept(db) -> None:
    """Scheme 4 counts the title's words with the text's and folds accents on Latin letters.
    Migration 0015 re-marks the rows of articles with neither (their counts are the same) and drops
    the others, which are then counted from their title and text while they are candidate members."""
    from transforms.stories import TERMS_SCHEME, story_terms

    text = "Congress voted on Tuesday to remove the interim president"
    titles = {0: None, 1: "  ", 2: "Peru ousts Jerí over corruption probe", 3: None}
    texts = {3: "Congress voted on Tuesday to remove José Jerí"}
    batch = [article(i, text=texts.get(i, text), story_id="s1", story_terms=story_terms(texts.get(i, text)), title=title)
             for i, title in titles.items()]
    with wdb.connect(db) as conn:
        wdb.migrate(conn)
        store.load_batch(conn, batch, [], [], now=NOW)
        conn.execute("UPDATE story_terms SET scheme = 3")  # as scheme 3 left them, before migration 0015
        conn.execute("DELETE FROM schema_migrations WHERE version = 15")
        assert wdb.migrate(conn) == ["0015_story_terms_title.sql"]
        assert conn.execute("SELECT article_id, scheme FROM story_terms ORDER BY 1").fetchall() == [
            ("id0", TERMS_SCHEME), ("id1", TERMS_SCHEME)]
        members = store.story_members(conn, NOW, NOW)
    rows = {d.article_id: set(t) for d, t in zip(members.docs, members.terms.to_pylist())}
    assert rows["id0"] == rows["id1"] == {"congress", "voted", "tuesday", "remove", "interim", "president"}
    assert rows["id2"] == rows["id0"] | {"peru", "ousts", "jeri", "corruption", "probe"}
    assert rows["id3"] == {"congress", "voted", "tuesday", "remove", "jose", "jeri"}  # scheme 3: "josé", "jerí"


def test_story_terms_a_scheme_change_dropped_are_recounted_once_for_recent_originals(db) -> None:
    """After migration 0015 the titled articles have no story terms: the next run counts those of
    the originals dated within two of the longest windows, so members are not tokenised run after
    run; older articles and copies are left (counted from text if ever members)."""
    from transforms.stories import MAX_WINDOW, TERMS_SCHEME, story_terms

    old = NOW - 3 * MAX_WINDOW
    batch = [article(0, text="Congress voted to remove the interim president", title="Peru ousts Jerí"),
             article(1, text="Congress voted to remove the interim president", title="Peru ousts Jerí", duplicate_of="id0"),
             article(2, text="The river road closed after the flooding", title="Floods", published_at=old)]
    with wdb.connect(db) as conn:
        wdb.migrate(conn)
        store.load_batch(conn, batch, [], [], now=NOW)
        conn.execute("DELETE FROM story_terms")
        assert store.recount_story_terms(conn, TERMS_SCHEME, story_terms, NOW - 2 * MAX_WINDOW) == 1
        assert store.index_version(conn, "story_terms") == TERMS_SCHEME
        rows = conn.execute("SELECT article_id, scheme, terms FROM story_terms").fetchall()
        members = store.story_members(conn, old, NOW)
    assert rows == [("id0", TERMS_SCHEME, "peru ousts jeri congress voted remove interim president")]
    counted = {d.article_id: set(t) for d, t in zip(members.docs, members.terms.to_pylist())}
    assert counted["id2"] == {"floods", "river", "road", "closed", "flooding"}  # from its text, not stored


def test_a_short_line_learned_after_the_line_above_it_goes_with_it_from_stored_articles(db) -> None:
    """A podcast's show notes: a long "support us" line recurs from the first episode and is learned
    within the first load; the chapter list's first line, "- Prologue (00:00:00)", starts later and
    is learned two loads after. The two episodes stored in between lost the support line at
    ingestion; when the prologue line is learned, it is judged with that line back in place (removals'
    line_no): a block under a cut line, not a heading alone between the episode's own lines."""
    from flows.ingest import dedup_and_cluster, enrich_articles, strip_learned_boilerplate
    from transforms import enrich

    support = "Support the show on Patreon and get every episode a day early:"
    prologue = "- Prologue (00:00:00)"
    day = datetime(2024, 5, 6, tzinfo=timezone.utc)

    def episode(i: int) -> Article:
        notes = [support] + ([prologue] if i > 5 else []) + [f"- Chapter 1: Guest number {i} tells their story (00:0{i % 10}:30)"]
        text = "\n".join([f"Episode {i} talks with guest number {i} about building radio sets in a small town.", *notes,
                          f"Episode {i} closes with the guest's advice on soldering number {i}."])
        return Article(article_id=f"e{i}", url=f"https://pod.example/episodes/{i}", feed_url="https://pod.example/feed",
                       title=f"Episode {i}", text=text, published_at=day + timedelta(days=i), text_source="feed_content")

    target = wdb.Warehouse(str(db))
    with wdb.connect(target) as conn:
        wdb.migrate(conn)
    recleaned = []
    for numbers in ([1, 2, 3, 4, 5], [6, 7], [8, 9, 10]):
        batch = strip_learned_boilerplate.fn(target, [episode(i) for i in numbers])
        batch = enrich_articles.fn(target, batch, enrich.analyse([a.text for a in batch]))
        batch = dedup_and_cluster.fn(target, batch, now=day + timedelta(days=11))
        with wdb.connect(target) as conn:
            recleaned.append(store.load_batch(conn, batch, [], [], now=day + timedelta(days=max(numbers))).recleaned)
    assert recleaned == [0, 0, 2]
    q = lambda sql: run_query(str(db), sql)[1]  # noqa: E731
    for aid, text in q("SELECT article_id, text FROM articles"):
        assert support not in text and prologue not in text, aid
        assert text.startswith(f"Episode {aid[1:]} talks") and "- Chapter 1:" in text
    assert q("SELECT article_id, text, line_no FROM removals WHERE rule = 'learned_boilerplate' AND article_id IN "
             "('e1', 'e6', 'e7', 'e8') ORDER BY 1, 3") == [
        ("e1", support, 1), ("e6", support, 1), ("e6", prologue, 2), ("e7", support, 1), ("e7", prologue, 2),
        ("e8", support, 1), ("e8", prologue, 2)]


def test_stored_entities_get_a_new_correction_once(db) -> None:
    stored_entities_get_a_new_correction_once(str(db))


def stored_entities_get_a_new_correction_once(location: str) -> None:
    """Entities stored before `enrich.recorrect` changed (ENTITY_SCHEME): a tech post's "React" GPE
    (no place the gazetteer knows in the post) becomes ORG and its "Git" PERSON (the post writes
    "git log") goes, with entity_names and revised_at following; a news report's unknown
    region beside a known country, a person's surname written as a word elsewhere, and a German
    article are left as they are; a code identifier ("useCallback"), a link the model called a
    person and a show's numbered heading it called a LAW ("Chapter 2: Starting Out"; not "Chapter
    11") go wherever they were stored. A one-word "Twitter" PERSON is a PRODUCT wherever a
    publisher tags articles "Twitter" (scheme 4), in an article without that tag too; "Dorsey" of
    the article's "Jack Dorsey" and an untagged "Harper" stay people.
    Once: a second pass changes nothing."""
    from transforms import enrich
    from transforms.gazetteer import gazetteer

    def at(text: str, name: str, label: str) -> Entity:
        start = text.index(name)
        return Entity(name, label, start, start + len(name))

    post = "Git keeps the history. Run git log to read it, then React renders the page."
    news = "Karnataka police said floods in India closed roads. Theresa May said more rain may come."
    german = "React und Git: Werkzeuge, die Entwickler in Köln jeden Tag nutzen."
    code = "Wrap the handler in useCallback so that the list does not render again."
    link = "Read the Ladder of Causation at https://ucla.in/2L8OCyl today."
    notes = "Chapter 2: Starting Out. The firm behind the show filed for Chapter 11 protection in May."
    tagged = "Twitter changed its rules again. Jack Dorsey said Dorsey had warned them."
    untagged = "Twitter users left for other sites, Harper said."
    india = enrich.resolve_places([at(news, "India", "GPE")], gazetteer())[0].place
    batch = [
        article(1, text=post, language="en", keywords=["stale"], entities=[at(post, "Git", "PERSON"), at(post, "React", "GPE")]),
        article(2, text=news, language="en", keywords=["stale"], places=[india],
                entities=[at(news, "Karnataka", "GPE"), at(news, "India", "GPE"), at(news, "Theresa May", "PERSON"),
                          Entity("May", "PERSON", news.index("May said"), news.index("May said") + 3)]),
        article(3, text=german, language="de", keywords=["stale"], entities=[at(german, "React", "GPE")]),
        article(4, text=code, language="en", keywords=["stale"], entities=[at(code, "useCallback", "ORG")]),
        article(5, text=link, language="en", keywords=["stale"],
                entities=[at(link, "Ladder of Causation", "ORG"), at(link, "https://ucla.in/2L8OCyl", "PERSON")]),
        article(6, text=notes, language="en", keywords=["stale"],
                entities=[at(notes, "Chapter 2: Starting Out", "LAW"), at(notes, "Chapter 11", "LAW")]),
        article(7, text=tagged, language="en", keywords=["stale"], tags=["Twitter", "Social media", "dorsey"],
                entities=[at(tagged, "Twitter", "PERSON"), at(tagged, "Jack Dorsey", "PERSON"),
                          Entity("Dorsey", "PERSON", tagged.index("Dorsey had"), tagged.index("Dorsey had") + 6)]),
        article(8, text=untagged, language="en", keywords=["stale"],
                entities=[at(untagged, "Twitter", "PERSON"), at(untagged, "Harper", "PERSON")]),
    ]
    with wdb.connect(wdb.Warehouse(location)) as conn:
        wdb.migrate(conn)
        store.load_batch(conn, batch, [], [], now=NOW)
        assert store.index_version(conn, "entities") is None
        assert store.recorrect_stored(conn, enrich.ENTITY_SCHEME) == (8, 6)  # 8 with a mention the rules judge
        assert store.index_version(conn, "entities") == enrich.ENTITY_SCHEME
        assert store.recorrect_stored(conn, enrich.ENTITY_SCHEME) == (4, 0)  # "Git" gone: id1 has no such mention left
    q = lambda sql: run_query(location, sql)[1]  # noqa: E731
    assert q("SELECT article_id, name, label FROM entities ORDER BY 1, start_char") == [
        ("id1", "React", "ORG"), ("id2", "Karnataka", "GPE"), ("id2", "India", "GPE"), ("id2", "Theresa May", "PERSON"),
        ("id2", "May", "PERSON"), ("id3", "React", "GPE"), ("id5", "Ladder of Causation", "ORG"), ("id6", "Chapter 11", "LAW"),
        ("id7", "Twitter", "PRODUCT"), ("id7", "Jack Dorsey", "PERSON"), ("id7", "Dorsey", "PERSON"),
        ("id8", "Twitter", "PRODUCT"), ("id8", "Harper", "PERSON")]
    assert q("SELECT tag, articles FROM tag_names ORDER BY 1") == [("dorsey", 1), ("social media", 1), ("twitter", 1)]
    assert q("SELECT name, label, articles FROM entity_names WHERE name IN ('React', 'Git') ORDER BY 1, 2") == [
        ("Git", "PERSON", 0), ("React", "GPE", 1), ("React", "ORG", 1)]
    rows = q("SELECT article_id, revised_at IS NOT NULL, list_contains(keywords, 'stale') FROM articles ORDER BY 1")
    assert rows == [("id1", True, True), ("id2", False, True), ("id3", False, True), ("id4", True, True),
                    ("id5", True, True), ("id6", True, True), ("id7", True, True), ("id8", True, True)]  # keywords as ranked at ingestion


def test_stored_keywords_are_spelt_as_their_text_writes_them_once(db) -> None:
    """Keywords stored in lower case before they were spelt from the text are spelt once (a scheme
    in index_state): the changed rows get revised_at, the ranking stays, a second pass changes nothing."""
    from transforms import enrich

    text = "We moved to MySQL, and MySQL runs well.\nThe talks with Trump went on; aides to Trump agreed."
    batch = [article(1, text=text, title="Our database", keywords=["mysql", "talks", "trump", "Geneva"]),
             article(2, text="The talks ended.", keywords=["talks", "pentagon"]),  # a name of 3 stored articles
             article(3, text="人の感染を確認", keywords=["感染"])]
    with wdb.connect(wdb.Warehouse(str(db))) as conn:
        wdb.migrate(conn)
        store.load_batch(conn, batch, [], [], now=NOW)
        assert store.index_version(conn, "keywords") is None
        assert store.respell_keywords(conn, enrich.KEYWORD_SCHEME) == (2, 2)  # id3's word has no case
        assert store.index_version(conn, "keywords") == enrich.KEYWORD_SCHEME
        assert store.respell_keywords(conn, enrich.KEYWORD_SCHEME) == (2, 0)
    rows = run_query(str(db), "SELECT article_id, keywords, revised_at IS NOT NULL FROM articles ORDER BY 1")[1]
    assert rows == [("id1", ["MySQL", "talks", "Trump", "Geneva"], True), ("id2", ["talks", "Pentagon"], True),
                    ("id3", ["感染"], False)]


def test_a_tag_new_to_the_warehouse_relabels_the_stored_people_it_spells(db) -> None:
    stored_people_a_new_tag_spells_become_products(str(db))


def stored_people_a_new_tag_spells_become_products(location: str) -> None:
    """A "Twitter" PERSON stored before any publisher tagged "Twitter" becomes a PRODUCT at the load
    that brings the tag, as a new article's would (entity scheme 4), with entity_names and
    revised_at following; "Dorsey" of the article's "Jack Dorsey" stays a person though a tag spells
    it too, and a German article's mention is not judged. A later load with the same tag changes
    nothing."""
    def at(text: str, name: str, label: str, nth: int = 0) -> Entity:
        start = text.index(name, text.index(name) + 1) if nth else text.index(name)
        return Entity(name, label, start, start + len(name))

    old = "Twitter changed its rules again. Jack Dorsey said Dorsey had warned them."
    german = "Twitter ändert die Regeln, sagte Harper."
    first = [article(1, text=old, language="en", entities=[at(old, "Twitter", "PERSON"), at(old, "Jack Dorsey", "PERSON"),
                                                           at(old, "Dorsey", "PERSON", 1)]),
             article(2, text=german, language="de", entities=[at(german, "Twitter", "PERSON")])]
    tagged = "Users left the platform this week, the company said."
    with wdb.connect(wdb.Warehouse(location)) as conn:
        wdb.migrate(conn)
        assert store.load_batch(conn, first, [], [], now=NOW).relabelled == 0
        result = store.load_batch(conn, [article(3, text=tagged, language="en", tags=["Twitter", "Dorsey", "Social media"])],
                                  [], [], now=NOW)
        assert result.relabelled == 1
        again = store.load_batch(conn, [article(4, text=tagged, language="en", tags=["twitter"])], [], [], now=NOW)
        assert again.relabelled == 0
    q = lambda sql: run_query(location, sql)[1]  # noqa: E731
    assert q("SELECT article_id, name, label FROM entities WHERE article_id IN ('id1', 'id2') ORDER BY 1, start_char") == [
        ("id1", "Twitter", "PRODUCT"), ("id1", "Jack Dorsey", "PERSON"), ("id1", "Dorsey", "PERSON"), ("id2", "Twitter", "PERSON")]
    assert q("SELECT name, label, articles FROM entity_names WHERE name = 'Twitter' ORDER BY 2") == [
        ("Twitter", "PERSON", 1), ("Twitter", "PRODUCT", 1)]
    assert q("SELECT article_id, revised_at IS NOT NULL FROM articles ORDER BY 1") == [
        ("id1", True), ("id2", False), ("id3", False), ("id4", False)]
    assert q("SELECT tag, articles FROM tag_names ORDER BY 1") == [("dorsey", 1), ("social media", 1), ("twitter", 2)]


def test_a_line_learned_by_a_load_is_cut_from_the_stored_articles_that_carried_it(db) -> None:
    learned_line_cleans_earlier_articles(str(db))


def learned_line_cleans_earlier_articles(location: str) -> None:
    """A line a source repeats is learned once 5 of its articles carried it. Its first three articles come
    in two loads, before that (one a day, as scheduled runs bring them); the load of the 4th and 5th
    makes the line learned: those two are cut at ingestion, and the load cleans the three stored ones
    too, with everything derived from their text; a 6th is cut at ingestion and cleans nothing again.
    Through the flow's own stages on a real file."""
    from flows.ingest import dedup_and_cluster, enrich_articles, strip_learned_boilerplate
    from transforms import dedup, enrich
    from transforms.boilerplate import fingerprint

    header = "Read more news from the Associated Press and Reuters every morning."  # names two ORGs
    day = datetime(2024, 5, 6, tzinfo=timezone.utc)

    def item(i: int) -> Article:
        body = (f"The council of Springfield approved plan number {i} on Monday after a long debate.\n"
                f"Mayor Ellen Park said item {i} would cost the city about {i} million dollars.")
        return Article(article_id=f"a{i}", url=f"https://www.courier.example/news/{i}", feed_url="https://www.courier.example/feed",
                       title=f"Plan {i}", text=f"{header}\n{body}", published_at=day + timedelta(days=i), text_source="page")

    target = wdb.Warehouse(location)
    with wdb.connect(target) as conn:
        wdb.migrate(conn)
    results = []
    for numbers in ([1], [2, 3], [4, 5], [6]):
        batch = strip_learned_boilerplate.fn(target, [item(i) for i in numbers])
        batch = enrich_articles.fn(target, batch, enrich.analyse([a.text for a in batch]))
        batch = dedup_and_cluster.fn(target, batch, now=day + timedelta(days=6))
        with wdb.connect(target) as conn:
            results.append(store.load_batch(conn, batch, [], [], now=day + timedelta(days=max(numbers))))
    assert [r.recleaned for r in results] == [0, 0, 3, 0]  # the 6th is cut at ingestion; nothing is cleaned twice

    q = lambda sql: run_query(location, sql)[1]  # noqa: E731
    rows = q("SELECT article_id, text, content_hash, word_count, revised_at IS NOT NULL FROM articles ORDER BY 1")
    assert [r[0] for r in rows] == ["a1", "a2", "a3", "a4", "a5", "a6"]
    for aid, text, content_hash, words, revised in rows:
        assert header not in text and text.startswith("The council of Springfield approved plan")
        assert content_hash == dedup.content_hash(text) and words == enrich.count_words(text)
        assert revised == (aid in {"a1", "a2", "a3"})
    assert q("SELECT article_id FROM removals WHERE rule = 'learned_boilerplate' AND text = "
             f"'{header}' ORDER BY 1") == [(f"a{i}",) for i in range(1, 7)]
    texts = dict((r[0], r[1]) for r in rows)
    for aid, name, start, end in q("SELECT article_id, name, start_char, end_char FROM entities"):
        assert name in texts[aid][start:end]  # offsets point into the stored text
    for aid, mention, start in q("SELECT article_id, text, start_char FROM dates"):
        assert texts[aid][start:].startswith(mention)
    assert q("SELECT count(*) FROM entities WHERE name IN ('Reuters', 'Associated Press')") == [(0,)]
    header_words = {w.lower() for w in header.rstrip(".").split()} | {"associated press"}
    for aid, keywords in q("SELECT article_id, keywords FROM articles"):  # ranked again, not just filtered: 8 each
        assert len(keywords) == 8 and not header_words & {k.lower() for k in keywords}, (aid, keywords)
    assert q("SELECT name, sum(articles) FROM entity_names WHERE name IN ('Reuters', 'Associated Press', 'Ellen Park')"
             " GROUP BY 1 ORDER BY 1") == [("Associated Press", 0), ("Ellen Park", 6), ("Reuters", 0)]
    assert q("SELECT term, articles FROM term_df WHERE term IN ('reuters', 'council') ORDER BY 1") == [
        ("council", 6), ("reuters", 0)]
    assert q("SELECT count(*) FROM story_terms WHERE ' ' || terms || ' ' LIKE '% reuters %'") == [(0,)]
    bands = {aid: sorted(set(keys)) for aid, keys in q(
        "SELECT article_id, list(band_key) FROM article_bands JOIN article_numbers USING (article_no) GROUP BY 1")}
    assert bands == {aid: sorted(set(dedup.band_keys_for([text])[0])) for aid, text in texts.items()}
    assert q(f"SELECT articles, carriers FROM source_lines WHERE fingerprint = {fingerprint(header)}") == [(6, None)]


def test_a_warehouse_counted_before_carriers_were_kept_is_cleaned_once_from_its_text(db) -> None:
    """Lines counted before migration 0013 have no carriers. A header learned then stayed in the
    source's first three articles; a footer still under the count has no list of the four articles
    that carry it. The one-time pass cleans the first and lists the second's carriers, so the load
    that takes the footer to the count cleans those four."""
    from flows.ingest import dedup_and_cluster, enrich_articles, strip_learned_boilerplate
    from transforms import enrich
    from transforms.boilerplate import LINES_SCHEME, fingerprint

    header = "Read more news from the Associated Press and Reuters every morning."
    footer = "Share this story with your friends and neighbours on the valley forum."
    day = datetime(2024, 5, 6, tzinfo=timezone.utc)

    def item(i: int, top: str | None = None, bottom: str | None = None) -> Article:
        lines = [top, f"The council of Springfield approved plan number {i} on Monday after a long debate.", bottom]
        return Article(article_id=f"a{i}", url=f"https://courier.example/news/{i}", feed_url="https://courier.example/feed",
                       title=f"Plan {i}", text="\n".join(line for line in lines if line), published_at=day + timedelta(days=i),
                       text_source="page")

    target = wdb.Warehouse(str(db))
    with wdb.connect(target) as conn:
        wdb.migrate(conn)

    def load(batch: list[Article]) -> store.LoadResult:
        batch = strip_learned_boilerplate.fn(target, batch)
        batch = enrich_articles.fn(target, batch, enrich.analyse([a.text for a in batch]))
        batch = dedup_and_cluster.fn(target, batch, now=day + timedelta(days=9))
        with wdb.connect(target) as conn:
            return store.load_batch(conn, batch, [], [], now=day)

    load([item(1, header, footer), item(2, header, footer), item(3, header, footer), item(4, bottom=footer)])
    with wdb.connect(target) as conn:
        conn.execute("UPDATE source_lines SET carriers = NULL")  # as counted before migration 0013
    assert load([item(5, header), item(6, header)]).recleaned == 0
    q = lambda sql: run_query(str(db), sql)[1][0][0]  # noqa: E731
    contains = lambda line: q(f"SELECT list(article_id ORDER BY article_id) FROM articles WHERE contains(text, '{line}')")  # noqa: E731
    assert contains(header) == ["a1", "a2", "a3"] and contains(footer) == ["a1", "a2", "a3", "a4"]

    carriers = f"SELECT carriers FROM source_lines WHERE fingerprint = {fingerprint(footer)}"
    with wdb.connect(target) as conn:  # one transaction per 2 articles; a pass cut short starts over: the same twice
        assert store.reclean_stored(conn, LINES_SCHEME, chunk=2) == (6, 3)
        listed = conn.execute(carriers).fetchone()[0]
        assert store.reclean_stored(conn, LINES_SCHEME, chunk=2) == (6, 0)
        assert conn.execute(carriers).fetchone()[0] == listed
        assert store.index_version(conn, "source_lines") == LINES_SCHEME
    assert listed == " ".join(str(n) for n in q("SELECT list(article_no ORDER BY article_no) FROM article_numbers"
                                                 " WHERE article_id IN ('a1', 'a2', 'a3', 'a4')"))
    assert contains(header) is None and contains(footer) == ["a1", "a2", "a3", "a4"]
    assert load([item(7, bottom=footer)]).recleaned == 4
    assert contains(footer) is None
    assert q("SELECT count(*) FROM removals WHERE rule = 'learned_boilerplate'") == 3 + 2 + 4 + 1
