"""The receipt page a resident keeps, its checkable fingerprint, and looking a receipt up."""

import hashlib
import html
import json
import re
from datetime import timedelta
from typing import Any

import pytest

from engagement.comments.models import CommentStatus, Position, RejectionReason
from engagement.db import utcnow
from tests.conftest import Resident
from tests.factories import make_comment

CODE = "0K1Q-M9XD-4RTB"


def receipt_url(code: str, lang: str = "en") -> str:
    return f"/{lang}/receipts/{code}"


def text_of(fragment: str) -> str:
    """What a reader sees of an HTML fragment: no tags, entities decoded, spaces collapsed."""
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())
    return re.sub(r" ([,.:;])", r"\1", text)


def status_line(page: str) -> str:
    match = re.search(r'<p class="status status-\w+">(.*?)</p>', page, re.DOTALL)
    assert match, "no status on the page"
    return text_of(match.group(1))


def shown_fingerprint(page: str) -> str:
    match = re.search(r'<p class="fingerprint"><code>([^<]*)</code></p>', page)
    assert match, "no fingerprint on the page"
    return match.group(1)


def shown_record(page: str) -> str:
    match = re.search(r'<pre class="record"[^>]*>(.*?)</pre>', page, re.DOTALL)
    assert match, "no record on the page"
    return html.unescape(match.group(1))


@pytest.mark.parametrize(
    ("state", "status", "explanations"),
    [
        (
            {"status": CommentStatus.PENDING},
            "Received, waiting for review",
            [
                "Staff read every comment before it is published.",
                "This comment is not counted in the current tally",
            ],
        ),
        (
            {"status": CommentStatus.PUBLISHED},
            "Published",
            ['This comment is counted in the current tally, as "Support".'],
        ),
        (
            {"status": CommentStatus.REJECTED, "rejection_reason": RejectionReason.SPAM},
            "Not published: Spam or advertising",
            ["This comment is not counted in the current tally"],
        ),
        (
            {"status": CommentStatus.REJECTED, "rejection_reason": RejectionReason.OFF_TOPIC},
            "Not published: Not about this consultation",
            ["This comment is not counted in the current tally"],
        ),
        (
            {"status": CommentStatus.HIDDEN},
            "Hidden from the public list",
            ["This comment is not counted in the current tally"],
        ),
    ],
)
def test_receipt_says_where_the_comment_stands(
    client: Any,
    session: Any,
    consultation: Any,
    state: dict[str, Any],
    status: str,
    explanations: list[str],
) -> None:
    comment = make_comment(
        session, consultation, body="My words.", position=Position.SUPPORT, **state
    )
    session.commit()
    response = client.get(receipt_url(comment.receipt_code))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert comment.receipt_code in page
    assert status_line(page) == status
    for explanation in explanations:
        assert explanation in page
    counted = "This comment is counted in the current tally" in page
    assert counted is (comment.status == CommentStatus.PUBLISHED)
    waiting = "Staff read every comment" in page
    assert waiting is (comment.status == CommentStatus.PENDING)


def test_receipt_shows_what_was_received(client: Any, session: Any, consultation: Any) -> None:
    comment = make_comment(
        session,
        consultation,
        body="First paragraph.\n\nSecond one.",
        topics=["privacy", "cost"],
        display_name="Hodan",
        neighborhood="seward",
        status=CommentStatus.PENDING,
        locale="so",
    )
    session.commit()
    page = client.get(receipt_url(comment.receipt_code)).get_data(as_text=True)
    received = re.search(r'<dl class="received">(.*?)</dl>', page, re.DOTALL)
    assert received
    text = text_of(received.group(1))
    assert "Face recognition pilot" in text
    assert "Topics Privacy, Cost" in text
    assert "Where you live Seward (Longfellow)" in text
    assert "Shown as Hodan" in text
    assert "Position Oppose" in text
    assert re.search(
        r'<dd class="comment-text" lang="so"><p>First paragraph.</p><p>Second one.</p></dd>',
        received.group(1),
    )


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"status": CommentStatus.PENDING},
        {
            "body": 'Tom & "Jerry" say <no>.\n\nCafé — ¿por qué? 🙂 \\ backslash',
            "display_name": 'Ana <María> & "Co"',
            "topics": ["privacy", "cost", "accuracy"],
            "locale": "es",
        },
        {"neighborhood": "outside", "topics": [], "locale": "so", "position": Position.MIXED},
        {"neighborhood": "undisclosed", "locale": "hmn", "position": Position.SUPPORT},
    ],
)
def test_anyone_can_recompute_the_fingerprint(
    client: Any, session: Any, consultation: Any, fields: dict[str, Any]
) -> None:
    comment = make_comment(
        session, consultation, submitted_at=utcnow() - timedelta(hours=5), **fields
    )
    session.commit()
    code, stored_fingerprint = comment.receipt_code, comment.fingerprint
    session.expire_all()  # the page reads the comment back from the database
    page = client.get(receipt_url(code)).get_data(as_text=True)
    record = shown_record(page)
    assert hashlib.sha256(record.encode("utf-8")).hexdigest() == shown_fingerprint(page)
    assert shown_fingerprint(page) == stored_fingerprint
    received = json.loads(record)
    assert received["receipt"] == code
    assert received["consultation"] == "face-pilot"
    assert received["text"] == fields.get("body", "A comment about the pilot.")
    assert received["display_name"] == fields.get("display_name")
    assert received["language"] == fields.get("locale", "en")


def test_fingerprint_of_a_comment_sent_through_the_form(resident: Resident, session: Any) -> None:
    response = resident.submit(
        body="Line one\r\nline two é\r\n\r\nNew paragraph & <tags>",
        topics=["cost", "privacy"],
        display_name="Fartun",
        contact_email="fartun@example.org",
    )
    page = resident.client.get(response.headers["Location"]).get_data(as_text=True)
    record = shown_record(page)
    assert hashlib.sha256(record.encode("utf-8")).hexdigest() == shown_fingerprint(page)
    received = json.loads(record)
    assert received["text"] == "Line one\nline two é\n\nNew paragraph & <tags>"
    assert received["topics"] == ["cost", "privacy"]
    assert "fartun@example.org" not in record


def test_fingerprint_changes_with_the_record(client: Any, session: Any, consultation: Any) -> None:
    first = make_comment(session, consultation, body="Same words")
    second = make_comment(session, consultation, body="Same words")
    session.commit()
    fingerprints = {
        shown_fingerprint(client.get(receipt_url(c.receipt_code)).get_data(as_text=True))
        for c in (first, second)
    }
    assert len(fingerprints) == 2  # the receipt code is part of the record


@pytest.fixture
def known(session: Any, consultation: Any) -> Any:
    """A comment whose code holds a 0 and a 1, the characters people mistype."""
    comment = make_comment(session, consultation, status=CommentStatus.PENDING, receipt_code=CODE)
    session.commit()
    return comment


@pytest.mark.usefixtures("known")
@pytest.mark.parametrize(
    "typed",
    [
        CODE,
        "0k1q-m9xd-4rtb",
        "0K1Q M9XD 4RTB",
        "0k1q m9xd 4rtb",
        "0K1QM9XD4RTB",
        "0k1qm9xd4rtb",
        "  0K1Q-M9XD-4RTB  ",
        "0K1Q.M9XD.4RTB",
        "0K1Q_M9XD_4RTB",
        "OK1Q-M9XD-4RTB",
        "oK1Q-M9XD-4RTB",
        "0KIQ-M9XD-4RTB",
        "0KLQ-M9XD-4RTB",
        "0klq-m9xd-4rtb",
        "0kiq m9xd 4rtb",
        "okiqm9xd4rtb",
    ],
)
def test_lookup_understands_what_people_type(client: Any, typed: str) -> None:
    response = client.get("/en/receipts", query_string={"code": typed})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(receipt_url(CODE))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'<p class="receipt-code">{CODE}</p>' in page


@pytest.mark.usefixtures("known")
@pytest.mark.parametrize("lang", ["es", "so", "hmn"])
def test_lookup_keeps_the_language(client: Any, lang: str) -> None:
    response = client.get(f"/{lang}/receipts", query_string={"code": CODE.lower()})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(receipt_url(CODE, lang))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'<html lang="{lang}"' in page


@pytest.mark.usefixtures("known")
def test_lookup_page_starts_empty(client: Any) -> None:
    response = client.get("/en/receipts")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="code"' in page
    assert 'class="error-summary"' not in page


@pytest.mark.usefixtures("known")
@pytest.mark.parametrize("typed", ["7KQ2-M9XD-4RTB", "0K1Q-M9XD-4RTV", "0k1q m9xd 4rtc"])
def test_lookup_of_an_unknown_code_says_so(client: Any, typed: str) -> None:
    response = client.get("/en/receipts", query_string={"code": typed})
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "We found no comment with this code." in page
    assert 'class="error-summary"' in page
    assert f'value="{typed}"' in page  # kept in the box, to correct
    assert "Received, waiting for review" not in page


@pytest.mark.usefixtures("known")
@pytest.mark.parametrize("typed", ["", "   ", "\t\n"], ids=["empty", "spaces", "tab-newline"])
def test_lookup_with_an_empty_code_asks_for_one(client: Any, typed: str) -> None:
    response = client.get("/en/receipts", query_string={"code": typed})
    page = response.get_data(as_text=True)
    assert response.status_code < 500
    assert "Enter the receipt code you were given." in page
    assert 'class="error-summary"' in page


@pytest.mark.usefixtures("known")
@pytest.mark.parametrize(
    "typed",
    [
        "hello",
        "0K1Q-M9XD",
        "0K1Q-M9XD-4RTB-0000",
        "0K1Q-M9XD-4RT!",
        "'; DROP TABLE comments; --",
        "<script>alert(1)</script>",
        "\x00\x01",
        "٠١٢٣-٤٥٦٧-٨٩٠١",
        "ÖK1Q-M9XD-4RTB",
        "x" * 41,
        "0" * 5000,
    ],
)
def test_lookup_of_garbage_is_explained_never_an_error(client: Any, typed: str) -> None:
    response = client.get("/en/receipts", query_string={"code": typed})
    page = response.get_data(as_text=True)
    # Too long to be a code: 400 with the form's message; otherwise simply not found.
    assert response.status_code == (400 if len(typed) > 40 else 404)
    assert 'class="error-summary"' in page
    assert "<script>alert(1)</script>" not in page
    assert "Received, waiting for review" not in page


@pytest.mark.usefixtures("known")
@pytest.mark.parametrize(
    "code",
    [
        "hello",
        "0K1Q-M9XD",
        "7KQ2-M9XD-4RTB",
        "0K1Q-M9XD-4RTB-0000",
        "%00",
        "%F0%9F%99%82",
        "x" * 300,
    ],
)
def test_receipt_page_of_an_unknown_code_is_not_found(client: Any, code: str) -> None:
    response = client.get(receipt_url(code))
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "state",
    [
        {"status": CommentStatus.PENDING},
        {"status": CommentStatus.PUBLISHED},
        {"status": CommentStatus.REJECTED, "rejection_reason": RejectionReason.SPAM},
        {"status": CommentStatus.HIDDEN},
    ],
)
@pytest.mark.parametrize("lang", ["en", "es", "so", "hmn"])
def test_receipt_never_shows_the_email_address(
    client: Any, session: Any, consultation: Any, state: dict[str, Any], lang: str
) -> None:
    comment = make_comment(
        session, consultation, contact_email="private-person@example.org", **state
    )
    session.commit()
    response = client.get(receipt_url(comment.receipt_code, lang))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert comment.receipt_code in page
    assert "private-person" not in page
    assert "example.org" not in page


def test_receipt_after_sending_never_shows_the_email_address(resident: Resident) -> None:
    response = resident.submit(contact_email="Private.Person+pilot@Example.org")
    page = resident.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your receipt" in page
    assert "Private.Person" not in page
    assert "Example.org" not in page


@pytest.mark.parametrize(
    "extra",
    [
        {"utm_source": "newsletter"},
        {"_anchor": "top"},
        {"_method": "POST"},
        {"_scheme": "https"},
        {"_external": "1"},
    ],
    ids=lambda extra: "&".join(f"{k}={v}" for k, v in extra.items()),
)
def test_receipt_pages_ignore_unexpected_query_parameters(
    client: Any, known: Any, extra: dict[str, str]
) -> None:
    """A receipt link pasted from an e-mail or a chat app can carry parameters of its own."""
    receipt = client.get(receipt_url(CODE), query_string=extra)
    assert receipt.status_code == 200
    assert status_line(receipt.get_data(as_text=True)) == "Received, waiting for review"
    lookup = client.get("/en/receipts", query_string={"code": CODE.lower(), **extra})
    assert lookup.status_code == 302
    assert lookup.headers["Location"].endswith(receipt_url(CODE))
    empty = client.get("/en/receipts", query_string=extra)
    assert empty.status_code < 500
    assert 'name="code"' in empty.get_data(as_text=True)


@pytest.mark.parametrize(
    "fields",
    [
        {"status": CommentStatus.REJECTED, "rejection_reason": RejectionReason.HARASSMENT},
        {"status": CommentStatus.HIDDEN},
    ],
)
def test_receipt_of_a_withdrawn_comment_shows_status_but_not_the_text(
    client: Any, session: Any, consultation: Any, fields: dict[str, Any]
) -> None:
    """Codes of once-published comments are public, so a rejected or hidden text stays private."""
    comment = make_comment(session, consultation, body="Words that were taken down", **fields)
    session.commit()
    page = client.get(receipt_url(comment.receipt_code)).get_data(as_text=True)
    assert "Words that were taken down" not in page
    assert 'class="record"' not in page
    assert "This comment is not counted in the current tally" in page


def test_receipt_of_a_once_public_comment_never_shows_the_original(
    client: Any, session: Any, consultation: Any
) -> None:
    """A restored comment is pending again, but its code was public: show no original text."""
    comment = make_comment(
        session, consultation, body="My neighbor John Smith", status=CommentStatus.PENDING,
        published_at=utcnow(), published_body="My neighbor [removed: personal information]",
    )  # fmt: skip
    session.commit()
    page = client.get(receipt_url(comment.receipt_code)).get_data(as_text=True)
    assert "John Smith" not in page
    assert 'class="record"' not in page
