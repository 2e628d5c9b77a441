"""Who runs the jobs: RQ workers on Redis (``JOBS_REDIS_URL`` set), or this process, right
after the response or at the end of the command (the embedded default).

Both run a job the same way (``execute``): claim it, run its task in a transaction, commit the
effect together with ``done``; on failure note it and wait for the next try, or fail for good.

With RQ, a committed job is pushed to Redis at once (the fast path). The worker's dispatcher
looks every few seconds for jobs whose lease ran out (Redis was down, lost its data, or the
worker running it died) and hands them over again: the database, not Redis, is the record.
"""

import importlib
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from flask import Flask, current_app, g, has_app_context, has_request_context
from flask.wrappers import Response
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from engagement.db import db, utcnow
from engagement.jobs.models import Job, JobStatus
from engagement.jobs.operations import (
    TASKS,
    Permanent,
    Progress,
    claim,
    finish,
    record_failure,
    retry_time,
    still_ours,
)

log = logging.getLogger(__name__)

AFTER_RESPONSE = "jobs_after_response"
AFTER_CONTEXT = "jobs_after_context"


def runner(app: Flask | None = None) -> "InlineRunner | QueueRunner":
    found: InlineRunner | QueueRunner = (app or current_app).extensions["jobs"]
    return found


def intervals(app: Flask) -> list[int]:
    return [int(part) for part in str(app.config["JOBS_RETRY_INTERVALS"]).split(",") if part]


@contextmanager
def public_request(app: Flask, path: str = "/") -> Iterator[None]:
    """A request context for a task that renders pages or links (an e-mail, a PDF), addressed
    as the public site. POST, so that SQLite takes its write lock up front (see db.py)."""
    base = app.config["PUBLIC_URL"] or (
        f"http://{app.config['SERVER_NAME']}" if app.config.get("SERVER_NAME") else ""
    )
    with app.test_request_context(path, base_url=base or "http://127.0.0.1:5000", method="POST"):
        yield


def execute(app: Flask, job_id: int, progress: Progress | None = None) -> JobStatus | None:
    """Run one job in the current app context, if nobody else holds it.

    Returns the job's status afterwards, or None when it was not ours to run (done already,
    failed, or running elsewhere in time).
    """
    session = db.session
    longest = app.config["JOBS_RUN_LEASE_SECONDS"]
    attempt = claim(session, job_id, utcnow(), timedelta(seconds=longest) if longest else None)
    session.commit()
    if attempt is None:
        return None
    job = session.get_one(Job, job_id)
    name, arguments, failures = job.task, dict(job.arguments), job.failures
    try:
        task = TASKS.get(name)
        if task is None:
            raise Permanent(f"no task named {name}")
        if task.reports_progress:
            arguments["progress"] = progress or (lambda done, total: None)
        task.function(session, **arguments)
        if not still_ours(session, job_id, attempt):
            session.rollback()
            log.warning("job %s (%s) was taken over by another run; undone", job_id, name)
            return None
        finish(session, job_id, utcnow())
        session.commit()
        return JobStatus.DONE
    except Exception as error:
        session.rollback()
        retry_at = retry_time(error, failures + 1, intervals(app), utcnow())
        status = record_failure(session, job_id, attempt, error, retry_at=retry_at)
        session.commit()
        log.warning(
            "job %s (%s) failed, try %s: %s; %s",
            job_id, name, attempt, type(error).__name__,
            f"next try at {retry_at:%H:%M:%S}" if retry_at else "no more tries",
            exc_info=not isinstance(error, OSError | Permanent),
        )  # fmt: skip
        return status


def due_jobs(session: Session, limit: int) -> list[int]:
    """Jobs waiting or running whose lease ran out: nobody is taking care of them."""
    return list(
        session.scalars(
            select(Job.id)
            .where(
                Job.status.in_((JobStatus.PENDING, JobStatus.RUNNING)),
                Job.lease_until <= utcnow(),
            )
            .order_by(Job.lease_until)
            .limit(limit)
        )
    )


class InlineRunner:
    """Jobs run in this process: after the response is sent, or when the command ends.

    What one process could not run (it stopped first, or a try failed and waits) runs with the
    next request that enqueues, or with ``flask jobs run``.
    """

    #: Waiting jobs picked up along with a request's own.
    CATCH_UP = 20

    def __init__(self) -> None:
        self.progress: dict[int, tuple[int, int]] = {}

    def committed(self, job_ids: list[int]) -> None:
        if not has_app_context():
            return
        key = AFTER_RESPONSE if has_request_context() else AFTER_CONTEXT
        g.setdefault(key, []).extend(job_ids)

    def after_response(self, response: Response) -> Response:
        job_ids = g.pop(AFTER_RESPONSE, None)
        if job_ids:
            app = current_app._get_current_object()  # type: ignore[attr-defined]
            response.call_on_close(lambda: self.run(app, job_ids))
        return response

    def at_teardown(self, _exc: BaseException | None) -> None:
        job_ids = g.pop(AFTER_CONTEXT, None)
        if job_ids and not has_request_context():
            self.run(current_app._get_current_object(), job_ids)  # type: ignore[attr-defined]

    def run(self, app: Flask, job_ids: list[int]) -> None:
        """Run these jobs, then any others that are due; never raises into the server."""
        with _app_context(app):
            try:
                db.session.commit()  # end whatever the caller left open
                for job_id in job_ids:
                    execute(app, job_id, self._progress(job_id))
                for job_id in due_jobs(db.session, self.CATCH_UP):
                    execute(app, job_id, self._progress(job_id))
            except Exception:
                db.session.rollback()
                log.exception("background jobs could not run; they stay waiting in the outbox")

    def drain(self, app: Flask) -> int:
        """Run every due job until none is left; returns how many runs were made."""
        runs = 0
        with _app_context(app):
            db.session.commit()
            while job_ids := due_jobs(db.session, 100):
                for job_id in job_ids:
                    execute(app, job_id, self._progress(job_id))
                    runs += 1
        return runs

    def _progress(self, job_id: int) -> Progress:
        def report(done: int, total: int) -> None:
            self.progress[job_id] = (done, total)

        return report

    def progress_of(self, job_id: int) -> tuple[int, int] | None:
        return self.progress.get(job_id)

    def queue_counts(self) -> dict[str, int] | None:
        return None

    def forget_failure(self, job_id: int) -> None:
        """Nothing is kept outside the database in this mode."""


@contextmanager
def _app_context(app: Flask) -> Iterator[None]:
    """The current app context if it is this app's (a command ending, a test), else a new one."""
    if has_app_context() and current_app._get_current_object() is app:  # type: ignore[attr-defined]
        yield
        return
    with app.app_context():
        yield


class QueueRunner:
    """Jobs run by ``flask worker`` processes through RQ on Redis."""

    #: After Redis failed to answer, requests don't try it again for this long (seconds): the
    #: dispatcher will hand their jobs over, and residents don't wait on a dead connection.
    BACK_OFF = 5.0

    def __init__(self, app: Flask) -> None:
        from redis import Redis

        self.redis = Redis.from_url(
            app.config["JOBS_REDIS_URL"], socket_connect_timeout=0.5, socket_timeout=2
        )
        self.queue_name = app.config["JOBS_QUEUE"]
        self.unreachable_until = 0.0

    def _queue(self) -> Any:
        from rq import Queue

        return Queue(self.queue_name, connection=self.redis)

    def committed(self, job_ids: list[int]) -> None:
        """The fast path: hand the committed jobs to RQ now, if Redis answers."""
        if time.monotonic() < self.unreachable_until:
            return
        try:
            self.push(current_app._get_current_object(), job_ids)  # type: ignore[attr-defined]
        except Exception as error:  # Redis down: the outbox keeps them
            self.unreachable_until = time.monotonic() + self.BACK_OFF
            log.warning("Redis did not take %s jobs (%s); the dispatcher will", len(job_ids), error)

    def push(self, app: Flask, job_ids: list[int]) -> None:
        from rq import Retry

        queue = self._queue()
        waits = intervals(app)
        retry = Retry(max=len(waits), interval=waits) if waits else None
        with self.redis.pipeline() as pipe:
            for job_id in job_ids:
                queue.enqueue_call(
                    perform,
                    args=(job_id,),
                    job_id=rq_job_id(job_id),
                    retry=retry,
                    timeout=3600,
                    result_ttl=600,
                    failure_ttl=7 * 24 * 3600,
                    pipeline=pipe,
                )
            pipe.execute()

    def dispatch_due(self, app: Flask) -> int:
        """Hand over every job nobody takes care of; returns how many."""
        from rq.job import Job as RQJob
        from rq.job import JobStatus as RQStatus

        session = db.session
        handed = 0
        lease = app.config["JOBS_LEASE_SECONDS"]
        while job_ids := due_jobs(session, 200):
            held = RQJob.fetch_many([rq_job_id(i) for i in job_ids], connection=self.redis)
            in_queue = (RQStatus.QUEUED, RQStatus.SCHEDULED, RQStatus.DEFERRED)
            waiting = [
                job_id
                for job_id, rq_job in zip(job_ids, held, strict=True)
                if rq_job is None or rq_job.get_status(refresh=False) not in in_queue
            ]
            # Either way the job is now taken care of for another lease.
            _extend_leases(session, job_ids, lease)
            session.commit()
            if waiting:
                self.push(app, waiting)
                handed += len(waiting)
            if len(job_ids) < 200:
                break
        return handed

    def progress_of(self, job_id: int) -> tuple[int, int] | None:
        from rq.job import Job as RQJob

        try:
            [rq_job] = RQJob.fetch_many([rq_job_id(job_id)], connection=self.redis)
        except Exception:
            return None
        progress = rq_job.meta.get("progress") if rq_job else None
        return (int(progress[0]), int(progress[1])) if progress else None

    def queue_counts(self) -> dict[str, int] | None:
        """What RQ itself holds, for the staff page; None if Redis does not answer."""
        from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

        queue = self._queue()
        try:
            return {
                "queued": queue.count,
                "started": StartedJobRegistry(queue=queue).count,
                "scheduled": ScheduledJobRegistry(queue=queue).count,
                "failed": FailedJobRegistry(queue=queue).count,
            }
        except Exception:
            return None

    def forget_failure(self, job_id: int) -> None:
        """Take a job an administrator retries out of RQ's failed registry."""
        from rq.registry import FailedJobRegistry

        try:
            FailedJobRegistry(queue=self._queue()).remove(rq_job_id(job_id), delete_job=True)
        except Exception as error:
            log.info("RQ's failed registry not cleaned for job %s: %s", job_id, error)

    def work(self, app: Flask, *, burst: bool) -> None:
        """Run an RQ worker (with RQ's scheduler, for the delayed tries) and the dispatcher."""
        from rq import SimpleWorker

        global _worker_app
        _worker_app = app
        stop = threading.Event()
        if burst:
            self.dispatch_due(app)
        else:
            threading.Thread(
                target=self._dispatch_forever, args=(app, stop), name="dispatcher", daemon=True
            ).start()
        worker = SimpleWorker([self._queue()], connection=self.redis)
        try:
            worker.work(with_scheduler=not burst, burst=burst, logging_level="INFO")
        finally:
            stop.set()

    def _dispatch_forever(self, app: Flask, stop: threading.Event) -> None:
        every = float(app.config["JOBS_SWEEP_SECONDS"])
        while not stop.wait(every):
            with app.app_context():
                try:
                    if handed := self.dispatch_due(app):
                        log.info("dispatcher handed %s jobs to RQ", handed)
                except Exception:
                    db.session.rollback()
                    log.warning("dispatcher could not run this time", exc_info=True)


def _extend_leases(session: Session, job_ids: list[int], seconds: int) -> None:
    """Give due jobs another lease; one that was running past its lease is presumed dead (its
    worker was killed) and waits to be claimed afresh."""
    now = utcnow()
    session.execute(
        update(Job)
        .where(Job.id.in_(job_ids), Job.lease_until <= now, Job.status != JobStatus.DONE)
        .values(status=JobStatus.PENDING, lease_until=now + timedelta(seconds=seconds))
        .execution_options(synchronize_session=False)
    )


def rq_job_id(job_id: int) -> str:
    return f"outbox-{job_id}"


#: The app of this ``flask worker`` process (RQ calls ``perform`` with only the job id).
_worker_app: Flask | None = None


def perform(job_id: int) -> None:
    """What RQ runs: the outbox job, in this worker's app. Raises if the try failed, so that
    RQ schedules the next one (or files the job under failed)."""
    from rq import get_current_job

    app = _worker_app
    if app is None:
        raise RuntimeError("perform() runs in a `flask worker` process")
    rq_job = get_current_job()
    last_saved = 0.0

    def progress(done: int, total: int) -> None:
        nonlocal last_saved
        if rq_job is not None and (time.monotonic() - last_saved > 0.5 or done == total):
            rq_job.meta["progress"] = [done, total]
            rq_job.save_meta()
            last_saved = time.monotonic()

    with app.app_context():
        status = execute(app, job_id, progress)
    if status in (JobStatus.PENDING, JobStatus.FAILED):
        raise JobFailed(f"job {job_id} failed; see the jobs page")


class JobFailed(Exception):
    """Tells RQ that a try failed (the reason is on the job's row, without private data)."""


def _on_commit(session: Session) -> None:
    job_ids = session.info.pop("enqueued_jobs", None)
    if job_ids and has_app_context():
        runner().committed(job_ids)


#: The modules whose tasks the jobs of this app may name (imported so that they are registered,
#: in web and worker processes alike).
TASK_MODULES = (
    "engagement.campaigns.tasks",
    "engagement.moderation.tasks",
    "engagement.tallies.tasks",
)


def init_app(app: Flask) -> None:
    for module in TASK_MODULES:
        importlib.import_module(module)
    jobs: InlineRunner | QueueRunner
    if app.config["JOBS_REDIS_URL"]:
        jobs = QueueRunner(app)
    else:
        jobs = InlineRunner()
        app.after_request(jobs.after_response)
        app.teardown_appcontext(jobs.at_teardown)
    app.extensions["jobs"] = jobs
    if not event.contains(Session, "after_commit", _on_commit):
        event.listen(Session, "after_commit", _on_commit)
        event.listen(Session, "after_soft_rollback", _on_soft_rollback)


def _on_soft_rollback(session: Session, previous_transaction: Any) -> None:
    # Rolling back the outermost transaction (not a savepoint) takes the jobs back with the
    # change: nothing is handed over.
    if previous_transaction.parent is None:
        session.info.pop("enqueued_jobs", None)
