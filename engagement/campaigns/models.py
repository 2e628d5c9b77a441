from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, SmallInteger
from sqlalchemy.orm import Mapped, mapped_column

from engagement.db import Base, UTCDateTime, utcnow


class Campaign(Base):
    """Comments that are copies of one text, with small edits: a form letter.

    Its members are the comments whose ``campaign_id`` points here; the earliest of them is
    its representative text.
    """

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SignatureBand(Base):
    """One band of a comment's MinHash signature: comments sharing a band are candidates.

    Kept in the database so that a new comment finds its look-alikes with one indexed query,
    without loading every comment.
    """

    __tablename__ = "signature_bands"
    __table_args__ = (Index("ix_signature_bands_lookup", "consultation_id", "band", "key"),)

    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True
    )
    band: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"))
    key: Mapped[int] = mapped_column(BigInteger)
