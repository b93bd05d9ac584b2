"""Duplicates: exact, near (edited, trimmed, extended), and distinct reports kept apart."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.conftest import SEEDS
from transforms.clean import clean_text
from transforms.dedup import Known, band_keys_for, content_hash, find_duplicates, is_near_copy, shingles

NOW = datetime(2024, 1, 10, tzinfo=timezone.utc)


def seed(prefix: str) -> str:
    return clean_text(next(SEEDS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")).text


def test_typographic_and_whitespace_variants_hash_alike() -> None:
    assert content_hash("It’s “here”.\nNext  line") == content_hash("It's \"here\". Next line")


def test_near_copy_edits_are_copies_and_other_reports_are_not() -> None:
    original = seed("002")
    paragraphs = original.split("\n")
    edits = {
        "credit line added": "Reporting by Example Wire\n" + original,
        "paragraph appended": original + "\nThe embassy declined to comment on the report when asked on Monday.",
        "tail trimmed": "\n".join(paragraphs[: int(len(paragraphs) * 0.7)]),
        "paragraphs swapped": "\n".join([paragraphs[1], paragraphs[0], *paragraphs[2:]]),
    }
    base = shingles(original)
    for name, text in edits.items():
        assert is_near_copy(base, shingles(text)), name
    for other in ("000", "003", "004"):  # same actors, same or other event: not copies
        assert not is_near_copy(base, shingles(seed(other))), other


def test_batch_copy_points_at_earliest_and_history_is_searched() -> None:
    a, b = seed("000"), seed("001")
    keys = band_keys_for([a, b])
    verdicts = find_duplicates([("later", a, NOW), ("earlier", b, NOW - timedelta(days=1))], keys, [], now=NOW)
    assert verdicts == {"later": verdicts["later"]} and verdicts["later"].duplicate_of == "earlier"
    assert verdicts["later"].kind == "exact"

    stored = Known("stored", a, content_hash(a), frozenset(keys[0]), None, (NOW - timedelta(days=5), 0, NOW))
    edited = a.replace("Pentagon", "US Department of Defense", 1)
    verdicts = find_duplicates([("new", edited, NOW)], band_keys_for([edited]), [stored], now=NOW)
    assert verdicts["new"].duplicate_of == "stored" and verdicts["new"].kind == "near"


def test_unrelated_batch_has_no_duplicates() -> None:
    texts = [seed(p) for p in ("000", "002", "003", "004")]
    batch = [(str(i), t, NOW) for i, t in enumerate(texts)]
    assert find_duplicates(batch, band_keys_for(texts), [], now=NOW) == {}
