"""Exact and near-duplicate detection: a hash of normalised text, MinHash-LSH band keys for
candidates (stored in the warehouse, so history is searched with a join), verified on shingles."""
from __future__ import annotations

import hashlib
import re
import struct
import unicodedata
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from datasketch import MinHash

SHINGLE_WORDS = 4
# Every stored article keeps BANDS + one key per long paragraph, and each batch scans them all (the
# band-key join): 20 bands (was 32) cut a real page's keys from 47 to 35 on average (300 pages of
# shared/data/extraction). The bands matter only for copies that share no whole paragraph: 27 of
# 4,389 verifiable copies of bench.neardup (6 edit seeds), all with Jaccard >= 0.57; expected
# missed candidates 0.40 of the 4,389 (32 bands: 0.08). Paragraph keys stay uncapped in practice:
# keeping 8 would lose a third of 3-paragraph excerpts.
NUM_PERM = 80
BANDS = 20
ROWS = NUM_PERM // BANDS  # 4 rows a band: pairs with Jaccard >= ~0.45 become candidates
JACCARD_MIN = 0.80
CONTAINMENT_MIN = 0.90  # a trimmed copy, or one with a paragraph added, is still a copy...
LENGTH_RATIO_MIN = 0.50  # ...as long as one is at least half the other,
CONTAINED_SHINGLES_MIN = 15  # or the contained text is long enough to be more than a phrase
# Copy-edits: each changed word breaks 4 four-word shingles but only 2 two-word ones, so a lightly
# edited copy that falls under JACCARD_MIN on 4-word shingles is checked again on 2-word shingles.
EDITED_SHINGLE_WORDS = 2
EDITED_JACCARD_MIN = 0.65  # chosen on dev topics (0.60 and 0.65 tie there); same-event reports reach 0.57
PARAGRAPH_KEY_WORDS = 12
MAX_PARAGRAPH_KEYS = 64
KEY_SCHEME = 3  # bump when shingles or keys change: stored keys are rebuilt from the stored text
_SEED = 1
SHORT_TEXT_WORDS = 80  # below this, a text can be all boilerplate: a video's sponsor and link lines
_TITLE_WORD = re.compile(r"[^\W\d_]{3,}")

_QUOTES = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "–": "-", "—": "-"})
_NON_WORD = re.compile(r"[^\w\s]")


def normalize_text(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).casefold()
    return " ".join(_NON_WORD.sub(" ", text).split())


def content_hash(text: str) -> str:
    return hashlib.sha256(normalize_text(text).encode()).hexdigest()[:32]


def _paragraph_words(text: str) -> list[list[str]]:
    """Each non-empty paragraph, normalised and split into words."""
    return [words for words in (normalize_text(p).split() for p in text.split("\n")) if words]


def shingles(text: str, k: int = SHINGLE_WORDS, *, paragraphs: list[list[str]] | None = None) -> set[bytes]:
    """k-word shingles within each paragraph (a paragraph shorter than k is one shingle). They
    never span a paragraph break, so a copy with its paragraphs moved, a credit line added or a
    paragraph cut differs only by the paragraphs it changed."""
    out: set[bytes] = set()
    for words in paragraphs if paragraphs is not None else _paragraph_words(text):
        if len(words) < k:
            out.add(" ".join(words).encode())
        else:
            out.update(" ".join(words[i : i + k]).encode() for i in range(len(words) - k + 1))
    return out


def paragraph_keys(text: str, *, paragraphs: list[list[str]] | None = None) -> list[int]:
    """One key per long paragraph (normalised): a trimmed copy, or one with paragraphs added,
    keeps whole paragraphs even when its Jaccard similarity is too low for the MinHash bands."""
    keys = set()
    for words in paragraphs if paragraphs is not None else _paragraph_words(text):
        if len(words) >= PARAGRAPH_KEY_WORDS:
            digest = hashlib.blake2b(" ".join(words).encode(), digest_size=8, person=b"paragraph").digest()
            keys.add(struct.unpack("<q", digest)[0])
    return sorted(keys)[:MAX_PARAGRAPH_KEYS]


def band_keys_for(texts: list[str]) -> list[list[int]]:
    """Candidate keys (signed 64-bit) per text: MinHash-LSH band keys plus paragraph keys; a key
    shared with another text makes a candidate pair, verified on shingles."""
    return keys_and_shingles(texts)[0]


def keys_and_shingles(texts: list[str]) -> tuple[list[list[int]], list[set[bytes]]]:
    """`band_keys_for` and each text's shingles (which `find_duplicates` verifies pairs on)."""
    paragraphs = [_paragraph_words(t) for t in texts]  # normalised once, for shingles and paragraph keys
    sets = [shingles(t, paragraphs=p) for t, p in zip(texts, paragraphs)]
    minhashes = MinHash.bulk([s or {b""} for s in sets], num_perm=NUM_PERM, seed=_SEED)
    keys = []
    for mh in minhashes:
        values = np.asarray(mh.hashvalues, dtype=np.uint64)
        row = []
        for band in range(BANDS):
            digest = hashlib.blake2b(values[band * ROWS : (band + 1) * ROWS].tobytes(), digest_size=8,
                                     person=struct.pack("<Q", band)).digest()
            row.append(struct.unpack("<q", digest)[0])
        keys.append(row)
    for row, text, p in zip(keys, texts, paragraphs):
        row.extend(paragraph_keys(text, paragraphs=p))
    return keys, sets


def similarity(a: set[bytes], b: set[bytes]) -> tuple[float, float, float]:
    """(Jaccard, containment of the smaller in the larger, length ratio)."""
    if not a or not b:
        return 0.0, 0.0, 0.0
    inter = len(a & b)
    small, large = sorted((len(a), len(b)))
    return inter / (len(a) + len(b) - inter), inter / small, small / large


def is_near_copy(a: set[bytes], b: set[bytes], pairs=None) -> bool:
    """On 4-word shingles `a`, `b`; `pairs()`, when given, returns both texts' 2-word shingles for a
    second look at a pair that 4-word shingles reject (copy-edits)."""
    jaccard, containment, ratio = similarity(a, b)
    if jaccard >= JACCARD_MIN or (containment >= CONTAINMENT_MIN and (
            ratio >= LENGTH_RATIO_MIN or min(len(a), len(b)) >= CONTAINED_SHINGLES_MIN)):
        return True
    return pairs is not None and similarity(*pairs())[0] >= EDITED_JACCARD_MIN


@dataclass(frozen=True, slots=True)
class Known:
    """An article already in the warehouse that may be copied by the batch."""

    article_id: str
    text: str
    content_hash: str
    band_keys: frozenset[int]  # for a stored article: the keys it shares with the batch
    duplicate_of: str | None
    order: tuple  # (published_at, ingestion order): earliest first
    title: str | None = None
    root_order: tuple | None = None  # for a stored copy: its original's `order`


@dataclass(frozen=True, slots=True)
class Verdict:
    """A batch article copies `duplicate_of` (`kind`: exact | near); or, published before every
    stored article of its group, it is the group's original now, in place of `supersedes`."""

    duplicate_of: str | None
    kind: str | None
    supersedes: str | None = None


def title_words(title: str | None) -> frozenset[str]:
    return frozenset(_TITLE_WORD.findall(normalize_text(title or "")))


def different_items(text: str, title: str | None, other: Known) -> bool:
    """Two short texts alike only in what their site puts around everything (two videos of one
    channel, their descriptions all sponsor and link lines) whose titles share no word of three
    letters or more are two items, not a copy. A republished copy keeps words of its headline."""
    if min(len(text.split()), len(other.text.split())) >= SHORT_TEXT_WORDS:
        return False
    mine, theirs = title_words(title), title_words(other.title)
    return bool(mine) and bool(theirs) and not mine & theirs


def find_duplicates(
    batch: list[tuple[str, str, datetime | None]],
    batch_keys: list[list[int]],
    known: list[Known],
    *,
    now: datetime,
    batch_shingles: list[set[bytes]] | None = None,
    titles: list[str | None] | None = None,
) -> dict[str, Verdict]:
    """Batch items (article_id, text, published_at) in arrival order -> verdicts for the copies.

    A copy points at its group's root: the earliest article by published_at, then ingestion.
    Known articles rank before the batch at equal dates (they were ingested first). A batch article
    published before its group's stored root takes the root's place (a `supersedes` verdict): the
    load points the stored group at it.
    `batch_shingles`: the batch's shingles when already computed (`keys_and_shingles`).
    `titles`: the batch's titles, row for row (see `different_items`).
    """
    pool: list[Known] = list(known)
    orders = {k.duplicate_of: k.root_order for k in known if k.duplicate_of and k.root_order is not None}
    orders.update((k.article_id, k.order) for k in known)
    stored = {k.article_id for k in known} | {k.duplicate_of for k in known if k.duplicate_of}
    moved: dict[str, str] = {}  # a stored root -> the batch article that took its place
    by_hash: dict[str, Known] = {}
    for item in sorted(pool, key=lambda k: k.order):
        by_hash.setdefault(item.content_hash, item)
    by_key: dict[int, list[Known]] = {}  # candidate key -> the pool's articles that have it
    for item in pool:
        for key in item.band_keys:
            by_key.setdefault(key, []).append(item)
    verdicts: dict[str, Verdict] = {}
    shingle_cache: dict[str, set[bytes]] = {}
    if batch_shingles is not None:
        shingle_cache.update((item[0], sets) for item, sets in zip(batch, batch_shingles))

    def shingles_of(item_id: str, text: str) -> set[bytes]:
        if item_id not in shingle_cache:
            shingle_cache[item_id] = shingles(text)
        return shingle_cache[item_id]

    pair_cache: dict[str, set[bytes]] = {}  # 2-word shingles, only for pairs 4-word shingles reject

    def pairs_of(item_id: str, text: str) -> set[bytes]:
        if item_id not in pair_cache:
            pair_cache[item_id] = shingles(text, EDITED_SHINGLE_WORDS)
        return pair_cache[item_id]

    order = sorted(range(len(batch)), key=lambda i: (batch[i][2] or now, i))
    for rank, i in enumerate(order):
        article_id, text, published = batch[i]
        title = titles[i] if titles else None
        digest = content_hash(text)
        keys = frozenset(batch_keys[i])
        me = Known(article_id, text, digest, keys, None, (published or now, 1, rank), title)
        match = by_hash.get(digest)
        if match is not None and different_items(text, title, match):
            match = None
        kind = "exact"
        if match is None:
            mine = shingles_of(article_id, text)
            sharing = {id(k): k for key in keys for k in by_key.get(key, ())}.values()
            near = [k for k in sharing if is_near_copy(  # verified copies only, then their titles
                mine, shingles_of(k.article_id, k.text),
                lambda k=k: (pairs_of(article_id, text), pairs_of(k.article_id, k.text)))
                and not different_items(text, title, k)]
            match = min(near, key=lambda k: k.order) if near else None
            kind = "exact" if match is not None and match.content_hash == digest else "near"
        if match is not None:
            root = match.duplicate_of or match.article_id
            root = moved.get(root, root)
            if root in stored and root in orders and me.order < orders[root]:
                moved[root] = article_id
                verdicts[article_id] = Verdict(None, None, supersedes=root)
            else:
                verdicts[article_id] = Verdict(root, kind)
                me = Known(article_id, text, digest, keys, root, me.order, title)
        orders[article_id] = me.order
        pool.append(me)
        by_hash.setdefault(digest, me)
        for key in keys:
            by_key.setdefault(key, []).append(me)
    return verdicts
