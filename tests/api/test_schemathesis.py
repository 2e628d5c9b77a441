"""Schemathesis runs every operation of the OpenAPI document against the app, with its default
checks: no server error, every status and header documented, every body matching its schema,
valid requests accepted and invalid ones rejected.

The run is bounded (a few dozen examples per operation) and derandomized, so it is fast and
gives the same result every time. It runs on data with published, pending, rejected, hidden,
redacted and staff-entered comments, and every answer it gets is also checked for private
values (see test_privacy).
"""

import zlib
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.core.parameters import ParameterLocation

from engagement.api.parameters import cursor_for
from engagement.api.views import OPENAPI_DOCUMENT
from engagement.comments.queries import FeedPosition
from tests.api.conftest import ApiData
from tests.api.test_privacy import assert_private_values_absent

# The document as kept in the repository (test_openapi checks that it is what the API serves).
# Each operation is one test with its own app and data, which every example of it reads.
# (schemathesis.pytest.from_fixture would load it from the app, but it sets `Node._nodeid`,
# which pytest 9.2 no longer has.)
schema = schemathesis.openapi.from_path(str(OPENAPI_DOCUMENT))


def _pick(options: list[str], value: Any) -> str:
    """One of ``options``, chosen by the generated value, so the run stays reproducible."""
    return options[zlib.crc32(str(value).encode()) % len(options)]


def _valid(case: Any, location: ParameterLocation) -> bool:
    """Whether this part of the request (path, query...) was generated valid."""
    if case.meta is None:
        return False
    component = case.meta.components.get(location)
    mode = component.mode if component is not None else case.meta.generation.mode
    return bool(mode.is_positive)


def known_references(case: Any, data: ApiData, secret: str) -> None:
    """Valid requests that name things which exist.

    The document can't list the slugs of consultations, topics, neighborhoods and communities,
    the receipt codes, or the cursors the API signs: they come from the data. A well-formed slug
    that names nothing is a 400 by design (a typo must not look like "no comments"), which the
    positive-data check would report as a valid request refused; and an unknown consultation is
    a 404 that stops every other check of the request. So where a part of the request was
    generated valid, its references are drawn from the data (some are left as generated);
    invalid parts are sent exactly as generated.
    """
    path = case.path_parameters or {}
    if _valid(case, ParameterLocation.PATH):
        if "slug" in path:
            path["slug"] = _pick(
                ["face-pilot", "face-pilot", "other-pilot", path["slug"]], path["slug"]
            )
        if "code" in path:
            path["code"] = _pick([*data.codes, path["code"]], path["code"])
    query = case.query or {}
    if not _valid(case, ParameterLocation.QUERY):
        return
    choices = {
        "topic": ["privacy", "accuracy", "cost"],
        "neighborhood": ["seward", "north-loop", "phillips-west", "cedar-isles-dean"],
        "community": ["longfellow", "central", "calhoun-isles"],
        "consultation": ["face-pilot", "other-pilot"],
    }
    for name, options in choices.items():
        if name in query:
            query[name] = _pick(options, query[name])
    if "cursor" in query:
        comment = data.published[zlib.crc32(str(query["cursor"]).encode()) % len(data.published)]
        position = FeedPosition(comment.published_at, comment.receipt_code)  # type: ignore[arg-type]
        query["cursor"] = cursor_for(position, secret)


@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.config(
    API_RATE_LIMIT="100000 per minute", STATUS_LOOKUP_RATE_LIMIT="100000 per minute"
)
def test_the_api_conforms_to_its_description(case: Any, app: Flask, api_data: ApiData) -> None:
    known_references(case, api_data, app.config["SECRET_KEY"])
    response = case.call_and_validate(app=app)
    assert_private_values_absent(response.text, api_data, case.formatted_path)
