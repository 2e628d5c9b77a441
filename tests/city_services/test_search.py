"""Search: every language, typos, accent-free input, ranking, "did you mean", odd queries."""

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from engagement.city_services.models import Service
from engagement.city_services.operations import CATALOG, load_catalog
from engagement.city_services.queries import find_services, search_services
from engagement.city_services.search import (
    CatalogEntry,
    SearchIndex,
    edit_distance,
    normalize,
    typo_allowance,
)
from engagement.db import utcnow


def codes(session: Session, text: str, lang: str) -> list[str]:
    return [hit.code for hit in search_services(session, text, lang)]


# --- the normal form ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("Policía", "policia"),
        ("  DISCRIMINACIÓN!  ", "discriminacion"),
        ("Khib nyiab", "khib nyiab"),  # Hmong tone letters (b) are letters: kept
        ("Tub ceev xwm", "tub ceev xwm"),
        ("la'aan", "laaan"),  # Somali apostrophe, a glottal stop: dropped, word kept whole
        ("la\u2019aan", "laaan"),
        ("dib-u-warshadayn", "dib u warshadayn"),
        ("\ufb01re", "fire"),  # the "fi" ligature, as some keyboards and PDFs give it
        ("Straße", "strasse"),
    ],
)
def test_normalize(typed: str, normal: str) -> None:
    assert normalize(typed) == normal


def test_edit_distance_counts_typos_and_swaps_and_gives_up_early() -> None:
    assert edit_distance("recyling", "recycling", 2) == 1
    assert edit_distance("basrua", "basura", 1) == 1  # two letters swapped
    assert edit_distance("grafiti", "graffiti", 1) == 1
    assert edit_distance("pothool", "pothole", 1) == 2  # over the limit: limit + 1
    assert edit_distance("a", "abcdef", 2) == 3


def test_longer_words_may_have_more_typos() -> None:
    assert [typo_allowance(n) for n in (3, 4, 7, 8, 12)] == [0, 1, 1, 2, 2]


# --- ranking, on a hand-made index ----------------------------------------------------------


def entry(code: str, name: str, description: str = "", **keywords: list[str]) -> CatalogEntry:
    return CatalogEntry(code, "c", {"en": name}, {"en": description}, keywords=keywords)


def ranked(entries: list[CatalogEntry], text: str, lang: str = "en") -> list[str]:
    return [hit.entry.code for hit in SearchIndex(entries).search(text, lang)]


def test_a_name_beats_a_keyword_beats_the_description() -> None:
    entries = [
        entry("in-description", "Alpha", "Something about lamps."),
        entry("in-keywords", "Beta", "Nothing.", en=["lamps"]),
        entry("in-name", "Lamps", "Nothing."),
        *others(),
    ]
    assert ranked(entries, "lamps") == ["in-name", "in-keywords", "in-description"]


def others() -> list[CatalogEntry]:
    """Services about something else, so that the words of a test are not common ones."""
    return [entry(f"other-{n}", f"Other {n}", "Nothing.") for n in range(6)]


def test_exact_beats_prefix_beats_a_typo() -> None:
    entries = [entry("lamb", "Lamb"), entry("lamppost", "Lamppost"), entry("lamp", "Lamp")]
    entries += others()
    # A word we know is not "corrected": its near misses (lamb) are not offered.
    assert ranked(entries, "lamp") == ["lamp", "lamppost"]
    # "lampp" begins "lamppost" and is one typo away from "lamp".
    assert ranked(entries, "lampp") == ["lamppost", "lamp"]
    assert set(ranked(entries, "lamq")) == {"lamp", "lamb"}


def test_a_match_in_the_readers_language_comes_first() -> None:
    entries = [
        CatalogEntry("english", "c", {"en": "One"}, {"en": ""}, keywords={"en": ["bache"]}),
        CatalogEntry("spanish", "c", {"en": "Two"}, {"en": ""}, keywords={"es": ["bache"]}),
    ]
    assert ranked(entries, "bache", "es") == ["spanish", "english"]
    assert ranked(entries, "bache", "en") == ["english", "spanish"]


def test_more_words_matched_rank_higher() -> None:
    entries = [entry("one", "Street light"), entry("both", "Street light out"), *others()]
    assert ranked(entries, "light out") == ["both", "one"]


def test_common_words_alone_do_not_make_a_match() -> None:
    entries = [
        entry("bridge", "Bridge", "Report the bridge."),
        *(entry(f"other-{n}", f"Other {n}", "Report the problem.") for n in range(4)),
    ]
    # "the" and "report" are in every description: they rank nothing on their own.
    assert ranked(entries, "report the bridge") == ["bridge"]
    assert ranked(entries, "the") == []


# --- the fixture catalog, in four languages -------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text", "first"),
    [
        ("en", "Garbage", "garbage-recycling"),
        ("en", "recyling", "garbage-recycling"),  # typo
        ("en", "graffitti", "graffiti"),  # typo
        ("en", "basura", "garbage-recycling"),  # a Spanish word, an English reader
        ("en", "Discriminacion", "discrimination-complaint"),  # Spanish, without its accent
        ("es", "basura", "garbage-recycling"),
        ("es", "basure", "garbage-recycling"),  # typo
        ("es", "basrua", "garbage-recycling"),  # two letters swapped
        ("es", "grafiti", "graffiti"),
        ("es", "policia", "opcr-complaint"),  # without the accent of "policía"
        ("es", "BACHE", "pothole"),
        ("es", "farola", "street-light-out"),
        ("so", "qashin", "garbage-recycling"),
        ("so", "Qashinka", "garbage-recycling"),
        ("so", "booliis", "opcr-complaint"),
        ("so", "takoor", "discrimination-complaint"),
        ("so", "turjubaan", "mpls-311-lang-so"),
        ("hmn", "khib nyiab", "garbage-recycling"),
        ("hmn", "tub ceev xwm", "opcr-complaint"),
        ("hmn", "qhov av", "pothole"),
        ("hmn", "lus hmoob", "mpls-311-lang-hmn"),
    ],
)
def test_search_in_every_language(
    session: Session, catalog: Any, lang: str, text: str, first: str
) -> None:
    assert codes(session, text, lang)[0] == first


@pytest.mark.parametrize("lang", ["en", "es", "so", "hmn"])
def test_keywords_of_every_language_match_for_every_reader(
    session: Session, catalog: Any, lang: str
) -> None:
    for word in ("garbage", "basura", "qashin", "khib nyiab"):
        assert codes(session, word, lang)[0] == "garbage-recycling", (word, lang)


def test_results_are_in_the_readers_language_with_fallback_marked(
    session: Session, catalog: Any
) -> None:
    spanish = search_services(session, "qashin", "es")[0]
    assert spanish.name.text == "Basura y reciclaje"
    assert (spanish.name.lang, spanish.name.is_fallback) == ("es", False)
    assert spanish.category == "report-a-problem"
    # A Somali reader finds the Spanish line by a Spanish keyword, and reads its Somali name.
    line = search_services(session, "intérprete", "so")[0]
    assert line.code == "mpls-311-lang-es"
    assert line.name.lang == "so"


def test_a_word_in_a_name_and_a_keyword_ranks_above_one_in_a_keyword(
    session: Session, catalog: Any
) -> None:
    # "basura" is the garbage service's Spanish name and keyword; illegal dumping has it
    # only inside a keyword ("basura tirada").
    assert codes(session, "basura", "es") == ["garbage-recycling", "illegal-dumping"]
    # "street": a name, then a keyword ("street repair"), then a description.
    assert codes(session, "street", "en") == ["street-light-out", "pothole", "illegal-dumping"]


def test_did_you_mean_offers_the_closest_known_word(session: Session, catalog: Any) -> None:
    english = find_services(session, "pothool", "en")
    assert english.hits == []
    assert english.suggestion is not None
    assert (english.suggestion.text, english.suggestion.lang) == ("Pothole", "en")
    spanish = find_services(session, "bachhee", "es")
    assert spanish.hits == []
    assert (spanish.suggestion.text, spanish.suggestion.lang) == ("Bache", "es")
    # The suggestion finds what it suggests.
    assert codes(session, spanish.suggestion.text, "es")[0] == "pothole"


def test_no_suggestion_when_nothing_is_close(session: Session, catalog: Any) -> None:
    result = find_services(session, "zzzzqqqq", "en")
    assert result.hits == []
    assert result.suggestion is None


def test_no_suggestion_when_something_matched(session: Session, catalog: Any) -> None:
    assert find_services(session, "graffiti", "en").suggestion is None


@pytest.mark.parametrize("text", ["", "   ", "!!! ???", "\u200b", "-", "'"])
def test_empty_queries_find_nothing(session: Session, catalog: Any, text: str) -> None:
    assert search_services(session, text, "en") == []
    assert find_services(session, text, "en").suggestion is None


def test_oversized_queries_are_cut_not_refused(session: Session, catalog: Any) -> None:
    assert codes(session, "basura " * 5000, "es")[0] == "garbage-recycling"
    assert find_services(session, "x" * 100_000, "en").hits == []
    assert codes(session, "graffiti\x00\x07\ufffd", "en")[0] == "graffiti"


def test_the_index_follows_edits_and_deactivation(session: Session, catalog: Any) -> None:
    assert "street-light-out" not in codes(session, "lantern", "en")
    light = session.scalar(select(Service).where(Service.code == "street-light-out"))
    light.keywords = {**light.keywords, "en": ["streetlight", "lamp", "lantern"]}
    light.updated_at = utcnow()
    session.commit()
    assert codes(session, "lantern", "en") == ["street-light-out"]
    light.active = False
    session.commit()
    assert codes(session, "lantern", "en") == []
    assert "street-light-out" not in codes(session, "street", "en")


def test_inactive_services_are_not_found(session: Session, catalog: Any) -> None:
    graffiti = session.scalar(select(Service).where(Service.code == "graffiti"))
    graffiti.active = False
    session.commit()
    assert codes(session, "graffiti", "en") == []


# --- the real catalog -----------------------------------------------------------------------


@pytest.mark.skipif(not CATALOG.exists(), reason="engagement/city_services/catalog.json is missing")
@pytest.mark.parametrize(
    ("lang", "text", "category"),
    [
        ("es", "basura", "garbage-and-recycling"),
        ("en", "basura", "garbage-and-recycling"),
        ("so", "qashin", "garbage-and-recycling"),
        ("hmn", "khib nyiab", "garbage-and-recycling"),
        ("en", "recyling", "garbage-and-recycling"),
        ("es", "grafiti", "graffiti"),
        ("en", "grafiti", "graffiti"),
        ("es", "policia", "police-accountability"),
    ],
)
def test_the_real_catalog_answers_in_four_languages(
    session: Session, lang: str, text: str, category: str
) -> None:
    load_catalog(session, CATALOG)
    session.commit()
    assert search_services(session, text, lang)[0].category == category


@pytest.mark.skipif(not CATALOG.exists(), reason="engagement/city_services/catalog.json is missing")
def test_the_real_catalog_suggests_a_keyword(session: Session) -> None:
    load_catalog(session, CATALOG)
    session.commit()
    result = find_services(session, "pothool", "en")
    assert result.hits == []
    assert result.suggestion is not None
    assert normalize(result.suggestion.text) == "pothole"
