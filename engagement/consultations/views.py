from flask import Blueprint, render_template

from engagement.comments.forms import (
    CommentForm,
    fill_choices,
    new_submission_token,
    submission_token_id,
)
from engagement.comments.queries import form_choices
from engagement.consultations.models import PHASE_LABELS, Consultation
from engagement.consultations.queries import (
    consultation_by_slug,
    consultations_newest_first,
    text_blocks,
)
from engagement.db import db, utcnow
from engagement.i18n import current_language, translated

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
    consultation = consultation_by_slug(db.session, slug)
    return render_consultation(consultation, CommentForm())


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
