"""Moderation through the browser: roles, the queue, decisions, redaction, reports, staff entry."""

import csv
import io
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select

from engagement.auth.models import StaffRole
from engagement.auth.operations import create_staff
from engagement.comments.models import Channel, Comment, CommentStatus
from engagement.db import utcnow
from engagement.jobs.models import Job, JobStatus
from engagement.tallies.models import ReportFile
from engagement.tallies.tasks import DRAW_REPORT
from tests.city_services.builders import make_service
from tests.conftest import STAFF_PASSWORD, csrf_token, form_tokens
from tests.factories import make_comment

# Every staff page of the moderation area and who may open it.
MODERATORS = {"moderator", "admin"}
READERS = {"council", "moderator", "admin"}
STAFF_PAGES = {
    "moderation.queue": ("GET", "/en/staff/moderation/", MODERATORS),
    "moderation.review": ("GET", "/en/staff/moderation/comments/{id}", MODERATORS),
    "moderation.publish": ("POST", "/en/staff/moderation/comments/{id}/publish", MODERATORS),
    "moderation.redact": ("POST", "/en/staff/moderation/comments/{id}/redact", MODERATORS),
    "moderation.reject": ("POST", "/en/staff/moderation/comments/{id}/reject", MODERATORS),
    "moderation.hide": ("POST", "/en/staff/moderation/comments/{id}/hide", MODERATORS),
    "moderation.restore": ("POST", "/en/staff/moderation/comments/{id}/restore", MODERATORS),
    "moderation.highlight": ("POST", "/en/staff/moderation/comments/{id}/highlight", MODERATORS),
    "tallies.dashboard": ("GET", "/en/staff/tallies/face-pilot", READERS),
    "tallies.report": ("GET", "/en/staff/tallies/face-pilot/report", READERS),
    "tallies.pdf": ("GET", "/en/staff/tallies/face-pilot/report.pdf", READERS),
    "tallies.tallies_csv": ("GET", "/en/staff/tallies/face-pilot/tallies.csv", READERS),
    "tallies.tallies_json": ("GET", "/en/staff/tallies/face-pilot/tallies.json", READERS),
    "moderation.bulk": ("POST", "/en/staff/moderation/bulk", MODERATORS),
    "moderation.log_csv": ("GET", "/en/staff/moderation/log.csv", READERS),
    "moderation.enter": ("GET", "/en/staff/moderation/enter", MODERATORS),
    "auth.home": ("GET", "/en/staff/", READERS),
    "auth.accounts": ("GET", "/en/staff/accounts", {"admin"}),
    "auth.deactivate": ("POST", "/en/staff/accounts/{staff_id}/deactivate", {"admin"}),
    "consultations.settings": ("GET", "/en/staff/consultations/face-pilot", {"admin"}),
    "city_services.staff_index": ("GET", "/en/staff/services/", {"admin"}),
    "city_services.edit": ("GET", "/en/staff/services/graffiti", {"admin"}),
    "tallies.report_file": ("GET", "/en/staff/tallies/face-pilot/reports/{report_id}", READERS),
    "tallies.report_file_pdf": (
        "GET", "/en/staff/tallies/face-pilot/reports/{report_id}.pdf", READERS,
    ),
    "jobs.index": ("GET", "/en/staff/jobs/", {"admin"}),
    "jobs.retry": ("POST", "/en/staff/jobs/{job_id}/retry", {"admin"}),
    "jobs.rebuild_campaigns": ("POST", "/en/staff/jobs/rebuild-campaigns", {"admin"}),
}  # fmt: skip


def test_every_staff_route_is_in_the_matrix(app: Flask) -> None:
    staff_endpoints = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "/staff/" in rule.rule and rule.endpoint not in ("auth.login", "auth.logout")
    }
    assert staff_endpoints == set(STAFF_PAGES)


@pytest.mark.parametrize("role", [None, "council", "moderator", "admin"])
@pytest.mark.parametrize("endpoint", sorted(STAFF_PAGES))
def test_role_matrix(
    client: Any, session: Any, consultation: Any, login_as: Any, role: str | None, endpoint: str
) -> None:
    comment = make_comment(session, consultation, status=CommentStatus.PENDING)
    someone = create_staff(session, "someone@example.gov", StaffRole.COUNCIL, STAFF_PASSWORD)
    make_service(session, code="graffiti")
    report = ReportFile(consultation_id=consultation.id, language="en", query="")
    session.add(report)
    session.flush()
    job = Job(task=DRAW_REPORT, arguments={"report_id": report.id}, status=JobStatus.FAILED)
    session.add(job)
    session.commit()
    method, path, allowed = STAFF_PAGES[endpoint]
    if role:
        login_as(role)
    url = path.format(id=comment.id, staff_id=someone.id, report_id=report.id, job_id=job.id)
    response = client.open(url, method=method, data={})
    if role is None:
        assert response.status_code == 302
        assert "/en/staff/login" in response.headers["Location"]
    elif role in allowed:
        assert response.status_code in (200, 303, 422), response.status_code
    else:
        assert response.status_code == 403


def review_page(client: Any, comment: Comment) -> str:
    response = client.get(f"/en/staff/moderation/comments/{comment.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def version_of(html: str, action: str) -> dict[str, str]:
    form = re.search(rf'action="[^"]*/{action}"(.*?)</form>', html, re.S).group(1)
    return {
        "csrf_token": csrf_token(form),
        "version": re.search(r'name="version"[^>]*value="(\d+)"', form).group(1),
    }


def test_queue_lists_waiting_comments_with_flags_and_counts(
    client: Any, session: Any, consultation: Any, login_as: Any
) -> None:
    make_comment(
        session, consultation, status=CommentStatus.PENDING, body="Phone me: 612-555-0199 any time."
    )
    make_comment(session, consultation, body="Already published, not in the queue.")
    session.commit()
    login_as("moderator")
    page = client.get("/en/staff/moderation/").get_data(as_text=True)
    assert "Phone me: 612-555-0199 any time." in page
    assert "Already published, not in the queue." not in page
    assert "1 comment waiting" in page
    assert "Personal information" in page
    filtered = client.get("/en/staff/moderation/?flag=threat").get_data(as_text=True)
    assert "Phone me" not in filtered


def test_publish_goes_on_to_the_next_comment(
    client: Any, session: Any, consultation: Any, login_as: Any
) -> None:
    first = make_comment(session, consultation, status=CommentStatus.PENDING, body="First in line.")
    second = make_comment(
        session, consultation, status=CommentStatus.PENDING, body="Second in line."
    )
    session.commit()
    login_as("moderator")
    form = version_of(review_page(client, first), "publish")
    response = client.post(f"/en/staff/moderation/comments/{first.id}/publish", data=form)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/en/staff/moderation/comments/{second.id}")
    session.expire_all()
    assert session.get(Comment, first.id).status == CommentStatus.PUBLISHED
    public = client.get("/en/consultations/face-pilot/comments").get_data(as_text=True)
    assert "First in line." in public


def test_redaction_by_form_with_preview(
    client: Any, session: Any, consultation: Any, login_as: Any
) -> None:
    body = "Officer Jane Roe lives at 3021 Cedar Ave S, call 612-555-0199."
    comment = make_comment(session, consultation, status=CommentStatus.PENDING, body=body)
    session.commit()
    login_as("moderator")
    html = review_page(client, comment)
    suggested = re.findall(r'name="suggested" value="([\d-]+)" checked', html)
    assert len(suggested) == 2  # the address and the phone number, ticked
    form = version_of(html, "redact")
    data = {**form, "suggested": suggested, "phrases": "Jane Roe"}
    preview = client.post(
        f"/en/staff/moderation/comments/{comment.id}/redact", data={**data, "preview": "1"}
    )
    assert (
        "Officer [removed: personal information] lives at [removed: personal information]"
        in preview.text
    )
    session.expire_all()
    assert session.get(Comment, comment.id).status == CommentStatus.PENDING
    done = client.post(
        f"/en/staff/moderation/comments/{comment.id}/redact", data={**data, "publish": "1"}
    )
    assert done.status_code == 303
    public = client.get("/en/consultations/face-pilot/comments").get_data(as_text=True)
    assert "Jane Roe" not in public
    assert "612-555-0199" not in public
    assert "Officer [removed: personal information] lives at" in public
    receipt = client.get(f"/en/receipts/{comment.receipt_code}").get_data(as_text=True)
    assert "Jane Roe" not in receipt


def test_reject_needs_a_reason_and_shows_errors(
    client: Any, session: Any, consultation: Any, login_as: Any
) -> None:
    comment = make_comment(session, consultation, status=CommentStatus.PENDING)
    session.commit()
    login_as("moderator")
    form = version_of(review_page(client, comment), "reject")
    missing = client.post(
        f"/en/staff/moderation/comments/{comment.id}/reject", data={**form, "reason": "other"}
    )
    assert missing.status_code == 422
    assert "Write a short note" in missing.text
    ok = client.post(
        f"/en/staff/moderation/comments/{comment.id}/reject", data={**form, "reason": "spam"}
    )
    assert ok.status_code == 303
    receipt = client.get(f"/en/receipts/{comment.receipt_code}").get_data(as_text=True)
    assert "Not published" in receipt
    assert "Spam or advertising" in receipt


def test_second_moderator_sees_who_handled_it(
    client: Any, app: Flask, session: Any, consultation: Any, login_as: Any
) -> None:
    comment = make_comment(session, consultation, status=CommentStatus.PENDING)
    session.commit()
    login_as("moderator", email="first@example.gov")
    stale = version_of(review_page(client, comment), "reject")
    client.post(
        f"/en/staff/moderation/comments/{comment.id}/publish",
        data=version_of(review_page(client, comment), "publish"),
    )
    response = client.post(
        f"/en/staff/moderation/comments/{comment.id}/reject",
        data={**stale, "reason": "spam"},
        follow_redirects=True,
    )
    assert "Already handled by first at" in response.text
    session.expire_all()
    assert session.get(Comment, comment.id).status == CommentStatus.PUBLISHED


def test_bulk_publish_from_the_queue(
    client: Any, session: Any, consultation: Any, login_as: Any
) -> None:
    comments = [
        make_comment(session, consultation, status=CommentStatus.PENDING, body=f"Bulk {i}")
        for i in range(3)
    ]
    session.commit()
    login_as("moderator")
    page = client.get("/en/staff/moderation/").get_data(as_text=True)
    selected = re.findall(r'name="selected" value="(\d+:\d+)"', page)
    response = client.post(
        "/en/staff/moderation/bulk",
        data={"csrf_token": csrf_token(page), "selected": selected, "publish": "1"},
        follow_redirects=True,
    )
    assert "3 comments done." in response.text
    session.expire_all()
    assert {session.get(Comment, c.id).status for c in comments} == {CommentStatus.PUBLISHED}


def test_three_residents_reporting_hides_a_comment(
    client: Any, app: Flask, session: Any, consultation: Any
) -> None:
    comment = make_comment(session, consultation, body="Reported comment text.")
    session.commit()
    url = f"/en/consultations/face-pilot/comments/{comment.receipt_code}/report"
    for number in range(3):
        visitor = app.test_client()
        visitor.environ_base["REMOTE_ADDR"] = f"198.51.100.{number + 1}"
        page = visitor.get(url)
        assert page.status_code == 200
        sent = visitor.post(url, data={"csrf_token": csrf_token(page.text), "reason": "harassment"})
        assert sent.status_code == 302
    public = client.get("/en/consultations/face-pilot/comments").get_data(as_text=True)
    assert "Reported comment text." not in public


def test_report_form_errors_keep_the_note(client: Any, session: Any, consultation: Any) -> None:
    comment = make_comment(session, consultation)
    session.commit()
    url = f"/en/consultations/face-pilot/comments/{comment.receipt_code}/report"
    page = client.get(url)
    response = client.post(
        url,
        data={"csrf_token": csrf_token(page.text), "reason": "nonsense", "note": "Names my kid"},
    )
    assert response.status_code == 422
    assert "Names my kid" in response.text


def test_staff_entry_gives_a_receipt_code_once(
    client: Any, session: Any, consultation: Any, login_as: Any
) -> None:
    login_as("moderator")
    page = client.get("/en/staff/moderation/enter").text
    today = utcnow().astimezone(ZoneInfo("America/Chicago")).date().isoformat()
    data = {
        "csrf_token": csrf_token(page),
        "submission_token": form_tokens(page)["submission_token"],
        "consultation": "face-pilot", "channel": "phone", "language": "es",
        "received_on": today, "source": "Voicemail 7", "body": "Dejado en el buzón del 311.",
        "position": "support", "neighborhood": "seward",
    }  # fmt: skip
    response = client.post("/en/staff/moderation/enter", data=data, follow_redirects=True)
    assert "Give the resident this receipt code" in response.text
    client.post("/en/staff/moderation/enter", data=data)  # a double click
    [comment] = session.scalars(select(Comment)).all()
    assert comment.channel == Channel.PHONE
    assert comment.locale == "es"
    assert comment.receipt_code in response.text


def test_staff_entry_errors_keep_the_text(
    client: Any, session: Any, consultation: Any, login_as: Any
) -> None:
    login_as("moderator")
    page = client.get("/en/staff/moderation/enter")
    response = client.post(
        "/en/staff/moderation/enter",
        data={
            "csrf_token": csrf_token(page.text),
            "consultation": "face-pilot",
            "channel": "phone",
            "received_on": "not a date",
            "body": "Transcribed words",
            "position": "support",
        },
    )
    assert response.status_code == 422
    assert "Transcribed words" in response.text
    assert "Not a valid date value." in response.text or "Give the date" in response.text


def test_log_export_is_csv_without_contact_data(
    client: Any, session: Any, consultation: Any, login_as: Any
) -> None:
    comment = make_comment(
        session, consultation, status=CommentStatus.PENDING, contact_email="me@example.org"
    )
    session.commit()
    login_as("moderator")
    client.post(
        f"/en/staff/moderation/comments/{comment.id}/publish",
        data=version_of(review_page(client, comment), "publish"),
    )
    login_as("council", email="council@example.gov")
    response = client.get("/en/staff/moderation/log.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:3] == ["time (UTC)", "receipt code", "action"]
    assert rows[1][1] == comment.receipt_code
    assert rows[1][2] == "publish"
    assert "me@example.org" not in response.get_data(as_text=True)


def test_contact_email_is_shown_to_moderators_only_on_the_review_page(
    client: Any, session: Any, consultation: Any, login_as: Any
) -> None:
    comment = make_comment(
        session, consultation, status=CommentStatus.PENDING, contact_email="me@example.org"
    )
    session.commit()
    login_as("moderator")
    assert "me@example.org" in review_page(client, comment)
    assert "me@example.org" not in client.get("/en/staff/moderation/").text


def test_outcome_email_goes_out_in_the_residents_language(
    client: Any, app: Flask, session: Any, consultation: Any, login_as: Any, tmp_path: Path
) -> None:
    app.config["MAIL_OUTBOX"] = str(tmp_path)
    comment = make_comment(
        session,
        consultation,
        status=CommentStatus.PENDING,
        contact_email="me@example.org",
        locale="so",
    )
    quiet = make_comment(session, consultation, status=CommentStatus.PENDING)
    session.commit()
    login_as("moderator")
    client.post(
        f"/en/staff/moderation/comments/{comment.id}/publish",
        data=version_of(review_page(client, comment), "publish"),
    )
    client.post(
        f"/en/staff/moderation/comments/{quiet.id}/publish",
        data=version_of(review_page(client, quiet), "publish"),
    )
    [message] = list(tmp_path.glob("*.eml"))
    text = message.read_text()
    assert "To: me@example.org" in text
    assert comment.receipt_code in text
    assert "/so/receipts/" in text
    assert "Staff have reviewed" not in text  # it is in Somali


def test_public_moderation_summary(client: Any, session: Any, consultation: Any) -> None:
    make_comment(session, consultation)
    make_comment(
        session,
        consultation,
        status=CommentStatus.REJECTED,
        rejection_reason="spam",
        body="Secret spam text",
    )
    session.commit()
    page = client.get("/en/consultations/face-pilot/moderation").get_data(as_text=True)
    assert "Secret spam text" not in page
    assert re.search(r"Spam or advertising</th><td>1<", page)
