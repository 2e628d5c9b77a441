"""The form-letter work done in the background: checking a new comment, and rebuilding."""

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from engagement.campaigns.operations import match_comment, rebuild_campaigns
from engagement.comments.models import Comment
from engagement.consultations.models import Consultation
from engagement.jobs.operations import Progress, task

MATCH_COMMENT = "campaigns.match_comment"
REBUILD = "campaigns.rebuild"


@task(MATCH_COMMENT, _l("Form-letter check of a new comment"))
def match_new_comment(session: Session, comment_id: int) -> None:
    """Compare a new comment with the earlier ones; once per comment, however often it runs."""
    comment = session.get(Comment, comment_id)
    if comment is None or comment.copies_checked_at is not None:
        return
    match_comment(session, comment)
    session.flush()


@task(
    REBUILD,
    _l("Finding the form letters again"),
    timeout=timedelta(hours=2),
    reports_progress=True,
)
def rebuild(session: Session, consultation_id: int, progress: Progress) -> None:
    """Find a consultation's campaigns again over all its comments (one transaction)."""
    rebuild_campaigns(session, session.get_one(Consultation, consultation_id), progress)
