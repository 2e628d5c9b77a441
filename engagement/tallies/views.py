from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from engagement.auth.models import StaffRole
from engagement.auth.policies import require_role
from engagement.comments.models import RESIDENCE_LABELS, Residence
from engagement.consultations.models import Consultation
from engagement.consultations.queries import consultation_by_slug
from engagement.db import db, utcnow
from engagement.extensions import limiter, reading_limit
from engagement.geography.queries import neighborhood_shapes
from engagement.i18n import current_language
from engagement.jobs.queries import is_waiting
from engagement.page_cache import public_page
from engagement.tallies.exports import (
    FIRST_COLUMNS,
    TABLE_NAMES,
    report_pdf,
    row_label,
    tally_charts,
    tally_csv,
    tally_json,
)
from engagement.tallies.forms import TallyFilterForm, filter_summary
from engagement.tallies.operations import request_report_file
from engagement.tallies.queries import Row, Tally, report_file_of, tally
from engagement.tallies.tasks import DRAW_REPORT

bp = Blueprint("tallies", __name__, url_prefix="/<lang>")

READERS = (StaffRole.COUNCIL, StaffRole.MODERATOR, StaffRole.ADMIN)


def _read(slug: str, *, staff: bool) -> tuple[Consultation, TallyFilterForm, Tally | None]:
    """The consultation, its filter form and, when the filters are valid, its tally."""
    consultation = consultation_by_slug(db.session, slug)
    form = TallyFilterForm(request.args)
    form.fill(db.session, consultation, current_language(), staff=staff)
    if not form.validate():
        return consultation, form, None
    return consultation, form, tally(db.session, consultation, form.filters(), now=utcnow())


def _page(template: str, slug: str, *, staff: bool) -> tuple[str, int]:
    return _render(template, *_read(slug, staff=staff), staff=staff)


def _render(
    template: str,
    consultation: Consultation,
    form: TallyFilterForm,
    result: Tally | None,
    *,
    staff: bool,
) -> tuple[str, int]:
    return render_template(
        template,
        consultation=consultation,
        form=form,
        tally=result,
        staff=staff,
        table_names=TABLE_NAMES,
        first_columns=FIRST_COLUMNS,
        charts=_charts(result, staff=staff),
        filter_summary=filter_summary(form) if result else [],
    ), 200 if result else 400


def _charts(result: Tally | None, *, staff: bool) -> dict[str, Markup]:
    """Staff pages draw the maps too; the public page stays light for phones."""
    if result is None:
        return {}
    shapes = neighborhood_shapes(db.session) if staff else None
    return tally_charts(result, current_language(), shapes)


@bp.app_template_global()
def tally_row_label(table: str, row: Row) -> str:
    return row_label(table, row, current_language())


@bp.app_template_global()
def tally_place_label(place: Any) -> str:
    """A neighborhood's name, or "Outside Minneapolis" / "Prefer not to say" translated."""
    return str(RESIDENCE_LABELS[place]) if isinstance(place, Residence) else str(place)


@bp.app_template_global()
def tally_url(endpoint: str) -> str:
    """The same tallies, same filters, in another form (report, PDF, CSV, JSON)."""
    return url_for(endpoint, slug=request.view_args["slug"], **dict(_filter_args()))  # type: ignore[index]


# --- public ------------------------------------------------------------------------------


@bp.get("/consultations/<slug>/tallies")
@reading_limit
@public_page()
def public(slug: str) -> tuple[str, int]:
    return _page("tallies/public.html", slug, staff=False)


# --- staff -------------------------------------------------------------------------------


@bp.get("/staff/tallies/<slug>")
@require_role(*READERS)
def dashboard(slug: str) -> tuple[str, int]:
    return _page("tallies/dashboard.html", slug, staff=True)


@bp.get("/staff/tallies/<slug>/report")
@require_role(*READERS)
def report(slug: str) -> tuple[str, int]:
    return report_page(slug)


def report_page(slug: str) -> tuple[str, int]:
    """The printable report for the current request's filters (also drawn by the PDF job)."""
    return _page("tallies/report.html", slug, staff=True)


@bp.get("/staff/tallies/<slug>/report.pdf")
@require_role(*READERS)
@limiter.limit(lambda: current_app.config["PDF_RATE_LIMIT"])
def pdf(slug: str) -> BaseResponse | tuple[str, int]:
    """The report as PDF: drawn now for a small consultation; for a large one a background job
    draws it, and the staff member gets a page with the link once it is ready."""
    consultation, form, result = _read(slug, staff=True)
    if result is None:
        return _render("tallies/report.html", consultation, form, result, staff=True)
    if result.total.total.comments > current_app.config["PDF_IN_REQUEST_MAX_COMMENTS"]:
        requested = request_report_file(
            db.session, consultation, current_language(), urlencode(_filter_args()), current_user.id
        )
        db.session.commit()
        return redirect(url_for("tallies.report_file", slug=slug, report_id=requested.id), 303)
    page, _status = _render("tallies/report.html", consultation, form, result, staff=True)
    return _pdf_response(report_pdf(page, request.url_root), slug)


def _filter_args() -> list[tuple[str, str]]:
    """The tally filters of this request's address, and nothing else from it."""
    fields = TallyFilterForm.field_names()
    return [(key, value) for key, value in request.args.items(multi=True) if key in fields]


def _pdf_response(pdf: bytes, slug: str) -> Response:
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{slug}-report.pdf"'},
    )


@bp.get("/staff/tallies/<slug>/reports/<int(max=2147483647):report_id>")
@require_role(*READERS)
def report_file(slug: str, report_id: int) -> tuple[str, int]:
    consultation = consultation_by_slug(db.session, slug)
    found = report_file_of(db.session, consultation, report_id)
    return render_template(
        "tallies/report_file.html",
        consultation=consultation,
        report=found,
        waiting=found.ready_at is None and is_waiting(db.session, DRAW_REPORT, found.id),
    ), 200


@bp.get("/staff/tallies/<slug>/reports/<int(max=2147483647):report_id>.pdf")
@require_role(*READERS)
def report_file_pdf(slug: str, report_id: int) -> BaseResponse:
    consultation = consultation_by_slug(db.session, slug)
    found = report_file_of(db.session, consultation, report_id)
    if found.pdf is None:
        return redirect(url_for("tallies.report_file", slug=slug, report_id=report_id), 303)
    return _pdf_response(found.pdf, slug)


@bp.get("/staff/tallies/<slug>/tallies.csv")
@require_role(*READERS)
def tallies_csv(slug: str) -> BaseResponse | tuple[str, int]:
    consultation, form, result = _read(slug, staff=True)
    if result is None:
        return render_template(
            "tallies/dashboard.html", consultation=consultation, form=form, tally=None, staff=True
        ), 400
    return Response(
        tally_csv(result, current_language()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{slug}-tallies.csv"'},
    )


@bp.get("/staff/tallies/<slug>/tallies.json")
@require_role(*READERS)
def tallies_json(slug: str) -> BaseResponse | tuple[str, int]:
    _consultation, form, result = _read(slug, staff=True)
    if result is None:
        return {"error": {"code": "bad_request", "fields": form.errors}}, 400
    return tally_json(result, current_language())
