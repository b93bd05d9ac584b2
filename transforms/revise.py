"""Stored articles cleaned again: a line becomes its source's boilerplate only once enough articles
of the source carried it, so the first ones were stored with it. When a load makes such a line
learned, those earlier articles lose it too, with everything derived from their text."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from transforms import dedup, enrich, stories
from transforms.boilerplate import fingerprint, learned_cuts
from transforms.dates import find_dates
from transforms.gazetteer import gazetteer
from transforms.records import DateMention, Entity, PlaceMention, Removal


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """What the warehouse holds of an article that carries a newly learned line."""

    article_id: str
    text: str
    language: str | None
    published_at: datetime | None
    entities: list[Entity]
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Revision:
    """A stored article as it would have been stored had the line been learned before it."""

    article_id: str
    text: str
    removals: list[Removal]
    entities: list[Entity]  # the ones outside the cut lines, their offsets moved to the new text
    places: list[PlaceMention]
    dates: list[DateMention]
    keywords: list[str]  # ranked again on the new text, by the warehouse's statistics
    word_count: int
    content_hash: str
    story_terms: Counter[str]
    band_keys: list[int]
    terms_gone: frozenset[str]  # content words only the cut lines had: term_df counts one article less
    names_gone: frozenset[tuple[str, str]]  # (name, label) pairs only the cut lines had: entity_names likewise


def revise_stored(article: StoredArticle, learned: set[int], history: enrich.History,
                  earlier: list[Removal] = ()) -> Revision | None:
    """Cut the article's lines whose fingerprints are `learned` (its source's boilerplate), by the
    same rule as at ingestion (`boilerplate.learned_cuts`: a short learned line alone between the
    article's own lines is a heading and stays). None when nothing is cut, or when everything would
    be: a page that is all boilerplate is a template page, kept whole as at ingestion.
    `earlier`: the article's learned lines cut before (its `learned_boilerplate` removals). With
    their `line_no` they are put back in place to judge the lines beside them, as a batch that had
    learned every line at once would have ("Table of Contents:" cut at ingestion, "- Prologue
    (00:00:00)" learned later right below it: a block, not a heading); without (rows stored before
    removals kept it), the stored text is judged alone.
    `history`: the warehouse's counts of the article's words and names (`enrich.stored_keywords`)."""
    lines = article.text.split("\n")
    placed = _with_earlier(lines, earlier)
    whole, stored = placed or (lines, range(len(lines)))
    cuts = learned_cuts(whole, learned | {fp for r in earlier if (fp := fingerprint(r.text)) is not None})
    cut = [cuts[i] for i in stored]
    numbered = placed is not None or not earlier  # the numbers are those of the text before any learned cut
    if not any(cut) or all(drop or not line.strip() for line, drop in zip(lines, cut)):
        return None
    kept, removed, moves = [], [], []  # moves: (old start, old end, new start) of each kept line
    old = new = 0
    for line, drop, number in zip(lines, cut, stored):
        if drop:
            removed.append(Removal("learned_boilerplate", line, number if numbered else None))
        else:
            moves.append((old, old + len(line), new))
            kept.append(line)
            new += len(line) + 1
        old += len(line) + 1
    text = "\n".join(kept)
    entities = [moved for e in article.entities if (moved := _moved(e, moves)) is not None]
    found = enrich.resolve_places(entities, gazetteer())
    old_terms, new_terms = enrich.content_terms(article.text, article.language), enrich.content_terms(text, article.language)
    return Revision(
        article_id=article.article_id,
        text=text,
        removals=removed,
        entities=entities,
        places=[f.place for f in found],
        dates=find_dates(text, article.published_at),
        keywords=enrich.stored_keywords(text, article.language, entities, found, history, article.title),
        word_count=enrich.count_words(text),
        content_hash=dedup.content_hash(text),
        story_terms=stories.story_terms(text, article.language, article.title),
        band_keys=sorted(set(dedup.band_keys_for([text])[0])),
        terms_gone=frozenset(old_terms.keys() - new_terms.keys()),
        names_gone=frozenset({(e.name, e.label) for e in article.entities} - {(e.name, e.label) for e in entities}),
    )


def _with_earlier(lines: list[str], earlier: list[Removal]) -> tuple[list[str], list[int]] | None:
    """The article's lines with its earlier learned lines back at their `line_no`, and where each
    stored line stands among them; None when there are none, or when a removal has no position or
    the positions do not fit the text."""
    placed = sorted((r.line_no, r.text) for r in earlier if r.line_no is not None)
    numbers = [n for n, _ in placed]
    total = len(lines) + len(placed)
    if not placed or len(placed) < len(earlier) or len(set(numbers)) < len(numbers) or numbers[-1] >= total:
        return None
    whole: list[str | None] = [None] * total
    for number, line in placed:
        whole[number] = line
    stored = [i for i, line in enumerate(whole) if line is None]
    for i, line in zip(stored, lines):
        whole[i] = line
    return whole, stored


def keywords_again(article: StoredArticle, history: enrich.History) -> list[str]:
    """The stored article's keywords ranked again on its unchanged text (a changed tokeniser, new
    counts in `history`), as `enrich.finish` ranks a new article's."""
    found = enrich.resolve_places(article.entities, gazetteer())
    return enrich.stored_keywords(article.text, article.language, article.entities, found, history, article.title)


def _moved(entity: Entity, moves: list[tuple[int, int, int]]) -> Entity | None:
    """The entity at its place in the new text, or None when its span touches a cut line."""
    start, end = _position(entity.start_char, moves), _position(entity.end_char, moves)
    if start is None or end is None or end - start != entity.end_char - entity.start_char:
        return None
    return Entity(entity.name, entity.label, start, end)


def _position(offset: int, moves: list[tuple[int, int, int]]) -> int | None:
    """Where an offset of the old text is in the new one (None: inside a cut line)."""
    for start, end, new in moves:
        if start <= offset <= end:
            return offset - start + new
    return None

