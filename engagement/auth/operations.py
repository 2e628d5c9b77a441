"""Opening and closing staff accounts, and checking a password at sign-in."""

import re
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engagement.auth.models import (
    DISPLAY_NAME_MAX_LENGTH,
    EMAIL_MAX_LENGTH,
    StaffRole,
    StaffUser,
    normalize_email,
)
from engagement.auth.queries import staff_by_email
from engagement.db import utcnow
from engagement.errors import DomainError, NotFound

MIN_PASSWORD_LENGTH = 12
#: Wrong passwords in a row before the account is locked, and for how long.
MAX_FAILED_LOGINS = 5
LOCK_DURATION = timedelta(minutes=15)

PASSWORD_HASHER = PasswordHasher()
#: Checked when no account has the e-mail address given, so that an unknown address takes as
#: long to refuse as a wrong password. Made with PasswordHasher's defaults; a test keeps the two
#: in step when argon2-cffi changes them.
DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$TT0vEZIGTYM4l5VAvjLcGg"
    "$6uZtpPovVWJBCLBjCaivB/1JGLV5kYXBMnujvXXScN4"
)
_EMAIL_SHAPE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class StaffExists(DomainError):
    status_code = 409
    message = _l("A staff account with this e-mail address already exists.")


class WeakPassword(DomainError):
    message = _l(
        "A staff password needs at least %(count)s characters. A few unrelated words work well.",
        count=MIN_PASSWORD_LENGTH,
    )


class InvalidEmail(DomainError):
    message = _l("Check the e-mail address: it should look like name@example.com.")


class LoginFailed(DomainError):
    """The one answer to every refused sign-in, so that it tells nobody which part was wrong."""

    message = _l(
        "We could not sign you in with this e-mail address and password. After several failed "
        "attempts, signing in is paused for 15 minutes. If you are stuck, ask an administrator."
    )


def create_staff(
    session: Session,
    email: str,
    role: StaffRole | str,
    password: str,
    display_name: str | None = None,
) -> StaffUser:
    """Open an active staff account whose password is kept only as an argon2id hash.

    Without a display name, the part of the e-mail address before the @ stands in.

    Raises:
        InvalidEmail: the address is not shaped like name@example.com.
        WeakPassword: the password is shorter than MIN_PASSWORD_LENGTH characters.
        StaffExists: an account, active or not, already has this address (in any letter case).
            After a race lost at the unique index the session needs a rollback, as after any
            failed flush.
    """
    email = normalize_email(email)
    if len(email) > EMAIL_MAX_LENGTH or not _EMAIL_SHAPE.fullmatch(email):
        raise InvalidEmail
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword
    if staff_by_email(session, email) is not None:
        raise StaffExists
    name = (display_name or "").strip() or email.split("@", 1)[0]
    user = StaffUser(
        email=email,
        display_name=name[:DISPLAY_NAME_MAX_LENGTH],
        password_hash=PASSWORD_HASHER.hash(password),
        role=StaffRole(role),
        active=True,
        failed_logins=0,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError as error:
        raise StaffExists from error
    return user


def deactivate_staff(session: Session, email: str) -> StaffUser:
    """Close an account: it can no longer sign in, and its open sessions end at the next request.

    The row stays, so the moderation log keeps naming who made each decision.

    Raises:
        NotFound: no account has this e-mail address.
    """
    user = staff_by_email(session, email)
    if user is None:
        raise NotFound(_l("No staff account has this e-mail address."))
    user.active = False
    session.flush()
    return user


def authenticate(
    session: Session, email: str, password: str, now: datetime | None = None
) -> StaffUser:
    """The active, unlocked account with this e-mail address and password.

    Every refusal is the same LoginFailed after one argon2 check, whether the address is
    unknown, the password wrong, or the account deactivated or locked, so that neither the
    message nor the time taken tells anyone which addresses have accounts. After
    MAX_FAILED_LOGINS wrong passwords in a row the account is locked for LOCK_DURATION, even
    against the right password. A success clears the count and, when argon2's parameters have
    been raised since, stores a stronger hash.

    The count of failures is flushed before LoginFailed is raised: the caller commits it.

    Raises:
        LoginFailed: for any reason at all.
    """
    now = now or utcnow()
    user = staff_by_email(session, email)
    if user is None:
        _verify(DUMMY_HASH, password)
        raise LoginFailed
    correct = _verify(user.password_hash, password)
    if not user.active or user.is_locked(now):
        raise LoginFailed
    if not correct:
        _count_failure(session, user, now)
        raise LoginFailed
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if PASSWORD_HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = PASSWORD_HASHER.hash(password)
    session.flush()
    return user


def _verify(password_hash: str, password: str) -> bool:
    try:
        return PASSWORD_HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _count_failure(session: Session, user: StaffUser, now: datetime) -> None:
    # Added in SQL, so that wrong passwords sent at the same moment all count.
    user.failed_logins = StaffUser.failed_logins + 1  # type: ignore[assignment]
    session.flush()
    if user.failed_logins >= MAX_FAILED_LOGINS:
        user.locked_until = now + LOCK_DURATION
        # A fresh count once the lock ends: five more tries, then another lock.
        user.failed_logins = 0
        session.flush()
