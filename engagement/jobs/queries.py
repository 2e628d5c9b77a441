"""What staff see of the background jobs: counts, what runs now, the last failures."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engagement.db import utcnow
from engagement.jobs.models import Job, JobStatus

#: Finished jobs are counted over this window (the table keeps them all).
RECENT = timedelta(hours=24)


@dataclass(frozen=True)
class JobCounts:
    waiting: int
    running: int
    failed: int
    done_recently: int
    #: When the oldest waiting job was stored: a queue that is not moving shows here.
    oldest_waiting: datetime | None


def job_counts(session: Session) -> JobCounts:
    by_status = dict(
        session.execute(
            select(Job.status, func.count())
            .where(Job.status != JobStatus.DONE)
            .group_by(Job.status)
        ).all()
    )
    done = session.scalar(
        select(func.count()).where(
            Job.status == JobStatus.DONE, Job.finished_at >= utcnow() - RECENT
        )
    )
    oldest = session.scalar(select(func.min(Job.created_at)).where(Job.status == JobStatus.PENDING))
    return JobCounts(
        waiting=by_status.get(JobStatus.PENDING, 0),
        running=by_status.get(JobStatus.RUNNING, 0),
        failed=by_status.get(JobStatus.FAILED, 0),
        done_recently=done or 0,
        oldest_waiting=oldest,
    )


def running_jobs(session: Session, limit: int = 20) -> list[Job]:
    return list(
        session.scalars(
            select(Job).where(Job.status == JobStatus.RUNNING).order_by(Job.started_at).limit(limit)
        )
    )


def failed_jobs(session: Session, limit: int = 20) -> list[Job]:
    """The last failures, newest first: the task, when, how many tries, the kind of error."""
    return list(
        session.scalars(
            select(Job)
            .where(Job.status == JobStatus.FAILED)
            .order_by(Job.finished_at.desc(), Job.id.desc())
            .limit(limit)
        )
    )


def is_waiting(session: Session, task: str, subject_id: int) -> bool:
    """Whether a job of this task about this row is still to run (or to run again)."""
    return (
        session.scalar(
            select(Job.id)
            .where(
                Job.task == task,
                Job.subject_id == subject_id,
                Job.status.in_((JobStatus.PENDING, JobStatus.RUNNING)),
            )
            .limit(1)
        )
        is not None
    )
