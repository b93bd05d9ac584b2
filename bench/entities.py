"""Entity quality on hand-labelled articles (tests/fixtures/entities/gold.jsonl: the seeds and 30 ECB+
reports), per label, for spaCy alone and for newsflow's corrected entities; and enrichment speed.

Scoring: per document, the distinct (name, label) pairs; pooled over documents. A name the model
splits or extends differently ("Joe" vs "Joe Biden") counts as one miss and one false positive."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from transforms import enrich

GOLD = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "entities" / "gold.jsonl"
LABELS = ("PERSON", "NORP", "ORG", "GPE", "LOC")


def load(path: Path = GOLD) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def score(docs: list[dict], predicted: list[list[tuple[str, str]]]) -> dict[str, dict[str, float]]:
    """Per-label and overall ("all") precision, recall, F1 over distinct (name, label) pairs per document."""
    counts = {label: [0, 0, 0] for label in (*LABELS, "all")}  # tp, fp, fn
    for doc, pairs in zip(docs, predicted):
        gold = {(name, label) for label, names in doc["entities"].items() for name in names}
        found = {(n, l) for n, l in pairs if l in LABELS}
        for label in LABELS:
            g = {p for p in gold if p[1] == label}
            f = {p for p in found if p[1] == label}
            for key in (label, "all"):
                counts[key][0] += len(g & f)
                counts[key][1] += len(f - g)
                counts[key][2] += len(g - f)
    result = {}
    for label, (tp, fp, fn) in counts.items():
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        result[label] = {"precision": round(p, 4), "recall": round(r, 4),
                         "f1": round(2 * tp / (2 * tp + fp + fn), 4) if tp + fp + fn else 1.0, "gold": tp + fn}
    return result


def evaluate(docs: list[dict] | None = None) -> dict[str, dict]:
    """spaCy alone vs newsflow (gazetteer and learned-label corrections, no warehouse history)."""
    docs = docs if docs is not None else load()
    texts = [d["text"] for d in docs]
    analyses = enrich.analyse(texts)
    raw = [[(e.name, e.label) for e in a.entities] for a in analyses]
    final = enrich.finish(analyses, texts, [None] * len(texts))
    return {"spacy": score(docs, raw), "newsflow": score(docs, [[(e.name, e.label) for e in f.entities] for f in final])}


def speed(texts: list[str], rounds: int = 2) -> dict[str, float]:
    """docs/s of language detection alone (the baseline), spaCy NER (analyse), and the whole of
    enrichment (analyse + finish), on the same texts in the same run; models and gazetteer warm."""
    enrich.enrich_texts(texts[:8])  # load models and build the gazetteer outside the clock
    timings = {}
    for name, work in (("language", lambda: [enrich.detect_language(t) for t in texts]),
                       ("analyse", lambda: enrich.analyse(texts)),
                       ("enrich", lambda: enrich.enrich_texts(texts))):
        best = float("inf")
        for _ in range(rounds):
            start = time.perf_counter()
            work()
            best = min(best, time.perf_counter() - start)
        timings[name] = best
    return {"docs": len(texts), **{f"{k}_docs_per_s": round(len(texts) / v, 1) for k, v in timings.items()},
            "finish_share": round((timings["enrich"] - timings["analyse"]) / timings["enrich"], 3)}


def main() -> dict:
    started = time.perf_counter()
    result = evaluate()
    print(f"entities: {len(load())} hand-labelled documents, {time.perf_counter() - started:.1f}s")
    for name, scores in result.items():
        line = "  ".join(f"{label} P {s['precision']:.3f} R {s['recall']:.3f}" for label, s in scores.items())
        print(f"  {name:8s} {line}")
    corpus = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "stories" / "ecbplus-dev.jsonl"
    if corpus.exists():
        texts = [json.loads(line)["text"] for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
        result["speed"] = speed(texts)
        s = result["speed"]
        print(f"  speed on {s['docs']} ECB+ texts: language {s['language_docs_per_s']} docs/s, spaCy NER "
              f"{s['analyse_docs_per_s']} docs/s, all enrichment {s['enrich_docs_per_s']} docs/s "
              f"(corrections, places, dates, keywords: {s['finish_share']:.0%} of it)")
    else:
        print(f"entities: {corpus} not found, speed skipped", file=sys.stderr)
    return result


if __name__ == "__main__":
    main()
