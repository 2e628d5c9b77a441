"""City services through the API: the catalog, and the same search as the services page."""

from typing import Any

from tests.city_services.builders import load_fixture_catalog

SERVICES = "/api/v1/services"


def test_the_catalog_in_the_requested_language(client: Any, session: Any, places: None) -> None:
    load_fixture_catalog(session)
    session.commit()

    data = client.get(SERVICES, query_string={"lang": "es"}).get_json()["data"]

    codes = [item["code"] for item in data]
    assert "garbage-recycling" in codes
    garbage = next(item for item in data if item["code"] == "garbage-recycling")
    assert garbage["name"]["language"] == "es"
    assert garbage["score"] is None


def test_search_finds_services_across_languages_and_typos(
    client: Any, session: Any, places: None
) -> None:
    load_fixture_catalog(session)
    session.commit()

    for words in ("basura", "qashin", "recyling"):
        data = client.get(SERVICES, query_string={"q": words}).get_json()["data"]
        assert data, words
        assert data[0]["code"] == "garbage-recycling", words
        assert data[0]["score"] > 0


def test_search_errors_name_the_parameter(client: Any, session: Any, places: None) -> None:
    too_long = client.get(SERVICES, query_string={"q": "x" * 201})
    unknown = client.get(SERVICES, query_string={"query": "basura"})

    assert too_long.status_code == 400
    assert too_long.get_json()["error"]["parameter"] == "q"
    assert unknown.status_code == 400
    assert unknown.get_json()["error"]["parameter"] == "query"
