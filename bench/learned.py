"""Learned boilerplate under scheduled arrival: how many stored articles keep a line that their
source's boilerplate has, when articles arrive a few at a time instead of in one backlog.

The 2,541 entries of the 100 real feeds (shared/data/feeds/real, feed text: their links point at
the live web) are taken in published order, in batches of one day or one week of publication (as
scheduled runs would bring them), or one batch per feed (a feed added with its backlog). Each batch
goes through the pipeline's own `boilerplate.strip_learned` against the counts of the batches
before it; the stored articles that carried a line when it became learned go through
`revise.revise_stored`, as the load does. Counted at the end: stored articles still carrying a
line their source has learned (and that `boilerplate.learned_cuts` would cut), without and with
that second pass, and stored articles whose text is not what it would be had every line learned by
the end been learned before the article came ("in hindsight": one cut of its original text). The
warehouse wiring of the same pass is tested in tests/test_warehouse.py."""
from __future__ import annotations

import copy
import json
import sys
import time
from collections import defaultdict
from dataclasses import replace
from datetime import datetime, timezone
from itertools import combinations
from pathlib import Path

from transforms import boilerplate, dedup, enrich, revise, stories
from transforms.articles import build_article
from transforms.feeds import parse_feed
from transforms.records import Article

FEEDS = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "feeds" / "real"


def feed_articles(*, news_only: bool = False) -> list[Article]:
    """Every entry's article from its feed text (no page is fetched), in published order; an
    address stored once, as the load does (one feed lists a status page under one link many times).
    `news_only`: the feeds of news outlets only (the index's `news_outlet`)."""
    found = []
    for line in (FEEDS / "index.jsonl").read_text().splitlines():
        item = json.loads(line)
        if news_only and not item["news_outlet"]:
            continue
        for entry in parse_feed((FEEDS / item["file"]).read_bytes(), feed_url=item["url"]).entries:
            result = build_article(entry, None, "offline")
            if isinstance(result, Article) and result.published_at is not None:
                found.append(result)
    first = {}
    for article in sorted(found, key=lambda a: (a.published_at, a.article_id)):
        first.setdefault(article.article_id, article)
    return list(first.values())


def batches(articles: list[Article], arrival: str) -> list[list[Article]]:
    if arrival == "backlog":
        key = lambda a: a.feed_url  # noqa: E731
    elif arrival == "weekly":
        key = lambda a: a.published_at.isocalendar()[:2]  # noqa: E731
    else:
        key = lambda a: a.published_at.date()  # noqa: E731
    groups: dict = {}
    for article in articles:
        groups.setdefault(key(article), []).append(article)
    return list(groups.values())


def residual(articles: list[Article], arrival: str, *, reclean: bool,
             arrived: list[list[tuple[Article, str]]] | None = None) -> tuple[int, int, int]:
    """(stored articles carrying a learned line at the end, articles cleaned after they were stored,
    learned lines). `reclean`: the load's second pass over the carriers of newly learned lines.
    `arrived`, when given, collects each batch as (article, its text when stored); the articles
    keep their text at the end."""
    stored: dict[tuple[str, int], int] = defaultdict(int)
    carriers: dict[tuple[str, int], list[Article]] = defaultdict(list)
    everything: list[Article] = []
    recleaned: set[str] = set()
    originals: dict[str, str] = {}  # each article's text before any learned line was cut
    for batch in batches(copy.deepcopy(articles), arrival):
        originals.update((a.article_id, a.text) for a in batch)
        boilerplate.strip_learned(batch, stored)
        if arrived is not None:
            arrived.append([(article, article.text) for article in batch])
        learned_now = []
        for article in batch:
            for fp in article.line_fingerprints:
                key = (article.source, fp)
                stored[key] += 1
                if stored[key] < boilerplate.MIN_ARTICLES:
                    carriers[key].append(article)
                elif stored[key] - 1 < boilerplate.MIN_ARTICLES <= stored[key] and key in carriers:
                    learned_now.append(carriers.pop(key))
        everything += batch
        if reclean:
            for article in {a.article_id: a for group in learned_now for a in group}.values():
                learned = {fp for fp in boilerplate.text_fingerprints(article.text)
                           if stored[(article.source, fp)] >= boilerplate.MIN_ARTICLES}
                stored_article = revise.StoredArticle(article.article_id, article.text, None, article.published_at, [])
                earlier = [r for r in article.removals if r.rule == "learned_boilerplate"]
                if (revision := revise.revise_stored(stored_article, learned, enrich.History(), earlier)) is not None:
                    article.text = revision.text
                    article.removals += revision.removals
                    recleaned.add(article.article_id)
    left = differ = 0
    for article in everything:
        learned = {fp for fp in boilerplate.text_fingerprints(article.text)
                   if stored[(article.source, fp)] >= boilerplate.MIN_ARTICLES}
        lines = article.text.split("\n")
        cut = boilerplate.learned_cuts(lines, learned)
        left += any(cut) and not all(c or not line.strip() for line, c in zip(lines, cut))
        # in hindsight: the text as cleaned had every line of the end's counts been learned before it came
        lines = originals[article.article_id].split("\n")
        learned = {fp for fp in boilerplate.text_fingerprints(originals[article.article_id])
                   if stored[(article.source, fp)] >= boilerplate.MIN_ARTICLES}
        cut = boilerplate.learned_cuts(lines, learned)
        if all(c or not line.strip() for line, c in zip(lines, cut)):
            cut = [False] * len(lines)
        differ += "\n".join(line for line, c in zip(lines, cut) if not c) != article.text
    return left, differ, len(recleaned), sum(1 for n in stored.values() if n >= boilerplate.MIN_ARTICLES)


def decisions(arrived: list[list[tuple[Article, str]]]) -> tuple[int, int, int, int]:
    """What cleaning stored articles leaves undecided: stories and copies found batch by batch (the
    pipeline's `assign_stories` against the members in its window, `find_duplicates` against every
    stored article sharing a candidate key; no entities) on the texts as stored, against the same on
    the texts as cleaned at the end, as if every line had been learned before its first carrier.
    Returns (story pairs as stored, pairs that differ, copies as stored, copies that differ)."""
    as_stored = {a.article_id: text for batch in arrived for a, text in batch}
    cleaned = {a.article_id: a.text for batch in arrived for a, _ in batch}
    story_pairs = [_story_pairs(arrived, texts) for texts in (as_stored, cleaned)]
    copies = [_copies(arrived, texts) for texts in (as_stored, cleaned)]
    return (len(story_pairs[0]), len(story_pairs[0] ^ story_pairs[1]), len(copies[0]),
            sum(copies[0].get(k) != copies[1].get(k) for k in copies[0].keys() | copies[1].keys()))


def _story_pairs(arrived: list[list[tuple[Article, str]]], texts: dict[str, str]) -> set[tuple[str, str]]:
    members: list[stories.StoryDoc] = []
    assigned: dict[str, str] = {}
    for batch in arrived:
        docs = [stories.StoryDoc(a.article_id, texts[a.article_id], a.published_at, frozenset()) for a, _ in batch]
        reach = min(d.published_at for d in docs) - stories.WINDOW
        found = stories.assign_stories(docs, [m for m in members if m.published_at >= reach])
        assigned.update(found)
        members += [replace(d, story_id=found[d.article_id]) for d in docs]
    groups: dict[str, list[str]] = defaultdict(list)
    for article_id, story in assigned.items():
        groups[story].append(article_id)
    return {pair for group in groups.values() for pair in combinations(sorted(group), 2)}


def _copies(arrived: list[list[tuple[Article, str]]], texts: dict[str, str]) -> dict[str, str]:
    known: list[dedup.Known] = []
    copies: dict[str, str] = {}
    now = datetime.now(timezone.utc)
    for n, batch in enumerate(arrived):
        items = [(a.article_id, texts[a.article_id], a.published_at) for a, _ in batch]
        keys, sets = dedup.keys_and_shingles([text for _, text, _ in items])
        wanted = {k for row in keys for k in row}
        sharing = [replace(k, band_keys=k.band_keys & wanted) for k in known if k.band_keys & wanted]
        verdicts = dedup.find_duplicates(items, keys, sharing, now=now, batch_shingles=sets,
                                         titles=[a.title for a, _ in batch])
        for (article_id, text, published), row, (article, _) in zip(items, keys, batch):
            if (verdict := verdicts.get(article_id)) is not None and verdict.duplicate_of:
                copies[article_id] = verdict.duplicate_of
            known.append(dedup.Known(article_id, text, dedup.content_hash(text), frozenset(row), copies.get(article_id),
                                     (published, n, article_id), article.title))
    return copies


def main() -> dict:
    if not FEEDS.exists():
        print(f"learned boilerplate: {FEEDS} not found, skipped", file=sys.stderr)
        return {}
    started = time.perf_counter()
    articles = feed_articles()
    result = {}
    print(f"learned boilerplate under scheduled arrival ({len(articles)} real feed entries, published order):")
    for arrival in ("backlog", "weekly", "daily"):
        before, differ_before, _, lines = residual(articles, arrival, reclean=False)
        after, differ, cleaned, _ = residual(articles, arrival, reclean=True)
        result[arrival] = {"learned_lines": lines, "left_without_reclean": before, "left_with_reclean": after,
                           "not_as_in_hindsight_without_reclean": differ_before, "not_as_in_hindsight": differ,
                           "recleaned": cleaned, "batches": len(batches(articles, arrival))}
        print(f"  {arrival:8s} ({result[arrival]['batches']:4d} batches): {lines} learned lines; stored articles still"
              f" carrying one: {before} without the second pass, {after} with it ({cleaned} cleaned after storing);"
              f" text not as cleaned in hindsight: {differ_before} without, {differ} with")
    arrived: list[list[tuple[Article, str]]] = []
    residual(articles, "daily", reclean=True, arrived=arrived)
    pairs, moved, copies, changed = decisions(arrived)
    result["decisions"] = {"story_pairs": pairs, "story_pairs_differ": moved, "copies": copies, "copies_differ": changed}
    print(f"  daily, not re-decided after cleaning: {moved} of {pairs} same-story pairs differ from those of the"
          f" cleaned texts; {changed} of {copies} copies")
    print(f"  {time.perf_counter() - started:.1f}s")
    return result


if __name__ == "__main__":
    main()
