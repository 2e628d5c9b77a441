"""Looking up staff accounts."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from engagement.auth.models import StaffUser, normalize_email


def staff_by_email(session: Session, email: str) -> StaffUser | None:
    """The account with this e-mail address (in any letter case), active or not."""
    return session.scalar(select(StaffUser).where(StaffUser.email == normalize_email(email)))


def active_staff(session: Session, user_id: int) -> StaffUser | None:
    """The account with this id if it may still sign in; None when deactivated or gone."""
    return session.scalar(
        select(StaffUser).where(StaffUser.id == user_id, StaffUser.active.is_(True))
    )


def all_staff(session: Session) -> list[StaffUser]:
    """Every staff account, active ones first, for the administrators' list."""
    return list(
        session.scalars(select(StaffUser).order_by(StaffUser.active.desc(), StaffUser.email))
    )
