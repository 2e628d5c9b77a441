from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from engagement.auth.models import StaffRole
from engagement.auth.policies import require_role
from engagement.comments.models import RESIDENCE_LABELS, Residence
from engagement.consultations.models import Consultation
from engagement.consultations.queries import consultation_by_slug
from engagement.db import db, utcnow
from engagement.extensions import limiter
from engagement.geography.queries import neighborhood_shapes
from engagement.i18n import current_language
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
from engagement.tallies.queries import Row, Tally, tally

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
    consultation, form, result = _read(slug, staff=staff)
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
    fields = TallyFilterForm.field_names()
    query = {key: value for key, value in request.args.items(multi=True) if key in fields}
    return url_for(endpoint, slug=request.view_args["slug"], **query)  # type: ignore[index]


# --- public ------------------------------------------------------------------------------


@bp.get("/consultations/<slug>/tallies")
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
    return _page("tallies/report.html", slug, staff=True)


@bp.get("/staff/tallies/<slug>/report.pdf")
@require_role(*READERS)
@limiter.limit(lambda: current_app.config["PDF_RATE_LIMIT"])
def pdf(slug: str) -> BaseResponse | tuple[str, int]:
    page, status = _page("tallies/report.html", slug, staff=True)
    if status != 200:
        return page, status
    return Response(
        report_pdf(page, request.url_root),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{slug}-report.pdf"'},
    )


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
