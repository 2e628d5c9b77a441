"""What every answer under /api/v1 shares: errors, ETag and 304, caching, CORS, rate limits."""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, Response

from engagement.api.parameters import cursor_for
from engagement.comments.queries import PUBLIC_FIELDS, FeedPosition
from engagement.i18n import LANGUAGES
from tests.factories import make_comment

COMMENTS = "/api/v1/consultations/face-pilot/comments"

#: Every address, with the cache policy it answers with.
READS = [
    ("/api/v1/openapi.json", "public, max-age=3600"),
    ("/api/v1/consultations", "public, max-age=60"),
    ("/api/v1/consultations/face-pilot", "public, max-age=60"),
    (COMMENTS, "public, max-age=60"),
    ("/api/v1/topics", "public, max-age=3600"),
    ("/api/v1/neighborhoods", "public, max-age=3600"),
    ("/api/v1/receipts/{code}", "private, no-store"),
]


@pytest.fixture
def published(session: Any, consultation: Any) -> Any:
    """One published comment: enough for what every address shares."""
    comment = make_comment(session, consultation, display_name="Ayaan")
    session.commit()
    return comment


def address(template: str, comment: Any) -> str:
    return template.format(code=comment.receipt_code)


def error_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    error: dict[str, Any] = response.json["error"]
    assert set(error) <= {"code", "message", "parameter"}
    assert error["message"]
    return error


@pytest.mark.parametrize(("template", "cache_control"), READS)
def test_every_read_has_etag_cache_control_and_cors(
    client: Any, published: Any, template: str, cache_control: str
) -> None:
    path = address(template, published)
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == cache_control
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    etag = response.headers["ETag"]
    assert etag.startswith('"')
    assert not etag.startswith("W/")
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == cache_control
    assert client.get(path, headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    assert client.get(path, headers={"If-None-Match": '"stale"'}).status_code == 200
    head = client.head(path)
    assert head.status_code == 200
    assert head.headers["ETag"] == etag


def test_etag_follows_the_content_and_the_language(
    client: Any, session: Any, published: Any
) -> None:
    english = client.get(COMMENTS).headers["ETag"]
    assert client.get(COMMENTS, query_string={"lang": "so"}).headers["ETag"] != english
    published.display_name = "Ayaan H."
    session.commit()
    changed = client.get(COMMENTS, headers={"If-None-Match": english})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != english


def test_a_streamed_answer_still_streams_with_its_own_etag(app: Flask) -> None:
    """An export streams: the ETag hook must not read it; its view gives the tag."""
    produced: list[str] = []

    def rows() -> Iterator[str]:
        for row in ("receipt_code\n", "7KQ2-M9XD-4RTB\n"):
            produced.append(row)
            yield row

    @app.get("/api/v1/streamed-example")
    def streamed() -> Response:
        response = Response(rows(), mimetype="text/csv")
        response.set_etag("export-1")
        return response

    client = app.test_client()
    response = client.get("/api/v1/streamed-example", buffered=False)
    # (The test client reads the first row to start the answer; nothing else read on.)
    assert produced == ["receipt_code\n"]
    assert response.headers["ETag"] == '"export-1"'
    assert response.get_data(as_text=True) == "receipt_code\n7KQ2-M9XD-4RTB\n"
    again = client.get("/api/v1/streamed-example", headers={"If-None-Match": '"export-1"'})
    assert again.status_code == 304
    assert again.get_data() == b""


def test_preflight_allows_reading_from_any_site(client: Any, consultation: Any) -> None:
    response = client.options(
        COMMENTS,
        headers={
            "Origin": "https://news.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "If-None-Match, Accept-Language",
        },
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    assert "if-none-match" in allowed
    assert "accept-language" in allowed
    assert "etag" in response.headers["Access-Control-Expose-Headers"].lower()


def test_cors_is_for_reading_the_api_only(client: Any, consultation: Any) -> None:
    assert "Access-Control-Allow-Origin" not in client.post(COMMENTS).headers
    assert "Access-Control-Allow-Origin" not in client.get("/en/").headers


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_writing_is_not_allowed(client: Any, consultation: Any, method: str) -> None:
    response = getattr(client, method)("/api/v1/consultations")
    assert error_of(response, 405)["code"] == "method_not_allowed"
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_an_unknown_address_is_not_found_in_the_asked_language(client: Any, lang: str) -> None:
    response = client.get("/api/v1/no-such-thing", headers={"Accept-Language": lang})
    assert error_of(response, 404)["code"] == "not_found"
    assert response.headers["Content-Language"] == lang


# --- bad input: always 400 with the parameter named, never 500 ---------------------------

BAD_QUERIES = [
    ("/api/v1/consultations", {"page": "2"}, "page"),
    ("/api/v1/consultations", {"lang": "fr"}, "lang"),
    ("/api/v1/consultations", {"lang": ""}, "lang"),
    ("/api/v1/openapi.json", {"format": "yaml"}, "format"),
    ("/api/v1/neighborhoods", {"community": "longfellow"}, "community"),
    ("/api/v1/topics", {"consultation": ""}, "consultation"),
    ("/api/v1/receipts/{code}", {"verbose": "1"}, "verbose"),
    (COMMENTS, {"topic": "astrology"}, "topic"),
    (COMMENTS, {"topic": "privacy-surveillance"}, "topic"),  # another consultation's topic
    (COMMENTS, {"position": "neutral"}, "position"),
    (COMMENTS, {"neighborhood": "atlantis"}, "neighborhood"),
    (COMMENTS, {"neighborhood": "outside"}, "neighborhood"),
    (COMMENTS, {"community": "atlantis"}, "community"),
    (COMMENTS, {"ward": "14"}, "ward"),
    (COMMENTS, {"ward": "0"}, "ward"),
    (COMMENTS, {"ward": "two"}, "ward"),
    (COMMENTS, {"ward": "-1"}, "ward"),
    (COMMENTS, {"ward": "1e3"}, "ward"),
    (COMMENTS, {"language": "fr"}, "language"),
    (COMMENTS, {"channel": "fax"}, "channel"),
    (COMMENTS, {"since": "yesterday"}, "since"),
    (COMMENTS, {"since": "2026-03-01"}, "since"),
    (COMMENTS, {"since": "2026-03-01T09:00:00"}, "since"),  # no offset
    (COMMENTS, {"since": "2026-02-30T09:00:00Z"}, "since"),
    (COMMENTS, {"until": "2026-03-01T25:00:00Z"}, "until"),
    (COMMENTS, {"until": "2026-03-01T09:00:00+24:00"}, "until"),
    (COMMENTS, {"limit": "0"}, "limit"),
    (COMMENTS, {"limit": "101"}, "limit"),
    (COMMENTS, {"limit": "ten"}, "limit"),
    (COMMENTS, {"limit": "99999999999999999999999"}, "limit"),
    (COMMENTS, {"limit": ""}, "limit"),
    (COMMENTS, {"cursor": "abc"}, "cursor"),
    (COMMENTS, {"cursor": "\u00e9\u00e9.\u00e9"}, "cursor"),
    (COMMENTS, {"order": "newest"}, "order"),
    # PostgreSQL can't compare text holding a NUL: refused before the database is asked.
    (COMMENTS, {"neighborhood": "sew\x00ard"}, "neighborhood"),
    ("/api/v1/topics", {"consultation": "face\x00pilot"}, "consultation"),
    (COMMENTS, {"Topic": "privacy"}, "Topic"),
]


#: Parameters whose message points to the address that lists the accepted values instead.
NAMED_BY_ADDRESS = {"topic", "neighborhood", "community", "consultation", "cursor"}


@pytest.mark.parametrize(("template", "query", "parameter"), BAD_QUERIES)
def test_bad_parameters_are_named(
    client: Any, published: Any, template: str, query: dict[str, str], parameter: str
) -> None:
    response = client.get(address(template, published), query_string=query)
    error = error_of(response, 400)
    assert error == {"code": "bad_request", "message": error["message"], "parameter": parameter}
    if parameter not in NAMED_BY_ADDRESS:
        assert f"“{parameter}”" in error["message"]


@pytest.mark.parametrize(
    "path", ["/api/v1/consultations/face%00pilot", "/api/v1/consultations/%00/comments"]
)
def test_a_nul_in_the_address_is_not_found(client: Any, consultation: Any, path: str) -> None:
    assert error_of(client.get(path), 404)["code"] == "not_found"


def test_a_parameter_given_twice_is_named(client: Any, consultation: Any) -> None:
    response = client.get(f"{COMMENTS}?position=oppose&position=support")
    assert error_of(response, 400)["parameter"] == "position"
    response = client.get("/api/v1/consultations?lang=es&lang=so")
    assert error_of(response, 400)["parameter"] == "lang"


def test_a_tampered_cursor_is_refused(client: Any, published: Any) -> None:
    cursor = client.get(COMMENTS, query_string={"limit": 1}).json["next_cursor"]
    payload, __, signature = cursor.rpartition(".")
    for tampered in (f"{payload}x.{signature}", f"{payload}.{signature[:-2]}", payload):
        response = client.get(COMMENTS, query_string={"cursor": tampered})
        assert error_of(response, 400)["parameter"] == "cursor"


def test_a_cursor_signed_with_another_key_is_refused(client: Any, published: Any) -> None:
    position = FeedPosition(published.published_at, published.receipt_code)
    forged = cursor_for(position, "not-our-key")
    response = client.get(COMMENTS, query_string={"cursor": forged})
    assert error_of(response, 400)["parameter"] == "cursor"


@pytest.mark.parametrize("lang", [code for code in LANGUAGES if code != "en"])
def test_error_messages_are_in_the_asked_language(
    client: Any, consultation: Any, lang: str
) -> None:
    english = error_of(client.get("/api/v1/consultations/nope"), 404)["message"]
    for query, headers in (({"lang": lang}, {}), ({}, {"Accept-Language": lang})):
        response = client.get("/api/v1/consultations/nope", query_string=query, headers=headers)
        assert error_of(response, 404)["message"] != english
        assert response.headers["Content-Language"] == lang


@pytest.mark.config(API_RATE_LIMIT="2 per minute")
def test_too_many_requests_is_a_json_error_in_the_asked_language(
    client: Any, consultation: Any
) -> None:
    for __ in range(2):
        assert client.get("/api/v1/consultations").status_code == 200
    response = client.get("/api/v1/topics", query_string={"lang": "es"})
    error = error_of(response, 429)
    assert error["code"] == "too_many_requests"
    assert response.headers["Content-Language"] == "es"
    assert response.headers["Retry-After"]
    # The limit is one budget for the whole API, not per address.
    assert client.get("/api/v1/neighborhoods").status_code == 429


@pytest.mark.config(STATUS_LOOKUP_RATE_LIMIT="2 per minute")
def test_receipts_are_limited_like_the_receipt_page(client: Any, published: Any) -> None:
    code = published.receipt_code
    for __ in range(2):
        assert client.get(f"/api/v1/receipts/{code}").status_code == 200
    assert error_of(client.get(f"/api/v1/receipts/{code}"), 429)["code"] == "too_many_requests"
    assert client.get("/api/v1/consultations").status_code == 200


def test_a_server_error_is_a_json_error(app: Flask) -> None:
    @app.get("/api/v1/explode")
    def explode() -> str:
        raise RuntimeError("boom")

    response = app.test_client().get("/api/v1/explode?lang=so")
    error = error_of(response, 500)
    assert error["code"] == "server_error"
    assert "boom" not in response.get_data(as_text=True)


def test_the_html_pages_keep_their_error_pages(client: Any, consultation: Any) -> None:
    page = client.get("/en/no-such-page")
    assert page.status_code == 404
    assert page.mimetype == "text/html"
    as_json = client.get("/en/no-such-page", headers={"Accept": "application/json"})
    assert as_json.json["error"]["code"] == 404


# --- the data dictionary -----------------------------------------------------------------


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_the_data_dictionary_explains_every_public_field(client: Any, lang: str) -> None:
    response = client.get(f"/{lang}/open-data")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'<html lang="{lang}"' in page
    fields = page.split('id="comment-field-list"', 1)[1].split("</dl>", 1)[0]
    assert re.findall(r"<dt><code>(\w+)</code></dt>", fields) == list(PUBLIC_FIELDS)
    assert 'href="/api/v1/openapi.json"' in page
    assert f'href="/{lang}/open-data"' in page  # the footer link
