"""Jobs through real Redis and real `flask worker` processes, on SQLite and PostgreSQL: what
residents and moderators rely on when Redis is down, a worker dies or the mail server refuses."""

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engagement.auth.models import StaffRole, StaffUser
from engagement.auth.operations import create_staff
from engagement.campaigns.models import SignatureBand
from engagement.comments.models import Comment, CommentStatus, Position
from engagement.comments.operations import CommentDraft, submit_comment
from engagement.consultations.queries import consultation_by_slug
from engagement.db import db
from engagement.jobs.models import Job, JobStatus, SentMail
from engagement.moderation.flags import Flag
from engagement.moderation.models import CommentFlag
from tests.campaigns.test_matching import COPIES, LETTER, OWN_WORDS
from tests.conftest import STAFF_PASSWORD, Resident, sign_in
from tests.jobs.conftest import STALL_MARKER, RedisServer, Worker, settings, wait_for, web_app
from tests.resilience.conftest import SLUG

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _staff(app: Flask, role: StaffRole = StaffRole.MODERATOR) -> StaffUser:
    with app.app_context():
        user = create_staff(db.session, f"{role}@example.gov", role, STAFF_PASSWORD)
        db.session.commit()
        return user


def _publish(app: Flask, code: str, moderator: StaffUser) -> None:
    """A moderator's decision through the review page, as in the browser."""
    client = app.test_client()
    assert sign_in(client, moderator.email, STAFF_PASSWORD).status_code == 303
    with app.app_context():
        comment = db.session.scalar(select(Comment).where(Comment.receipt_code == code))
        assert comment is not None
        comment_id = comment.id
    page = client.get(f"/en/staff/moderation/comments/{comment_id}").text
    from tests.moderation.test_views import version_of

    answer = client.post(
        f"/en/staff/moderation/comments/{comment_id}/publish", data=version_of(page, "publish")
    )
    assert answer.status_code == 303, answer.text[:300]


def _submit(client: FlaskClient, body: str, **fields: Any) -> str:
    answer = Resident(client, SLUG).submit(body=body, **fields)
    assert answer.status_code == 303, answer.text[:500]
    return answer.location.rsplit("/", 1)[-1]


def _jobs(app: Flask) -> list[tuple[str, JobStatus]]:
    with app.app_context():
        return [(job.task, job.status) for job in db.session.scalars(select(Job).order_by(Job.id))]


def _all_done(app: Flask) -> bool:
    jobs = _jobs(app)
    return bool(jobs) and all(status == JobStatus.DONE for _task, status in jobs)


def _campaign_groups(app: Flask) -> list[list[str]]:
    """Comments grouped by campaign, each named by its text (the same in every database)."""
    with app.app_context():
        groups: dict[int, list[str]] = {}
        for body, campaign in db.session.execute(
            select(Comment.body, Comment.campaign_id).where(Comment.campaign_id.is_not(None))
        ):
            groups.setdefault(campaign, []).append(body)
        return sorted(sorted(group) for group in groups.values())


def _mails(tmp_path: Path) -> list[str]:
    return sorted(p.read_text() for p in (tmp_path / "outbox").glob("*.eml"))


def test_comments_sent_while_redis_is_down_are_checked_and_mailed_when_it_is_back(
    database_url: str, tmp_path: Path, redis_server: RedisServer
) -> None:
    config = settings(database_url, tmp_path, redis_server.url)
    app = web_app(config)
    moderator = _staff(app)
    client = app.test_client()

    # Redis is down (not started): residents still get their receipts.
    first = _submit(client, LETTER, contact_email="resident@example.org")
    copy = _submit(client, COPIES[1])
    _publish(app, first, moderator)

    with app.app_context():
        stored = {c.receipt_code: c for c in db.session.scalars(select(Comment))}
        assert set(stored) == {first, copy}
        assert all(c.copies_checked_at is None for c in stored.values())
    assert "Checking for copies of a form letter" in client.get(f"/en/receipts/{copy}").text
    assert [status for _task, status in _jobs(app)] == [JobStatus.PENDING] * 3
    assert _mails(tmp_path) == []

    redis_server.start()
    worker = Worker(config, tmp_path).start()
    try:
        wait_for(lambda: _all_done(app), 60, "the outbox was not drained")
    finally:
        worker.stop()

    assert _campaign_groups(app) == [sorted([LETTER, COPIES[1]])]
    [mail] = _mails(tmp_path)
    assert "resident@example.org" in mail
    assert first in mail
    assert "Checking for copies" not in client.get(f"/en/receipts/{copy}").text


def test_a_worker_killed_in_the_middle_of_a_job_runs_it_again_with_one_effect(
    database_url: str, tmp_path: Path, redis_server: RedisServer
) -> None:
    redis_server.start()
    stall_file = tmp_path / "stalled.pid"
    config = settings(database_url, tmp_path, redis_server.url, STALL_FILE=str(stall_file))
    app = web_app(config)
    client = app.test_client()
    _submit(client, LETTER)
    victim = _submit(client, f"{STALL_MARKER} {COPIES[2]}")

    worker = Worker(config, tmp_path, app="tests.jobs.stalling_app").start()
    try:
        wait_for(stall_file.exists, 60, "the check never reached the middle of its job")
        assert int(stall_file.read_text()) == worker.pid
        worker.kill()
        with app.app_context():
            job = db.session.scalar(select(Job).where(Job.status == JobStatus.RUNNING))
            assert job is not None  # it was running when the worker died
        replacement = Worker(config, tmp_path, app="tests.jobs.stalling_app").start()
        try:
            wait_for(lambda: _all_done(app), 60, "the interrupted job was not run again")
        finally:
            replacement.stop()
    finally:
        worker.stop()

    with app.app_context():
        comment = db.session.scalar(select(Comment).where(Comment.receipt_code == victim))
        assert comment is not None
        job = db.session.scalar(select(Job).where(Job.subject_id == comment.id))
        assert job is not None
        assert job.attempts == 2  # the killed try and the one after it
        bands = db.session.scalar(
            select(func.count()).where(SignatureBand.comment_id == comment.id)
        )
        copies_flags = db.session.scalar(
            select(func.count()).where(
                CommentFlag.comment_id == comment.id, CommentFlag.flag == Flag.COPIES
            )
        )
        assert (bands, copies_flags) == (16, 1)
    assert _campaign_groups(app) == [sorted([LETTER, f"{STALL_MARKER} {COPIES[2]}"])]


class RefusingMailServer:
    """An SMTP server on 127.0.0.1 that refuses every message for now ("try later")."""

    def __init__(self) -> None:
        self.refusing = True
        self.refused = 0
        self.accepted: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.refusing:
            self.refused += 1
            return "451 4.3.0 Mail server busy, try again later"
        self.accepted.append(envelope.content)
        return "250 OK"


@pytest.fixture
def mail_server() -> Any:
    from aiosmtpd.controller import Controller

    from bench.server import free_port

    handler = RefusingMailServer()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    controller.stop()


def test_a_refusing_mail_server_is_retried_then_the_job_fails_visibly_and_the_decision_stands(
    database_url: str, tmp_path: Path, redis_server: RedisServer, mail_server: Any
) -> None:
    controller, handler = mail_server
    redis_server.start()
    config = settings(
        database_url, tmp_path, redis_server.url,
        MAIL_SERVER="127.0.0.1", MAIL_PORT=str(controller.port),
    )  # fmt: skip
    app = web_app(config)
    moderator = _staff(app)
    code = _submit(app.test_client(), "Short comment.", contact_email="resident@example.org")

    _publish(app, code, moderator)
    # The decision's request did not talk to the mail server.
    assert handler.refused == 0

    worker = Worker(config, tmp_path).start()
    try:

        def failed() -> bool:
            return any(status == JobStatus.FAILED for _task, status in _jobs(app))

        wait_for(failed, 60, "the e-mail job never gave up")
        assert handler.refused == 3  # the first try and two more, a second apart

        with app.app_context():
            comment = db.session.scalar(select(Comment).where(Comment.receipt_code == code))
            assert comment is not None
            assert comment.status == CommentStatus.PUBLISHED
            job = db.session.scalar(select(Job).where(Job.status == JobStatus.FAILED))
            assert job is not None
            assert job.last_error == "SMTPDataError (SMTP 451)"
            assert db.session.get(SentMail, f"outcome:{job.arguments['event_id']}") is None

        admin = app.test_client()
        _staff(app, StaffRole.ADMIN)
        assert sign_in(admin, "admin@example.gov", STAFF_PASSWORD).status_code == 303
        page = admin.get("/en/staff/jobs/").text
        assert "E-mail to a resident about a decision" in page
        assert "SMTPDataError (SMTP 451)" in page
        assert "resident@example.org" not in page

        handler.refusing = False
        from tests.conftest import csrf_token

        retried = admin.post(
            f"/en/staff/jobs/{job.id}/retry", data={"csrf_token": csrf_token(page)}
        )
        assert retried.status_code == 303
        wait_for(lambda: handler.accepted, 30, "the retried e-mail was not sent")
        wait_for(lambda: _all_done(app), 30, "the retried job did not finish")
    finally:
        worker.stop()
    assert len(handler.accepted) == 1
    assert b"resident@example.org" in handler.accepted[0]


def test_a_rolled_back_change_runs_no_job(
    database_url: str, tmp_path: Path, redis_server: RedisServer
) -> None:
    redis_server.start()
    app = web_app(settings(database_url, tmp_path, redis_server.url))
    with app.app_context():
        consultation = consultation_by_slug(db.session, SLUG)
        draft = CommentDraft(
            body=LETTER, position=Position.OPPOSE, topic_slugs=[], neighborhood="seward",
            display_name=None, contact_email=None, locale="en",
        )  # fmt: skip
        submit_comment(db.session, consultation, draft, submission_token=None)
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Job)) == 0
    from redis import Redis

    assert Redis.from_url(redis_server.url).llen(f"rq:queue:{app.config['JOBS_QUEUE']}") == 0


def test_inline_jobs_give_the_same_results_as_the_queue(
    database_url: str, tmp_path: Path, redis_server: RedisServer, tmp_path_factory: Any
) -> None:
    texts = [LETTER, *OWN_WORDS[:2], COPIES[1], "Too short to be a letter.", COPIES[3]]
    redis_server.start()
    queued_config = settings(database_url, tmp_path, redis_server.url)
    queued = web_app(queued_config)
    inline_dir = tmp_path_factory.mktemp("inline")
    inline_url = f"sqlite:///{inline_dir / 'inline.sqlite3'}"
    from tests.resilience.conftest import build_database

    build_database(inline_url)
    inline = web_app(settings(inline_url, inline_dir))

    results = []
    for app, folder in ((inline, inline_dir), (queued, tmp_path)):
        moderator = _staff(app)
        client = app.test_client()
        codes = [_submit(client, text, contact_email=f"r{i}@example.org") for i, text in
                 enumerate(texts)]  # fmt: skip
        _publish(app, codes[0], moderator)
        if app is queued:
            worker = Worker(queued_config, tmp_path).start()
            try:
                wait_for(lambda: _all_done(queued), 60, "the queue was not worked through")
            finally:
                worker.stop()
        assert _all_done(app)
        mails = [m.split("\n\n", 1)[1] for m in _mails(folder)]
        results.append((_campaign_groups(app), len(mails)))

    assert results[0] == results[1]
    assert results[0][0] == [sorted([LETTER, COPIES[1], COPIES[3]])]
    assert results[0][1] == 1
