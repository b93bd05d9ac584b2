"""Keyword quality against the publishers' own tags (shared/data/feeds/real): the articles of the
real feeds as a run stores them without their pages (feed content or summary), enriched in one
batch as a first run is, and each article's 8 keywords compared with the categories and tags its
feed item carries (`articles.tags`).

A publisher's tag is a reference only where the article could have given it: a tag that its title
or text spells out (casefolded, accents and hyphens folded, at word boundaries). A feed's section
names are no keywords of an article: a tag on more than SECTION_SHARE of a feed's tagged items
("Software Engineering" on every post, "News", "World") is left out. Measured:
- recall: the share of (article, tag in its text) pairs whose tag is among the article's keywords;
- precision: the share of keywords that are one of the article's tags, over the articles holding a
  tag in their text (a low number by nature: publishers tag 1-5 things, keywords are 8).
A keyword matches a tag when one's words are a run of the other's ("Orban" / "Viktor Orban";
"dogfish" / "Spiny dogfish"), a plural -s/-es aside. Feeds alternate into two halves, so a change
chosen on one half is checked on the other."""
from __future__ import annotations

import sys
import time
import unicodedata
from collections import Counter, defaultdict

import regex

from bench.learned import FEEDS, feed_articles
from transforms import enrich

SECTION_SHARE = 0.25  # of a feed's tagged items (counted when it has at least SECTION_MIN_ITEMS)
SECTION_MIN_ITEMS = 8
_WORDS = regex.compile(r"[\p{L}\p{N}]+")


def words(text: str) -> tuple[str, ...]:
    text = unicodedata.normalize("NFKD", text.casefold())
    return tuple(w[:-1] if w.endswith("s") and len(w) > 3 else w
                 for w in _WORDS.findall("".join(c for c in text if not unicodedata.combining(c))))


def _run_of(part: tuple[str, ...], whole: tuple[str, ...]) -> bool:
    n = len(part)
    return 0 < n <= len(whole) and any(whole[i:i + n] == part for i in range(len(whole) - n + 1))


def matches(keyword: str, tag: str) -> bool:
    k, t = words(keyword), words(tag)
    return _run_of(k, t) or _run_of(t, k)


def references(articles) -> dict[str, list[str]]:
    """article_id -> its item's tags that are not section names of its feed."""
    per_feed: dict[str, Counter] = defaultdict(Counter)
    items: Counter = Counter()
    for a in articles:
        if a.tags:
            items[a.feed_url] += 1
            per_feed[a.feed_url].update({t.casefold() for t in a.tags})
    sections = {feed: {t for t, n in counts.items() if n > SECTION_SHARE * items[feed]}
                for feed, counts in per_feed.items() if items[feed] >= SECTION_MIN_ITEMS}
    return {a.article_id: [t for t in a.tags if t.casefold() not in sections.get(a.feed_url, set())]
            for a in articles if a.tags}


def score(articles, keywords: dict[str, list[str]], tags: dict[str, list[str]]) -> dict:
    in_text = found = chosen = hits = scored = 0
    for a in articles:
        reference = tags.get(a.article_id) or []
        body = words(f"{a.title or ''}\n{a.text}")
        present = [t for t in reference if _run_of(words(t), body)]
        if not present:
            continue
        scored += 1
        mine = keywords[a.article_id]
        in_text += len(present)
        found += sum(any(matches(k, t) for k in mine) for t in present)
        chosen += len(mine)
        hits += sum(any(matches(k, t) for t in reference) for k in mine)
    return {"articles": scored, "tags_in_text": in_text, "recall": found / in_text if in_text else 0.0,
            "precision": hits / chosen if chosen else 0.0}


def main() -> dict:
    if not FEEDS.exists():
        print(f"keywords: {FEEDS} not found, skipped", file=sys.stderr)
        return {}
    started = time.perf_counter()
    articles = feed_articles()
    extra = enrich.enrich_texts([a.text for a in articles], [a.published_at for a in articles],
                                titles=[a.title for a in articles])
    keywords = {a.article_id: x.keywords for a, x in zip(articles, extra)}
    tags = references(articles)
    feeds = sorted({a.feed_url for a in articles})
    halves = {name: [a for a in articles if a.feed_url in set(feeds[start::2])] for name, start in (("even", 0), ("odd", 1))}
    result = {"all": score(articles, keywords, tags), **{name: score(part, keywords, tags) for name, part in halves.items()},
              "seconds": time.perf_counter() - started}
    print(f"keywords vs the publishers' tags ({len(articles)} articles of the real feeds, "
          f"{sum(bool(t) for t in tags.values())} with tags beyond their feed's sections):")
    for name in ("all", "even", "odd"):
        r = result[name]
        print(f"  {name:4} feeds: {r['articles']} articles, {r['tags_in_text']} tags in their text: "
              f"recall {r['recall']:.3f}, precision {r['precision']:.3f}")
    print(f"  {result['seconds']:.1f}s")
    return result


if __name__ == "__main__":
    main()
