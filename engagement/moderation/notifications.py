"""Telling a resident, in their language, what was decided about their comment."""

from flask import current_app, render_template, url_for

from engagement.comments.models import Comment, CommentStatus
from engagement.comments.queries import receipt_by_code
from engagement.db import db
from engagement.i18n import in_language
from engagement.mail import send_mail

#: Decisions a resident who left an e-mail address hears about.
NOTIFIED_STATUSES = (CommentStatus.PUBLISHED, CommentStatus.REJECTED, CommentStatus.HIDDEN)


def notify_outcome(comment: Comment) -> bool:
    """E-mail the outcome to the resident, if they asked for updates. Call after committing.

    A failure to send is logged, not raised: the decision stands and the receipt page shows it.
    """
    if not comment.contact_email or comment.status not in NOTIFIED_STATUSES:
        return False
    with in_language(comment.locale):
        receipt = receipt_by_code(db.session, comment.receipt_code)
        link = url_for("comments.receipt", code=comment.receipt_code, _external=True)
        subject = render_template("moderation/outcome_subject.txt", receipt=receipt).strip()
        body = render_template("moderation/outcome_email.txt", receipt=receipt, link=link)
    try:
        send_mail(comment.contact_email, subject, body)
    except OSError:
        current_app.logger.exception("outcome e-mail for %s not sent", comment.receipt_code)
        return False
    return True
