"""Reading pages cost the same number of SQL queries however many comments there are.

A page that loaded each comment's topics or neighborhood one by one would be fine in a demo
and fall over with 100,000 comments (bench/reading.py measures the time; this counts the
queries). Pages another area adds (the API, city services) are counted once they are there.
"""

import html
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from engagement.comments.models import CommentStatus, Position
from tests.conftest import count_queries
from tests.factories import make_comment

FEW, MANY = 25, 100
#: (name, path with {slug} and {code}; {last}: the last page of the list, reached by its
#: "Older comments" links; {newer}: the "Newer comments" link of that page; {deep}: the last
#: page of the API, reached by its cursors)
PAGES = [
    ("consultation", "/en/consultations/{slug}"),
    ("comments, page 1", "/en/consultations/{slug}/comments"),
    ("comments, last page", "{last}"),
    ("comments, newer than the last page", "{newer}"),
    ("comments, filtered", "/en/consultations/{slug}/comments?topic=privacy&position=oppose"),
    ("one comment", "/en/consultations/{slug}/comments/{code}"),
    ("receipt", "/en/receipts/{code}"),
    ("moderation summary", "/en/consultations/{slug}/moderation"),
    ("comments API", "/api/v1/consultations/{slug}/comments"),
    ("comments API, filtered", "/api/v1/consultations/{slug}/comments?topic=privacy"),
    ("comments API, deep cursor", "{deep}"),
    ("city-services search", "/en/services?q=police"),
]


def _add(session: Session, consultation: Any, count: int) -> str:
    code = ""
    for number in range(count):
        comment = make_comment(
            session,
            consultation,
            body=f"Comment {number}",
            topics=["privacy", "cost"][: 1 + number % 2],
            position=list(Position)[number % 3],
            neighborhood=["seward", "phillips-west", "outside"][number % 3],
            status=CommentStatus.PUBLISHED,
        )
        code = comment.receipt_code
    session.commit()
    return code


def _link(page: str, rel: str) -> str | None:
    match = re.search(rf'<a rel="{rel}" href="([^"]*)"', page)
    return html.unescape(match.group(1)) if match else None


def _deep_pages(client: FlaskClient, slug: str) -> dict[str, str]:
    """The deepest pages a reader reaches by the site's own links and the API's cursors."""
    last = f"/en/consultations/{slug}/comments"
    while (older := _link(client.get(last).get_data(as_text=True), "next")) is not None:
        last = older
    api = f"/api/v1/consultations/{slug}/comments"
    deep, body = api, client.get(api).json
    while body["has_more"]:
        deep = f"{api}?cursor={body['next_cursor']}"
        body = client.get(deep).json
    newer = _link(client.get(last).get_data(as_text=True), "prev")
    return {"last": last, "newer": newer or last, "deep": deep}


def _queries(client: FlaskClient, path: str) -> tuple[int, int]:
    client.get(path)  # first loads (catalogs, per-process caches) are not the point here
    with count_queries() as statements:
        answer = client.get(path)
    return answer.status_code, len(statements)


@pytest.mark.config(STATUS_LOOKUP_RATE_LIMIT="1000 per minute")
@pytest.mark.parametrize(("name", "template"), PAGES, ids=[name for name, _path in PAGES])
def test_queries_per_page_do_not_grow_with_comments(
    app: Flask, client: FlaskClient, session: Session, consultation: Any, name: str, template: str
) -> None:
    try:
        app.url_map.bind("localhost").match(template.split("?", 1)[0], method="GET")
    except HTTPException:
        if "{" not in template.split("?", 1)[0]:
            pytest.skip(f"{name}: no such page registered yet")
    code = _add(session, consultation, FEW)
    values = {"slug": consultation.slug, "code": code, **_deep_pages(client, consultation.slug)}
    status, few = _queries(client, template.format(**values))
    if status == 404 and name.startswith(("comments API", "city")):
        pytest.skip(f"{name}: no such page registered yet")
    assert status == 200, name

    code = _add(session, consultation, MANY - FEW)
    values = {"slug": consultation.slug, "code": code, **_deep_pages(client, consultation.slug)}
    assert values["last"] != values["newer"], "the list should have more than one page"
    status, many = _queries(client, template.format(**values))
    assert status == 200, name
    assert many == few, f"{name}: {few} queries with {FEW} comments, {many} with {MANY}"
