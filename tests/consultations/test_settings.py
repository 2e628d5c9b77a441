"""Administrators change the comment period and hearing date without a deploy."""

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from engagement.db import utcnow
from tests.conftest import csrf_token

CITY = ZoneInfo("America/Chicago")


def local(moment: Any) -> str:
    return moment.astimezone(CITY).strftime("%Y-%m-%dT%H:%M")


def test_closing_the_period_closes_the_form(
    client: Any, session: Any, consultation: Any, login_as: Any
) -> None:
    login_as("admin")
    page = client.get("/en/staff/consultations/face-pilot")
    assert local(consultation.closes_at) in page.text  # shown in Minneapolis time
    response = client.post(
        "/en/staff/consultations/face-pilot",
        data={
            "csrf_token": csrf_token(page.text),
            "opens_at": local(utcnow() - timedelta(days=10)),
            "closes_at": local(utcnow() - timedelta(minutes=5)),
            "hearing_at": "",
        },
    )
    assert response.status_code == 303
    public = client.get("/en/consultations/face-pilot").text
    assert "The comment period has closed." in public
    session.expire_all()
    assert consultation.hearing_at is None


def test_a_period_that_closes_before_it_opens_is_refused(
    client: Any, consultation: Any, login_as: Any
) -> None:
    login_as("admin")
    page = client.get("/en/staff/consultations/face-pilot")
    response = client.post(
        "/en/staff/consultations/face-pilot",
        data={
            "csrf_token": csrf_token(page.text),
            "opens_at": "2027-02-01T09:00",
            "closes_at": "2027-01-01T09:00",
        },
    )
    assert response.status_code == 422
    assert "The comment period must close after it opens." in response.text
    assert "2027-02-01T09:00" in response.text
