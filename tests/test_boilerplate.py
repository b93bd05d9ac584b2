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


def post(i: int, body: str, host: str = "blog.example.net") -> Article:
    return Article(article_id=str(i), url=f"https://{host}/{i}", feed_url=f"https://{host}/feed", title=None,
                   text=body, published_at=None, text_source="feed_content")


def test_code_repeated_across_a_blogs_posts_is_not_learned() -> None:
    """Real feed (a React blog): `render() {`, `return (`, `<div>` recur in every post's listings."""
    code = ["render() {", "return (", "<div>", "</div>", '"$type": "color",', "files: [", "transformGroup: 'css',",
            "// Do not edit directly, this file was auto-generated.", "$ bundle exec jekyll serve", "$ bundle install"]
    posts = strip_learned([post(i, f"Post {i} explains a component of its own.\n" + "\n".join(code) + f"\nPost {i} ends here.")
                           for i in range(6)], {})
    for p in posts:
        assert all(line in p.text.split("\n") for line in code)
        assert not p.removals


def test_a_recurring_heading_between_the_articles_own_lines_stays() -> None:
    """'Conclusion' and 'Ingredients' head sections of each post; the footer block and the sign-off
    recur too, but next to other recurring lines or at the end: those go."""
    posts = strip_learned([post(i, f"Intro to post {i}, its own words.\nIngredients\n{i} cups of flour and salt.\n"
                                   f"Conclusion\nPost {i} wraps up in its own way.\nHosts\n- Jane Roe - Host\nCheers!")
                           for i in range(5)], {})
    for p in posts:
        lines = p.text.split("\n")
        assert "Ingredients" in lines and "Conclusion" in lines
        assert not {"Hosts", "- Jane Roe - Host", "Cheers!"} & set(lines)
        assert sorted(r.text for r in p.removals) == ["- Jane Roe - Host", "Cheers!", "Hosts"]


def test_a_short_recurring_line_alone_at_the_end_is_a_sign_off() -> None:
    posts = strip_learned([post(i, f"Post {i} has a body of its own.\nH xx") for i in range(5)], {})
    assert all(p.text == f"Post {p.article_id} has a body of its own." for p in posts)


def test_a_stored_article_loses_a_line_learned_after_it_and_its_entities_follow_the_text() -> None:
    from datetime import datetime, timezone

    from transforms import dedup, enrich
    from transforms.records import Entity
    from transforms.revise import StoredArticle, revise_stored

    body = ["Berlin voted on Tuesday.", "Paris waits for the result of March 3, 2024."]
    text = "\n".join([FOOTER + " on Facebook", body[0], body[1]])
    def at(name: str, label: str) -> Entity:
        start = text.index(name)
        return Entity(name, label, start, start + len(name))
    published = datetime(2024, 3, 4, tzinfo=timezone.utc)
    stored = StoredArticle("a1", text, "en", published, [at("Facebook", "ORG"), at("Berlin", "GPE"), at("Paris", "GPE")])
    # the warehouse's counts, this article among them: keywords are ranked as a new article's would be
    df = {"berlin": 3, "voted": 40, "paris": 2, "waits": 7, "result": 900}
    history = enrich.History(documents=1000, term_df=df, labels={"Berlin": {"GPE": 5}, "Paris": {"GPE": 60}})
    revision = revise_stored(stored, {fingerprint(FOOTER + " on Facebook")}, history)
    assert revision.text == "\n".join(body)
    assert [(r.rule, r.text) for r in revision.removals] == [("learned_boilerplate", FOOTER + " on Facebook")]
    assert [(e.name, revision.text[e.start_char:e.end_char]) for e in revision.entities] == [("Berlin", "Berlin"), ("Paris", "Paris")]
    assert {p.place_name for p in revision.places} == {"Berlin", "Paris"}
    assert [(d.text, revision.text[d.start_char:d.start_char + len(d.text)]) for d in revision.dates] == [
        ("on Tuesday", "on Tuesday"), ("March 3, 2024", "March 3, 2024")]
    before = enrich.History(documents=999, term_df={t: n - 1 for t, n in df.items()},
                            labels={"Berlin": {"GPE": 4}, "Paris": {"GPE": 59}})
    fresh = enrich.Analysis("en", 1.0, revision.entities, enrich.content_terms(revision.text, "en"), revision.word_count)
    assert revision.keywords == enrich.finish([fresh], [revision.text], [published], before)[0].keywords
    assert revision.keywords[0] == "Berlin" and "facebook" not in revision.keywords and "voted" in revision.keywords
    assert revision.content_hash == dedup.content_hash("\n".join(body))
    assert revision.band_keys == sorted(set(dedup.band_keys_for(["\n".join(body)])[0]))
    assert {"facebook", "follow", "daily"} <= revision.terms_gone and "berlin" not in revision.terms_gone
    assert revision.names_gone == {("Facebook", "ORG")}
    assert "facebook" not in revision.story_terms and revision.word_count == 13


def test_a_stored_article_that_is_all_learned_lines_or_has_none_is_left_alone() -> None:
    from transforms.revise import StoredArticle, revise_stored

    from transforms.enrich import History

    learned = {fingerprint(FOOTER)}
    assert revise_stored(StoredArticle("a", FOOTER, "en", None, []), learned, History()) is None
    assert revise_stored(StoredArticle("b", "Its own line only.\nAnother.", "en", None, []), learned, History()) is None


def test_a_stored_articles_earlier_cuts_are_put_back_to_judge_a_line_learned_later() -> None:
    """Real feed (a podcast's show notes): "Table of Contents:" was cut at ingestion; "- Prologue
    (00:00:00)", right below it, is learned later. In place it is the block's next line and goes;
    judged on the stored text alone it stands between the episode's own lines like a heading. A
    removal stored without its place (before line_no) leaves the stored text to be judged alone."""
    from transforms.enrich import History
    from transforms.records import Removal
    from transforms.revise import StoredArticle, revise_stored

    original = ["Angelica and Matt talk with a guest about content creation.", "Table of Contents:",
                "- Prologue (00:00:00)", "- Chapter 1: Introducing Ben Bryant (00:02:20)", "Thanks for tuning in!"]
    stored = StoredArticle("e1", "\n".join(original[:1] + original[2:]), "en", None, [])
    learned = {fingerprint("- Prologue (00:00:00)")}
    revision = revise_stored(stored, learned, History(), [Removal("learned_boilerplate", "Table of Contents:", 1)])
    assert revision.text == "\n".join(original[:1] + original[3:])
    assert revision.removals == [Removal("learned_boilerplate", "- Prologue (00:00:00)", 2)]
    assert revise_stored(stored, learned, History(), []) is None  # alone, a heading
    assert revise_stored(stored, learned, History(), [Removal("learned_boilerplate", "Table of Contents:")]) is None


def test_learned_cuts_keep_their_line_numbers_and_old_spooled_removals_still_load() -> None:
    import pickle

    from transforms.records import Removal

    (one,) = strip_learned([art(i) for i in range(5)], {})[:1]
    assert one.removals == [Removal("learned_boilerplate", FOOTER, 2)]
    new = pickle.dumps(Removal("byline", "By X", 4), protocol=2)
    old = new.replace(b"K\x04e", b"e")  # the state without line_no: a batch spooled before it existed
    assert old != new and pickle.loads(old) == Removal("byline", "By X", None)
    assert pickle.loads(new) == Removal("byline", "By X", 4)


def test_a_rule_above_the_learned_closing_block_goes_with_it() -> None:
    """A maker's blog (real feed): every post ends "---" and a block of shop and newsletter links;
    once the block is learned, the rule would be left as the text's last line."""
    posts = strip_learned([post(i, f"Post {i} has a body of its own.\n---\nMore about post {i} here.\n---\n"
                                   "Support the channel: https://shop.example\nJoin the newsletter: https://news.example")
                           for i in range(5)], {})
    for p in posts:
        assert p.text == f"Post {p.article_id} has a body of its own.\n---\nMore about post {p.article_id} here."
