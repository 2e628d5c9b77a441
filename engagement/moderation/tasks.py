"""Telling a resident, in their language, what was decided about their comment (a background
job per decision, so no moderator's request waits on a mail server)."""

from flask import current_app, render_template, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from engagement.comments.models import Comment
from engagement.comments.queries import receipt_by_code
from engagement.i18n import in_language
from engagement.jobs.operations import task
from engagement.jobs.runners import public_request
from engagement.mail import send_once
from engagement.moderation.models import NOTIFIED_ACTIONS, ModerationEvent

SEND_OUTCOME = "moderation.send_outcome"


@task(SEND_OUTCOME, _l("E-mail to a resident about a decision"))
def send_outcome(session: Session, comment_id: int, event_id: int) -> None:
    """E-mail the decision ``event_id`` to the resident who asked for updates, once.

    If a later decision was made before this one went out, only the later one is told: a
    resident never gets "published" for a comment that is hidden by the time they read it.
    """
    comment = session.get(Comment, comment_id)
    if comment is None or not comment.contact_email:
        return
    latest = session.scalar(
        select(ModerationEvent.id)
        .where(
            ModerationEvent.comment_id == comment_id,
            ModerationEvent.action.in_(NOTIFIED_ACTIONS),
        )
        .order_by(ModerationEvent.id.desc())
        .limit(1)
    )
    if latest != event_id:
        return
    with public_request(current_app._get_current_object()), in_language(comment.locale):  # type: ignore[attr-defined]
        receipt = receipt_by_code(session, comment.receipt_code)
        link = url_for("comments.receipt", code=comment.receipt_code, _external=True)
        subject = render_template("moderation/outcome_subject.txt", receipt=receipt).strip()
        body = render_template("moderation/outcome_email.txt", receipt=receipt, link=link)
    send_once(session, f"outcome:{event_id}", comment.contact_email, subject, body)
