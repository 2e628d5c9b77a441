from datetime import datetime
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engagement.comments.models import Comment, RejectionReason
from engagement.db import Base, UTCDateTime, append_only, enum_column, utcnow
from engagement.moderation.flags import Flag


class ModerationAction(StrEnum):
    PUBLISH = "publish"
    PUBLISH_REDACTED = "publish_redacted"
    REJECT = "reject"
    HIDE = "hide"
    RESTORE = "restore"
    DISMISS_REPORTS = "dismiss_reports"
    AUTO_HIDE = "auto_hide"
    ENTER = "enter"
    HIGHLIGHT = "highlight"
    UNHIGHLIGHT = "unhighlight"


ACTION_LABELS = {
    ModerationAction.PUBLISH: _l("Published"),
    ModerationAction.PUBLISH_REDACTED: _l("Published with personal information removed"),
    ModerationAction.REJECT: _l("Rejected"),
    ModerationAction.HIDE: _l("Hidden"),
    ModerationAction.RESTORE: _l("Restored"),
    ModerationAction.DISMISS_REPORTS: _l("Reports reviewed, kept published"),
    ModerationAction.AUTO_HIDE: _l("Hidden after reports, pending review"),
    ModerationAction.ENTER: _l("Entered by staff"),
    ModerationAction.HIGHLIGHT: _l("Marked as a representative quote"),
    ModerationAction.UNHIGHLIGHT: _l("No longer a representative quote"),
}


#: Decisions a resident who left an e-mail address hears about. Keeping a reported comment
#: published (dismissing the reports) and restoring it to the queue change nothing for them.
NOTIFIED_ACTIONS = (
    ModerationAction.PUBLISH,
    ModerationAction.PUBLISH_REDACTED,
    ModerationAction.REJECT,
    ModerationAction.HIDE,
)


class ReportReason(StrEnum):
    PERSONAL_INFORMATION = "personal_information"
    HARASSMENT = "harassment"
    SPAM = "spam"
    OFF_TOPIC = "off_topic"
    OTHER = "other"


REPORT_REASON_LABELS = {
    ReportReason.PERSONAL_INFORMATION: _l("It shares someone's personal information"),
    ReportReason.HARASSMENT: _l("It is harassment or hate"),
    ReportReason.SPAM: _l("It is spam or advertising"),
    ReportReason.OFF_TOPIC: _l("It is not about this consultation"),
    ReportReason.OTHER: _l("Something else"),
}


class CommentFlag(Base):
    """An automatic flag raised when the comment was received (see moderation.flags)."""

    __tablename__ = "comment_flags"

    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True
    )
    flag: Mapped[Flag] = mapped_column(enum_column(Flag, "flag"), primary_key=True)


class CommentReport(Base):
    """A resident's report that a published comment breaks the rules."""

    __tablename__ = "comment_reports"
    __table_args__ = (Index("ix_comment_reports_open", "comment_id", "resolved_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id"))
    reason: Mapped[ReportReason] = mapped_column(enum_column(ReportReason, "report_reason"))
    note: Mapped[str | None] = mapped_column(Text)
    #: Keyed daily hash of the reporter's address: counts distinct reporters, stores no address.
    client_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


@append_only
class ModerationEvent(Base):
    """One entry of the append-only moderation log: who did what to which comment, and why.

    Rows are never updated or deleted: the ORM refuses to, and database triggers refuse any
    UPDATE or DELETE that reaches the table by another path.
    """

    __tablename__ = "moderation_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id"), index=True)
    #: The staff member; None when the platform acted (automatic) or the command line did.
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    #: The actor's name as it was then, so the record stays readable if an account changes.
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[ModerationAction] = mapped_column(enum_column(ModerationAction, "action"))
    reason: Mapped[RejectionReason | None] = mapped_column(
        enum_column(RejectionReason, "rejection_reason")
    )
    note: Mapped[str | None] = mapped_column(Text)
    #: {"status", "published_body", "redactions"} before and after the action.
    before: Mapped[dict[str, Any]] = mapped_column(JSON)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)
    bulk: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    comment: Mapped[Comment] = relationship()
