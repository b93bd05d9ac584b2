"""Boilerplate learned per source, from stored counts and the batch itself."""
from __future__ import annotations

from transforms.boilerplate import article_fingerprints, fingerprint, source_of, strip_learned
from transforms.records import Article

FOOTER = "Follow Example Daily for more local stories"


def art(i: int, host: str = "www.example.org", footer: str = FOOTER) -> Article:
    text = f"Story {i} begins with its own first sentence about topic {i}.\nA second line unique to story {i}.\n{footer}"
    return Article(article_id=str(i), url=f"https://{host}/{i}", feed_url=f"https://{host}/feed", title=None,
                   text=text, published_at=None, text_source="feed_content")


def test_line_repeated_across_a_sources_articles_is_cut_and_audited() -> None:
    batch = strip_learned([art(i) for i in range(5)], {})
    for a in batch:
        assert FOOTER not in a.text and a.text.startswith("Story")
        assert [r.rule for r in a.removals] == ["learned_boilerplate"]
        assert fingerprint(FOOTER) in a.line_fingerprints  # still counted for the warehouse


def test_below_threshold_or_other_source_is_kept() -> None:
    few = strip_learned([art(i) for i in range(4)], {})
    assert all(FOOTER in a.text for a in few)
    mixed = strip_learned([art(i) for i in range(3)] + [art(9, host="other.org")], {})
    assert all(FOOTER in a.text for a in mixed)


def test_stored_counts_teach_a_single_new_article() -> None:
    stored = {("example.org", fingerprint(FOOTER)): 12}
    (one,) = strip_learned([art(1)], stored)
    assert FOOTER not in one.text
    assert source_of(one) == "example.org"


def test_long_paragraphs_are_never_learned() -> None:
    long = " ".join(["word"] * 60)
    assert fingerprint(long) is None
    assert article_fingerprints(art(1, footer=long)).get(fingerprint(long)) is None


def test_a_batch_not_yet_loaded_counts_as_stored() -> None:
    """The flow strips a batch while the one before it is still on its way to the warehouse."""
    earlier = strip_learned([art(i) for i in range(3)], {})
    assert all(FOOTER in a.text for a in earlier)
    later = strip_learned([art(i) for i in range(3, 5)], {}, unloaded=earlier)
    assert all(FOOTER not in a.text for a in later)
