from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from werkzeug.wrappers import Response as BaseResponse

from engagement.auth.models import StaffRole
from engagement.auth.policies import require_role
from engagement.comments.forms import (
    CommentForm,
    fill_choices,
    new_submission_token,
    submission_token_id,
)
from engagement.comments.queries import form_choices
from engagement.consultations.forms import ScheduleForm
from engagement.consultations.models import PHASE_LABELS, Consultation
from engagement.consultations.operations import reschedule
from engagement.consultations.queries import (
    consultation_by_slug,
    consultation_phases,
    consultations_newest_first,
    text_blocks,
)
from engagement.db import db, utcnow
from engagement.errors import DomainError
from engagement.i18n import CITY_TIME, current_language, translated
from engagement.page_cache import shared_form_page, shared_page

bp = Blueprint("consultations", __name__, url_prefix="/<lang>")


@bp.get("/")
def index() -> str:
    consultations = consultations_newest_first(db.session)
    now = utcnow()
    return render_template(
        "consultations/index.html",
        consultations=[(c, PHASE_LABELS[c.phase_at(now)]) for c in consultations],
    )


@bp.get("/consultations/<slug>")
def show(slug: str) -> tuple[str, int]:
    if not shared_page():
        return render_consultation(consultation_by_slug(db.session, slug), CommentForm())
    return shared_form_page(
        (request.host_url, slug, current_language()),
        consultation_phases(db.session, slug).phase_at(utcnow()),
        lambda: _draw_blank_form(slug),
        lambda: (generate_csrf(), new_submission_token()),
    )


def _draw_blank_form(slug: str) -> tuple[str, int, str, str]:
    form = CommentForm()
    page, status = render_consultation(consultation_by_slug(db.session, slug), form)
    return page, status, form.csrf_token.current_token or "", form.submission_token.data or ""


@bp.route("/staff/consultations/<slug>", methods=["GET", "POST"])
@require_role(StaffRole.ADMIN)
def settings(slug: str) -> BaseResponse | tuple[str, int]:
    consultation = consultation_by_slug(db.session, slug)
    form = ScheduleForm(
        data={
            "opens_at": _city_time(consultation.opens_at),
            "closes_at": _city_time(consultation.closes_at),
            "hearing_at": _city_time(consultation.hearing_at),
        }
        if request.method == "GET"
        else None
    )
    if request.method == "POST" and form.validate():
        try:
            reschedule(
                db.session,
                consultation,
                opens_at=form.opens_at.data.replace(tzinfo=CITY_TIME),
                closes_at=form.closes_at.data.replace(tzinfo=CITY_TIME),
                hearing_at=form.hearing_at.data.replace(tzinfo=CITY_TIME)
                if form.hearing_at.data
                else None,
            )
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            form.closes_at.errors = [*form.closes_at.errors, str(error.message)]
        else:
            flash(_("The dates are saved."), "success")
            return redirect(url_for("consultations.settings", slug=slug), code=303)
    status = 422 if form.errors else 200
    return render_template(
        "consultations/settings.html", consultation=consultation, form=form
    ), status


def _city_time(moment: datetime | None) -> datetime | None:
    return moment.astimezone(CITY_TIME).replace(tzinfo=None) if moment else None


def render_consultation(
    consultation: Consultation, form: CommentForm, status: int = 200
) -> tuple[str, int]:
    """The consultation page with its comment form (blank, or sent back with errors)."""
    if submission_token_id(form.submission_token.data or "") is None:
        form.submission_token.data = new_submission_token()
    fill_choices(form, form_choices(db.session, consultation, current_language()))
    phase = consultation.phase_at(utcnow())
    page = render_template(
        "consultations/show.html",
        consultation=consultation,
        body=text_blocks(translated(consultation.body).text),
        body_lang=translated(consultation.body),
        phase=phase,
        phase_label=PHASE_LABELS[phase],
        form=form,
    )
    return page, status
