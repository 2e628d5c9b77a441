from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engagement.db import Base, TranslatedText, UTCDateTime


class Phase(StrEnum):
    UPCOMING = "upcoming"
    OPEN = "open"
    CLOSED = "closed"


PHASE_LABELS = {
    Phase.UPCOMING: _l("Not open yet"),
    Phase.OPEN: _l("Open for comments"),
    Phase.CLOSED: _l("Comment period closed"),
}


class Consultation(Base):
    __tablename__ = "consultations"
    __table_args__ = (CheckConstraint("opens_at < closes_at", name="period_in_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[dict[str, str]] = mapped_column(TranslatedText)
    summary: Mapped[dict[str, str]] = mapped_column(TranslatedText)
    #: Plain text: blank lines separate paragraphs, "## " starts a heading, "- " a list item.
    #: The largest value by far, in four languages: loaded only where it is shown (the
    #: consultation page, drawn once per worker and version), not with every comment or form.
    body: Mapped[dict[str, str]] = mapped_column(TranslatedText, deferred=True)
    responsible_body: Mapped[dict[str, str]] = mapped_column(TranslatedText)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    hearing_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    topics: Mapped[list["Topic"]] = relationship(
        back_populates="consultation", order_by="Topic.position"
    )

    def phase_at(self, moment: datetime) -> Phase:
        return phase_between(self.opens_at, self.closes_at, moment)


def phase_between(opens_at: datetime, closes_at: datetime, moment: datetime) -> Phase:
    """Open or closed follows from the dates alone, so staff change it by changing them."""
    if moment < opens_at:
        return Phase.UPCOMING
    if moment < closes_at:
        return Phase.OPEN
    return Phase.CLOSED


#: Topics a consultation can have: each owns one bit of ``Comment.topic_bits``.
MAX_TOPICS = 62


class Topic(Base):
    __tablename__ = "topics"
    __table_args__ = (
        UniqueConstraint("consultation_id", "slug"),
        UniqueConstraint("consultation_id", "bit"),
        CheckConstraint(f"bit >= 0 AND bit < {MAX_TOPICS}", name="bit_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    name: Mapped[dict[str, str]] = mapped_column(TranslatedText)
    description: Mapped[dict[str, str]] = mapped_column(TranslatedText)
    #: Display order on the form and in reports.
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: This topic's bit in ``Comment.topic_bits``; given once, never changed (order may change).
    bit: Mapped[int] = mapped_column(Integer)

    @property
    def mask(self) -> int:
        return 1 << self.bit

    consultation: Mapped[Consultation] = relationship(back_populates="topics")
