"""Duplicates: exact, near (edited, trimmed, extended), and distinct reports kept apart."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.conftest import SEEDS
from transforms.clean import clean_text
from transforms.dedup import Known, Verdict, band_keys_for, content_hash, find_duplicates, is_near_copy, shingles

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


def test_copy_edited_copy_is_caught_on_two_word_shingles_and_other_reports_are_not() -> None:
    """One word in 12 changed: 4-word shingles fall under the Jaccard bar, 2-word ones keep it."""
    import random

    from transforms.dedup import EDITED_SHINGLE_WORDS
    original = seed("002")
    words = original.split(" ")
    for i in random.Random(4).sample(range(len(words)), len(words) // 12):
        words[i] = words[i][1:] + words[i][0] if len(words[i]) > 3 else words[i] + "x"
    edited = " ".join(words)
    base, pairs = shingles(original), shingles(original, EDITED_SHINGLE_WORDS)
    assert not is_near_copy(base, shingles(edited))  # the 4-word look alone misses it
    assert is_near_copy(base, shingles(edited), lambda: (pairs, shingles(edited, EDITED_SHINGLE_WORDS)))
    for other in ("000", "003", "004"):  # the same event or actors reported again: still not copies
        text = seed(other)
        assert not is_near_copy(base, shingles(text), lambda: (pairs, shingles(text, EDITED_SHINGLE_WORDS))), other


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


def test_an_earlier_report_found_later_takes_the_stored_originals_place() -> None:
    """A stored original R (Jan 5) with its stored copy C (Jan 6); the batch brings the same text
    published Jan 2 (X, matching only the copy's keys) and Jan 7 (Z): X replaces R as the group's
    original, Z copies X. An article dated like R ranks after it (R was ingested first)."""
    a = seed("000")
    edited = a.replace("Pentagon", "US Department of Defense", 1)
    keys = band_keys_for([a, edited])
    r = Known("R", a, content_hash(a), frozenset(), None, (NOW - timedelta(days=5), 0, NOW))
    c = Known("C", edited, content_hash(edited), frozenset(keys[1]), "R", (NOW - timedelta(days=4), 0, NOW),
              root_order=r.order)
    batch = [("Z", a, NOW - timedelta(days=3)), ("X", edited, NOW - timedelta(days=8))]
    verdicts = find_duplicates(batch, [keys[0], keys[1]], [c], now=NOW)
    assert verdicts["X"].supersedes == "R" and verdicts["X"].duplicate_of is None
    assert (verdicts["Z"].duplicate_of, verdicts["Z"].kind) == ("X", "near")
    # without the original's date (an older caller) or dated like it: a copy, as before
    c_alone = Known("C", edited, content_hash(edited), frozenset(keys[1]), "R", c.order)
    assert find_duplicates([("X", edited, NOW - timedelta(days=8))], [keys[1]], [c_alone], now=NOW)["X"].duplicate_of == "R"
    same_day = find_duplicates([("Y", edited, NOW - timedelta(days=5))], [keys[1]], [c], now=NOW)
    assert same_day["Y"] == Verdict("R", "exact")


def test_unrelated_batch_has_no_duplicates() -> None:
    texts = [seed(p) for p in ("000", "002", "003", "004")]
    batch = [(str(i), t, NOW) for i, t in enumerate(texts)]
    assert find_duplicates(batch, band_keys_for(texts), [], now=NOW) == {}


SPONSOR = ("Thanks to Onshape for sponsoring this video! You and your company can try it out for free by going to "
           "https://onshape.pro/maker\nSupport Me on Patreon:\nhttps://patreon.com/maker\nFollow me for more updates "
           "on projects:\nInstagram: www.instagram.com/makeryt/\nGet 10% Off on a Space Mouse:\nCode: maker")


def test_two_videos_of_a_channel_are_not_copies_of_each_other() -> None:
    """Real feed (a YouTube channel): two videos' descriptions are all sponsor and link lines; their
    titles share no word. Same text too (exact hash): still two items."""
    first, second = SPONSOR + "\nProject CAD:\nhttps://cad.example/one", SPONSOR
    titles = ["Building a Real Life Flight Simulator. Pt 3", "I Put Tracks on a OneWheel.. Will it Work?"]
    for a, b in ((first, second), (second, second)):
        batch = [("sim", a, NOW - timedelta(days=1)), ("wheel", b, NOW)]
        keys = band_keys_for([a, b])
        assert find_duplicates(batch, keys, [], now=NOW) != {}  # without titles: alike enough to be a copy
        assert find_duplicates(batch, keys, [], now=NOW, titles=titles) == {}
        stored = Known("sim", a, content_hash(a), frozenset(keys[0]), None, (NOW - timedelta(days=1), 0, NOW), titles[0])
        assert find_duplicates([("wheel", b, NOW)], [keys[1]], [stored], now=NOW, titles=[titles[1]]) == {}


def test_a_short_wire_copy_under_another_headline_is_still_a_copy() -> None:
    text = ("An 18-year-old man ran toward the U.S. Capitol with a loaded shotgun on Tuesday before police arrested "
            "him without incident, said U.S. Capitol Police Chief Michael Sullivan.")
    copy = text.replace("U.S.", "US")
    titles = ["Man arrested after running toward US Capitol with a shotgun", "18-year-old held near Capitol"]
    verdicts = find_duplicates([("wire", text, NOW - timedelta(hours=2)), ("copy", copy, NOW)], band_keys_for([text, copy]),
                               [], now=NOW, titles=titles)
    assert verdicts["copy"].duplicate_of == "wire"
