"""The ingestion pass as a Prefect flow. Tasks are thin and work on batches; the body reads
like the pipeline: feeds -> entries -> pages -> clean articles -> enrich -> dedup/stories -> load.

Batches reach the tasks run in this process `quote`d: Prefect otherwise walks every argument
down to each field of each article, looking for futures to wait on (none are there): on the 100
real feeds that walk visited 6.7M objects a run."""
from __future__ import annotations

import bisect
import os
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.utilities.annotations import quote

from connectors.feedlist import FeedList, FeedSource
from connectors.fetch import FetchError, FetchPolicy, fetch_many
from transforms import boilerplate, dedup, enrich, stories
from transforms.articles import article_id_for, build_article, entry_url, url_key, variant_rank
from transforms.gazetteer import gazetteer
from transforms.feeds import body_hash, conditional_headers, is_due, next_feed_state, parse_feed
from transforms.records import Article, FeedEntry, FeedState, Rejected
from warehouse import db as wdb
from warehouse import spool, store

# How long a stage waits for another process's lock on the file: $NEWSFLOW_LOCK_TIMEOUT seconds.
LOCK_TIMEOUT = float(os.environ.get("NEWSFLOW_LOCK_TIMEOUT", "30"))
MAX_ATTEMPTS = 3  # a link whose page and feed content failed this often is left alone
# Articles per fetch/process/load batch (bounded memory, steady commits): $NEWSFLOW_BATCH_SIZE.
PAGE_BATCH = max(1, int(os.environ.get("NEWSFLOW_BATCH_SIZE", "200")))
# NER worker processes ($NEWSFLOW_NLP_PROCESSES, default: one per core, at most 4; 0 = in the
# flow's process), started for runs with at least POOL_MIN_ENTRIES new entries.
NLP_PROCESSES = max(0, int(os.environ.get("NEWSFLOW_NLP_PROCESSES", str(min(4, os.cpu_count() or 1)))))
POOL_MIN_ENTRIES = max(1, int(os.environ.get("NEWSFLOW_NLP_POOL_MIN", "100")))


@dataclass
class RunSummary:
    feeds: int = 0
    feeds_failed: int = 0
    feeds_unchanged: int = 0
    feeds_deferred: int = 0  # not due yet: backing off, or the feed asked for an interval
    spooled: int = 0  # articles written beside the warehouse because it was locked
    drained: int = 0  # articles loaded from the spool at the start of this run
    entries: int = 0
    new_entries: int = 0
    inserted: int = 0
    duplicates: int = 0
    stories_new: int = 0
    revised: int = 0  # stored articles re-pointed at an earlier original that arrived in this run
    recleaned: int = 0  # stored articles cleaned of lines their source's boilerplate now has
    relabelled: int = 0  # stored articles whose one-word PERSON a publisher's new tag made a PRODUCT
    rejected: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    ner_worker_seconds: float = 0.0  # NER time inside the worker processes, overlapped with the stages
    nlp_workers: int = 0
    failures: list[str] = field(default_factory=list)

    @contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        """Add the block's wall time to `stage` (the flow's process: time it spent on, or waiting for, it)."""
        clock = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - clock


# Network tasks retry; everything else fails loudly on a bug.
@task(cache_policy=NO_CACHE, retries=1, retry_delay_seconds=2)
def fetch_feeds(feeds: list[FeedSource], policy: FetchPolicy, previous: dict[str, FeedState]) -> dict:
    urls = [f.url for f in feeds]
    headers = {u: conditional_headers(previous.get(u)) for u in urls}
    return fetch_many(urls, policy, trusted=True, headers=headers)


def read_or(target: wdb.Warehouse, what: str, query, default):
    """`query(conn)` on a brief read-only connection (analysts' read-only sessions do not block
    it). If another process holds the file for writing past the lock timeout, the stage goes on
    without the warehouse's view (`default`) and says so: the load will spool, nothing is lost."""
    try:
        with wdb.connect(target, read_only=True, lock_timeout=LOCK_TIMEOUT, memory_limit=wdb.READ_MEMORY_LIMIT) as conn:
            return query(conn)
    except wdb.WarehouseLocked as exc:
        get_run_logger().warning("warehouse locked stage=%s: going on without it (%s)", what, exc)
        return default


def rebuild_stale(target: wdb.Warehouse, index: str, version: int, later: str, rebuild: Callable):
    """`rebuild(conn)` (one transaction, which records `version` for `index`) when the warehouse's
    `index` was built by another scheme; None when it is current, or when the file stays locked
    (then the next run does it: `later` says what waits)."""
    if not read_or(target, "index state", lambda conn: store.index_version(conn, index) != version, False):
        return None
    try:
        with wdb.connect(target, lock_timeout=LOCK_TIMEOUT) as conn:
            return rebuild(conn)
    except wdb.WarehouseLocked:
        get_run_logger().warning("warehouse locked: %s at the next run", later)
        return None


@task(cache_policy=NO_CACHE)
def prepare_warehouse(target: wdb.Warehouse) -> store.LoadResult:
    """Create or migrate the file if needed, rebuild what an older scheme built, then load any
    spooled batches. Returns what their loads did, summed (`inserted`: the articles that came out of
    the spool), with the stored articles a rebuild cleaned of learned lines (`recleaned`)."""
    try:
        if wdb.needs_migration(target, lock_timeout=LOCK_TIMEOUT):
            with wdb.connect(target, lock_timeout=LOCK_TIMEOUT) as conn:
                wdb.migrate(conn)
    except wdb.WarehouseLocked:
        if target.is_lake or not target.path.exists():  # nothing to read: fail the run clearly
            raise
        # An existing file held by a writer: the stages go on without it and the load spools;
        # migrations run at the next chance, before the spool is loaded.
        get_run_logger().warning("warehouse locked: running without it, the batch will be spooled")
        return store.LoadResult(inserted=0, already_stored=0, rejections=0)
    logger = get_run_logger()
    # candidate keys built by an older scheme would miss copies: rebuild from the stored text
    rebuilt = rebuild_stale(target, "article_bands", dedup.KEY_SCHEME, "dedup keys will be rebuilt",
                            lambda conn: store.rebuild_band_keys(conn, dedup.KEY_SCHEME, dedup.band_keys_for))
    if rebuilt is not None:
        logger.info("dedup keys rebuilt for %d stored articles (scheme %d)", rebuilt, dedup.KEY_SCHEME)
    # keywords rank by warehouse-wide document frequencies: count the stored articles' words
    rebuilt = rebuild_stale(target, "term_df", enrich.TERM_SCHEME, "term frequencies will be rebuilt",
                            lambda conn: store.rebuild_term_df(conn, enrich.TERM_SCHEME, enrich.content_terms,
                                                               rerank=enrich.retokenised))
    if rebuilt is not None:
        counted, reranked = rebuilt
        logger.info("term frequencies rebuilt for %d stored articles (scheme %d); keywords ranked again for %d",
                    counted, enrich.TERM_SCHEME, reranked)
    # story terms a scheme change dropped: the recent articles' (likely members) are counted once
    since = datetime.now(timezone.utc) - 2 * stories.MAX_WINDOW
    recounted = rebuild_stale(target, "story_terms", stories.TERMS_SCHEME, "story terms will be recounted",
                              lambda conn: store.recount_story_terms(conn, stories.TERMS_SCHEME, stories.story_terms, since))
    if recounted:
        logger.info("story terms recounted for %d stored articles (scheme %d)", recounted, stories.TERMS_SCHEME)
    # stored articles may carry lines their sources learned after them: clean them once
    read, cleaned = rebuild_stale(target, "source_lines", boilerplate.LINES_SCHEME,
                                  "stored articles will be cleaned of learned lines",
                                  lambda conn: store.reclean_stored(conn, boilerplate.LINES_SCHEME)) or (0, 0)
    if read:
        logger.info("learned boilerplate: %d of %d stored articles cleaned (scheme %d)", cleaned, read, boilerplate.LINES_SCHEME)
    # stored entities labelled before a correction changed: correct them once
    read, relabelled = rebuild_stale(target, "entities", enrich.ENTITY_SCHEME, "stored entities will be corrected",
                                     lambda conn: store.recorrect_stored(conn, enrich.ENTITY_SCHEME)) or (0, 0)
    if relabelled:
        logger.info("entities corrected in %d of %d stored articles (scheme %d)", relabelled, read, enrich.ENTITY_SCHEME)
    # stored keywords counted in lower case that their text spells otherwise: spell them once
    read, respelt = rebuild_stale(target, "keywords", enrich.KEYWORD_SCHEME, "stored keywords will be spelt again",
                                  lambda conn: store.respell_keywords(conn, enrich.KEYWORD_SCHEME)) or (0, 0)
    if respelt:
        logger.info("keywords spelt as their text writes them in %d of %d stored articles (scheme %d)",
                    respelt, read, enrich.KEYWORD_SCHEME)
    drained = store.LoadResult(inserted=0, already_stored=0, rejections=0, recleaned=cleaned)
    for path in spool.pending(target):
        batch = spool.read_batch(path)
        try:
            with wdb.connect(target, lock_timeout=LOCK_TIMEOUT) as conn:
                result = store.load_batch(conn, batch.articles, batch.rejections, batch.states, now=batch.now)
        except wdb.WarehouseLocked:
            get_run_logger().warning("warehouse still locked: %d spooled batches wait", len(spool.pending(target)))
            break
        path.unlink()  # only after the batch's transaction committed
        drained += result
    return drained


@task(cache_policy=NO_CACHE)
def read_feed_states(target: wdb.Warehouse, urls: list[str]) -> dict[str, FeedState]:
    return read_or(target, "feed states", lambda conn: store.feed_states(conn, urls), {})


@task(cache_policy=NO_CACHE)
def parse_feeds(feeds: list[FeedSource], policy: FetchPolicy, fetched: dict, previous: dict[str, FeedState],
                now: datetime) -> tuple[list[FeedEntry], list[FeedState], int]:
    """Feed bytes -> entries and each feed's new state. A feed that failed, answered 304 or
    sent the very bytes it sent last time contributes no entries; its state records why."""
    entries: list[FeedEntry] = []
    states: list[FeedState] = []
    unchanged = 0
    backoff = dict(backoff_base=policy.backoff_base_seconds, backoff_max=policy.backoff_max_seconds)
    for source in feeds:
        result, prev = fetched[source.url], previous.get(source.url)
        if isinstance(result, FetchError):
            states.append(next_feed_state(source.url, source.name, prev, status=result.status, error=result.reason,
                                          now=now, retry_after=result.retry_after, **backoff))
            continue
        same_body = prev is not None and prev.body_hash == body_hash(result.content)
        if result.status == 304 or same_body:  # validators can lie; the body hash does not
            unchanged += 1
            states.append(next_feed_state(source.url, source.name, prev, status=result.status, error=None, now=now,
                                          headers=result.headers, raw=result.content, **backoff))
            continue
        headers = dict(result.headers)
        if result.content_type:
            headers.setdefault("content-type", result.content_type)
        try:
            parsed = parse_feed(result.content, feed_url=source.url, headers=headers)
        except Exception as exc:  # one feed the parser cannot survive never fails the run
            get_run_logger().exception("feed parser failed url=%s", source.url)
            states.append(next_feed_state(source.url, source.name, prev, status=result.status,
                                          error=f"parser failed: {type(exc).__name__}: {exc}"[:500], now=now, **backoff))
            continue
        if not parsed.entries and not parsed.format:  # nothing feedparser recognises as a feed
            states.append(next_feed_state(source.url, source.name, prev, status=result.status,
                                          error=f"not a feed: {parsed.bozo or 'no feed format recognised'}"[:500],
                                          now=now, **backoff))
            continue
        states.append(next_feed_state(source.url, source.name, prev, status=result.status, error=None, now=now,
                                      headers=result.headers, raw=result.content, parsed=parsed, **backoff))
        entries.extend(parsed.entries)
    return entries, states, unchanged


@task(cache_policy=NO_CACHE)
def select_new_entries(target: wdb.Warehouse, entries: list[FeedEntry]) -> list[FeedEntry]:
    """Only entries not yet stored get their page fetched; the same page linked twice (the same
    link, or its http, AMP or mobile address: one url_key) is fetched once, by its plain https link
    where the batch has it; a link rejected MAX_ATTEMPTS times is not tried again."""
    by_key: dict[str, FeedEntry] = {}
    for entry in entries:
        key = url_key(entry_url(entry))
        if key not in by_key or variant_rank(entry_url(entry)) < variant_rank(entry_url(by_key[key])):
            by_key[key] = entry
    by_id = {article_id_for(entry_url(e)): (key, e) for key, e in by_key.items()}
    known, known_keys, given_up = read_or(target, "known entries", lambda conn: (
        store.known_article_ids(conn, list(by_id)),
        store.known_url_keys(conn, list(by_key)),
        store.given_up_urls(conn, [entry_url(e) for e in by_key.values()], MAX_ATTEMPTS),
    ), (set(), set(), set()))  # locked: fetch them all; the load skips what is stored
    return [e for aid, (key, e) in by_id.items()
            if aid not in known and key not in known_keys and entry_url(e) not in given_up]


def in_batches(entries: list[FeedEntry], size: int, now: datetime) -> list[list[FeedEntry]]:
    """The new entries in published order (undated ones as of now, last), `size` at a time. Stories
    are assigned in published order, and a batch's dates then lie close together: feeds added with
    their archives had spread every stretch of years over every batch, and each batch read the
    story members of all of them (stories.runs)."""
    def published(entry: FeedEntry) -> datetime:
        when = entry.published_at or now
        return when if when.tzinfo else when.replace(tzinfo=timezone.utc)

    ordered = sorted(entries, key=published)
    return [ordered[i : i + size] for i in range(0, len(ordered), size)]


@task(cache_policy=NO_CACHE, retries=1, retry_delay_seconds=2)
def fetch_pages(entries: list[FeedEntry], policy: FetchPolicy) -> dict:
    # Links inside a local fixture feed are local files the operator shipped: trusted.
    local = {e.url for e in entries if e.url and e.url.startswith("file:") and e.feed_url.startswith("file:")}
    remote = [e.url for e in entries if e.url and e.url not in local]
    local = sorted(local)
    results = fetch_many(local, policy, trusted=True) if local else {}
    results.update(fetch_many(remote, policy, trusted=False) if remote else {})
    return results


@task(cache_policy=NO_CACHE)
def build_articles(entries: list[FeedEntry], pages: dict) -> tuple[list[Article], list[Rejected]]:
    articles, rejected = [], []
    for entry in entries:
        page = pages.get(entry.url) if entry.url else None
        error = page.reason if isinstance(page, FetchError) else None
        try:
            result = build_article(entry, None if error else page, error)
        except Exception as exc:  # a page the extractor cannot survive is a rejection, not a failed run
            get_run_logger().exception("extraction failed url=%s", entry.url)
            result = Rejected(url=entry_url(entry), stage="extract", reason=f"extractor failed: {type(exc).__name__}: {exc}"[:500],
                              feed_url=entry.feed_url)
        (rejected if isinstance(result, Rejected) else articles).append(result)
    return articles, rejected


@task(cache_policy=NO_CACHE)
def strip_learned_boilerplate(target: wdb.Warehouse, articles: list[Article],
                              unloaded: list[Article] | None = None) -> list[Article]:
    """Lines this source repeats across articles (stored history, the batch not yet loaded, and
    this batch) are cut."""
    pairs = boilerplate.fingerprint_lines(articles)
    stored = read_or(target, "source lines", lambda conn: store.source_line_counts(conn, pairs), {})
    return boilerplate.strip_learned(articles, stored, unloaded=unloaded or [])


@task(cache_policy=NO_CACHE)
def analyse_texts(texts: list[str]) -> list[enrich.Analysis]:
    """The models (language, spaCy NER): the CPU-heavy half of enrichment, spread on Dask."""
    return enrich.analyse(texts)


@task(cache_policy=NO_CACHE)
def enrich_articles(target: wdb.Warehouse, articles: list[Article], analyses: list[enrich.Analysis]) -> list[Article]:
    """The warehouse's statistics for what the models found, then corrections and ranking."""
    texts = [a.text for a in articles]
    titles = [a.title for a in articles]
    terms, names = enrich.lookups(analyses, titles)
    others = any(a.language != "en" for a in analyses)
    history = read_or(target, "enrich history",
                      lambda conn: store.enrichment_history(conn, terms, names, organisations=others), enrich.History())
    tags = [list(a.tags or ()) for a in articles]
    for article, extra in zip(articles, enrich.finish(analyses, texts, [a.published_at for a in articles], history, titles, tags)):
        article.language, article.language_score = extra.language, extra.language_score
        article.entities, article.places, article.dates = extra.entities, extra.places, extra.dates
        article.keywords, article.word_count, article.terms = extra.keywords, extra.word_count, extra.terms
    return articles


@task(cache_policy=NO_CACHE)
def dedup_and_cluster(target: wdb.Warehouse, articles: list[Article], now: datetime,
                      policy: stories.StoryPolicy = stories.StoryPolicy()) -> list[Article]:
    """Duplicates against the batch and the whole stored history (LSH band join), then stories."""
    if not articles:
        return articles
    texts = [a.text for a in articles]
    for article in articles:
        article.content_hash = dedup.content_hash(article.text)
    dates = [a.published_at or now for a in articles]

    def reach(run: list[int]) -> tuple[datetime, datetime]:  # a run's indices are in date order
        return dates[run[0]] - policy.window, dates[run[-1]] + policy.window

    def count_terms() -> None:
        for article in articles:
            article.story_terms = stories.story_terms(article.text, article.language, article.title)

    def story_docs(run: list[int], as_members: bool = False) -> list[stories.StoryDoc]:
        # an article that takes a stored original's place takes its story too, as a copy would;
        # `as_members`: placed articles, with the story they were given
        return [stories.StoryDoc(a.article_id, a.text, dates[i], frozenset(e.name for e in a.entities),
                                 story_id=assigned[a.article_id] if as_members else None,
                                 duplicate_of=None if as_members else a.duplicate_of or a.supersedes, terms=a.story_terms,
                                 language=a.language, title=a.title)
                for i in run for a in (articles[i],)]

    def history(conn):
        # One run unless the batch's dates lie weeks apart (an archive) where the warehouse holds
        # more than stories.READ_BUDGET originals around them: those are read run by run.
        apart = max(dates) - min(dates) > 2 * policy.window
        hull = min(dates) - policy.window, max(dates) + policy.window
        runs = stories.runs(dates, policy.window, store.originals_counter(conn, *hull) if apart else None)
        # DuckDB lets go of the GIL, so its queries overlap this thread's Python work: the stories'
        # members are read on a second connection while the batch's MinHash keys are computed (the
        # two take about as long), and the candidate join runs while the batch's terms are counted
        # and the batch and members are vectorised for the story assignment.
        with wdb.cursor(conn) as other, ThreadPoolExecutor(2, thread_name_prefix="dedup-history") as pool:
            members = pool.submit(store.story_members, other, *reach(runs[0]))
            keyed = dedup.keys_and_shingles(texts)
            candidates = pool.submit(store.duplicate_candidates, conn, [a.content_hash for a in articles],
                                     [k for row in keyed[0] for k in row])
            count_terms()
            vectors = stories.vectorize(story_docs(runs[0]), members.result())
            known = candidates.result()
            known_stories = store.stories_of(conn, sorted({k.duplicate_of or k.article_id for k in known}))
            return runs, keyed, known, vectors, known_stories

    found = read_or(target, "dedup history", history, None)
    locked = found is None
    if locked:  # this batch is deduplicated and clustered against itself only
        count_terms()
        one_run = stories.runs(dates, policy.window, lambda start, end: 0)  # no history to read
        found = one_run, dedup.keys_and_shingles(texts), [], None, {}
    runs, (keys, shingles), known, vectors, known_stories = found
    for article, row in zip(articles, keys):
        article.band_keys = row
    verdicts = dedup.find_duplicates([(a.article_id, a.text, a.published_at) for a in articles], keys, known, now=now,
                                     batch_shingles=shingles, titles=[a.title for a in articles])
    for article in articles:
        if (verdict := verdicts.get(article.article_id)) is not None:
            article.duplicate_of, article.duplicate_kind = verdict.duplicate_of, verdict.kind
            article.supersedes = verdict.supersedes
    assigned = dict(known_stories)  # and each run's articles once placed: a later copy takes their story
    placed: list[int] = []  # the batch's originals of the runs done, in date order

    def assign(run: list[int], stored: stories.Members, run_vectors: stories.Vectors | None = None) -> None:
        """One run, from the stored members within its reach and the batch's originals placed in the
        runs before it that are within reach of its first article."""
        start = reach(run)[0]
        earlier = placed[bisect.bisect_left([dates[i] for i in placed], start):]
        members = stored + stories.Members.of(story_docs(earlier, as_members=True)) if earlier else stored
        assigned.update(stories.assign_stories(story_docs(run), members, known_stories=assigned, vectors=run_vectors,
                                               window=policy.window, threshold=policy.threshold))
        placed.extend(i for i in run if articles[i].duplicate_of is None)

    assign(runs[0], stories.Members.of([]), vectors)
    # One run at a time, each on a brief connection of its own: one run's members are held at once,
    # and DuckDB's cache of what a run read goes with its connection. Once the file is found locked,
    # the remaining runs go without history (each read would wait LOCK_TIMEOUT again).
    for run in runs[1:]:
        stored = None if locked else read_or(target, "story members", lambda conn: store.story_members(conn, *reach(run)), None)
        locked = stored is None
        assign(run, stored if stored is not None else stories.Members.of([]))
    for article in articles:
        article.story_id = assigned[article.article_id]
    return articles


@task(cache_policy=NO_CACHE)
def load(target: wdb.Warehouse, articles, rejected, states, now: datetime) -> store.LoadResult:
    """Hold the write connection only for the load; if the file stays locked, spool the batch."""
    try:
        with wdb.connect(target, lock_timeout=LOCK_TIMEOUT) as conn:
            return store.load_batch(conn, articles, rejected, states, now=now)
    except wdb.WarehouseLocked as exc:
        path = spool.write_batch(target, spool.SpooledBatch(articles, rejected, states, now))
        get_run_logger().warning("warehouse locked: %d articles spooled to %s (%s)", len(articles), path, exc)
        return store.LoadResult(inserted=0, already_stored=0, rejections=len(rejected), spooled=len(articles))


def parallel_ways() -> int:
    """How many parts a batch's extraction and NER are cut into: one per Dask worker thread when the
    flow runs on a DaskTaskRunner, else 1 (threads would only take turns on the GIL)."""
    runner = FlowRunContext.get().task_runner
    if type(runner).__name__ != "DaskTaskRunner":
        return 1
    return max(1, sum(runner.client.nthreads().values()))  # connects on first use


def chunks(items: list, ways: int) -> list[list]:
    size = max(1, -(-len(items) // max(1, ways)))
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


def spread(task_fn, calls: list[tuple]) -> list:
    """One call runs in place; several are submitted to the flow's task runner and gathered in order
    (not quoted: a Dask cluster's workers would get the wrapper, not the batch)."""
    if len(calls) == 1:
        return [task_fn(*(quote(arg) for arg in calls[0]))]
    return [future.result() for future in [task_fn.submit(*args) for args in calls]]


@dataclass
class Pending:
    """A batch whose analyses (language, NER) are under way: `analyses()` waits for them."""

    articles: list[Article]
    rejected: list[Rejected]
    states: list[FeedState]
    analyses: Callable[[], list[enrich.Analysis]]


def submit_analyses(pool: enrich.AnalysisPool | None, articles: list[Article], ways: int,
                    summary: RunSummary) -> Callable[[], list[enrich.Analysis]]:
    """Start the batch's analyses: in the NER workers (returns at once), on the Dask cluster
    (futures), or here and now (small runs: starting workers costs more than it saves)."""
    texts = [a.text for a in articles]
    if pool is not None:
        pending = pool.submit(texts)

        def wait() -> list[enrich.Analysis]:
            analyses = pending.result()
            summary.ner_worker_seconds += pending.worker_seconds
            return analyses
        return wait
    if ways > 1:
        futures = [analyse_texts.submit(part) for part in chunks(texts, ways)]
        return lambda: [a for future in futures for a in future.result()]
    with summary.timed("enrich"):
        done = analyse_texts(quote(texts))
    return lambda: done


def complete(target: wdb.Warehouse, pending: Pending, summary: RunSummary, now: datetime,
             policy: stories.StoryPolicy) -> None:
    """Wait for the batch's analyses, then enrich, dedup, assign stories and load it."""
    with summary.timed("enrich"):
        gazetteer()  # read from its cache (or built) once per process, while the NER workers tag this batch
        articles = enrich_articles(target, quote(pending.articles), quote(pending.analyses()))
    with summary.timed("dedup+stories"):
        articles = dedup_and_cluster(target, quote(articles), now, policy)
    with summary.timed("load"):
        result = load(target, quote(articles), quote(pending.rejected), quote(pending.states), now)
    summary.inserted += result.inserted
    summary.spooled += result.spooled
    summary.revised += result.revised
    summary.recleaned += result.recleaned
    summary.relabelled += result.relabelled
    summary.rejected += result.rejections
    summary.duplicates += sum(1 for a in articles if a.duplicate_of)
    summary.stories_new += len({a.story_id for a in articles if a.story_id == a.article_id})


@flow(name="newsflow-ingest", log_prints=True)
def ingest(feed_list: FeedList, db: Path | str) -> RunSummary:
    """One pass over every configured feed into the warehouse: a DuckDB file, or a DuckLake
    (`ducklake:postgres:...`)."""
    logger = get_run_logger()
    target = wdb.warehouse(db)
    summary = RunSummary(feeds=len(feed_list.feeds))
    now = datetime.now(timezone.utc)
    started = clock = time.perf_counter()

    ways = parallel_ways()
    spooled = prepare_warehouse(target)
    summary.drained, summary.revised, summary.recleaned = spooled.inserted, spooled.revised, spooled.recleaned
    summary.relabelled = spooled.relabelled
    previous = read_feed_states(target, quote([f.url for f in feed_list.feeds]))
    due = [f for f in feed_list.feeds if is_due(previous.get(f.url), now)]
    summary.feeds_deferred = len(feed_list.feeds) - len(due)
    fetched = fetch_feeds(quote(due), feed_list.policy, quote(previous))
    entries, states, summary.feeds_unchanged = parse_feeds(quote(due), feed_list.policy, quote(fetched), quote(previous), now)
    summary.seconds["feeds"] = time.perf_counter() - clock
    summary.entries = len(entries)
    summary.feeds_failed = sum(1 for s in states if s.last_error and s.consecutive_failures)
    summary.failures = [f"{s.url}: {s.last_error}" for s in states if s.last_error and s.consecutive_failures]

    new_entries = select_new_entries(target, quote(entries))
    summary.new_entries = len(new_entries)
    if not new_entries:  # feed states still need saving
        load(target, [], [], quote(states), now)
    batches = in_batches(new_entries, PAGE_BATCH, now)
    pool = enrich.AnalysisPool(NLP_PROCESSES) if ways == 1 and NLP_PROCESSES and len(new_entries) >= POOL_MIN_ENTRIES else None
    summary.nlp_workers = pool.workers if pool is not None else 0
    pending: Pending | None = None
    try:
        for number, batch in enumerate(batches, 1):
            # this batch's pages are fetched and extracted while the last batch's NER runs
            with summary.timed("fetch+extract"):
                pages = fetch_pages(quote(batch), feed_list.policy)
                articles, rejected = [], []
                parts = chunks(batch, ways)  # each part travels with its own pages only
                for built in spread(build_articles, [(part, {e.url: pages[e.url] for e in part if e.url in pages}) for part in parts]):
                    articles.extend(built[0])
                    rejected.extend(built[1])
                # the last batch is not loaded yet: its lines count as if it were
                articles = strip_learned_boilerplate(target, quote(articles), quote(pending.articles if pending else None))
            # Feed states go with the last batch: a run that dies earlier leaves them as they were.
            submitted = Pending(articles, rejected, states if number == len(batches) else [],
                                submit_analyses(pool, articles, ways, summary))
            if pending is not None:  # while the workers tag this batch
                complete(target, pending, summary, now, feed_list.stories)
            pending = submitted
        if pending is not None:
            complete(target, pending, summary, now, feed_list.stories)
    finally:
        if pool is not None:
            pool.close()
            if pool.broken:
                logger.warning("an NER worker died: batches after it were tagged in the flow's process")
    summary.seconds["total"] = time.perf_counter() - started
    logger.info("ingest done feeds=%d failed=%d entries=%d new=%d inserted=%d duplicates=%d revised=%d recleaned=%d"
                " relabelled=%d rejected=%d",
                summary.feeds, summary.feeds_failed, summary.entries, summary.new_entries, summary.inserted,
                summary.duplicates, summary.revised, summary.recleaned, summary.relabelled, summary.rejected)
    return summary


def task_runner_from_env():
    """Deployments (`serve`, work-pool workers) run the flow in a process of their own: the Dask
    cluster to spread extraction and NER over is that process's $NEWSFLOW_DASK_ADDRESS. None: the
    default (threads in the flow's process)."""
    address = os.environ.get("NEWSFLOW_DASK_ADDRESS")
    if not address:
        return None
    from prefect_dask import DaskTaskRunner  # the `dask` extra

    return DaskTaskRunner(address=address)


@flow(name="newsflow-scheduled", log_prints=True, task_runner=task_runner_from_env())
def scheduled_ingest(feeds: str, db: str, shard: str | None = None) -> dict:
    """What a deployment runs: the feed list is read at run time, so edits apply to the next run.
    `shard` "I/N": only the feeds of shard I of N (one deployment per shard on a work pool)."""
    from connectors.feedlist import load_feed_list

    feed_list = load_feed_list(Path(feeds))
    if shard:
        index, count = (int(x) for x in shard.split("/"))
        feed_list = feed_list.shard(index, count)
    # the pipeline's body within this run (as a subflow Prefect would re-validate FeedList from JSON)
    summary = ingest.fn(feed_list, db)
    return {k: v for k, v in summary.__dict__.items() if k != "failures"} | {"failures": summary.failures[:50]}
