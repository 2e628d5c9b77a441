from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from engagement.db import Base, UTCDateTime, utcnow


class ReportFile(Base):
    """A hearing-report PDF drawn by a background job, for a consultation too large to draw it
    while a staff member waits. Kept in the database so that any web server can hand it out."""

    __tablename__ = "report_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    language: Mapped[str] = mapped_column(String(10))
    #: The report's filters, as the query string of the report page.
    query: Mapped[str] = mapped_column(String(1000), default="")
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
