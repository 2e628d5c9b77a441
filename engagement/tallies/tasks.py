"""The hearing report drawn as PDF in the background, for consultations with many comments."""

from datetime import timedelta

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from engagement.consultations.models import Consultation
from engagement.db import utcnow
from engagement.i18n import in_language
from engagement.jobs.operations import Permanent, task
from engagement.jobs.runners import public_request
from engagement.tallies.models import ReportFile

DRAW_REPORT = "tallies.draw_report"


@task(DRAW_REPORT, _l("Hearing report as PDF"), timeout=timedelta(minutes=15))
def draw_report(session: Session, report_id: int) -> None:
    """Draw the report page as staff would see it (same filters, same language) into a PDF."""
    from engagement.tallies.exports import report_pdf
    from engagement.tallies.views import report_page

    report = session.get(ReportFile, report_id)
    if report is None or report.ready_at is not None:
        return
    slug = session.get_one(Consultation, report.consultation_id).slug
    path = f"/{report.language}/staff/tallies/{slug}/report?{report.query}"
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with public_request(app, path), in_language(report.language):
        page, status = report_page(slug)
        if status != 200:
            raise Permanent("the report's filters are no longer valid")
        report.pdf = report_pdf(page, request.url_root)
    report.ready_at = utcnow()
    session.flush()
