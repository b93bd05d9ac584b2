"""Boilerplate learned per source: a line that recurs across many articles of one site is the
site's, not the article's. Counts live in the warehouse; this module only decides."""
from __future__ import annotations

import hashlib
import struct
from collections import Counter
from urllib.parse import urlsplit

from transforms.clean import SEPARATOR, looks_like_code, normalize_for_match
from transforms.records import Article, Removal

MIN_ARTICLES = 5  # a line seen in this many distinct articles of a source is boilerplate
MAX_WORDS = 40  # long paragraphs are content even when repeated (a recurring quote, a fact box)
MIN_CHARS = 3
HEADING_WORDS = 4  # a recurring line this short, alone between the article's own lines, is a heading
# Bump when stored articles must be cleaned again of what their sources have learned (1: lines
# counted before their carriers were kept, migration 0013; a run does it once, from stored text).
LINES_SCHEME = 1


def source_of(article: Article) -> str:
    """The publisher a line belongs to: the article's host without www."""
    return source_of_urls(article.url, article.feed_url)


def source_of_urls(url: str, feed_url: str) -> str:
    """`source_of` for a stored article's `url` and `feed_url`."""
    for address in (url, feed_url):
        host = (urlsplit(address).hostname or "").lower()
        if host:
            return host.removeprefix("www.")
    return urlsplit(feed_url).path.rsplit("/", 1)[0] or "local"


def fingerprint(line: str) -> int | None:
    if len(line.split()) > MAX_WORDS or looks_like_code(line):
        return None
    key = normalize_for_match(line)
    if len(key) < MIN_CHARS:
        return None
    return struct.unpack("<q", hashlib.blake2b(key.encode(), digest_size=8).digest())[0]


def article_fingerprints(article: Article) -> dict[int, str]:
    """fingerprint -> a sample line, once per article however often the line repeats in it."""
    return text_fingerprints(article.text)


def text_fingerprints(text: str) -> dict[int, str]:
    """`article_fingerprints` of a text."""
    found: dict[int, str] = {}
    for line in text.split("\n"):
        fp = fingerprint(line)
        if fp is not None:
            found.setdefault(fp, line)
    return found


def fingerprint_lines(articles: list[Article]) -> list[tuple[str, int]]:
    """Record each article's source and line fingerprints (before any line is cut); return the
    (source, fingerprint) pairs to look up in the warehouse."""
    for article in articles:
        article.source, article.line_fingerprints = source_of(article), article_fingerprints(article)
    return sorted({(a.source, fp) for a in articles for fp in a.line_fingerprints})


def strip_learned(articles: list[Article], stored: dict[tuple[str, int], int],
                  min_articles: int = MIN_ARTICLES, *, unloaded: list[Article] = ()) -> list[Article]:
    """Remove lines whose count across the source's stored articles plus this batch reaches
    `min_articles`. The batch's own repeats count, so a new site is learned within one run;
    `unloaded`: an earlier batch on its way to the warehouse, counted as if it were stored."""
    if any(a.source is None for a in articles):
        fingerprint_lines(articles)
    batch: Counter[tuple[str, int]] = Counter()
    for article in [*articles, *unloaded]:
        batch.update((article.source, fp) for fp in article.line_fingerprints)
    for article in articles:
        source, fps = article.source, article.line_fingerprints
        learned = {fp for fp in fps if stored.get((source, fp), 0) + batch[(source, fp)] >= min_articles}
        if not learned:
            continue
        lines = article.text.split("\n")
        cut = learned_cuts(lines, learned)
        if all(drop or not line.strip() for line, drop in zip(lines, cut)):
            continue  # never empty an article: a page that is all "boilerplate" is a template page
        article.removals += [Removal("learned_boilerplate", line, number)
                             for number, (line, drop) in enumerate(zip(lines, cut)) if drop]
        article.text = "\n".join(line for line, drop in zip(lines, cut) if not drop)
    return articles


def learned_cuts(lines: list[str], learned: set[int]) -> list[bool]:
    """Which lines go. A learned line of a few words ("Conclusion", "Ingredients") standing alone
    between the article's own lines is the heading of a section of it: it stays. Short learned lines
    go when another learned line is next to them (a footer block: "Hosts", "- Name - Host") or when
    only learned lines follow them to the end (a sign-off: "Cheers!"), and so does a rule ("---")
    right above that closing block."""
    found = [fingerprint(line) in learned for line in lines]
    text = [i for i, line in enumerate(lines) if line.strip()]
    tail = len(text)  # text[tail:] are all learned: the closing block
    while tail and found[text[tail - 1]]:
        tail -= 1
    cut = found[:]
    if 0 < tail < len(text) and SEPARATOR.match(lines[text[tail - 1]].strip()):
        cut[text[tail - 1]] = True  # the rule ("---") that set the closing block off goes with it
    for place, i in enumerate(text):
        if found[i] and len(lines[i].split()) <= HEADING_WORDS and place < tail:
            cut[i] = (place > 0 and found[text[place - 1]]) or (place + 1 < len(text) and found[text[place + 1]])
    return cut
