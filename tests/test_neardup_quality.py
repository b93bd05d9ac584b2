"""Near-duplicate quality gate on real article texts (ECB+) with republishers' edits: the numbers
of bench/neardup.py must stay at or above what this repo measured (see the README)."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from bench import neardup
from tests.conftest import shared_data
from transforms import dedup
from warehouse import db as wdb
from warehouse import store

# measured with bench/neardup.py (seed 11); dev chose the thresholds, held-out was not looked at for it
FLOOR = {"dev": (1.0, 0.9918), "held-out": (1.0, 0.9978)}  # (precision, F1)


def test_near_duplicate_quality_on_ecbplus_copies() -> None:
    path = shared_data("stories", "ecbplus-dev.jsonl")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    topics = sorted({r["topic"] for r in rows})
    for name, chosen in (("dev", set(topics[0::2])), ("held-out", set(topics[1::2]))):
        result = neardup.evaluate([r for r in rows if r["topic"] in chosen])
        precision, f1 = FLOOR[name]
        assert result["precision"] >= precision - 1e-9, (name, result)
        assert result["f1"] >= f1 - 0.002, (name, result)


def test_paragraph_moves_and_credit_lines_keep_the_shingles() -> None:
    text = "\n".join(f"Paragraph {i} tells the council's decision on the harbour budget in some detail." for i in range(6))
    paras = text.split("\n")
    moved = "\n".join(paras[3:] + paras[:3])
    assert dedup.shingles(moved) == dedup.shingles(text)
    credited = "(Reuters) -\n" + text
    assert dedup.similarity(dedup.shingles(credited), dedup.shingles(text))[1] == 1.0
    # a copy cut to a third keeps whole paragraphs: a candidate by paragraph key, a copy by containment
    cut = "\n".join(paras[:2])
    assert set(dedup.paragraph_keys(cut)) <= set(dedup.paragraph_keys(text))
    assert dedup.is_near_copy(dedup.shingles(cut), dedup.shingles(text))


def test_keys_of_an_older_scheme_are_rebuilt_from_the_stored_text(db) -> None:
    """Rebuilt chunk by chunk (here 2 articles a chunk), each article gets its own text's keys."""
    from transforms.records import Article
    day = datetime(2024, 1, 1, tzinfo=timezone.utc)
    texts = [f"Article {n} on the {word} harbour plan, one two three four\nsix seven {word}"
             for n, word in enumerate(["dredging", "budget", "ferry", "pier", "quay"])]
    articles = []
    for n, text in enumerate(texts):
        article = Article(article_id=f"a{n}", url=f"https://x.org/{n}", feed_url="f", title="t", text=text,
                          published_at=day, text_source="page")
        article.content_hash, article.band_keys, article.story_id = f"h{n}", [1, 2, 3], f"a{n}"
        articles.append(article)
    with wdb.connect(db) as conn:
        wdb.migrate(conn)
        store.load_batch(conn, articles[:3], [], [], now=day)
        store.load_batch(conn, articles[3:], [], [], now=day)
        assert store.index_version(conn, "article_bands") is None
        assert store.rebuild_band_keys(conn, dedup.KEY_SCHEME, dedup.band_keys_for, chunk=2) == 5
        stored = set(conn.execute("SELECT b.band_key, n.article_id FROM article_bands b"
                                  " JOIN article_numbers n USING (article_no)").fetchall())
        assert stored == {(k, a.article_id) for a, keys in zip(articles, dedup.band_keys_for(texts)) for k in keys}
        assert store.index_version(conn, "article_bands") == dedup.KEY_SCHEME
