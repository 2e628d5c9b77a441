"""Consultations, topics, neighborhoods and receipts, in the language asked for."""

from datetime import timedelta
from typing import Any

import pytest

from engagement.db import utcnow
from tests.api.conftest import ApiData
from tests.factories import make_consultation


def test_consultations_newest_first_with_counts(client: Any, api_data: ApiData) -> None:
    response = client.get("/api/v1/consultations")
    assert response.status_code == 200
    body = response.json
    assert body["language"] == "en"
    assert {item["slug"] for item in body["data"]} == {"other-pilot", "face-pilot"}
    face = next(item for item in body["data"] if item["slug"] == "face-pilot")
    assert face["comment_counts"] == {
        "published": len(api_data.published),
        "received": len(api_data.published) + 3,
        "pending": 1,
        "rejected": 1,
        "hidden": 1,
    }
    assert face["status"] == "open"
    assert face["title"] == {"text": "Face recognition pilot", "language": "en", "fallback": False}
    assert face["opens_at"].endswith("Z")
    assert face["links"] == {
        "self": "/api/v1/consultations/face-pilot",
        "comments": "/api/v1/consultations/face-pilot/comments",
        "topics": "/api/v1/topics?consultation=face-pilot",
        "page": "/en/consultations/face-pilot",
    }


def test_consultations_are_listed_newest_first(client: Any, session: Any, places: None) -> None:
    now = utcnow()
    make_consultation(session, slug="older", opens_at=now - timedelta(days=90))
    make_consultation(session, slug="newer", opens_at=now - timedelta(days=2))
    make_consultation(
        session,
        slug="upcoming",
        opens_at=now + timedelta(days=3),
        closes_at=now + timedelta(days=30),
    )
    session.commit()
    body = client.get("/api/v1/consultations").json
    assert [item["slug"] for item in body["data"]] == ["upcoming", "newer", "older"]
    assert [item["status"] for item in body["data"]] == ["upcoming", "open", "open"]


def test_a_closed_consultation_says_so(client: Any, session: Any, places: None) -> None:
    now = utcnow()
    make_consultation(
        session, slug="done", opens_at=now - timedelta(days=60), closes_at=now - timedelta(days=1)
    )
    session.commit()
    assert client.get("/api/v1/consultations/done").json["data"]["status"] == "closed"


@pytest.mark.parametrize(
    ("headers", "query", "language", "title", "fallback"),
    [
        ({}, {}, "en", "Face recognition pilot", False),
        ({}, {"lang": "es"}, "es", "Piloto de reconocimiento facial", False),
        ({"Accept-Language": "es-MX,es;q=0.9"}, {}, "es", "Piloto de reconocimiento facial", False),
        # ?lang= wins over Accept-Language.
        ({"Accept-Language": "es"}, {"lang": "so"}, "so", "Face recognition pilot", True),
        ({"Accept-Language": "hmn"}, {}, "hmn", "Face recognition pilot", True),
        ({"Accept-Language": "fr, de;q=0.5"}, {}, "en", "Face recognition pilot", False),
    ],
)
def test_language_of_the_answer(
    client: Any,
    consultation: Any,
    headers: dict[str, str],
    query: dict[str, str],
    language: str,
    title: str,
    fallback: bool,
) -> None:
    response = client.get("/api/v1/consultations/face-pilot", headers=headers, query_string=query)
    assert response.status_code == 200
    assert response.headers["Content-Language"] == language
    assert "Accept-Language" in response.headers["Vary"]
    body = response.json
    assert body["language"] == language
    expected_lang = "en" if fallback else language
    assert body["data"]["title"] == {"text": title, "language": expected_lang, "fallback": fallback}
    assert body["data"]["links"]["page"] == f"/{language}/consultations/face-pilot"


def test_the_saved_language_cookie_does_not_change_the_api(client: Any, consultation: Any) -> None:
    client.set_cookie("lang", "es", domain="localhost")
    assert client.get("/api/v1/consultations/face-pilot").json["language"] == "en"


def test_an_unknown_consultation_is_not_found_in_the_asked_language(
    client: Any, consultation: Any
) -> None:
    response = client.get("/api/v1/consultations/no-such-pilot?lang=es")
    assert response.status_code == 404
    assert response.headers["Content-Language"] == "es"
    error = response.json["error"]
    assert error["code"] == "not_found"
    assert error["message"] == "No encontramos lo que buscaba."


def test_topics_of_every_consultation_or_one(client: Any, api_data: ApiData) -> None:
    everything = client.get("/api/v1/topics").json["data"]
    assert {(item["consultation"], item["slug"]) for item in everything} == {
        (slug, topic)
        for slug in ("face-pilot", "other-pilot")
        for topic in ("privacy", "accuracy", "cost")
    }
    one = client.get("/api/v1/topics?consultation=face-pilot&lang=so").json
    assert [item["slug"] for item in one["data"]] == ["privacy", "accuracy", "cost"]
    assert one["data"][0] == {
        "consultation": "face-pilot",
        "slug": "privacy",
        "name": {"text": "Privacy", "language": "en", "fallback": True},
        "description": {"text": "About Privacy", "language": "en", "fallback": True},
    }


def test_topics_of_an_unknown_consultation_are_a_bad_request(
    client: Any, consultation: Any
) -> None:
    response = client.get("/api/v1/topics?consultation=nope")
    assert response.status_code == 400
    assert response.json["error"]["parameter"] == "consultation"


def test_neighborhoods_with_community_and_every_ward(client: Any, places: None) -> None:
    body = client.get("/api/v1/neighborhoods").json
    by_slug = {item["slug"]: item for item in body["data"]}
    assert len(by_slug) >= 83
    assert by_slug["seward"] == {
        "slug": "seward",
        "name": "Seward",
        "community": {"slug": "longfellow", "name": "Longfellow"},
        "wards": [2, 6],
    }
    names = [item["name"] for item in body["data"]]
    assert names == sorted(names)


# --- receipts ------------------------------------------------------------------------------


def receipt(client: Any, code: str, **query: str) -> Any:
    return client.get(f"/api/v1/receipts/{code}", query_string=query)


def test_receipt_of_a_pending_comment_shows_its_text_to_the_holder(
    client: Any, api_data: ApiData
) -> None:
    assert api_data.pending is not None
    response = receipt(client, api_data.pending.receipt_code)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    data = response.json["data"]
    assert data["status"] == "pending"
    assert data["status_label"] == "Received, waiting for review"
    assert data["counted"] is False
    assert data["text"] == api_data.pending.body
    assert data["fingerprint"] == api_data.pending.fingerprint
    assert data["record"] is not None
    assert data["consultation"]["slug"] == "face-pilot"


def test_receipt_of_a_rejected_comment_gives_the_reason_not_the_text(
    client: Any, api_data: ApiData
) -> None:
    assert api_data.rejected is not None
    data = receipt(client, api_data.rejected.receipt_code, lang="es").json["data"]
    assert data["status"] == "rejected"
    assert data["rejection_reason"] == "spam"
    assert data["rejection_reason_label"]
    assert data["text"] is None
    assert data["fingerprint"] is None
    assert data["record"] is None


def test_receipt_of_a_hidden_comment_shows_no_text(client: Any, api_data: ApiData) -> None:
    assert api_data.hidden is not None
    data = receipt(client, api_data.hidden.receipt_code).json["data"]
    assert (data["status"], data["text"], data["record"], data["rejection_reason"]) == (
        "hidden",
        None,
        None,
        None,
    )


def test_receipt_of_a_redacted_comment_shows_only_the_public_text(
    client: Any, api_data: ApiData
) -> None:
    assert api_data.redacted is not None
    data = receipt(client, api_data.redacted.receipt_code).json["data"]
    assert data["counted"] is True
    assert data["text"] == api_data.redacted.published_body
    assert data["fingerprint"] is None
    assert data["record"] is None


def test_receipt_codes_are_read_as_residents_type_them(client: Any, api_data: ApiData) -> None:
    code = api_data.published[0].receipt_code
    typed = code.lower().replace("-", " ")
    assert receipt(client, typed).json["data"]["receipt_code"] == code


@pytest.mark.parametrize("code", ["7KQ2-M9XD-4RTB", "not-a-code", "%00", "x" * 40])
def test_unknown_or_malformed_receipt_is_not_found(
    client: Any, api_data: ApiData, code: str
) -> None:
    response = receipt(client, code)
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    assert response.headers["Cache-Control"] == "no-store"
