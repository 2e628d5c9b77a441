"""PostgreSQL stops and starts in the middle of a burst of comments.

Every resident either gets a receipt and their comment is stored, or gets the "try again" page
with their text kept; nobody gets a receipt for a comment that is not stored. After the
database is back the same app, never restarted, serves again (pool pre-ping), and the residents
who were told to try again get their receipt by pressing "Send again".
"""

import threading
import time
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from engagement import create_app
from engagement.db import db
from tests.resilience.conftest import (
    SECRET_KEY,
    SLUG,
    ThrowawayPostgres,
    count,
    hidden_fields,
    receipt_code,
)

RESIDENTS = 8
#: Each resident keeps sending until this many seconds have passed.
BURST_SECONDS = 6.0


@dataclass
class Outcomes:
    receipts: list[str] = field(default_factory=list)
    #: (the resident's browser, the fields the try-again page holds, the text) for each
    #: "try again" answer: the resident sends again from the same browser.
    try_again: list[tuple[FlaskClient, list[tuple[str, Any]], str]] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    form_unavailable: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _resident(app: Flask, number: int, outcomes: Outcomes, stop: threading.Event) -> None:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"127.0.60.{number + 1}"
    sent = 0
    while not stop.is_set():
        form = client.get(f"/en/consultations/{SLUG}")
        if form.status_code != 200:
            # The page itself may be down during the outage: a resident reloads a bit later.
            with outcomes.lock:
                outcomes.form_unavailable += 1
            time.sleep(0.1)
            continue
        sent += 1
        body = f"Resident {number}, comment {sent}: keep my words through the restart."
        fields = [
            *hidden_fields(form.text),
            ("body", body),
            ("position", "oppose"),
            ("topics", "privacy"),
            ("neighborhood", "seward"),
            ("website", ""),
        ]
        answer = client.post(f"/en/consultations/{SLUG}/comments", data=_multi(fields))
        with outcomes.lock:
            if answer.status_code == 303 and "/receipts/" in answer.location:
                outcomes.receipts.append(receipt_code(answer.location))
            elif answer.status_code == 503:
                # The try-again page holds the text and every field, ready to send again.
                assert body in answer.text
                assert "It has NOT been received yet." in answer.text
                assert "/receipts/" not in answer.text
                outcomes.try_again.append((client, hidden_fields(answer.text), body))
            else:
                outcomes.unexpected.append(f"{answer.status_code}: {answer.text[:300]}")


def _multi(fields: list[tuple[str, Any]]) -> dict[str, list[Any]]:
    data: dict[str, list[Any]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    return data


def _send_again(client: FlaskClient, kept: list[tuple[str, Any]], body: str) -> Any:
    """What "Send again" on the try-again page posts: its hidden fields and the text."""
    return client.post(f"/en/consultations/{SLUG}/comments", data=_multi([*kept, ("body", body)]))


def test_comments_survive_a_database_restart(throwaway_postgres: ThrowawayPostgres) -> None:
    url = throwaway_postgres.url
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": SECRET_KEY,
            "SQLALCHEMY_DATABASE_URL": url,
            "RATELIMIT_STORAGE_URI": "memory://",
            "COMMENT_RATE_LIMIT": "1000 per minute",
            "STATUS_LOOKUP_RATE_LIMIT": "1000 per minute",
        }
    )
    comments_before = count(url, "SELECT count(*) FROM comments")
    outcomes = Outcomes()
    stop = threading.Event()
    residents = [
        threading.Thread(target=_resident, args=(app, n, outcomes, stop), daemon=True)
        for n in range(RESIDENTS)
    ]
    started = time.monotonic()
    for resident in residents:
        resident.start()
    time.sleep(1.5)  # comments flowing

    throwaway_postgres.stop("immediate")  # as abrupt as a crash: connections cut mid-query
    health = app.test_client()
    time.sleep(0.5)
    assert health.get("/healthz").status_code == 503
    time.sleep(1.0)
    throwaway_postgres.start()

    time.sleep(max(0.0, BURST_SECONDS - (time.monotonic() - started)))
    stop.set()
    for resident in residents:
        resident.join(timeout=60)
    assert not any(resident.is_alive() for resident in residents)

    assert outcomes.unexpected == []
    assert outcomes.try_again, "the outage should have caught some submissions"
    assert outcomes.receipts, "comments should have gone through before and after the outage"
    # The same app, never restarted, answers again.
    assert health.get("/healthz").status_code == 200

    print(
        f"before resending: {len(outcomes.receipts)} receipts, {len(outcomes.try_again)} "
        f"'try again' pages, {outcomes.form_unavailable} form loads refused while down"
    )
    # Every resident told to try again presses "Send again" and gets a receipt.
    for client, kept, body in outcomes.try_again:
        answer = _send_again(client, kept, body)
        assert answer.status_code == 303, answer.text[:500]
        outcomes.receipts.append(receipt_code(answer.location))

    stored = count(url, "SELECT count(*) FROM comments") - comments_before
    issued = set(outcomes.receipts)
    assert stored == len(issued)
    with app.app_context():
        codes = set(db.session.scalars(text("SELECT receipt_code FROM comments")))
    app.extensions["db"].engine.dispose()
    assert issued <= codes


def test_a_connection_lost_as_a_request_ends_keeps_the_answer(sqlite_url: str) -> None:
    """The session's closing rollback fails on a dead connection: the page already made (here
    the form; in an outage the try-again page) is still what the resident gets, not a 500."""
    app = create_app(
        {"TESTING": True, "SECRET_KEY": SECRET_KEY, "SQLALCHEMY_DATABASE_URL": sqlite_url}
    )
    client = app.test_client()
    lost = OperationalError("ROLLBACK", {}, Exception("server closed the connection"))
    with mock.patch("sqlalchemy.orm.Session.close", side_effect=lost):
        answer = client.get(f"/en/consultations/{SLUG}")
    assert answer.status_code == 200
    assert 'name="body"' in answer.text
    # The dead connection was dropped; the next request gets a working one.
    assert client.get("/healthz").status_code == 200
    app.extensions["db"].engine.dispose()
