"""Staff accounts without HTTP: creating, deactivating, checking passwords, the lock."""

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from engagement.auth.models import StaffRole, StaffUser
from engagement.auth.operations import (
    DUMMY_HASH,
    LOCK_DURATION,
    PASSWORD_HASHER,
    InvalidEmail,
    LoginFailed,
    StaffExists,
    WeakPassword,
    authenticate,
    create_staff,
    deactivate_staff,
)
from engagement.db import utcnow
from engagement.errors import NotFound

PASSWORD = "correct horse battery staple"


def test_create_staff_stores_an_argon2id_hash_not_the_password(session: Session) -> None:
    user = create_staff(session, "Ana.Lopez@MinneapolisMN.gov", StaffRole.ADMIN, PASSWORD)
    session.commit()
    session.expire_all()
    [stored] = session.scalars(select(StaffUser))
    assert stored.id == user.id
    assert stored.email == "ana.lopez@minneapolismn.gov"
    assert stored.display_name == "ana.lopez"
    assert stored.role is StaffRole.ADMIN
    assert stored.active is True
    assert stored.failed_logins == 0
    assert stored.locked_until is None
    assert stored.last_login_at is None
    assert stored.created_at.tzinfo is not None
    assert PASSWORD not in stored.password_hash
    assert stored.password_hash.startswith("$argon2id$")
    assert PASSWORD_HASHER.verify(stored.password_hash, PASSWORD)


def test_create_staff_keeps_a_given_display_name(session: Session) -> None:
    user = create_staff(session, "a@example.org", "council", PASSWORD, "  Council Member Ali ")
    assert user.display_name == "Council Member Ali"
    assert user.role is StaffRole.COUNCIL


def test_same_password_gives_different_hashes(session: Session) -> None:
    one = create_staff(session, "one@example.org", StaffRole.MODERATOR, PASSWORD)
    two = create_staff(session, "two@example.org", StaffRole.MODERATOR, PASSWORD)
    assert one.password_hash != two.password_hash


@pytest.mark.parametrize("email", ["hodan@example.org", "HODAN@example.org", " hodan@Example.org"])
def test_duplicate_e_mail_is_refused_in_any_letter_case(session: Session, email: str) -> None:
    create_staff(session, "hodan@example.org", StaffRole.MODERATOR, PASSWORD)
    with pytest.raises(StaffExists):
        create_staff(session, email, StaffRole.ADMIN, PASSWORD)


def test_duplicate_of_a_deactivated_account_is_refused(session: Session) -> None:
    create_staff(session, "gone@example.org", StaffRole.MODERATOR, PASSWORD)
    deactivate_staff(session, "gone@example.org")
    with pytest.raises(StaffExists):
        create_staff(session, "gone@example.org", StaffRole.MODERATOR, PASSWORD)


@pytest.mark.parametrize("password", ["", "short", "elevenchars"])
def test_short_password_is_refused(session: Session, password: str) -> None:
    with pytest.raises(WeakPassword) as refused:
        create_staff(session, "a@example.org", StaffRole.ADMIN, password)
    assert "at least 12 characters" in str(refused.value.message)
    assert session.scalars(select(StaffUser)).all() == []


def test_twelve_characters_are_enough(session: Session) -> None:
    assert create_staff(session, "a@example.org", StaffRole.ADMIN, "twelve chars")


@pytest.mark.parametrize("email", ["", "admin", "admin@localhost", "a b@example.org", "@x.org"])
def test_malformed_e_mail_is_refused(session: Session, email: str) -> None:
    with pytest.raises(InvalidEmail):
        create_staff(session, email, StaffRole.ADMIN, PASSWORD)


def test_unknown_role_is_refused(session: Session) -> None:
    with pytest.raises(ValueError, match="superuser"):
        create_staff(session, "a@example.org", "superuser", PASSWORD)


def test_deactivate_staff(session: Session) -> None:
    create_staff(session, "hodan@example.org", StaffRole.MODERATOR, PASSWORD)
    user = deactivate_staff(session, "Hodan@Example.org")
    assert user.active is False
    assert user.is_active is False


def test_deactivating_an_unknown_account_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        deactivate_staff(session, "nobody@example.org")


def test_authenticate_returns_the_account_and_records_the_time(session: Session) -> None:
    created = create_staff(session, "hodan@example.org", StaffRole.MODERATOR, PASSWORD)
    now = utcnow()
    user = authenticate(session, "HODAN@example.org", PASSWORD, now)
    assert user is created
    assert user.last_login_at == now


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("hodan@example.org", "the wrong password"),
        ("nobody@example.org", PASSWORD),
        ("", ""),
    ],
)
def test_every_refusal_is_the_same_login_failed(
    session: Session, email: str, password: str
) -> None:
    create_staff(session, "hodan@example.org", StaffRole.MODERATOR, PASSWORD)
    with pytest.raises(LoginFailed) as refused:
        authenticate(session, email, password, utcnow())
    assert str(refused.value.message) == str(LoginFailed.message)


def test_deactivated_account_fails_like_a_wrong_password(session: Session) -> None:
    create_staff(session, "hodan@example.org", StaffRole.MODERATOR, PASSWORD)
    deactivate_staff(session, "hodan@example.org")
    with pytest.raises(LoginFailed):
        authenticate(session, "hodan@example.org", PASSWORD, utcnow())


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(session: Session) -> None:
    user = create_staff(session, "hodan@example.org", StaffRole.MODERATOR, PASSWORD)
    now = utcnow()
    for attempt in range(5):
        with pytest.raises(LoginFailed):
            authenticate(session, "hodan@example.org", f"guess {attempt}", now)
    assert user.locked_until == now + LOCK_DURATION
    with pytest.raises(LoginFailed):
        authenticate(session, "hodan@example.org", PASSWORD, now + timedelta(minutes=14))
    assert authenticate(session, "hodan@example.org", PASSWORD, now + timedelta(minutes=15))
    assert user.failed_logins == 0
    assert user.locked_until is None


def test_wrong_passwords_while_locked_do_not_extend_the_lock(session: Session) -> None:
    user = create_staff(session, "hodan@example.org", StaffRole.MODERATOR, PASSWORD)
    now = utcnow()
    for attempt in range(5):
        with pytest.raises(LoginFailed):
            authenticate(session, "hodan@example.org", f"guess {attempt}", now)
    with pytest.raises(LoginFailed):
        authenticate(session, "hodan@example.org", "still guessing", now + timedelta(minutes=10))
    assert user.locked_until == now + LOCK_DURATION


def test_after_a_lock_there_are_five_fresh_tries(session: Session) -> None:
    user = create_staff(session, "hodan@example.org", StaffRole.MODERATOR, PASSWORD)
    now = utcnow()
    for attempt in range(5):
        with pytest.raises(LoginFailed):
            authenticate(session, "hodan@example.org", f"guess {attempt}", now)
    later = now + LOCK_DURATION
    with pytest.raises(LoginFailed):
        authenticate(session, "hodan@example.org", "one more guess", later)
    assert user.failed_logins == 1
    assert authenticate(session, "hodan@example.org", PASSWORD, later)


def test_the_failure_count_is_added_in_the_database(session: Session) -> None:
    """Two requests counting at once each add one, instead of both writing the same number."""
    user = create_staff(session, "hodan@example.org", StaffRole.MODERATOR, PASSWORD)
    session.commit()
    user.failed_logins = 3
    session.flush()
    with pytest.raises(LoginFailed):
        authenticate(session, "hodan@example.org", "wrong", utcnow())
    assert user.failed_logins == 4


def test_an_old_hash_is_upgraded_at_sign_in(session: Session) -> None:
    user = create_staff(session, "hodan@example.org", StaffRole.MODERATOR, PASSWORD)
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    user.password_hash = weak
    session.flush()
    authenticate(session, "hodan@example.org", PASSWORD, utcnow())
    assert user.password_hash != weak
    assert not PASSWORD_HASHER.check_needs_rehash(user.password_hash)
    assert PASSWORD_HASHER.verify(user.password_hash, PASSWORD)


def test_a_current_hash_is_left_alone(session: Session) -> None:
    user = create_staff(session, "hodan@example.org", StaffRole.MODERATOR, PASSWORD)
    before = user.password_hash
    authenticate(session, "hodan@example.org", PASSWORD, utcnow())
    assert user.password_hash == before


def test_a_corrupt_hash_refuses_rather_than_crashes(session: Session) -> None:
    user = create_staff(session, "hodan@example.org", StaffRole.MODERATOR, PASSWORD)
    user.password_hash = "not a hash"
    session.flush()
    with pytest.raises(LoginFailed):
        authenticate(session, "hodan@example.org", PASSWORD, utcnow())


def test_the_dummy_hash_costs_what_a_real_one_costs() -> None:
    """If argon2-cffi raises its defaults, regenerate DUMMY_HASH so timing stays even."""
    assert not PASSWORD_HASHER.check_needs_rehash(DUMMY_HASH)
