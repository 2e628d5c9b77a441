"""What staff see of background jobs on the embedded default (jobs run after the response)."""

from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from engagement.comments.models import Comment, CommentStatus
from engagement.jobs.models import Job, JobStatus
from tests.campaigns.test_matching import COPIES
from tests.conftest import csrf_token
from tests.factories import make_comment


def test_an_admin_finds_the_form_letters_again_from_the_jobs_page(
    client: Any, session: Any, consultation: Any, login_as: Any
) -> None:
    copies = [make_comment(session, consultation, body=t, check_copies=False) for t in COPIES[:3]]
    session.commit()
    login_as("admin")
    page = client.get("/en/staff/jobs/").text
    assert "Nothing is running." in page

    answer = client.post(
        "/en/staff/jobs/rebuild-campaigns",
        data={"csrf_token": csrf_token(page), "consultation": str(consultation.id)},
        follow_redirects=True,
    )

    assert "Finding the form letters again" in answer.text
    campaign_ids = {session.get(Comment, c.id).campaign_id for c in copies}
    assert len(campaign_ids) == 1
    assert None not in campaign_ids
    job = session.scalar(select(Job).where(Job.task == "campaigns.rebuild"))
    assert job is not None
    assert job.status == JobStatus.DONE
    assert "No job has failed." in client.get("/en/staff/jobs/").text


@pytest.mark.config(PDF_IN_REQUEST_MAX_COMMENTS=1)
def test_a_large_report_is_drawn_in_the_background_and_linked_when_ready(
    client: Any, session: Any, consultation: Any, login_as: Any
) -> None:
    for text in ("One published comment.", "Another published comment."):
        make_comment(session, consultation, body=text, status=CommentStatus.PUBLISHED)
    session.commit()
    login_as("council")

    asked = client.get(f"/es/staff/tallies/{consultation.slug}/report.pdf?position=oppose")

    assert asked.status_code == 303
    ready_page = client.get(asked.location).text
    assert "El PDF está listo" in ready_page
    pdf_link = asked.location + ".pdf"
    assert pdf_link.split("/")[-1] in ready_page
    pdf = client.get(pdf_link)
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")


def test_the_command_line_rebuild_shows_its_progress_and_result(
    app: Flask, session: Any, consultation: Any
) -> None:
    for text in COPIES[:3]:
        make_comment(session, consultation, body=text, check_copies=False)
    session.commit()

    result = CliRunner().invoke(
        app.cli, ["campaigns", "rebuild", "--consultation", consultation.slug]
    )

    assert result.exit_code == 0, result.output
    assert "Compared 3 comments of 'face-pilot': 3 are copies in 1 campaigns" in result.output
    assert "Comparing comments" in result.stderr


def test_jobs_status_counts_what_waits_and_what_failed(
    app: Flask, session: Any, consultation: Any
) -> None:
    make_comment(session, consultation, body=COPIES[0], check_copies=False)
    session.add(Job(task="moderation.send_outcome", arguments={}, status=JobStatus.FAILED))
    session.commit()

    result = CliRunner().invoke(app.cli, ["jobs", "status"])

    assert result.exit_code == 0, result.output
    assert "waiting 1 " in result.output
    assert "failed 1," in result.output
