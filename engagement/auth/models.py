from datetime import datetime
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column, validates

from engagement.db import Base, UTCDateTime, enum_column, utcnow

EMAIL_MAX_LENGTH = 254
DISPLAY_NAME_MAX_LENGTH = 120


class StaffRole(StrEnum):
    MODERATOR = "moderator"
    ADMIN = "admin"
    COUNCIL = "council"


ROLE_LABELS = {
    StaffRole.MODERATOR: _l("Moderator"),
    StaffRole.ADMIN: _l("Administrator"),
    # i18n: a council member or council staff who reads the reports
    StaffRole.COUNCIL: _l("Council"),
}


def normalize_email(email: str) -> str:
    """The form an e-mail address is stored and looked up in: trimmed and lowercased."""
    return email.strip().lower()


class StaffUser(Base, UserMixin):
    __tablename__ = "staff_users"
    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lowercase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The sign-in name. Private: never shown on a public page.
    email: Mapped[str] = mapped_column(String(EMAIL_MAX_LENGTH), unique=True)
    display_name: Mapped[str] = mapped_column(String(DISPLAY_NAME_MAX_LENGTH))
    #: An argon2id hash in PHC format; never the password.
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[StaffRole] = mapped_column(enum_column(StaffRole, "staff_role"))
    #: Deactivated rather than deleted, so the audit log keeps naming who did what.
    active: Mapped[bool] = mapped_column(default=True)
    #: Wrong passwords since the last success or the last lock.
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @validates("email")
    def _normalize_email(self, _key: str, email: str) -> str:
        return normalize_email(email)

    @property
    def is_active(self) -> bool:
        return self.active

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until
