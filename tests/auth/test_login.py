"""Staff sign in and out: one answer for every refusal, the lock, safe redirects, the session."""

import time
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from flask.testing import FlaskClient
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from engagement.auth.models import StaffRole, StaffUser
from engagement.auth.operations import DUMMY_HASH, create_staff, deactivate_staff
from engagement.db import utcnow
from tests.conftest import STAFF_PASSWORD, csrf_token, sign_in

EMAIL = "hodan@minneapolismn.gov"
REFUSED = "We could not sign you in with this e-mail address and password."


@pytest.fixture
def staff(session: Session) -> StaffUser:
    user = create_staff(session, EMAIL, StaffRole.MODERATOR, STAFF_PASSWORD, "Hodan")
    session.commit()
    return user


def fresh(session: Session, user: StaffUser) -> StaffUser:
    session.expire_all()
    found = session.get(StaffUser, user.id)
    assert found is not None
    return found


def test_sign_in_goes_to_the_staff_home(client: FlaskClient, staff: StaffUser) -> None:
    response = sign_in(client, EMAIL, STAFF_PASSWORD)
    assert response.status_code == 303
    assert response.headers["Location"] == "/en/staff/"
    home = client.get("/en/staff/")
    assert home.status_code == 200
    assert "Hello, Hodan" in home.text
    assert "Moderator" in home.text
    assert "Sign out" in home.text


def test_sign_in_is_in_the_language_of_the_page(client: FlaskClient, staff: StaffUser) -> None:
    response = sign_in(client, EMAIL, STAFF_PASSWORD, lang="so")
    assert response.headers["Location"] == "/so/staff/"
    assert '<html lang="so"' in client.get("/so/staff/").text


def test_e_mail_address_is_not_case_sensitive(client: FlaskClient, staff: StaffUser) -> None:
    assert sign_in(client, "  Hodan@MinneapolisMN.gov ", STAFF_PASSWORD).status_code == 303


def test_success_records_the_time_and_clears_failures(
    client: FlaskClient, session: Session, staff: StaffUser
) -> None:
    sign_in(client, EMAIL, "wrong password, once")
    sign_in(client, EMAIL, STAFF_PASSWORD)
    user = fresh(session, staff)
    assert user.failed_logins == 0
    assert user.last_login_at is not None
    assert utcnow() - user.last_login_at < timedelta(minutes=1)


def test_wrong_password_and_unknown_address_get_the_same_answer(
    client: FlaskClient, staff: StaffUser
) -> None:
    wrong = sign_in(client, EMAIL, "not the password at all")
    unknown = sign_in(client, "nobody@minneapolismn.gov", STAFF_PASSWORD)
    assert wrong.status_code == unknown.status_code == 422
    assert REFUSED in wrong.text
    assert REFUSED in unknown.text
    assert "nobody@minneapolismn.gov" in unknown.text  # the address is kept in the form
    assert STAFF_PASSWORD not in unknown.text  # the password is not


def test_unknown_address_still_checks_a_hash(client: FlaskClient) -> None:
    """The refusal costs one argon2 check either way, so timing tells nothing."""
    with mock.patch("engagement.auth.operations._verify", return_value=False) as verify:
        sign_in(client, "nobody@minneapolismn.gov", STAFF_PASSWORD)
    verify.assert_called_once_with(DUMMY_HASH, STAFF_PASSWORD)


def test_five_failures_lock_even_the_right_password(
    client: FlaskClient, session: Session, staff: StaffUser
) -> None:
    for attempt in range(5):
        assert sign_in(client, EMAIL, f"guess number {attempt}").status_code == 422
    assert fresh(session, staff).locked_until is not None
    locked = sign_in(client, EMAIL, STAFF_PASSWORD)
    assert locked.status_code == 422
    assert REFUSED in locked.text  # the same answer: a lock says nothing about the account
    assert client.get("/en/staff/").status_code == 302


def test_four_failures_do_not_lock(client: FlaskClient, staff: StaffUser) -> None:
    for attempt in range(4):
        sign_in(client, EMAIL, f"guess number {attempt}")
    assert sign_in(client, EMAIL, STAFF_PASSWORD).status_code == 303


def test_the_lock_ends_after_fifteen_minutes(client: FlaskClient, staff: StaffUser) -> None:
    for attempt in range(5):
        sign_in(client, EMAIL, f"guess number {attempt}")
    now = utcnow()
    with mock.patch("engagement.auth.views.utcnow", return_value=now + timedelta(minutes=14)):
        assert sign_in(client, EMAIL, STAFF_PASSWORD).status_code == 422
    with mock.patch("engagement.auth.views.utcnow", return_value=now + timedelta(minutes=16)):
        assert sign_in(client, EMAIL, STAFF_PASSWORD).status_code == 303


def test_deactivated_account_cannot_sign_in(
    client: FlaskClient, session: Session, staff: StaffUser
) -> None:
    deactivate_staff(session, EMAIL)
    session.commit()
    response = sign_in(client, EMAIL, STAFF_PASSWORD)
    assert response.status_code == 422
    assert REFUSED in response.text


def test_deactivation_ends_an_open_session(
    client: FlaskClient, session: Session, staff: StaffUser
) -> None:
    sign_in(client, EMAIL, STAFF_PASSWORD)
    assert client.get("/en/staff/").status_code == 200
    deactivate_staff(session, EMAIL)
    session.commit()
    assert client.get("/en/staff/").status_code == 302
    assert "/en/staff/" not in client.get("/en/receipts").text


@pytest.mark.parametrize("target", ["/en/receipts", "/en/receipts?code=7KQ2-M9XD-4RTB"])
def test_sign_in_returns_to_the_page_asked_for(
    client: FlaskClient, staff: StaffUser, target: str
) -> None:
    response = sign_in(client, EMAIL, STAFF_PASSWORD, next=target)
    assert response.headers["Location"] == target


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "https://evil.example",
        "http://localhost.evil.example/en/staff/",
        "/\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "evil.example",
        "",
    ],
)
def test_unsafe_next_is_ignored(client: FlaskClient, staff: StaffUser, target: str) -> None:
    response = sign_in(client, EMAIL, STAFF_PASSWORD, next=target)
    assert response.status_code == 303
    assert response.headers["Location"] == "/en/staff/"


def test_a_staff_page_sends_anonymous_visitors_to_sign_in_and_back(
    client: FlaskClient, staff: StaffUser
) -> None:
    response = client.get("/es/staff/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/es/staff/login?next=%2Fes%2Fstaff%2F"
    page = client.get(response.headers["Location"])
    assert '<html lang="es"' in page.text
    assert 'class="flash flash-info"' in page.text
    back = sign_in(client, EMAIL, STAFF_PASSWORD, lang="es", next="/es/staff/")
    assert back.headers["Location"] == "/es/staff/"


def test_a_value_planted_before_sign_in_does_not_survive_it(
    client: FlaskClient, staff: StaffUser
) -> None:
    with client.session_transaction() as cookie_session:
        cookie_session["planted"] = "by someone else"
        cookie_session["_user_id"] = "999"
    sign_in(client, EMAIL, STAFF_PASSWORD)
    with client.session_transaction() as cookie_session:
        assert "planted" not in cookie_session
        assert cookie_session["_user_id"] == str(staff.id)


def test_sign_out_ends_the_session(client: FlaskClient, staff: StaffUser) -> None:
    sign_in(client, EMAIL, STAFF_PASSWORD)
    home = client.get("/en/staff/")
    response = client.post("/en/staff/logout", data={"csrf_token": csrf_token(home.text)})
    assert response.status_code == 303
    assert response.headers["Location"] == "/en/staff/login"
    assert "You are signed out." in client.get(response.headers["Location"]).text
    again = client.get("/en/staff/")
    assert again.status_code == 302
    assert again.headers["Location"].startswith("/en/staff/login")
    with client.session_transaction() as cookie_session:
        assert "_user_id" not in cookie_session


def test_a_session_ends_eight_hours_after_it_was_last_written(
    client: FlaskClient, staff: StaffUser
) -> None:
    sign_in(client, EMAIL, STAFF_PASSWORD)
    assert client.get("/en/staff/").status_code == 200
    eight_hours_later = time.time() + 8 * 3600 + 60
    with mock.patch("itsdangerous.timed.time.time", return_value=eight_hours_later):
        assert client.get("/en/staff/").status_code == 302


def test_sign_out_needs_the_csrf_token(client: FlaskClient, staff: StaffUser) -> None:
    sign_in(client, EMAIL, STAFF_PASSWORD)
    assert client.post("/en/staff/logout", data={}).status_code == 400
    assert client.get("/en/staff/").status_code == 200


def test_sign_out_is_post_only(client: FlaskClient, staff: StaffUser) -> None:
    sign_in(client, EMAIL, STAFF_PASSWORD)
    assert client.get("/en/staff/logout").status_code == 405
    assert client.get("/en/staff/").status_code == 200


@pytest.mark.parametrize("token", [None, "", "garbage"])
def test_sign_in_without_csrf_token_is_refused_in_the_readers_language(
    client: FlaskClient, staff: StaffUser, token: str | None
) -> None:
    data = {"email": EMAIL, "password": STAFF_PASSWORD}
    if token is not None:
        data["csrf_token"] = token
    response = client.post("/es/staff/login", data=data)
    assert response.status_code == 422
    assert "Esta página estuvo abierta demasiado tiempo o vino de otro sitio" in response.text
    assert f'value="{EMAIL}"' in response.text
    assert client.get("/es/staff/").status_code == 302


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": ""}, "Enter the e-mail address of your staff account."),
        ({"password": ""}, "Enter your password."),
        ({"password": "x" * 1025}, "This password is too long."),
    ],
)
def test_empty_fields_are_explained(
    client: FlaskClient, staff: StaffUser, fields: dict[str, str], message: str
) -> None:
    page = client.get("/en/staff/login")
    data = {"email": EMAIL, "password": STAFF_PASSWORD, "csrf_token": csrf_token(page.text)}
    response = client.post("/en/staff/login", data={**data, **fields})
    assert response.status_code == 422
    assert message in response.text
    assert 'class="error-summary"' in response.text


def _set_cookie_for_session(response: Any) -> str:
    [header] = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    return header


def test_session_cookie_is_http_only_and_same_site_lax(
    client: FlaskClient, staff: StaffUser
) -> None:
    header = _set_cookie_for_session(sign_in(client, EMAIL, STAFF_PASSWORD))
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header
    assert "Secure" not in header


@pytest.mark.config(SESSION_COOKIE_SECURE=True)
def test_session_cookie_is_secure_when_configured(client: FlaskClient, staff: StaffUser) -> None:
    page = client.get("/en/staff/login")
    response = client.post(
        "/en/staff/login",
        data={"email": EMAIL, "password": STAFF_PASSWORD, "csrf_token": csrf_token(page.text)},
    )
    header = _set_cookie_for_session(response)
    assert "Secure" in header
    assert "HttpOnly" in header


@pytest.mark.config(LOGIN_RATE_LIMIT="3 per minute")
def test_too_many_attempts_get_the_sign_in_page_with_429(
    client: FlaskClient, staff: StaffUser
) -> None:
    for attempt in range(3):
        assert sign_in(client, EMAIL, f"guess {attempt}", lang="so").status_code == 422
    response = sign_in(client, EMAIL, STAFF_PASSWORD, lang="so")
    assert response.status_code == 429
    assert '<html lang="so"' in response.text
    assert f'value="{EMAIL}"' in response.text
    assert 'name="password"' in response.text
    assert client.get("/so/staff/").status_code == 302
    # Opening the page is not an attempt.
    assert client.get("/so/staff/login").status_code == 200


def test_staff_link_shows_only_when_signed_in(client: FlaskClient, login_as: Any) -> None:
    assert 'href="/en/staff/"' not in client.get("/en/receipts").text
    login_as("council")
    page = client.get("/en/receipts").text
    assert 'href="/en/staff/"' in page
    assert "council@minneapolismn.gov" not in page


def test_staff_e_mail_appears_on_no_public_page(
    client: FlaskClient, login_as: Any, consultation: Any
) -> None:
    login_as("admin", "secret.admin@minneapolismn.gov")
    for path in [
        "/en/",
        "/en/consultations/face-pilot",
        "/en/consultations/face-pilot/comments",
        "/en/receipts",
        "/en/staff/login",
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "secret.admin" not in response.text, path


def test_database_outage_while_signed_in_still_renders_pages(
    client: FlaskClient, login_as: Any
) -> None:
    login_as("moderator")
    failure = OperationalError("SELECT", {}, Exception("server closed the connection"))
    with mock.patch("engagement.auth.views.active_staff", side_effect=failure):
        assert client.get("/en/receipts").status_code == 200
        assert client.get("/en/staff/").status_code == 302
    assert client.get("/en/staff/").status_code == 200
