"""Extraction quality on shared/data/extraction (scoring as its README says), newsflow vs plain
trafilatura in the same run."""
from __future__ import annotations

import json
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "extraction"
_WS = re.compile(r"\s+")


def squash(text: str) -> str:
    return _WS.sub(" ", text).strip()


@dataclass
class Score:
    tp: int = 0
    fn: int = 0
    fp: int = 0
    tn: int = 0
    seconds: float = 0.0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp else 0.0

    def line(self, name: str) -> str:
        return (f"{name:12s} P={self.precision:.4f} R={self.recall:.4f} F1={self.f1:.4f} "
                f"(tp={self.tp} fn={self.fn} fp={self.fp} tn={self.tn}) {self.seconds:.1f}s")


def load_gold(data: Path = DATA) -> list[tuple[str, dict]]:
    gold = json.loads((data / "gold.json").read_text(encoding="utf-8"))
    return sorted(gold.items())


def score(extractor: Callable[[bytes, str], str | None], items: list[tuple[str, dict]], data: Path = DATA,
          *, fold: Callable[[str], str] = squash, texts: dict[str, str] | None = None) -> Score:
    """The README's score: whitespace collapsed on both sides (`fold`), substring test. `texts`,
    when given, collects each page's extracted text by url (to score it again another way)."""
    result = Score()
    started = time.perf_counter()
    for url, doc in items:
        if texts is not None and url in texts:
            text = texts[url]
        else:
            text = extractor((data / "html" / doc["file"]).read_bytes(), url) or ""
            if texts is not None:
                texts[url] = text
        text = fold(text) if text else ""
        for segment in doc.get("with", []):
            if text and fold(segment) in text:
                result.tp += 1
            else:
                result.fn += 1
        for segment in doc.get("without", []):
            if text and fold(segment) in text:
                result.fp += 1
            else:
                result.tn += 1
    result.seconds = time.perf_counter() - started
    return result


def without_soft_hyphens(text: str) -> str:
    """Some gold segments keep the soft hyphens (U+00AD) of the page's source ("Über\u00adle\u00adbens"),
    which trafilatura drops and an article text should not carry: 6 `with` segments on 4 pages."""
    return squash(text.replace("\u00ad", ""))


def trafilatura_baseline(html: bytes, url: str) -> str | None:
    import trafilatura

    return trafilatura.extract(html)


def newsflow_article(html: bytes, url: str):
    """The pipeline's Article for a saved page (None when it rejects the page)."""
    from transforms.articles import build_article
    from transforms.records import Article, FeedEntry, Fetched

    # the gold's url key carries a prefix ("hard::site-page.html"): no real URL, as for a saved file
    entry = FeedEntry(feed_url="file:///bench", entry_key=url, url="file:///bench/" + url.split("::")[-1], title=None,
                      published_at=None, content=None, summary=None, author=None)
    page = Fetched(url=entry.url, final_url=entry.url, status=200, content=html, content_type="text/html")
    result = build_article(entry, page)
    return result if isinstance(result, Article) else None


def newsflow_extractor(html: bytes, url: str) -> str | None:
    article = newsflow_article(html, url)
    return article.text if article is not None else None


def metadata_agreement(items: list[tuple[str, dict]], data: Path = DATA) -> str:
    """How often the title and the author match the gold's (casefolded, punctuation-insensitive),
    for newsflow and for trafilatura's own metadata: the pages have no feed, so both come from the page."""
    import trafilatura

    from transforms.clean import normalize_for_match

    counts = {"newsflow": [0, 0], "trafilatura": [0, 0]}  # title, author matches
    titled = authored = 0
    for url, doc in items:
        html = (data / "html" / doc["file"]).read_bytes()
        ours = newsflow_article(html, url)
        theirs = trafilatura.bare_extraction(html, with_metadata=True)
        gold_author = "; ".join(doc["author"]) if isinstance(doc.get("author"), list) else doc.get("author")
        titled += bool(doc.get("title"))
        authored += bool(gold_author)
        for name, found in (("newsflow", ours), ("trafilatura", theirs)):
            for k, (mine, gold) in enumerate(((getattr(found, "title", None), doc.get("title")),
                                              (getattr(found, "author", None), gold_author))):
                counts[name][k] += bool(gold and mine and normalize_for_match(mine) == normalize_for_match(gold))
    return "; ".join(f"{name}: title {t}/{titled}, author {a}/{authored}" for name, (t, a) in counts.items())


def main(sample: int | None = None) -> None:
    items = load_gold()
    if sample:
        items = items[::max(1, len(items) // sample)][:sample]
    base_texts: dict[str, str] = {}
    ours_texts: dict[str, str] = {}
    base = score(trafilatura_baseline, items, texts=base_texts)
    ours = score(newsflow_extractor, items, texts=ours_texts)
    print(f"extraction on {len(items)} pages of {DATA}")
    print(base.line("trafilatura"))
    print(ours.line("newsflow"))
    print(f"delta F1={ours.f1 - base.f1:+.4f} P={ours.precision - base.precision:+.4f} R={ours.recall - base.recall:+.4f}")
    print("soft hyphens (U+00AD) left out of both sides; the README's score is the one above:")
    print(score(trafilatura_baseline, items, fold=without_soft_hyphens, texts=base_texts).line("trafilatura"))
    print(score(newsflow_extractor, items, fold=without_soft_hyphens, texts=ours_texts).line("newsflow"))
    if not sample:  # cleaning rules are written from the even-numbered pages' errors: the odd ones are unseen
        for name, half in (("even pages", items[0::2]), ("odd pages", items[1::2])):
            print(score(newsflow_extractor, half).line(name))
        print("title and author as the gold gives them (exact, casefolded):", metadata_agreement(items))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else None)
