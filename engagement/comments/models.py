from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engagement.campaigns.models import Campaign
from engagement.consultations.models import Consultation, Topic
from engagement.db import Base, UTCDateTime, enum_column, utcnow
from engagement.geography.models import Neighborhood

BODY_MAX_LENGTH = 10_000
DISPLAY_NAME_MAX_LENGTH = 80


class Position(StrEnum):
    SUPPORT = "support"
    OPPOSE = "oppose"
    MIXED = "mixed"


POSITION_LABELS = {
    Position.SUPPORT: _l("I support the pilot"),
    Position.OPPOSE: _l("I oppose the pilot"),
    Position.MIXED: _l("Mixed feelings or unsure"),
}

#: Short labels for lists and tables.
POSITION_NAMES = {
    Position.SUPPORT: _l("Support"),
    Position.OPPOSE: _l("Oppose"),
    Position.MIXED: _l("Mixed or unsure"),
}


class Residence(StrEnum):
    MINNEAPOLIS = "minneapolis"
    OUTSIDE = "outside"
    UNDISCLOSED = "undisclosed"


RESIDENCE_LABELS = {
    Residence.OUTSIDE: _l("Outside Minneapolis"),
    Residence.UNDISCLOSED: _l("Prefer not to say"),
}


class Channel(StrEnum):
    WEB = "web"
    PAPER = "paper"
    EMAIL = "email"
    PHONE = "phone"
    IN_PERSON = "in_person"
    STAFF_ENTRY = "staff_entry"


CHANNEL_LABELS = {
    Channel.WEB: _l("Website"),
    Channel.PAPER: _l("Paper form or letter"),
    Channel.EMAIL: _l("E-mail"),
    Channel.PHONE: _l("Phone or voicemail"),
    Channel.IN_PERSON: _l("In person at a hearing"),
    Channel.STAFF_ENTRY: _l("Entered by staff"),
}


class CommentStatus(StrEnum):
    PENDING = "pending"
    PUBLISHED = "published"
    REJECTED = "rejected"
    HIDDEN = "hidden"


STATUS_LABELS = {
    CommentStatus.PENDING: _l("Received, waiting for review"),
    CommentStatus.PUBLISHED: _l("Published"),
    CommentStatus.REJECTED: _l("Not published"),
    CommentStatus.HIDDEN: _l("Hidden from the public list"),
}


#: The statuses in which a comment is public and counted: the one definition of "published"
#: (``engagement.comments.queries.is_published`` turns it into SQL).
PUBLISHED_STATUSES = (CommentStatus.PUBLISHED,)


class RejectionReason(StrEnum):
    SPAM = "spam"
    HARASSMENT = "harassment"
    PERSONAL_INFORMATION = "personal_information"
    OFF_TOPIC = "off_topic"
    DUPLICATE = "duplicate"
    OTHER = "other"


REJECTION_REASON_LABELS = {
    RejectionReason.SPAM: _l("Spam or advertising"),
    RejectionReason.HARASSMENT: _l("Harassment or hate"),
    RejectionReason.PERSONAL_INFORMATION: _l(
        "Personal information about someone that could not be removed"
    ),
    RejectionReason.OFF_TOPIC: _l("Not about this consultation"),
    RejectionReason.DUPLICATE: _l("A copy of a comment already received"),
    RejectionReason.OTHER: _l("Another reason"),
}

comment_topics = Table(
    "comment_topics",
    Base.metadata,
    Column("comment_id", ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True),
    Column("topic_id", ForeignKey("topics.id"), primary_key=True, index=True),
)


class Comment(Base):
    __tablename__ = "comments"
    __table_args__ = (
        CheckConstraint(
            "(residence = 'minneapolis') = (neighborhood_id IS NOT NULL)",
            name="neighborhood_iff_minneapolis",
        ),
        CheckConstraint(
            "status != 'rejected' OR rejection_reason IS NOT NULL", name="rejected_has_reason"
        ),
        CheckConstraint("length(body) > 0", name="body_not_empty"),
        # The public list's order (newest submitted first, the receipt code breaking ties) and
        # its keyset: a page starts at a (submitted_at, receipt_code) position, never at an
        # offset (comments.queries.published_comments).
        Index("ix_comments_listing", "consultation_id", "status", "submitted_at", "receipt_code"),
        # The API feed's order and keyset: publication time, then the receipt code
        # (comments.queries.published_comments_feed and publication_time()).
        Index(
            "ix_comments_feed",
            "consultation_id",
            "status",
            text("coalesce(published_at, submitted_at)"),
            "receipt_code",
        ),
        # The tallies read every counted comment of a consultation: this index holds all they
        # need, so both databases scan it without touching the table (and the texts in it).
        Index(
            "ix_comments_tally",
            "consultation_id",
            "status",
            "position",
            "residence",
            "neighborhood_id",
            "locale",
            "channel",
            "campaign_id",
            "topic_bits",
            "submitted_at",
            "rejection_reason",
        ),
        Index(
            "ix_comments_redacted",
            "consultation_id",
            "status",
            postgresql_where=text("published_body IS NOT NULL"),
            sqlite_where=text("published_body IS NOT NULL"),
        ),
        Index(
            "ix_comments_highlighted",
            "consultation_id",
            "status",
            # Each database's own spelling of the condition the highlights query uses.
            postgresql_where=text("highlighted"),
            sqlite_where=text("highlighted = 1"),
        ),
        # A campaign's copies by status, and its first copy (the representative text).
        Index("ix_comments_campaign", "campaign_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"))
    #: The text exactly as received. Private once a redacted copy is published.
    body: Mapped[str] = mapped_column(Text)
    position: Mapped[Position] = mapped_column(enum_column(Position, "position"))
    residence: Mapped[Residence] = mapped_column(enum_column(Residence, "residence"))
    neighborhood_id: Mapped[int | None] = mapped_column(ForeignKey("neighborhoods.id"), index=True)
    #: The language of the site when the resident wrote (our language code, e.g. "hmn").
    locale: Mapped[str] = mapped_column(String(10))
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, "channel"), default=Channel.WEB)
    display_name: Mapped[str | None] = mapped_column(String(DISPLAY_NAME_MAX_LENGTH))
    #: Private: given only for status updates (Minn. Stat. § 13.356); never public or exported.
    contact_email: Mapped[str | None] = mapped_column(String(254))
    status: Mapped[CommentStatus] = mapped_column(
        enum_column(CommentStatus, "comment_status"), default=CommentStatus.PENDING
    )
    rejection_reason: Mapped[RejectionReason | None] = mapped_column(
        enum_column(RejectionReason, "rejection_reason")
    )
    #: The redacted copy shown to the public when moderators removed personal information.
    published_body: Mapped[str | None] = mapped_column(Text)
    receipt_code: Mapped[str] = mapped_column(String(14), unique=True)
    #: SHA-256 of the canonical record of what was received (see comments.receipts).
    fingerprint: Mapped[str] = mapped_column(String(64))
    #: One per rendered form, so a double click or a resubmission stores the comment once.
    submission_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: Keyed, daily-rotating hash of the client address, for abuse control; never the address.
    client_hash: Mapped[str | None] = mapped_column(String(64))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The marked spans [start, end) of ``body`` that ``published_body`` replaces.
    redactions: Mapped[list[list[int]] | None] = mapped_column(JSON)
    #: 1 puts the comment first in the moderation queue (a possible threat).
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: The staff member who typed in a comment received on paper, by phone, e-mail or in person.
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    #: Where a staff-entered comment came from (a scan number, a voicemail id...).
    source_reference: Mapped[str | None] = mapped_column(String(200))
    #: The comment's topics as one number, bit ``Topic.bit`` set for each (the tallies count
    #: topics from it in one pass); ``comment_topics`` holds the same, for joins and filters.
    #: Topics never change after a comment is received.
    topic_bits: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    #: The form-letter campaign this comment is a copy of (see engagement.campaigns).
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"))
    #: When the form-letter check ran (a background job); empty until then, so that nobody
    #: reads "not a copy" into a comment that was not compared yet.
    copies_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Marked by a moderator as a representative quote for the council report.
    highlighted: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: Optimistic concurrency: a moderator's change applies only to the version they saw.
    version: Mapped[int] = mapped_column(Integer, default=1)

    consultation: Mapped[Consultation] = relationship()
    neighborhood: Mapped[Neighborhood | None] = relationship()
    campaign: Mapped[Campaign | None] = relationship()
    topics: Mapped[list[Topic]] = relationship(secondary=comment_topics, order_by=Topic.position)

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}

    @property
    def public_text(self) -> str:
        return self.published_body if self.published_body is not None else self.body
