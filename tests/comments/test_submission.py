"""A resident sends a comment: the receipt, exactly-once, and every kind of bad input."""

import re
import time
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from engagement.comments.models import Comment, CommentStatus
from engagement.db import utcnow
from tests.conftest import Resident, form_tokens


def stored(session: Any) -> list[Comment]:
    session.expire_all()
    return list(session.scalars(select(Comment)))


def test_comment_goes_through_to_a_receipt(resident: Resident, session: Any) -> None:
    response = resident.submit(
        body="Please don't do this.\r\nIt worries me.",
        topics=["privacy", "cost"],
        display_name="Hodan",
        contact_email="hodan@example.org",
    )
    assert response.status_code == 303
    receipt = resident.client.get(response.headers["Location"])
    page = receipt.get_data(as_text=True)
    [comment] = stored(session)
    assert comment.status == CommentStatus.PENDING
    assert comment.body == "Please don't do this.\nIt worries me."
    assert [t.slug for t in comment.topics] == ["privacy", "cost"]
    assert comment.neighborhood.name == "Seward"
    assert comment.locale == "en"
    assert comment.contact_email == "hodan@example.org"
    assert comment.receipt_code in page
    assert comment.fingerprint in page
    assert "Thank you. Your comment was received and stored." in page
    assert "Received, waiting for review" in page
    assert "hodan@example.org" not in page


def test_receipt_code_is_easy_to_read_aloud(resident: Resident, session: Any) -> None:
    resident.submit()
    [comment] = stored(session)
    assert re.fullmatch(
        r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", comment.receipt_code
    )


def test_double_click_stores_one_comment_and_shows_one_receipt(
    resident: Resident, session: Any
) -> None:
    tokens = resident.open_form()
    first = resident.submit(tokens)
    second = resident.submit(tokens)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert len(stored(session)) == 1


def test_back_button_and_resubmit_with_edits_lands_on_the_same_receipt(
    resident: Resident, session: Any
) -> None:
    tokens = resident.open_form()
    first = resident.submit(tokens, body="First version")
    again = resident.submit(tokens, body="Edited after pressing Back")
    assert again.headers["Location"] == first.headers["Location"]
    [comment] = stored(session)
    assert comment.body == "First version"


def test_a_new_form_gives_a_new_comment(resident: Resident, session: Any) -> None:
    resident.submit()
    resident.submit()
    assert len(stored(session)) == 2


def test_race_between_two_clicks_still_stores_once(resident: Resident, session: Any) -> None:
    """The second request misses the first's row in its check, then hits the unique token."""
    tokens = resident.open_form()
    resident.submit(tokens)
    with mock.patch(
        "engagement.comments.operations.comment_by_submission_token", return_value=None
    ):
        racing = resident.submit(tokens)
    assert racing.status_code == 303
    assert len(stored(session)) == 1


LONG = "a" * 10_001


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"body": ""}, "Write your comment before sending."),
        ({"body": "   \n\t  "}, "Write your comment before sending."),
        ({"body": None}, "Write your comment before sending."),
        ({"body": LONG}, "This is 10,001 characters long; the limit is 10,000."),
        ({"body": "Hello\x00world"}, "Some characters could not be read"),
        ({"body": "Bell \x07 here"}, "Some characters could not be read"),
        ({"position": ""}, "Choose where you stand on the pilot."),
        ({"position": "maybe"}, "Choose one of the three positions."),
        ({"topics": ["privacy", "not-a-topic"]}, "Choose topics from the list."),
        ({"neighborhood": ""}, "Choose your neighborhood, or one of the other answers."),
        ({"neighborhood": "atlantis"}, "That neighborhood is not on our list."),
        ({"display_name": "x" * 81}, "This is 81 characters long; the limit is 80."),
        ({"contact_email": "not-an-address"}, "Check the e-mail address"),
        ({"website": "http://spam.example"}, "Please leave this field empty."),
        ({"submission_token": "forged.token"}, "This form was changed after we sent it."),
        ({"submission_token": ""}, "This form was changed after we sent it."),
        ({"csrf_token": ""}, "This page was open too long or came from another site"),
        ({"csrf_token": "garbage"}, "This page was open too long or came from another site"),
    ],
)
def test_bad_input_is_explained_and_the_text_is_kept(
    resident: Resident, session: Any, fields: dict[str, Any], message: str
) -> None:
    body = "My words <b>stay</b> here & are not lost."
    response = resident.submit(**{"body": body, **fields})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert 'class="error-summary"' in page
    if "body" not in fields:
        assert "My words &lt;b&gt;stay&lt;/b&gt; here &amp; are not lost." in page
    assert stored(session) == []


def test_long_text_is_kept_in_the_form(resident: Resident) -> None:
    page = resident.submit(body=LONG).get_data(as_text=True)
    assert LONG in page


def test_control_characters_are_marked_for_the_resident(resident: Resident) -> None:
    page = resident.submit(body="Hello\x00world").get_data(as_text=True)
    assert "Hello\ufffdworld" in page


def test_invalid_utf8_is_explained_and_kept(resident: Resident, session: Any) -> None:
    tokens = resident.open_form()
    raw = (
        b"body=Caf%E9+ol%C3%A9&position=oppose&neighborhood=seward&website="
        + f"&csrf_token={tokens['csrf_token']}".encode()
        + f"&submission_token={tokens['submission_token']}".encode()
    )
    response = resident.client.post(
        "/en/consultations/face-pilot/comments",
        data=raw,
        content_type="application/x-www-form-urlencoded",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Some characters could not be read" in page
    assert "Caf\ufffd olé" in page
    assert stored(session) == []


def test_error_messages_are_tied_to_their_fields(resident: Resident) -> None:
    page = resident.submit(body="").get_data(as_text=True)
    assert 'href="#body"' in page
    assert 'aria-describedby="body-help body-error"' in page
    assert 'aria-invalid="true"' in page
    assert page.count("<h1") == 1


def test_html_is_stored_as_text_and_shown_escaped(resident: Resident, session: Any) -> None:
    script = "<script>alert('x')</script> & <img src=x onerror=alert(1)>"
    receipt = resident.client.get(resident.submit(body=script).headers["Location"])
    page = receipt.get_data(as_text=True)
    [comment] = stored(session)
    assert comment.body == script
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(" in page


def test_other_answers_for_where_you_live(resident: Resident, session: Any) -> None:
    resident.submit(neighborhood="outside")
    resident.submit(neighborhood="undisclosed")
    assert sorted(c.residence.value for c in stored(session)) == ["outside", "undisclosed"]
    assert all(c.neighborhood is None for c in stored(session))


@pytest.mark.parametrize(
    ("opens", "closes", "message"),
    [
        (-30, -1, "The comment period for this consultation is closed"),
        (2, 30, "The comment period for this consultation has not opened yet."),
    ],
)
def test_comments_outside_the_period_are_refused_with_text_kept(
    resident: Resident, session: Any, consultation: Any, opens: int, closes: int, message: str
) -> None:
    tokens = resident.open_form()
    consultation.opens_at = utcnow() + timedelta(days=opens)
    consultation.closes_at = utcnow() + timedelta(days=closes)
    session.commit()
    response = resident.submit(tokens, body="Sent just after closing")
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert message in page
    assert "Sent just after closing" in page
    assert stored(session) == []


def test_closed_consultation_shows_no_form(client: Any, session: Any, consultation: Any) -> None:
    consultation.closes_at = utcnow() - timedelta(hours=1)
    consultation.opens_at = utcnow() - timedelta(days=9)
    session.commit()
    page = client.get("/en/consultations/face-pilot").get_data(as_text=True)
    assert "The comment period has closed." in page
    assert 'name="body"' not in page


def test_unknown_consultation_is_not_found(resident: Resident) -> None:
    resident.slug = "no-such-thing"
    response = resident.client.post("/en/consultations/no-such-thing/comments", data={"body": "x"})
    assert response.status_code == 404


def test_database_down_keeps_the_text_and_gives_no_receipt(
    resident: Resident, session: Any
) -> None:
    tokens = resident.open_form()
    failure = OperationalError("INSERT", {}, Exception("server closed the connection"))
    with mock.patch("engagement.comments.views.submit_comment", side_effect=failure):
        response = resident.submit(tokens, body="Words that must survive an outage")
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "It has NOT been received yet." in page
    assert "Words that must survive an outage" in page
    assert tokens["submission_token"] in page  # sending again stays exactly-once
    assert "receipts/" not in page
    assert stored(session) == []
    # The resident presses "Send again" once the database is back: the same form goes through.
    again = resident.submit(tokens, body="Words that must survive an outage")
    assert again.status_code == 303
    assert [c.body for c in stored(session)] == ["Words that must survive an outage"]


def test_database_down_at_commit_gives_no_receipt(resident: Resident, session: Any) -> None:
    failure = OperationalError("COMMIT", {}, Exception("connection reset"))
    with mock.patch("sqlalchemy.orm.Session.commit", side_effect=failure):
        response = resident.submit(body="Commit fails")
    assert response.status_code == 503
    assert "Commit fails" in response.get_data(as_text=True)
    assert stored(session) == []


@pytest.mark.config(COMMENT_RATE_LIMIT="2 per minute")
def test_flooding_is_slowed_and_the_text_kept(resident: Resident, session: Any) -> None:
    assert resident.submit().status_code == 303
    assert resident.submit().status_code == 303
    response = resident.submit(body="Third in a minute")
    page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "You have sent several comments in a short time." in page
    assert "Third in a minute" in page
    assert len(stored(session)) == 2


@pytest.mark.config(MAX_CONTENT_LENGTH=4096)
def test_oversized_request_gets_a_clear_page(resident: Resident, session: Any) -> None:
    response = resident.submit(body="x" * 5000)
    assert response.status_code == 413
    assert "A comment can be up to 10,000 characters." in response.get_data(as_text=True)
    assert stored(session) == []


def test_no_raw_ip_address_is_stored(resident: Resident, session: Any) -> None:
    resident.client.environ_base["REMOTE_ADDR"] = "203.0.113.77"
    resident.submit()
    [comment] = stored(session)
    assert comment.client_hash
    assert "203.0.113.77" not in comment.client_hash
    row = session.execute(select(Comment.__table__)).one()
    assert all("203.0.113" not in str(value) for value in row)


def test_comment_is_recorded_in_the_language_of_the_page(
    client: Any, consultation: Any, session: Any
) -> None:
    Resident(client, consultation.slug, lang="so").submit()
    [comment] = stored(session)
    assert comment.locale == "so"
    assert session.scalar(select(func.count()).select_from(Comment)) == 1


def test_expired_csrf_token_is_explained_and_the_text_kept(
    resident: Resident, session: Any
) -> None:
    tokens = resident.open_form()
    eight_hours_later = time.time() + 8 * 3600 + 60
    with mock.patch("itsdangerous.timed.time.time", return_value=eight_hours_later):
        response = resident.submit(tokens, body="Written slowly over a long evening")
        page = response.get_data(as_text=True)
        assert response.status_code == 422
        assert "This page was open too long or came from another site" in page
        assert "Written slowly over a long evening" in page
        assert stored(session) == []
        # The page came back with a fresh token: sending again now works.
        again = resident.submit(form_tokens(page), body="Written slowly over a long evening")
    assert again.status_code == 303


def test_changed_resubmission_is_not_reported_as_stored(resident: Resident, session: Any) -> None:
    tokens = resident.open_form()
    first = resident.submit(tokens, body="First version")
    resident.client.get(first.headers["Location"])  # the resident reads the first receipt
    again = resident.submit(tokens, body="Second thoughts", position="support")
    page = resident.client.get(again.headers["Location"]).get_data(as_text=True)
    assert "nothing new was stored" in page
    assert "Thank you. Your comment was received and stored." not in page
    assert [c.body for c in stored(session)] == ["First version"]
