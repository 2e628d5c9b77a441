"""Pages and reference data kept by each worker: an edit shows everywhere at once, and nobody
gets another visitor's tokens or a staff member's page."""

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from engagement import create_app
from engagement.consultations.models import Topic
from engagement.consultations.operations import reschedule
from engagement.consultations.queries import consultation_by_slug
from engagement.db import db, utcnow
from engagement.geography.models import Neighborhood
from tests.conftest import BrowserLikeClient, Resident, form_tokens
from tests.factories import make_comment
from tests.resilience.conftest import SECRET_KEY, SLUG


@pytest.fixture
def workers(database_url: str, tmp_path: Path) -> Iterator[list[Flask]]:
    """Two gunicorn workers' apps on one database: each its own engine, its own kept copies."""
    apps = []
    for __ in range(2):
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URL": database_url,
                "SECRET_KEY": SECRET_KEY,
                "TESTING": True,
                "SERVER_NAME": "localhost",
                "MAIL_OUTBOX": str(tmp_path / "outbox"),
            }
        )
        app.test_client_class = BrowserLikeClient
        apps.append(app)
    yield apps
    for app in apps:
        app.extensions["db"].engine.dispose()


def test_an_edit_to_reference_data_shows_on_every_worker_at_once(workers: list[Flask]) -> None:
    with workers[0].app_context():
        consultation = consultation_by_slug(db.session, SLUG)
        make_comment(db.session, consultation, body="Published before the edit.")
        db.session.commit()
    pages = [f"/en/consultations/{SLUG}", f"/en/consultations/{SLUG}/comments",
             f"/en/consultations/{SLUG}/tallies"]  # fmt: skip
    for app in workers:
        for page in pages:
            assert app.test_client().get(page).status_code == 200  # now kept by the worker

    # An administrator's edits, made through the second worker.
    with workers[1].app_context():
        topic = db.session.scalar(select(Topic).where(Topic.slug == "privacy"))
        assert topic is not None
        topic.name = {**topic.name, "en": "Privacy and data retention"}
        seward = db.session.scalar(select(Neighborhood).where(Neighborhood.slug == "seward"))
        assert seward is not None
        seward.name = "Seward (Greater Seward)"
        consultation = consultation_by_slug(db.session, SLUG)
        reschedule(
            db.session, consultation, opens_at=consultation.opens_at,
            closes_at=utcnow() - timedelta(minutes=1), hearing_at=None,
        )  # fmt: skip
        db.session.commit()

    for app in workers:
        client = app.test_client()
        form = client.get(f"/en/consultations/{SLUG}").text
        assert 'name="body"' not in form  # the period closed: no form any more
        listing = client.get(f"/en/consultations/{SLUG}/comments").text
        assert "Privacy and data retention" in listing
        assert "Seward (Greater Seward)" in listing
        tallies = client.get(f"/en/consultations/{SLUG}/tallies").text
        assert "Privacy and data retention" in tallies


def test_a_comment_published_shows_in_the_kept_pages_at_once(
    app: Flask, client: Any, session: Any, consultation: Any
) -> None:
    listing = f"/en/consultations/{consultation.slug}/comments"
    feed = f"/api/v1/consultations/{consultation.slug}/comments?lang=es"
    assert "Published a moment ago." not in client.get(listing).text
    assert client.get(feed).get_json()["data"] == []
    make_comment(session, consultation, body="Published a moment ago.")
    session.commit()
    assert "Published a moment ago." in client.get(listing).text
    [published] = client.get(feed).get_json()["data"]
    assert published["text"] == "Published a moment ago."


def test_each_visitor_gets_tokens_of_their_own_from_a_kept_form(
    app: Flask, consultation: Any
) -> None:
    first, second = app.test_client(), app.test_client()
    tokens = [Resident(c, consultation.slug).open_form() for c in (first, second, first)]
    assert len({t["submission_token"] for t in tokens}) == 3
    assert tokens[0]["csrf_token"] != tokens[1]["csrf_token"]
    for client, own in ((second, tokens[1]), (first, tokens[2])):
        answer = Resident(client, consultation.slug).submit(tokens=own)
        assert answer.status_code == 303
    # Another visitor's token is refused, with the text kept.
    stolen = Resident(second, consultation.slug).submit(tokens=tokens[0], body="Not my token.")
    assert stolen.status_code in (400, 422)
    assert "Not my token." in stolen.text


def test_public_pages_carry_validators_and_answer_304(client: Any, consultation: Any) -> None:
    page = client.get(f"/en/consultations/{consultation.slug}/tallies")
    assert page.status_code == 200
    assert page.headers["ETag"]
    assert "public" in page.headers["Cache-Control"]
    again = client.get(
        f"/en/consultations/{consultation.slug}/tallies",
        headers={"If-None-Match": page.headers["ETag"]},
    )
    assert again.status_code == 304


def test_staff_get_pages_of_their_own(client: Any, consultation: Any, login_as: Any) -> None:
    form_page = f"/en/consultations/{consultation.slug}"
    tallies = f"/en/consultations/{consultation.slug}/tallies"
    visitor_form = client.get(form_page)
    visitor_tallies = client.get(tallies)
    login_as("moderator")
    staff_form = client.get(form_page)
    staff_tallies = client.get(tallies)
    assert "/en/staff/" in staff_form.text  # the staff link in the menu
    assert "/en/staff/" in staff_tallies.text
    assert "public" not in staff_tallies.headers.get("Cache-Control", "")
    assert form_tokens(staff_form.text) != form_tokens(visitor_form.text)
    assert '/en/staff/"' not in visitor_tallies.text


@pytest.mark.config(READING_RATE_LIMIT="3 per minute")
def test_a_client_walking_the_heavy_pages_meets_the_friendly_limit(
    client: Any, consultation: Any
) -> None:
    tallies = f"/so/consultations/{consultation.slug}/tallies"
    answers = [client.get(tallies, query_string={"position": p}) for p in
               ("", "support", "oppose", "mixed")]  # fmt: skip
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert '<html lang="so"' in answers[-1].text
    assert answers[-1].headers.get("Retry-After")
