"""Enqueueing, claiming and finishing jobs: the rules every runner (RQ or inline) follows.

A task is a plain function ``task(session, **arguments)`` registered under a name with
``@task("area.name")``; it lives in the area it belongs to (``campaigns/tasks.py``...). It may be
run twice (a worker killed mid-way, a Redis that forgot it): it must do its effect once, which
the runner helps with by committing the effect together with ``status = done`` and refusing a
run whose try number is no longer the row's.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from engagement.db import utcnow
from engagement.errors import DomainError
from engagement.jobs.models import Job, JobStatus


class Progress(Protocol):
    def __call__(self, done: int, total: int) -> None: ...


class Permanent(Exception):
    """A failure that another try cannot mend (no retries: the job fails at once)."""


@dataclass(frozen=True)
class Task:
    name: str
    #: What staff read on the jobs page.
    label: Any
    function: Callable[..., Any]
    #: How long one run may take before the job is handed to a worker again.
    timeout: timedelta
    #: Whether the function takes a ``progress`` callback (done, total).
    reports_progress: bool


TASKS: dict[str, Task] = {}


def task(
    name: str,
    label: Any,
    *,
    timeout: timedelta = timedelta(minutes=5),
    reports_progress: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a function as a task runnable in the background under ``name``."""

    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        TASKS[name] = Task(name, label, function, timeout, reports_progress)
        return function

    return register


def enqueue(
    session: Session,
    name: str,
    *,
    subject_id: int | None = None,
    requested_by_id: int | None = None,
    **arguments: Any,
) -> Job:
    """Write a job in the caller's transaction; it runs once that transaction commits.

    A rollback takes the job back with the change that needed it: nothing runs.
    """
    if name not in TASKS:
        raise KeyError(f"no task named {name!r}")
    job = Job(
        task=name,
        arguments=arguments,
        subject_id=subject_id,
        status=JobStatus.PENDING,
        attempts=0,
        lease_until=utcnow(),
        requested_by_id=requested_by_id,
    )
    session.add(job)
    session.flush()
    _run_after_commit(session, job.id)
    return job


def _run_after_commit(session: Session, job_id: int) -> None:
    """Hand the job to the runner once this transaction commits (engagement.jobs.runners)."""
    session.info.setdefault("enqueued_jobs", []).append(job_id)


def claim(
    session: Session, job_id: int, now: datetime, longest: timedelta | None = None
) -> int | None:
    """Take a job for one run, if nobody holds it: returns this run's try number, or None.

    A waiting job, or a running one whose lease ran out (its worker died), can be claimed;
    a done or failed one, or one another worker is running in time, cannot. The lease is the
    task's timeout, or ``longest`` if that is shorter.
    """
    job = session.get(Job, job_id, populate_existing=True)
    if job is None:
        return None
    task_ = TASKS.get(job.task)
    timeout = task_.timeout if task_ else timedelta(minutes=5)
    if longest is not None:
        timeout = min(timeout, longest)
    attempt = job.attempts + 1
    claimed = session.execute(
        update(Job)
        .where(
            Job.id == job_id,
            Job.attempts == job.attempts,
            or_(
                Job.status == JobStatus.PENDING,
                (Job.status == JobStatus.RUNNING) & (Job.lease_until < now),
            ),
        )
        .values(
            status=JobStatus.RUNNING,
            attempts=attempt,
            started_at=now,
            lease_until=now + timeout,
        )
        .execution_options(synchronize_session=False)
    )
    return attempt if claimed.rowcount == 1 else None


def still_ours(session: Session, job_id: int, attempt: int) -> bool:
    """Whether the run with this try number still holds the job (nobody took it over)."""
    job = session.get(Job, job_id, populate_existing=True, with_for_update=True)
    return job is not None and job.attempts == attempt and job.status == JobStatus.RUNNING


def finish(session: Session, job_id: int, now: datetime) -> None:
    session.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(status=JobStatus.DONE, finished_at=now, last_error=None)
        .execution_options(synchronize_session=False)
    )


def retry_time(
    error: BaseException, failures: int, intervals: list[int], now: datetime
) -> datetime | None:
    """When to try again after the ``failures``-th failure; None when the job has failed."""
    if isinstance(error, Permanent) or failures > len(intervals):
        return None
    return now + timedelta(seconds=intervals[failures - 1])


def record_failure(
    session: Session, job_id: int, attempt: int, error: BaseException, *, retry_at: datetime | None
) -> JobStatus:
    """Note a failed try: the job waits for ``retry_at``, or fails for good when it is None."""
    status = JobStatus.PENDING if retry_at is not None else JobStatus.FAILED
    session.execute(
        update(Job)
        .where(Job.id == job_id, Job.attempts == attempt)
        .values(
            status=status,
            failures=Job.failures + 1,
            last_error=error_summary(error),
            lease_until=retry_at or utcnow(),
            finished_at=None if retry_at else utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    return status


def error_summary(error: BaseException) -> str:
    """The kind of error, and for SMTP its reply code: enough to act on, nothing private."""
    name = type(error).__name__
    code = getattr(error, "smtp_code", None)
    if code is None and isinstance(getattr(error, "recipients", None), dict):
        codes = {reply[0] for reply in error.recipients.values()}  # type: ignore[attr-defined]
        code = ",".join(str(c) for c in sorted(codes))
    if code is not None:
        return f"{name} (SMTP {code})"
    if isinstance(error, OSError) and error.strerror:
        return f"{name}: {error.strerror}"[:200]
    return name[:200]


class NotRetryable(DomainError):
    status_code = 409
    message = _l("Only a failed job can be tried again.")


def retry_job(session: Session, job_id: int) -> Job:
    """Give a failed job a fresh set of tries (an administrator's decision).

    Raises:
        NotRetryable: the job is not failed.
    """
    job = session.get(Job, job_id, populate_existing=True)
    if job is None or job.status != JobStatus.FAILED:
        raise NotRetryable
    job.status = JobStatus.PENDING
    job.failures = 0
    job.lease_until = utcnow()
    job.finished_at = None
    session.flush()
    _run_after_commit(session, job.id)
    return job
