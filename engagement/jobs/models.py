from datetime import datetime
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engagement.db import Base, UTCDateTime, enum_column, utcnow


class JobStatus(StrEnum):
    #: Stored with the change that needs it; waiting for a worker (or for its next try).
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    #: Every try failed; an administrator may try it again.
    FAILED = "failed"


JOB_STATUS_LABELS = {
    JobStatus.PENDING: _l("Waiting"),
    JobStatus.RUNNING: _l("Running"),
    JobStatus.DONE: _l("Done"),
    JobStatus.FAILED: _l("Failed"),
}


class Job(Base):
    """One piece of work to do after a change commits: the outbox row.

    It is written in the same transaction as the change (the comment, the decision), so a job
    exists exactly when its change does, and survives a Redis that is down or loses its data.
    Whoever runs it first claims it (``attempts`` fences out a slower, older run), and its effect
    commits together with ``status = done``.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        # The dispatcher's look-up: jobs not finished whose lease ran out.
        Index("ix_jobs_due", "status", "lease_until"),
        # "Is this comment's copy check still to come?" and the last jobs of a kind.
        Index("ix_jobs_subject", "task", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The registered task's name, e.g. ``campaigns.match_comment``.
    task: Mapped[str] = mapped_column(String(80))
    #: Plain JSON arguments: ids and short values, never a resident's text or address.
    arguments: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: The row the job is about (a comment, a report file), for "is it done yet?".
    subject_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[JobStatus] = mapped_column(
        enum_column(JobStatus, "job_status"), default=JobStatus.PENDING
    )
    #: Tries so far; a run is valid only while the row still shows its own try number.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: Failed tries since it was last enqueued or retried by an administrator.
    failures: Mapped[int] = mapped_column(Integer, default=0)
    #: Until then the job is taken care of (handed to RQ, running, or waiting for its next try);
    #: after it, the dispatcher hands it over again.
    lease_until: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: What went wrong last: the kind of error only (an SMTP server's answer can quote a
    #: resident's address, so its text is never kept).
    last_error: Mapped[str | None] = mapped_column(String(200))
    #: Who asked for it, when a person did (a rebuild, a report); shown to administrators.
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))


class SentMail(Base):
    """A message a job sends, recorded before it goes out so that no run sends it twice.

    ``sent_at`` stays empty if the worker died between claiming and confirming: whether the
    message left is then unknown, and the job says so instead of sending it again.
    """

    __tablename__ = "sent_mail"

    #: What the message is, e.g. ``outcome:1234`` for the e-mail about moderation event 1234.
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
