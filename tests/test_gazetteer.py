"""Gazetteer: transliteration-insensitive names, places resolved by the article's other places."""
import pytest

from transforms.gazetteer import gazetteer, name_key, skeleton


@pytest.mark.parametrize(("a", "b"), [
    ("al-Bukamal", "Al Bukamal"),
    ("Deir ez-Zor", "Deir Zor"),
    ("Zürich", "Zurich"),
    ("Qā’im", "Qaim"),
    ("The Hague", "Hague"),
])
def test_name_key_ignores_accents_articles_and_punctuation(a, b) -> None:
    assert name_key(a) == name_key(b)


def test_transliterations_share_a_skeleton() -> None:
    assert skeleton(name_key("Dayr al-Zowr")) == skeleton(name_key("Deir ez-Zor")) == skeleton(name_key("Deir Ezzor"))


@pytest.mark.parametrize(("mention", "country", "kind"), [
    ("al-Bukamal", "SY", "city"),      # only through GeoNames' alternate names
    ("Abu Kamal", "SY", "city"),
    ("U.S.", "US", "country"),
    ("Łódź", "PL", "city"),
    ("Hanoi", "VN", "city"),
    ("Texas", "US", "region"),
    ("Europe", None, "continent"),
])
def test_lookup_finds_places_by_any_common_spelling(mention, country, kind) -> None:
    resolved = gazetteer().resolve([mention])[mention].place
    assert (resolved.country_code, resolved.kind) == (country, kind)


def test_same_place_under_two_spellings_is_one_geonameid() -> None:
    places = gazetteer().resolve(["al-Bukamal", "Abu Kamal"])
    assert places["al-Bukamal"].place.geonameid == places["Abu Kamal"].place.geonameid
    assert abs(places["al-Bukamal"].place.latitude - 34.45) < 0.1


def test_the_articles_other_places_disambiguate() -> None:
    g = gazetteer()
    assert g.resolve(["Paris"])["Paris"].place.country_code == "FR"
    assert g.resolve(["Paris", "Texas", "Dallas"])["Paris"].place.country_code == "US"
    assert g.resolve(["Georgia"])["Georgia"].place.kind == "country"
    assert g.resolve(["Georgia", "Atlanta", "Savannah"])["Georgia"].place.kind == "region"
    assert g.resolve(["Washington"])["Washington"].place.name == "Washington"  # the capital, not the state
    assert g.resolve(["Washington"])["Washington"].place.kind == "city"


def test_spelling_skeleton_needs_the_country_named() -> None:
    g = gazetteer()
    assert "Dayr al-Zowr" not in g.resolve(["Dayr al-Zowr"])
    found = g.resolve(["Syria", "Dayr al-Zowr"])["Dayr al-Zowr"]
    assert (found.place.name, found.exact) == ("Deir ez-Zor", False)


def test_small_namesake_abroad_is_not_taken_when_the_article_names_countries() -> None:
    # "Anbar" (an Iraqi province, not in the offline data) matches only a Turkish village
    assert "Anbar" not in gazetteer().resolve(["Iraq", "Syria", "Anbar"])
