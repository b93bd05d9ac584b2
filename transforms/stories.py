"""Online story clustering: a new article joins the most similar story active around its date,
else it starts one. Similarity is TF-IDF cosine over content words blended with entity overlap;
the overlap counts in full only where the texts share words (cosine >= ENTITY_GATE), so two
short items that name one country and nothing else in common are not one story.

The rule, per article of the batch in published order: a story's score is the mean pair score
between the article and the story's most recent MAX_MEMBERS members published within WINDOW of
it, blended half and half with the mean of the TOP_MEMBERS best of those; the best story at or
above THRESHOLD wins (ties: the story seen last). The scoring runs in matrices: the batch's
similarities to every candidate member are one sparse product, and the per-story means bincounts
over the stories that have a member at the threshold (no other can reach it), so tens of
thousands of active members cost well under a second. Assignments stay sequential: an article
sees the batch articles placed before it."""
from __future__ import annotations

import unicodedata
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Callable, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import regex
from scipy import sparse

from transforms.clean import unspaced_terms
from transforms.enrich import TERM, stop_words, with_title

WINDOW = timedelta(days=3)
MAX_WINDOW = timedelta(days=30)  # the longest window a feed list may set
THRESHOLD = 0.16  # chosen on half of ECB+'s topics (bench/stories.py); the other half reports the score
ENTITY_WEIGHT = 0.30
ENTITY_GATE = 0.125  # below this cosine the entity overlap counts in proportion (0.10 until headlines counted: README)
MAX_MEMBERS = 25  # a story is compared through its most recent members
TOP_MEMBERS = 5  # ... and through the best-matching of them: a long story's later reports match a
TOP_SHARE = 0.5  # few members closely, the rest loosely (ECB+ held-out .783 -> .792; real news .639 -> .681)
TERMS_SCHEME = 4  # bump when story_terms changes: stored term counts of another scheme are not read
# (2: the article's own language's stop words go too; migration 0012 re-marks the English rows;
# 3: Chinese and Japanese give words, not clauses; migration 0014 re-marks the other languages' rows;
# 4: the title's words count too, Latin letters lose their accents; migration 0015 re-marks the
# rows of articles with neither a title nor an accent)
CHUNK = 128  # batch articles whose similarity rows are materialised at once (CHUNK x members floats)
PREFETCH = 2  # chunks of products computed ahead, in threads
READ_BUDGET = 20_000  # stored originals one run of a batch may read (a dense warehouse's week; see runs)
_LATIN_MARKS = regex.compile(r"(?<=\p{Latin})\p{Mn}+")  # accents on Latin letters (a vowel sign of Hindi stays)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True, slots=True)
class StoryPolicy:
    """How stories are formed (the feed list's optional [stories] table)."""

    window: timedelta = WINDOW  # a story takes articles published within this of its members
    threshold: float = THRESHOLD  # the score an article needs to join a story


@dataclass(frozen=True, slots=True)
class StoryDoc:
    article_id: str
    text: str
    published_at: datetime
    entity_names: frozenset[str]
    story_id: str | None = None  # known for warehouse members, assigned for the batch
    duplicate_of: str | None = None  # a copy takes its original's story
    terms: Counter[str] | None = None  # story_terms(text, language, title), when already counted
    language: str | None = None  # the text's language (its stop words are not compared)
    title: str | None = None  # the headline: its words count with the text's


def as_strings(terms: dict[str, int]) -> tuple[str, str]:
    """Term counts as stored: terms and counts, space-separated (strings: DuckDB reads them about
    8x faster than lists of strings)."""
    return " ".join(terms), " ".join(map(str, terms.values()))


def story_terms(text: str, language: str | None = None, title: str | None = None) -> Counter[str]:
    """Content words (3+ letters, not stop words) of the title and the normalised text, counted:
    what stories compare. Stored per article at load (table story_terms) so members are not
    re-tokenised.
    The headline names the event in a few words, and the cleaned text no longer holds it (a headline
    repeated in the text is cut): a feed's one-sentence summary often shares no word with another
    outlet's summary of the same event ("Peru's Congress removes interim President Jerí" / "Peru
    ousts interim president over corruption probe"). Accents on Latin letters go: outlets write one
    name with and without them ("Orbán"/"Orban", "José Jerí"/"Jose Jeri"). On the labelled
    summaries of the real news feeds (bench/stories.py), pairwise F1 at the threshold: .448 on the
    text alone, .623 with the title, .639 with accents folded too (ECB+ unchanged; by the mean-only
    story score of the time).
    Stop words: English's and the text's language's. Left in, function words make any two texts
    of one language alike ("und", "der", "die"; "que", "para"): on the 300 labelled pages
    (shared/data/extraction), unrelated German pages had a median cosine of .060 with English stop
    words only, and 84 of 19,701 pairs reached the story threshold; with German's, .011 and 4."""
    stops = _stops(language or "en")
    text = with_title(text, title)
    # NFKC and casefolded, as dedup.normalize_text, but vowel signs and other marks of non-Latin
    # scripts stay in their words
    text, words, pairs = unspaced_terms(_fold_accents(unicodedata.normalize("NFKC", text).casefold()))
    return Counter([t for t in TERM.findall(text) if t not in stops] + [t for t in words + pairs if t not in stops])


@lru_cache(maxsize=64)
def _stops(language: str) -> frozenset[str]:
    words = stop_words() | stop_words(language)
    return words | {_fold_accents(w) for w in words}  # "für" is "fur" once folded


def _fold_accents(text: str) -> str:
    """Latin letters without their accents ("orbán" -> "orban"); other scripts' marks stay."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFC", _LATIN_MARKS.sub("", unicodedata.normalize("NFD", text)))


@dataclass(frozen=True)
class Members:
    """Stories' members, columnar: `docs` carry ids, dates, entities and stories (their text is not
    needed), `terms`/`counts` their term counts, row for row, as Arrow lists."""
    docs: list[StoryDoc]
    terms: pa.ListArray
    counts: pa.ListArray
    TERMS: ClassVar[pa.DataType] = pa.list_(pa.string())
    COUNTS: ClassVar[pa.DataType] = pa.list_(pa.int32())

    @classmethod
    def of(cls, docs: list[StoryDoc]) -> Members:
        tfs = [d.terms if d.terms is not None else story_terms(d.text, d.language, d.title) for d in docs]
        return cls(docs, pa.array([list(tf) for tf in tfs], cls.TERMS), pa.array([list(tf.values()) for tf in tfs], cls.COUNTS))

    @classmethod
    def from_strings(cls, docs: list[StoryDoc], terms: pa.Array, counts: pa.Array) -> Members:
        """Rows as stored (`as_strings`): space-separated terms and their counts."""
        words = pc.split_pattern(terms, " ")
        keep = pc.not_equal(words.flatten(), "")  # "" splits into [""]: an article without terms
        lengths = pc.subtract(pc.list_value_length(words), pc.cast(pc.equal(terms, ""), pa.int32()))
        offsets = pa.array(np.concatenate([[0], np.cumsum(lengths.to_numpy(zero_copy_only=False))]), pa.int32())
        values = pc.cast(pc.split_pattern(counts, " ").flatten().filter(keep), pa.int32())
        return cls(docs, pa.ListArray.from_arrays(offsets, words.flatten().filter(keep)),
                   pa.ListArray.from_arrays(offsets, values))

    def take(self, rows) -> Members:
        rows = np.asarray(rows, dtype=np.int64)
        return Members([self.docs[i] for i in rows], self.terms.take(rows), self.counts.take(rows))

    def __add__(self, other: Members) -> Members:
        return Members(self.docs + other.docs, pa.concat_arrays([self.terms, other.terms]),
                       pa.concat_arrays([self.counts, other.counts]))


def _tfidf(rows: Members) -> sparse.csr_matrix:
    """Rows: L2-normalised (1 + log tf) * idf, idf = log((1 + n) / (1 + df)) + 1 over these docs,
    computed in float64 and stored in float32 (see vectorize). Built from its parts: a row's terms
    are distinct, so the matrix needs no summing of duplicates (scipy's astype would sort every
    row's indices for that: a third of the time on 16,000 members)."""
    lengths = pc.list_value_length(rows.terms).to_numpy(zero_copy_only=False)
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    words = pc.dictionary_encode(rows.terms.flatten())
    cols = words.indices.to_numpy(zero_copy_only=False).astype(np.int32)
    counts = rows.counts.flatten().to_numpy(zero_copy_only=False).astype(np.float64)
    n, vocab = len(rows.docs), len(words.dictionary)
    idf = np.log((1 + n) / (1 + np.bincount(cols, minlength=vocab))) + 1
    data = (1 + np.log(counts)) * idf[cols]
    norms = np.sqrt(np.bincount(np.repeat(np.arange(n), lengths), weights=data * data, minlength=n))
    norms[norms == 0] = 1.0
    data /= np.repeat(norms, lengths)
    return sparse.csr_matrix((data.astype(np.float32), cols, indptr), shape=(n, vocab))


def _incidence(docs: list[StoryDoc]) -> sparse.csr_matrix:
    """Rows: which entity names each doc has (0/1)."""
    names: dict[str, int] = {}
    indices = [names.setdefault(n, len(names)) for d in docs for n in d.entity_names]
    indptr = np.cumsum([0] + [len(d.entity_names) for d in docs])
    return sparse.csr_matrix((np.ones(len(indices)), np.asarray(indices, dtype=np.int64), indptr),
                             shape=(len(docs), max(len(names), 1)))


def _micros(when: datetime) -> int:
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return (when - _EPOCH) // timedelta(microseconds=1)


@dataclass(frozen=True)
class Vectors:
    """Stories' members and a batch as the scoring reads them, before the batch's copies are known
    (so this can be built while the duplicate search runs). Rows: the members in date order, then
    the batch in its given order."""
    members: Members
    batch_ids: list[str]
    tfidf: sparse.csr_matrix  # float32 (see vectorize)
    entities: sparse.csr_matrix
    when: np.ndarray  # microseconds since the epoch


def vectorize(batch: list[StoryDoc], members: list[StoryDoc] | Members) -> Vectors:
    """TF-IDF rows (IDF over the members and the batch) and entity incidence, for `assign_stories`.
    TF-IDF in float32: the similarity products are dense on a shared vocabulary; single precision
    halves their memory traffic (scores differ from float64 by ~1e-7, far below any threshold's grain)."""
    if not isinstance(members, Members):
        members = Members.of(members)
    dates = [d.published_at for d in members.docs]
    if any(later < earlier for earlier, later in zip(dates, dates[1:])):  # as stored they come in date order
        members = members.take(sorted(range(len(dates)), key=dates.__getitem__))
    rows = members + Members.of(batch)
    return Vectors(members, [d.article_id for d in batch], _tfidf(rows), _incidence(rows.docs),
                   np.array([_micros(d.published_at) for d in rows.docs], dtype=np.int64))


def runs(dates: list[datetime], window: timedelta, stored: Callable[[datetime, datetime], int] | None = None,
         budget: int | None = None) -> list[list[int]]:
    """Indices of `dates` in date order, cut into runs that are assigned one at a time, each from the
    stored members within reach of it (and the batch's articles placed before it). A run takes the
    next date while that is within 2 x window of its first one, or while the stored originals within
    reach of the run stay within `budget` (default READ_BUDGET; `stored(start, end)` counts them): a
    batch holding a feed's archive reads the weeks around its dates a run at a time on a large
    warehouse, never the years between its oldest and newest date at once; on a small one it stays
    one run."""
    budget = READ_BUDGET if budget is None else budget
    order = sorted(range(len(dates)), key=dates.__getitem__)
    cut: list[list[int]] = []
    for i in order:
        if cut:
            first = dates[cut[-1][0]]
            if dates[i] - first <= 2 * window or (stored is not None and stored(first - window, dates[i] + window) <= budget):
                cut[-1].append(i)
                continue
        cut.append([i])
    return cut


def assign_stories(batch: list[StoryDoc], members: list[StoryDoc] | Members, *,
                   known_stories: dict[str, str] | None = None, window: timedelta = WINDOW,
                   threshold: float = THRESHOLD, vectors: Vectors | None = None) -> dict[str, str]:
    """article_id -> story_id for the batch, taken in published order. A new story's id is the
    article_id of its first article. IDF comes from the batch and the candidate members.
    `known_stories` maps stored articles (the originals of the batch's copies) to their story.
    `vectors`: `vectorize(batch, members)` done beforehand (the batch's docs may have gained their
    `duplicate_of` since; `members` is then not read again)."""
    if not batch:
        return {}
    if vectors is None:
        vectors = vectorize(batch, members)
    if vectors.batch_ids != [d.article_id for d in batch]:
        raise ValueError("vectors were built for another batch")
    members, first = vectors.members, len(vectors.members.docs)
    # the batch in published order, copies last; a story's entries in this order are its members by recency
    order = sorted(range(len(batch)), key=lambda j: (batch[j].duplicate_of is not None, batch[j].published_at))
    rows = np.concatenate((np.arange(first), first + np.asarray(order, dtype=np.int64)))
    docs = members.docs + [batch[j] for j in order]
    tfidf, entities, when = vectors.tfidf[rows], vectors.entities[rows], vectors.when[rows]
    sizes = np.diff(entities.indptr).astype(np.float64)
    reach = window // timedelta(microseconds=1)
    member_when = when[:first]  # ascending: members are taken in date order

    story_ids: list[str] = []  # story index -> id, in order of first appearance
    index: dict[str, int] = {}

    def story_index(story_id: str) -> int:
        if story_id not in index:
            index[story_id] = len(story_ids)
            story_ids.append(story_id)
        return index[story_id]

    entry_story = np.full(len(docs), -1, dtype=np.int64)  # -1: a batch article not placed yet
    entry_story[:first] = [story_index(m.story_id) for m in members.docs]
    assigned: dict[str, str] = dict(known_stories or {})
    assigned.update({m.article_id: m.story_id for m in members.docs})
    tfidf_t, entities_t = tfidf.T.tocsr(), entities.T.tocsr()
    named = sizes > 0
    cosine_share = np.where(named, 1 - ENTITY_WEIGHT, 1.0).astype(np.float32)  # of a pair where both name entities

    def assign_part(part: slice, scores: np.ndarray) -> None:
        for offset, i in enumerate(range(part.start, part.stop)):
            doc = docs[i]
            story = assigned.get(doc.duplicate_of) if doc.duplicate_of else None
            if story is None:
                # active rows: the members dated within reach (a range: they are in date order) and
                # the batch articles placed before this one that are dated within reach
                lo = np.searchsorted(member_when, when[i] - reach, side="left")
                hi = np.searchsorted(member_when, when[i] + reach, side="right")
                near = np.abs(when[first:i] - when[i]) <= reach
                story = _best_story(np.concatenate((scores[offset][lo:hi], scores[offset][first:i][near])),
                                    np.concatenate((entry_story[lo:hi], entry_story[first:i][near])),
                                    len(story_ids), threshold)
                story = story_ids[story] if story is not None else doc.article_id
            assigned[doc.article_id] = story
            entry_story[i] = story_index(story)

    def products(part: slice) -> np.ndarray:
        """The part's pair scores against every row: the cosine, blended with the entity overlap
        (Jaccard, gated by the cosine) where both sides name entities. The overlap is sparse: only
        pairs that share a name get a Jaccard term, the others with names keep 1 - ENTITY_WEIGHT."""
        scores = (tfidf[part] @ tfidf_t).toarray()
        shared = (entities[part] @ entities_t).tocoo()
        r, c = shared.row, shared.col
        cosine = scores[r, c]  # a copy, taken before the blend
        scores[named[part]] *= cosine_share
        jaccard = shared.data / (sizes[part][r] + sizes[c] - shared.data) * np.minimum(1.0, cosine / ENTITY_GATE)
        scores[r, c] += ENTITY_WEIGHT * jaccard
        return scores

    # The products do not depend on the assignments: the next chunks' are computed in threads
    # (scipy's sparse kernels let go of the GIL) while this thread assigns the current chunk;
    # at most PREFETCH chunks are held at once.
    parts = [slice(start, min(start + CHUNK, len(docs))) for start in range(first, len(docs), CHUNK)]
    with ThreadPoolExecutor(PREFETCH, thread_name_prefix="story-products") as pool:
        pending = deque(pool.submit(products, part) for part in parts[:PREFETCH])
        for number, part in enumerate(parts):
            scores = pending.popleft().result()
            if number + PREFETCH < len(parts):
                pending.append(pool.submit(products, parts[number + PREFETCH]))
            assign_part(part, scores)
    return {doc.article_id: assigned[doc.article_id] for doc in batch}


def _best_story(scores: np.ndarray, story: np.ndarray, n_stories: int, threshold: float) -> int | None:
    """The best story's index, by its score: the mean over its most recent active members, blended
    half and half with the mean of the TOP_MEMBERS best of them. `scores` and `story`: the active
    rows, in order (members by date, then the batch as placed). Only a story with a member scoring
    at least `threshold` can reach it (no mean exceeds its best member), so only those are scored."""
    hot = np.zeros(n_stories, dtype=bool)
    hot[story[scores >= threshold]] = True
    rows = np.flatnonzero(hot[story])
    if not rows.size:
        return None
    ids, owner = np.unique(story[rows], return_inverse=True)  # the hot stories, numbered in index order
    counts = np.bincount(owner, minlength=ids.size)
    for crowded in np.flatnonzero(counts > MAX_MEMBERS):
        keep = np.ones(rows.size, dtype=bool)  # only the most recent MAX_MEMBERS count
        keep[np.flatnonzero(owner == crowded)[:-MAX_MEMBERS]] = False
        rows, owner = rows[keep], owner[keep]
    values = scores[rows].astype(np.float64)
    counts = np.bincount(owner, minlength=ids.size)
    means = np.bincount(owner, weights=values, minlength=ids.size) / counts
    order = np.lexsort((-values, owner))  # each story's rows, best first
    ranked, best_first = owner[order], values[order]
    starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])
    top = np.arange(ranked.size) - np.repeat(starts, np.diff(np.r_[starts, ranked.size])) < TOP_MEMBERS
    tops = np.bincount(ranked[top], weights=best_first[top], minlength=ids.size) / np.minimum(counts, TOP_MEMBERS)
    blended = TOP_SHARE * tops + (1 - TOP_SHARE) * means
    best = blended.max()
    if best < threshold:
        return None
    return int(ids[np.flatnonzero(blended == best)[-1]])
