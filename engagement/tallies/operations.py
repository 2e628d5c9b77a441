"""Asking for the hearing report as a PDF drawn in the background."""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engagement.consultations.models import Consultation
from engagement.db import utcnow
from engagement.jobs.operations import enqueue
from engagement.tallies.models import ReportFile
from engagement.tallies.tasks import DRAW_REPORT

#: The same report asked for again within this time is the one already being drawn.
SAME_REQUEST = timedelta(minutes=10)


def request_report_file(
    session: Session, consultation: Consultation, language: str, query: str, staff_id: int
) -> ReportFile:
    """Have the report (these filters, this language) drawn as PDF by a job.

    Asking twice for the same report while it is being drawn gives the same file, not a second
    job: a double click or an impatient reload costs nothing.
    """
    drawing = session.scalar(
        select(ReportFile)
        .where(
            ReportFile.consultation_id == consultation.id,
            ReportFile.language == language,
            ReportFile.query == query,
            ReportFile.ready_at.is_(None),
            ReportFile.requested_at >= utcnow() - SAME_REQUEST,
        )
        .order_by(ReportFile.id.desc())
        .limit(1)
    )
    if drawing is not None:
        return drawing
    report = ReportFile(
        consultation_id=consultation.id,
        language=language,
        query=query,
        requested_by_id=staff_id,
        requested_at=utcnow(),
    )
    session.add(report)
    session.flush()
    enqueue(
        session, DRAW_REPORT, subject_id=report.id, requested_by_id=staff_id, report_id=report.id
    )
    return report
