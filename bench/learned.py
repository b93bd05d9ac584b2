"""Learned boilerplate under scheduled arrival: how many stored articles keep a line that their
source's boilerplate has, when articles arrive a few at a time instead of in one backlog.

The 2,541 entries of the 100 real feeds (shared/data/feeds/real, feed text: their links point at
the live web) are taken in published order, in batches of one day or one week of publication (as
scheduled runs would bring them), or one batch per feed (a feed added with its backlog). Each batch
goes through the pipeline's own `boilerplate.strip_learned` against the counts of the batches
before it; the stored articles that carried a line when it became learned go through
`revise.revise_stored`, as the load does. Counted at the end: stored articles still carrying a
line their source has learned (and that `boilerplate.learned_cuts` would cut), without and with
that second pass. The warehouse wiring of the same pass is tested in tests/test_warehouse.py."""
from __future__ import annotations

import copy
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

from transforms import boilerplate, revise
from transforms.articles import build_article
from transforms.feeds import parse_feed
from transforms.records import Article

FEEDS = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "feeds" / "real"


def feed_articles() -> list[Article]:
    """Every entry's article from its feed text (no page is fetched), in published order; an
    address stored once, as the load does (one feed lists a status page under one link many times)."""
    found = []
    for line in (FEEDS / "index.jsonl").read_text().splitlines():
        item = json.loads(line)
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


def residual(articles: list[Article], arrival: str, *, reclean: bool) -> tuple[int, int, int]:
    """(stored articles carrying a learned line at the end, articles cleaned after they were stored,
    learned lines). `reclean`: the load's second pass over the carriers of newly learned lines."""
    stored: dict[tuple[str, int], int] = defaultdict(int)
    carriers: dict[tuple[str, int], list[Article]] = defaultdict(list)
    everything: list[Article] = []
    recleaned: set[str] = set()
    for batch in batches(copy.deepcopy(articles), arrival):
        boilerplate.strip_learned(batch, stored)
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
                stored_article = revise.StoredArticle(article.article_id, article.text, None, article.published_at, [], [])
                if (revision := revise.revise_stored(stored_article, learned)) is not None:
                    article.text = revision.text
                    recleaned.add(article.article_id)
    left = 0
    for article in everything:
        learned = {fp for fp in boilerplate.text_fingerprints(article.text)
                   if stored[(article.source, fp)] >= boilerplate.MIN_ARTICLES}
        lines = article.text.split("\n")
        cut = boilerplate.learned_cuts(lines, learned)
        left += any(cut) and not all(c or not line.strip() for line, c in zip(lines, cut))
    return left, len(recleaned), sum(1 for n in stored.values() if n >= boilerplate.MIN_ARTICLES)


def main() -> dict:
    if not FEEDS.exists():
        print(f"learned boilerplate: {FEEDS} not found, skipped", file=sys.stderr)
        return {}
    started = time.perf_counter()
    articles = feed_articles()
    result = {}
    print(f"learned boilerplate under scheduled arrival ({len(articles)} real feed entries, published order):")
    for arrival in ("backlog", "weekly", "daily"):
        before, _, lines = residual(articles, arrival, reclean=False)
        after, cleaned, _ = residual(articles, arrival, reclean=True)
        result[arrival] = {"learned_lines": lines, "left_without_reclean": before, "left_with_reclean": after,
                           "recleaned": cleaned, "batches": len(batches(articles, arrival))}
        print(f"  {arrival:8s} ({result[arrival]['batches']:4d} batches): {lines} learned lines; stored articles still"
              f" carrying one: {before} without the second pass, {after} with it ({cleaned} cleaned after storing)")
    print(f"  {time.perf_counter() - started:.1f}s")
    return result


if __name__ == "__main__":
    main()
