"""GET /api/v1/consultations/<slug>/comments: published comments only, filters, cursor paging."""

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from engagement.comments.models import Channel, CommentStatus, Position
from engagement.comments.queries import PUBLIC_FIELDS
from engagement.db import utcnow
from engagement.moderation.operations import publish_comment
from tests.api.conftest import ApiData, minutes_ago
from tests.comments.test_listing import count_queries
from tests.factories import make_comment

COMMENTS = "/api/v1/consultations/face-pilot/comments"


def read(client: Any, path: str = COMMENTS, **query: Any) -> dict[str, Any]:
    response = client.get(path, query_string=query)
    assert response.status_code == 200, response.json
    body: dict[str, Any] = response.json
    return body


def codes(body: dict[str, Any]) -> list[str]:
    return [comment["receipt_code"] for comment in body["data"]]


def read_all(client: Any, **query: Any) -> list[str]:
    """Every receipt code, reading page after page with the cursor."""
    found: list[str] = []
    body = read(client, **query)
    found += codes(body)
    while body["has_more"]:
        body = read(client, **query, cursor=body["next_cursor"])
        found += codes(body)
    return found


def test_only_published_comments_in_order_of_publication(client: Any, api_data: ApiData) -> None:
    body = read(client)
    published = sorted(api_data.published, key=lambda comment: comment.published_at)
    assert codes(body) == [comment.receipt_code for comment in published]
    assert body["has_more"] is False
    # Published in the reverse of the order they were written: the order is publication.
    submitted = sorted(api_data.published[:4], key=lambda comment: comment.submitted_at)
    assert codes(body)[:4] == [comment.receipt_code for comment in reversed(submitted)]
    for other in (api_data.pending, api_data.rejected, api_data.hidden):
        assert other is not None
        assert other.receipt_code not in codes(body)


def test_a_comment_has_the_public_fields_in_order(client: Any, api_data: ApiData) -> None:
    comment = api_data.published[1]  # Spanish, from North Loop: two wards
    record = next(
        item for item in read(client)["data"] if item["receipt_code"] == comment.receipt_code
    )
    assert list(record) == list(PUBLIC_FIELDS)
    assert record == {
        "receipt_code": comment.receipt_code,
        "submitted_at": comment.submitted_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "published_at": comment.published_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "position": "support",
        "topics": ["cost"],
        "residence": "minneapolis",
        "neighborhood": "north-loop",
        "community": "central",
        "wards": [3, 5],
        "language": "es",
        "channel": "web",
        "campaign": None,
        "display_name": None,
        "text": "Publicado en español desde North Loop.",
        "fingerprint": comment.fingerprint,
    }
    assert record["submitted_at"].endswith("Z")


def test_outside_and_undisclosed_have_no_place(client: Any, api_data: ApiData) -> None:
    records = {item["receipt_code"]: item for item in read(client)["data"]}
    outside = records[api_data.published[2].receipt_code]
    undisclosed = records[api_data.published[3].receipt_code]
    assert (outside["residence"], outside["neighborhood"], outside["community"]) == (
        "outside",
        None,
        None,
    )
    assert outside["wards"] == []
    assert undisclosed["residence"] == "undisclosed"
    assert undisclosed["topics"] == []
    assert undisclosed["channel"] == "email"


def test_redacted_comment_shows_the_redacted_text_without_fingerprint(
    client: Any, api_data: ApiData
) -> None:
    assert api_data.redacted is not None
    records = {item["receipt_code"]: item for item in read(client)["data"]}
    record = records[api_data.redacted.receipt_code]
    assert "Zebulon" not in record["text"]
    assert "[removed: personal information]" in record["text"]
    assert record["fingerprint"] is None


def test_campaign_is_the_campaign_id(client: Any, session: Any, api_data: ApiData) -> None:
    from engagement.campaigns.models import Campaign

    campaign = Campaign(consultation_id=api_data.consultation.id)
    session.add(campaign)
    session.flush()
    api_data.published[0].campaign_id = campaign.id
    session.commit()
    records = {item["receipt_code"]: item for item in read(client)["data"]}
    assert records[api_data.published[0].receipt_code]["campaign"] == campaign.id
    assert records[api_data.published[1].receipt_code]["campaign"] is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"topic": "cost"}, [1]),
        ({"topic": "accuracy"}, [2, "entered"]),
        ({"position": "support"}, [1]),
        ({"position": "mixed"}, [2]),
        ({"neighborhood": "north-loop"}, [1]),
        ({"neighborhood": "seward"}, [0, "redacted", "entered"]),
        ({"community": "central"}, [1]),
        ({"community": "longfellow"}, [0, "redacted", "entered"]),
        # Seward lies in wards 2 and 6, North Loop in 3 and 5: each ward finds its own.
        ({"ward": "2"}, [0, "redacted", "entered"]),
        ({"ward": "6"}, [0, "redacted", "entered"]),
        ({"ward": "5"}, [1]),
        ({"ward": "13"}, []),
        ({"language": "so"}, [2]),
        ({"language": "hmn"}, [3]),
        ({"channel": "paper"}, ["entered"]),
        ({"channel": "email"}, [3]),
        ({"position": "oppose", "neighborhood": "seward", "topic": "privacy"}, [0, "redacted"]),
    ],
)
def test_filters(
    client: Any, api_data: ApiData, query: dict[str, str], expected: list[Any]
) -> None:
    comments: list[Any] = [
        getattr(api_data, key) if isinstance(key, str) else api_data.published[key]
        for key in expected
    ]
    wanted = sorted(comments, key=lambda comment: comment.published_at)
    assert codes(read(client, **query)) == [comment.receipt_code for comment in wanted]


def test_since_and_until_select_by_publication_time(client: Any, api_data: ApiData) -> None:
    everything = codes(read(client))
    assert api_data.redacted is not None
    cut = api_data.redacted.published_at
    at = everything.index(api_data.redacted.receipt_code)
    since = cut.isoformat()
    assert codes(read(client, since=since)) == everything[at:]
    assert codes(read(client, until=since)) == everything[:at]
    # The same moment in Minneapolis time, with its offset, means the same.
    local = cut.astimezone(ZoneInfo("America/Chicago")).isoformat()
    assert codes(read(client, since=local)) == codes(read(client, since=since))
    # Beyond what a datetime holds in UTC: from the beginning, to the end.
    assert codes(read(client, since="0001-01-01T00:00:00+05:00")) == everything
    assert codes(read(client, until="9999-12-31T23:59:59-05:00")) == everything
    assert codes(read(client, since="9999-12-31T23:59:59Z")) == []


def test_pages_follow_the_cursor_to_the_end(client: Any, api_data: ApiData) -> None:
    everything = codes(read(client, limit=100))
    first = read(client, limit=2)
    assert codes(first) == everything[:2]
    assert first["has_more"] is True
    assert read_all(client, limit=2) == everything
    assert read_all(client, limit=1) == everything


def test_the_last_cursor_finds_what_is_published_later(
    client: Any, session: Any, api_data: ApiData
) -> None:
    body = read(client, limit=100)
    assert body["has_more"] is False
    cursor = body["next_cursor"]
    assert cursor
    empty = read(client, cursor=cursor)
    assert empty["data"] == []
    assert empty["next_cursor"] == cursor
    assert api_data.pending is not None
    publish_comment(session, api_data.pending.id, api_data.pending.version, api_data.staff)
    session.commit()
    assert codes(read(client, cursor=cursor)) == [api_data.pending.receipt_code]


def test_no_duplicates_and_no_gaps_while_comments_are_published(
    client: Any, session: Any, api_data: ApiData
) -> None:
    """Comments written long ago but published while a client pages through are not missed."""
    waiting = [
        make_comment(
            session,
            api_data.consultation,
            body=f"Written early, published late {number}",
            status=CommentStatus.PENDING,
            submitted_at=minutes_ago(900 + number),
        )
        for number in range(3)
    ]
    session.commit()
    seen: list[str] = []
    body = read(client, limit=2)
    seen += codes(body)
    while body["has_more"] or waiting:
        if waiting:
            comment = waiting.pop()
            publish_comment(session, comment.id, comment.version, api_data.staff)
            session.commit()
        body = read(client, limit=2, cursor=body["next_cursor"])
        seen += codes(body)
    assert len(seen) == len(set(seen)), "a comment was listed twice"
    assert seen == codes(read(client, limit=100))
    assert len(seen) == len(api_data.published) + 3


def test_ties_in_publication_time_are_broken_by_receipt_code(
    client: Any, session: Any, consultation: Any
) -> None:
    moment = utcnow() - timedelta(minutes=5)
    comments = [make_comment(session, consultation, body=f"Bulk {n}") for n in range(5)]
    for comment in comments:
        comment.published_at = moment
    session.commit()
    expected = sorted(comment.receipt_code for comment in comments)
    assert read_all(client, limit=2) == expected


def test_limit_bounds_the_page(client: Any, session: Any, consultation: Any) -> None:
    for number in range(25):
        make_comment(session, consultation, body=f"Comment {number}")
    session.commit()
    assert len(read(client)["data"]) == 20
    assert len(read(client, limit=1)["data"]) == 1
    assert len(read(client, limit=100)["data"]) == 25


def test_a_page_takes_a_fixed_number_of_queries(
    client: Any, session: Any, consultation: Any
) -> None:
    for number in range(30):
        make_comment(
            session,
            consultation,
            body=f"Comment {number}",
            neighborhood=("seward", "north-loop", "outside")[number % 3],
            topics=["privacy", "cost"],
        )
    session.commit()
    read(client)
    with count_queries() as few:
        read(client, limit=3)
    with count_queries() as many:
        read(client, limit=30)
    selects = [statement for statement in many if statement.startswith("SELECT")]
    assert len(selects) == len([statement for statement in few if statement.startswith("SELECT")])
    assert len(selects) <= 6


def test_an_empty_consultation_has_no_cursor(client: Any, consultation: Any) -> None:
    body = read(client)
    assert body == {"language": "en", "data": [], "next_cursor": None, "has_more": False}


def test_comments_of_an_unknown_consultation_are_not_found(client: Any, consultation: Any) -> None:
    response = client.get("/api/v1/consultations/no-such-thing/comments")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_filters_by_enum_values_accept_every_value(client: Any, api_data: ApiData) -> None:
    for position in Position:
        assert client.get(COMMENTS, query_string={"position": position.value}).status_code == 200
    for channel in Channel:
        assert client.get(COMMENTS, query_string={"channel": channel.value}).status_code == 200
