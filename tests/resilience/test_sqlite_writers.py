"""SQLite with several writers at once: no "database is locked" reaches a resident, nothing lost.

One machine runs on SQLite (WAL, a busy timeout). Writers then take turns: threads of one
process, and gunicorn workers (separate processes) sending comments at the same moment.
"""

import logging
import threading
from pathlib import Path

import pytest

from engagement import create_app
from tests.resilience.conftest import (
    SECRET_KEY,
    SLUG,
    LoopbackResident,
    count,
    hidden_fields,
    receipt_code,
    serve,
    server_env,
)

WRITERS = 10
#: Under the default limit of 5 comments a minute per client.
COMMENTS_EACH = 4


def test_threads_writing_at_once_all_get_receipts(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": SECRET_KEY,
            "SQLALCHEMY_DATABASE_URL": sqlite_url,
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    receipts: list[str] = []
    failures: list[str] = []
    start = threading.Barrier(WRITERS)

    def writer(number: int) -> None:
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"127.0.80.{number + 1}"
        forms = [client.get(f"/en/consultations/{SLUG}") for _ in range(COMMENTS_EACH)]
        start.wait()  # every writer sends at the same moment
        for sent, form in enumerate(forms):
            data = dict(hidden_fields(form.text))
            data.update(
                body=f"Writer {number}, comment {sent}.",
                position="mixed",
                topics="accuracy",
                neighborhood="seward",
                website="",
            )
            answer = client.post(f"/en/consultations/{SLUG}/comments", data=data)
            if answer.status_code == 303:
                receipts.append(receipt_code(answer.location))
            else:
                failures.append(f"{answer.status_code}: {answer.text[:200]}")

    with caplog.at_level(logging.WARNING):
        threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    app.extensions["db"].engine.dispose()

    assert failures == []
    assert "database is locked" not in caplog.text
    assert len(set(receipts)) == WRITERS * COMMENTS_EACH
    assert count(sqlite_url, "SELECT count(*) FROM comments") == WRITERS * COMMENTS_EACH


def test_gunicorn_workers_writing_at_once_all_get_receipts(sqlite_url: str, tmp_path: Path) -> None:
    env = server_env(sqlite_url, tmp_path)
    receipts: list[str] = []
    failures: list[str] = []
    with serve("app:app", env, tmp_path, workers=3) as server:
        start = threading.Barrier(WRITERS)

        def writer(number: int) -> None:
            resident = LoopbackResident(server.url, f"127.0.81.{number + 1}")
            forms = [resident.open_form() for _ in range(COMMENTS_EACH)]
            start.wait()
            for sent, form in enumerate(forms):
                answer, _fields = resident.submit(f"Worker test {number}/{sent}.", form)
                if answer.status == 303:
                    receipts.append(receipt_code(answer.location))
                else:
                    failures.append(f"{answer.status}: {answer.text[:200]}")

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    log = (tmp_path / "gunicorn.log").read_text()

    assert failures == []
    assert "database is locked" not in log
    assert len(set(receipts)) == WRITERS * COMMENTS_EACH
    assert count(sqlite_url, "SELECT count(*) FROM comments") == WRITERS * COMMENTS_EACH
