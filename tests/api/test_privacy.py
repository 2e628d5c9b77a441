"""No private value can reach an API answer, whatever the parameters.

The data (tests/api/conftest.py) gives every comment a unique contact e-mail, client hash and
submission token; publishes one comment redacted (its original names a neighbor and a phone
number); has a named staff member type in a paper letter with a source reference; and holds
pending, rejected and hidden comments. Then every address is asked with many combinations of
parameters and languages, and no answer may contain any of those values. The schemathesis run
checks its answers the same way.
"""

import itertools
from typing import Any
from urllib.parse import unquote

import pytest

from engagement.comments.queries import normalize_receipt_code
from engagement.i18n import LANGUAGES
from tests.api.conftest import ApiData

COMMENTS = "/api/v1/consultations/face-pilot/comments"
RECEIPTS = "/api/v1/receipts/"


def assert_private_values_absent(text: str, data: ApiData, where: str) -> None:
    """``where``: the path asked; a pending comment's text may be on its own receipt only."""
    for secret in data.never:
        assert secret not in text, (where, secret)
    assert "@private.example" not in text, where
    receipt = None
    if where.startswith(RECEIPTS):
        receipt = normalize_receipt_code(unquote(where.removeprefix(RECEIPTS).split("?")[0]))
    for code, own_text in data.own_receipt_only.items():
        if code != receipt:
            assert own_text not in text, (where, own_text)


def requests(data: ApiData) -> list[tuple[str, dict[str, str]]]:
    """(path, query) pairs covering every address, filter and page."""
    asked: list[tuple[str, dict[str, str]]] = [
        ("/api/v1/openapi.json", {}),
        ("/api/v1/consultations", {}),
        ("/api/v1/consultations/face-pilot", {}),
        ("/api/v1/consultations/other-pilot", {}),
        ("/api/v1/consultations/other-pilot/comments", {}),
        ("/api/v1/consultations/face-pilot/comments.csv", {}),
        ("/api/v1/consultations/face-pilot/tallies", {}),
        ("/api/v1/consultations/face-pilot/tallies", {"neighborhood": "seward"}),
        ("/api/v1/consultations/face-pilot/tallies", {"channel": "staff_entry"}),
        ("/api/v1/topics", {}),
        ("/api/v1/topics", {"consultation": "face-pilot"}),
        ("/api/v1/neighborhoods", {}),
        ("/api/v1/no-such-address", {}),
        ("/api/v1/consultations/no-such-pilot/comments", {}),
    ]
    filters: dict[str, list[str]] = {
        "topic": ["privacy", "accuracy", "cost", "astrology"],
        "position": ["support", "oppose", "mixed", "neutral"],
        "neighborhood": ["seward", "north-loop", "atlantis"],
        "community": ["longfellow", "central"],
        "ward": ["2", "3", "6", "14"],
        "language": ["en", "es", "so", "hmn"],
        "channel": ["web", "paper", "email", "staff_entry"],
        "since": ["2000-01-01T00:00:00Z", "2999-01-01T00:00:00Z", "soon"],
        "until": ["2999-01-01T00:00:00Z"],
        "limit": ["1", "2", "100", "0"],
    }
    for name, values in filters.items():
        asked += [(COMMENTS, {name: value}) for value in values]
    for topic, position, place in itertools.product(
        ["privacy", "accuracy"], ["oppose", "support"], ["seward", "north-loop"]
    ):
        asked.append((COMMENTS, {"topic": topic, "position": position, "neighborhood": place}))
    for status in ("pending", "rejected", "hidden", "unknown"):
        asked.append((COMMENTS, {"status": status}))
    asked += [(f"/api/v1/receipts/{code}", {}) for code in data.codes]
    asked += [(f"/api/v1/receipts/{code.lower()}", {}) for code in data.codes]
    return asked


@pytest.mark.config(
    API_RATE_LIMIT="100000 per minute", STATUS_LOOKUP_RATE_LIMIT="100000 per minute"
)
@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_no_private_value_in_any_answer(client: Any, api_data: ApiData, lang: str) -> None:
    statuses = set()
    for path, query in requests(api_data):
        response = client.get(path, query_string={**query, "lang": lang})
        statuses.add(response.status_code)
        assert response.status_code < 500, (path, query)
        assert_private_values_absent(response.get_data(as_text=True), api_data, path)
    assert statuses == {200, 400, 404}


@pytest.mark.config(API_RATE_LIMIT="100000 per minute")
def test_no_private_value_on_any_page_of_comments(client: Any, api_data: ApiData) -> None:
    query = {"limit": "1"}
    pages = 0
    while True:
        response = client.get(COMMENTS, query_string=query)
        assert_private_values_absent(response.get_data(as_text=True), api_data, COMMENTS)
        pages += 1
        if not response.json["has_more"]:
            break
        query["cursor"] = response.json["next_cursor"]
    assert pages == len(api_data.published)


def test_the_checks_would_see_a_leak(client: Any, api_data: ApiData) -> None:
    """The checks above would pass on empty answers; make sure the answers hold what they should."""
    text = client.get(COMMENTS, query_string={"limit": 100}).get_data(as_text=True)
    for comment in api_data.published:
        assert comment.receipt_code in text
    assert api_data.redacted is not None
    assert api_data.redacted.published_body in text
    assert "A letter received on paper at City Hall." in text
    assert api_data.pending is not None
    own = client.get(f"/api/v1/receipts/{api_data.pending.receipt_code}").get_data(as_text=True)
    assert api_data.pending.body in own
    with pytest.raises(AssertionError):
        assert_private_values_absent(own, api_data, COMMENTS)
