"""The tallies as council members and residents get them: pages, the PDF, CSV and JSON."""

import csv
import io
import json
import re
import shutil
import subprocess
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from engagement.comments.models import Channel, CommentStatus, Position
from engagement.comments.queries import PUBLIC_FIELDS
from engagement.moderation.operations import highlight_comment, publish_redacted
from engagement.tallies.exports import open_data_csv
from engagement.tallies.queries import open_data_rows
from tests.campaigns.test_matching import COPIES
from tests.conftest import csrf_token
from tests.factories import make_comment

DASHBOARD = "/en/staff/tallies/face-pilot"
PUBLIC = "/en/consultations/face-pilot/tallies"


def visible(html: str) -> str:
    """The page's text without its tags."""
    return re.sub(r"<[^>]+>", "", html)


def numbers_row(html: str, label: str) -> list[str]:
    """The cells of the first table row headed ``label``."""
    row = re.search(rf"<th scope=\"row\">{re.escape(label)}</th>(.*?)</tr>", html, re.S)
    assert row, f"no row {label!r}"
    return re.findall(r"<td>([^<]*)</td>", row.group(1))


@pytest.fixture
def comments(session: Session, consultation: Any) -> dict[str, Any]:
    """Three published comments (one redacted, with private details), two copies, one pending."""
    made = {
        "cost": make_comment(
            session, consultation, topics=["cost"], position=Position.SUPPORT, locale="es"
        ),
        "private": make_comment(
            session,
            consultation,
            body="Call me at 612-555-0142, my name is Jo Example.",
            topics=["privacy"],
            contact_email="jo.private@example.org",
            status=CommentStatus.PENDING,
        ),
        "pending": make_comment(
            session, consultation, topics=["privacy"], status=CommentStatus.PENDING
        ),
        "copies": [
            make_comment(session, consultation, body=text, neighborhood="east-isles")
            for text in COPIES[:2]
        ],
    }
    session.commit()
    return made


def test_public_tallies_count_published_comments_only(
    client: FlaskClient, comments: dict[str, Any]
) -> None:
    response = client.get(f"{PUBLIC}?include_pending=y")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # Published: the Spanish cost comment and two copies of one letter (pending ones not counted).
    assert numbers_row(html, "Total") == ["3", "2"]
    assert numbers_row(html, "Support")[:1] == ["1"]
    assert 'name="include_pending"' not in html
    assert "waiting for review" not in html.split("<main", 1)[1].split("Received and counted")[0]


def test_filters_narrow_every_table_and_bad_filters_keep_the_form(
    client: FlaskClient, comments: dict[str, Any]
) -> None:
    html = client.get(f"{PUBLIC}?topic=cost&language=es").get_data(as_text=True)
    assert numbers_row(html, "Total") == ["1", "1"]

    response = client.get(f"{PUBLIC}?topic=nope&since=2026-12-01&until=2026-11-01")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Choose a topic from the list." in page
    assert "The last day must be on or after the first day." in page
    assert 'value="2026-12-01"' in page


def test_council_sees_pending_only_when_asked_and_labelled(
    client: FlaskClient, comments: dict[str, Any], login_as: Any
) -> None:
    login_as("council")

    plain = client.get(DASHBOARD).get_data(as_text=True)
    with_pending = client.get(f"{DASHBOARD}?include_pending=y").get_data(as_text=True)

    assert numbers_row(plain, "Total") == ["3", "2"]
    assert numbers_row(with_pending, "Total") == ["5", "4"]
    assert "They are not the published record." in with_pending
    assert "They are not the published record." not in plain


def test_campaigns_and_highlights_reach_the_report(
    client: FlaskClient, session: Session, comments: dict[str, Any], login_as: Any
) -> None:
    moderator = login_as("moderator")
    quote = comments["cost"]
    highlight_comment(session, quote.id, quote.version, moderator, highlighted=True)
    session.commit()

    html = client.get(f"{DASHBOARD}/report").get_data(as_text=True)

    assert "2 copies" in html
    assert "from 1 place" in html
    assert "East Isles (2)" in html
    quotes = visible(html.split('id="highlights-title"')[1])
    assert "Cost" in quotes
    assert "Written in Español" in quotes
    assert quote.receipt_code in quotes


def test_moderators_mark_quotes_from_the_review_page(
    client: FlaskClient, session: Session, comments: dict[str, Any], login_as: Any
) -> None:
    login_as("moderator")
    published, pending = comments["cost"], comments["pending"]
    page = client.get(f"/en/staff/moderation/comments/{published.id}").get_data(as_text=True)
    form = re.search(r'action="[^"]*/highlight"(.*?)</form>', page, re.S).group(1)

    response = client.post(
        f"/en/staff/moderation/comments/{published.id}/highlight",
        data={
            "csrf_token": csrf_token(form),
            "version": re.search(r'name="version"[^>]*value="(\d+)"', form).group(1),
            "highlighted": "yes",
        },
    )

    assert response.status_code == 303
    session.refresh(published)
    assert published.highlighted
    review = client.get(f"/en/staff/moderation/comments/{published.id}").get_data(as_text=True)
    assert "Marked as a representative quote" in review  # the log entry
    pending_page = client.get(f"/en/staff/moderation/comments/{pending.id}").get_data(as_text=True)
    assert "/highlight" not in pending_page


def test_tallies_csv_and_json_in_the_readers_language(
    client: FlaskClient, comments: dict[str, Any], login_as: Any
) -> None:
    login_as("council")

    response = client.get("/es/staff/tallies/face-pilot/tallies.csv?topic=cost")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    data = client.get(f"{DASHBOARD}/tallies.json").get_json()

    assert response.mimetype == "text/csv"
    assert rows[0][0] != "Table"  # translated headers
    # The total, by position: support, oppose, mixed, all.
    assert [row[4] for row in rows[1:5]] == ["1", "0", "0", "1"]
    assert data["total"]["comments"] == 3
    assert data["total"]["campaigns_once"] == 2
    assert data["campaigns"][0]["copies"] == 2
    assert {row["key"]: row["comments"] for row in data["tables"]["language"]} == {"en": 2, "es": 1}


PDFTOTEXT = shutil.which("pdftotext")


@pytest.mark.skipif(PDFTOTEXT is None, reason="needs poppler-utils' pdftotext")
def test_the_pdf_report_has_selectable_text(
    client: FlaskClient, comments: dict[str, Any], login_as: Any, tmp_path: Any
) -> None:
    login_as("council")

    response = client.get(f"{DASHBOARD}/report.pdf")

    assert response.mimetype == "application/pdf"
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(response.data)
    text = subprocess.run(  # noqa: S603 (our own file, a fixed tool)
        [str(PDFTOTEXT), "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Hearing report" in text
    assert "Comments counted" in text
    assert "Each campaign once" in text


def test_open_data_streams_public_fields_only(
    session: Session, consultation: Any, comments: dict[str, Any], login_as: Any
) -> None:
    moderator = login_as("moderator")
    private = comments["private"]
    publish_redacted(session, private.id, private.version, moderator, [(8, 20), (36, 46)])
    session.commit()

    chunks = list(open_data_csv(open_data_rows(session, consultation, batch=2), chunk=2))
    text = "".join(chunks)
    rows = list(csv.DictReader(io.StringIO(text)))

    assert len(chunks) > 2  # written as it is read, a few rows at a time
    assert tuple(rows[0]) == PUBLIC_FIELDS
    assert len(rows) == 4
    assert "jo.private@example.org" not in text
    assert "612-555-0142" not in text
    assert "Jo Example" not in text
    redacted = next(row for row in rows if row["receipt_code"] == private.receipt_code)
    assert redacted["text"].startswith("Call me ")
    copies = {row["campaign"] for row in rows if row["neighborhood"] == "east-isles"}
    assert len(copies) == 1
    assert copies != {""}
    assert {row["wards"] for row in rows if row["neighborhood"] == "east-isles"} == {"7;10"}


def test_the_receipt_says_how_the_comment_is_counted(
    client: FlaskClient, comments: dict[str, Any]
) -> None:
    copy = comments["copies"][0]
    pending = comments["pending"]

    counted = visible(client.get(f"/en/receipts/{copy.receipt_code}").get_data(as_text=True))
    waiting = client.get(f"/en/receipts/{pending.receipt_code}").get_data(as_text=True)

    assert 'counted in the current tally, as "Oppose"' in counted
    assert "It counts under these topics: Privacy." in counted
    assert "copies of the same form letter" in counted
    assert "not counted in the current tally" in waiting


def test_channel_filter_and_json_shape(
    session: Session, client: FlaskClient, consultation: Any, login_as: Any
) -> None:
    make_comment(session, consultation, channel=Channel.PAPER)
    make_comment(session, consultation, channel=Channel.WEB)
    session.commit()
    login_as("admin")

    data = json.loads(client.get(f"{DASHBOARD}/tallies.json?channel=paper").data)

    assert data["filters"] == {"channel": "paper"}
    assert data["total"]["comments"] == 1
    assert [row["key"] for row in data["tables"]["channel"]] == ["paper"]


def test_pending_copies_never_show_their_text_even_to_staff(
    client: FlaskClient, session: Session, consultation: Any, login_as: Any
) -> None:
    secret = " My neighbor Jo Private at 612-555-0177 agrees."
    for text in COPIES[:2]:
        make_comment(session, consultation, body=text + secret, status=CommentStatus.PENDING)
    session.commit()
    login_as("council")

    page = client.get(f"{DASHBOARD}?include_pending=y").get_data(as_text=True)
    data = client.get(f"{DASHBOARD}/tallies.json?include_pending=y").get_json()

    assert "2 copies" in page
    assert "612-555-0177" not in page
    assert "No copy of this letter is published yet" in page
    assert data["campaigns"][0]["text"] is None
    assert data["campaigns"][0]["receipt_code"] is None


def test_extreme_dates_are_answered_not_crashed(client: FlaskClient, comments: Any) -> None:
    for query in ("until=9999-12-31", "since=0001-01-01", "since=9999-12-31"):
        assert client.get(f"{PUBLIC}?{query}").status_code == 200, query
        api = client.get(f"/api/v1/consultations/face-pilot/tallies?{query}")
        assert api.status_code == 200, query


def test_a_nul_in_the_address_is_not_found(client: FlaskClient, comments: Any) -> None:
    assert client.get("/en/consultations/face%00pilot/tallies").status_code == 404
