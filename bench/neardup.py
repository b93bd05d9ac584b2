"""Near-duplicate detection quality on copies made the way republishers make them.

Originals are the real news texts of ECB+ (shared/data/stories). Each gets copies with the edits
republishers make: an added credit line, an appended paragraph, copy-edits, a trimmed tail,
swapped paragraphs, typographic quotes, and two of these at once. The other ECB+ reports of the
same event (different outlets, same facts) are the hard negatives. The pipeline's own
`find_duplicates` (LSH band keys + shingle verification) runs over the whole shuffled stream;
scored pairwise: same predicted group vs same original."""
from __future__ import annotations

import json
import random
import sys
import time
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from itertools import combinations
from pathlib import Path

from transforms import dedup

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "stories" / "ecbplus-dev.jsonl"
START = datetime(2024, 1, 1, tzinfo=timezone.utc)
CREDITS = ["(Reuters) -", "Copyright 2024 The Associated Press. All rights reserved.", "Photo: Jane Doe/AFP",
           "This article originally appeared on example.com.", "Additional reporting by Staff, Agencies."]
TYPO = str.maketrans({'"': "”", "'": "’"})


def _paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n") if p.strip()]


def credit(text, rng, other):
    line = rng.choice(CREDITS)
    return f"{line}\n{text}" if rng.random() < 0.5 else f"{text}\n{line}"


def append_paragraph(text, rng, other):
    return text + "\n" + rng.choice(_paragraphs(other))


def copy_edit(text, rng, other):
    words = text.split(" ")
    for i in rng.sample(range(len(words)), max(1, len(words) // 40)):  # 2.5% of words touched
        w = words[i]
        words[i] = rng.choice([w.upper(), w[:-1] if len(w) > 3 else w, w + ",", w[::-1] if len(w) < 4 else w[1:] + w[0]])
    return " ".join(words)


def trim_tail(text, rng, other):
    paras = _paragraphs(text)
    keep = max(1, round(len(paras) * rng.uniform(0.6, 0.85)))
    return "\n".join(paras[:keep])


def swap_paragraphs(text, rng, other):
    paras = _paragraphs(text)
    if len(paras) >= 2:
        i, j = rng.sample(range(len(paras)), 2)
        paras[i], paras[j] = paras[j], paras[i]
    return "\n".join(paras)


def typographic(text, rng, other):
    out, open_quote = [], True
    for ch in text:
        if ch == '"':
            out.append("“" if open_quote else "”")
            open_quote = not open_quote
        else:
            out.append(ch.translate(TYPO))
    return "".join(out).replace(" - ", " – ")


EDITS = [credit, append_paragraph, copy_edit, trim_tail, swap_paragraphs, typographic]


def build(rows: list[dict], seed: int = 11) -> list[tuple[str, str, str]]:
    """(item_id, text, group): every original, plus one or two edited copies of each."""
    rng = random.Random(seed)
    items = []
    for n, row in enumerate(rows):
        items.append((row["doc_id"], row["text"], row["doc_id"]))
        # the appended paragraph comes from a longer article of another topic (never a whole text)
        other = rng.choice([r["text"] for r in rows if r["topic"] != row["topic"] and len(_paragraphs(r["text"])) >= 4])
        for k in range(rng.choice([1, 2])):
            edits = [rng.choice(EDITS)] if rng.random() < 0.7 else rng.sample(EDITS, 2)
            text = row["text"]
            for edit in edits:
                text = edit(text, rng, other)
            items.append((f"{row['doc_id']}~{k}-{'+'.join(e.__name__ for e in edits)}", text, row["doc_id"]))
    return items


def predict(items: list[tuple[str, str, str]], seed: int = 3, batch_size: int = 200) -> dict[str, str]:
    """Run the pipeline's detector over a shuffled stream, batch by batch against the history."""
    order = items[:]
    random.Random(seed).shuffle(order)
    known: list[dedup.Known] = []
    root: dict[str, str] = {}
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        stamps = [START + timedelta(minutes=start + i) for i in range(len(batch))]
        keys = dedup.band_keys_for([t for _, t, _ in batch])
        verdicts = dedup.find_duplicates([(i, t, d) for (i, t, _), d in zip(batch, stamps)], keys, known, now=START)
        for (item_id, text, _), row, stamp in zip(batch, keys, stamps):
            v = verdicts.get(item_id)
            root[item_id] = v.duplicate_of if v else item_id
            known.append(dedup.Known(item_id, text, dedup.content_hash(text), frozenset(row),
                                     v.duplicate_of if v else None, (stamp, 0, start)))
    return root


# Two different ECB+ documents of one event may themselves be rewrites of one wire story (the
# corpus says some are). Such pairs (Jaccard >= 0.5 or containment >= 0.8 on paragraph shingles)
# are neither copies nor hard negatives: left unscored. Every other pair of ECB+ reports of the
# same event, or of the other event of the same topic, is a hard negative.
AMBIGUOUS_JACCARD, AMBIGUOUS_CONTAINMENT = 0.5, 0.8


def ambiguous_pairs(rows: list[dict]) -> set[frozenset[str]]:
    sets = {r["doc_id"]: dedup.shingles(r["text"]) for r in rows}
    story = {r["doc_id"]: r["story_id"] for r in rows}
    out = set()
    for a, b in combinations(sorted(sets), 2):
        if story[a] == story[b]:
            jaccard, containment, _ = dedup.similarity(sets[a], sets[b])
            if jaccard >= AMBIGUOUS_JACCARD or containment >= AMBIGUOUS_CONTAINMENT:
                out.add(frozenset((a, b)))
    return out


def score(items, root, ambiguous: set[frozenset[str]]) -> dict:
    gold = {i: g for i, _, g in items}
    topic = {i: g.split("_", 1)[0] for i, g in gold.items()}
    tp = fp = fn = hard_negatives = 0
    errors: dict[str, int] = defaultdict(int)
    for a, b in combinations(sorted(gold), 2):
        if topic[a] != topic[b] and root[a] != root[b]:
            continue  # true negatives across topics: counted by nobody, changes nothing
        if frozenset((gold[a], gold[b])) in ambiguous:
            continue
        same_gold, same_pred = gold[a] == gold[b], root[a] == root[b]
        hard_negatives += not same_gold
        tp += same_gold and same_pred
        fp += same_pred and not same_gold
        fn += same_gold and not same_pred
        if same_gold and not same_pred:
            for name in (a.split("-", 1)[1] if "~" in a else "", b.split("-", 1)[1] if "~" in b else ""):
                if name:
                    errors[name] += 1
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"pairs_tp": tp, "pairs_fp": fp, "pairs_fn": fn, "hard_negative_pairs": hard_negatives, "precision": p,
            "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "missed_by_edit": dict(errors)}


def evaluate(rows: list[dict], seed: int = 11) -> dict:
    items = build(rows, seed)
    return score(items, predict(items), ambiguous_pairs(rows)) | {"originals": len(rows), "copies": len(items) - len(rows)}


def main() -> dict:
    if not DATA.exists():
        print(f"neardup: {DATA} not found, skipped", file=sys.stderr)
        return {}
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    topics = sorted({r["topic"] for r in rows})
    halves = {"dev": set(topics[0::2]), "held-out": set(topics[1::2])}
    started = time.perf_counter()
    results = {name: evaluate([r for r in rows if r["topic"] in chosen]) for name, chosen in halves.items()}
    seconds = time.perf_counter() - started
    print(f"near-duplicates: ECB+ originals + edited copies, pairwise within topics, {seconds:.1f}s "
          f"(thresholds: Jaccard {dedup.JACCARD_MIN}, containment {dedup.CONTAINMENT_MIN} with length ratio {dedup.LENGTH_RATIO_MIN})")
    for name, r in results.items():
        print(f"  {name:8s} {r['originals']} originals + {r['copies']} copies, {r['hard_negative_pairs']} hard-negative pairs:"
              f" P {r['precision']:.4f} R {r['recall']:.4f} F1 {r['f1']:.4f} (fp {r['pairs_fp']}, fn {r['pairs_fn']})")
        print(f"           missed pairs by edit: {r['missed_by_edit']}")
    return results


if __name__ == "__main__":
    main()
