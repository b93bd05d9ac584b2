"""Entity quality gate: per-label precision and recall on hand-labelled articles must not drop below
the stored baseline, and newsflow's corrections must beat spaCy alone in the same run."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import entities

BASELINE = json.loads((Path(__file__).parent / "fixtures" / "entities" / "baseline.json").read_text())


@pytest.fixture(scope="module")
def scores() -> dict:
    return entities.evaluate()


@pytest.mark.parametrize("label", [*entities.LABELS, "all"])
def test_label_scores_hold(scores, label) -> None:
    floor, got = BASELINE["newsflow"][label], scores["newsflow"][label]
    assert got["precision"] >= floor["precision"] - BASELINE["tolerance"], (label, got, floor)
    assert got["recall"] >= floor["recall"] - BASELINE["tolerance"], (label, got, floor)


def test_corrections_beat_the_model_alone(scores) -> None:
    assert scores["newsflow"]["all"]["f1"] > scores["spacy"]["all"]["f1"]
    for label in ("PERSON", "GPE"):  # the labels the gazetteer and the one-person rule fix
        assert scores["newsflow"][label]["f1"] > scores["spacy"][label]["f1"], label


def test_gold_names_are_in_their_texts() -> None:
    for doc in entities.load():
        for label, names in doc["entities"].items():
            assert label in entities.LABELS
            for name in names:
                assert name in doc["text"], (doc["source"], name)
