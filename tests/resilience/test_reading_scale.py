"""Reading pages cost the same number of SQL queries however many comments there are.

A page that loaded each comment's topics or neighborhood one by one would be fine in a demo
and fall over with 100,000 comments (bench/reading.py measures the time; this counts the
queries). Pages another area adds (the API, city services) are counted once they are there.
"""

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
#: (name, path with {slug}, {code} and {deep}: the last page)
PAGES = [
    ("consultation", "/en/consultations/{slug}"),
    ("comments, page 1", "/en/consultations/{slug}/comments"),
    ("comments, last page", "/en/consultations/{slug}/comments?page={deep}"),
    ("comments, filtered", "/en/consultations/{slug}/comments?topic=privacy&position=oppose"),
    ("one comment", "/en/consultations/{slug}/comments/{code}"),
    ("receipt", "/en/receipts/{code}"),
    ("moderation summary", "/en/consultations/{slug}/moderation"),
    ("comments API", "/api/v1/consultations/{slug}/comments"),
    ("comments API, filtered", "/api/v1/consultations/{slug}/comments?topic=privacy"),
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
    per_page = app.config["COMMENTS_PER_PAGE"]
    code = _add(session, consultation, FEW)
    values = {"slug": consultation.slug, "code": code, "deep": -(-FEW // per_page)}
    status, few = _queries(client, template.format(**values))
    if status == 404 and name.startswith(("comments API", "city")):
        pytest.skip(f"{name}: no such page registered yet")
    assert status == 200, name

    code = _add(session, consultation, MANY - FEW)
    values = {"slug": consultation.slug, "code": code, "deep": -(-MANY // per_page)}
    status, many = _queries(client, template.format(**values))
    assert status == 200, name
    assert many == few, f"{name}: {few} queries with {FEW} comments, {many} with {MANY}"
