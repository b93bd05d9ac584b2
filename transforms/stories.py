"""Online story clustering: a new article joins the most similar story active around its date,
else it starts one. Similarity is TF-IDF cosine over content words blended with entity overlap."""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from transforms.dedup import normalize_text
from transforms.enrich import stop_words

WINDOW = timedelta(days=3)
THRESHOLD = 0.16  # chosen on half of ECB+'s topics (bench/stories.py); the other half reports the score
ENTITY_WEIGHT = 0.30
MAX_MEMBERS = 25  # a story is compared through its most recent members
TOP_TERMS = 30  # with many active stories, a story is scored only if it shares a document's top terms
PRUNE_ABOVE = 200  # active stories; below this every story is scored
_TOKEN = re.compile(r"[^\W\d_]{3,}")


@dataclass(frozen=True, slots=True)
class StoryDoc:
    article_id: str
    text: str
    published_at: datetime
    entity_names: frozenset[str]
    story_id: str | None = None  # known for warehouse members, assigned for the batch
    duplicate_of: str | None = None  # a copy takes its original's story


def _terms(text: str, stops: frozenset[str]) -> Counter[str]:
    return Counter(t for t in _TOKEN.findall(normalize_text(text)) if t not in stops)


def _weights(tf: Counter[str], idf: dict[str, float]) -> dict[str, float]:
    vec = {t: (1 + math.log(c)) * idf[t] for t, c in tf.items()}
    norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
    return {t: v / norm for t, v in vec.items()}


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(t, 0.0) for t, v in a.items())


def _entity_overlap(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def _pair_score(a: StoryDoc, b: StoryDoc, vectors) -> float:
    """Text cosine, blended with entity overlap when both sides have entities."""
    cosine = _cosine(vectors[a.article_id], vectors[b.article_id])
    if not (a.entity_names and b.entity_names):
        return cosine
    return (1 - ENTITY_WEIGHT) * cosine + ENTITY_WEIGHT * _entity_overlap(a.entity_names, b.entity_names)


def assign_stories(batch: list[StoryDoc], members: list[StoryDoc], *, known_stories: dict[str, str] | None = None,
                   window: timedelta = WINDOW, threshold: float = THRESHOLD) -> dict[str, str]:
    """article_id -> story_id for the batch, taken in published order. A new story's id is the
    article_id of its first article. IDF comes from the batch and the candidate members.
    `known_stories` maps stored articles (the originals of the batch's copies) to their story."""
    stops = stop_words()
    docs = members + batch
    tfs = {d.article_id: _terms(d.text, stops) for d in docs}
    df: Counter[str] = Counter()
    for tf in tfs.values():
        df.update(tf.keys())
    n = len(docs)
    idf = {t: math.log((1 + n) / (1 + c)) + 1 for t, c in df.items()}
    vectors = {aid: _weights(tf, idf) for aid, tf in tfs.items()}

    stories: dict[str, list[StoryDoc]] = {}
    by_term: dict[str, set[str]] = {}  # a story is a candidate only if it shares a top term
    for m in sorted(members, key=lambda d: d.published_at):
        stories.setdefault(m.story_id, []).append(m)
        for term in _top_terms(vectors[m.article_id]):
            by_term.setdefault(term, set()).add(m.story_id)
    assigned: dict[str, str] = dict(known_stories or {})
    assigned.update({m.article_id: m.story_id for m in members})
    originals_first = sorted(batch, key=lambda d: (d.duplicate_of is not None, d.published_at))
    for doc in originals_first:
        story = assigned.get(doc.duplicate_of) if doc.duplicate_of else None
        top = _top_terms(vectors[doc.article_id])
        if story is None:
            if len(stories) > PRUNE_ABOVE:  # at scale: only stories sharing a top term are scored
                candidates = set().union(*(by_term.get(t, ()) for t in top))
                story = _best_story(doc, {c: stories[c] for c in candidates}, vectors, window, threshold)
            else:
                story = _best_story(doc, stories, vectors, window, threshold)
        story = story or doc.article_id
        assigned[doc.article_id] = story
        stories.setdefault(story, []).append(
            StoryDoc(doc.article_id, doc.text, doc.published_at, doc.entity_names, story))
        for term in top:
            by_term.setdefault(term, set()).add(story)
    return {doc.article_id: assigned[doc.article_id] for doc in batch}


def _top_terms(vector: dict[str, float], k: int = TOP_TERMS) -> list[str]:
    return sorted(vector, key=vector.__getitem__, reverse=True)[:k]


def _best_story(doc, stories, vectors, window, threshold) -> str | None:
    best, best_score = None, threshold
    for story_id, docs in stories.items():
        active = [m for m in docs if abs(m.published_at - doc.published_at) <= window]
        if not active:
            continue
        recent = active[-MAX_MEMBERS:]
        score = sum(_pair_score(doc, m, vectors) for m in recent) / len(recent)
        if score >= best_score:
            best, best_score = story_id, score
    return best
