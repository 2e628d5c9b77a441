"""Who may do what: the predicates for each role, and @require_role on a view."""

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_login import AnonymousUserMixin
from sqlalchemy.orm import Session

from engagement.auth.models import StaffRole, StaffUser
from engagement.auth.operations import create_staff
from engagement.auth.policies import (
    can_administer,
    can_moderate,
    can_read_reports,
    can_see_contact_data,
    require_role,
)
from tests.conftest import STAFF_PASSWORD, csrf_token

ANONYMOUS = None

#: Which roles each predicate lets through; nobody else, and never an anonymous visitor.
ALLOWED: dict[Callable[[Any], bool], set[StaffRole]] = {
    can_moderate: {StaffRole.MODERATOR, StaffRole.ADMIN},
    can_administer: {StaffRole.ADMIN},
    can_read_reports: {StaffRole.COUNCIL, StaffRole.MODERATOR, StaffRole.ADMIN},
    can_see_contact_data: {StaffRole.MODERATOR, StaffRole.ADMIN},
}


def someone(role: StaffRole | None, *, active: bool = True) -> Any:
    if role is None:
        return AnonymousUserMixin()
    return StaffUser(email=f"{role}@example.org", role=role, active=active)


@pytest.mark.parametrize("role", [ANONYMOUS, *StaffRole])
@pytest.mark.parametrize("predicate", list(ALLOWED), ids=lambda p: p.__name__)
def test_predicates_per_role(predicate: Callable[[Any], bool], role: StaffRole | None) -> None:
    assert predicate(someone(role)) is (role in ALLOWED[predicate])


@pytest.mark.parametrize("role", list(StaffRole))
@pytest.mark.parametrize("predicate", list(ALLOWED), ids=lambda p: p.__name__)
def test_a_deactivated_account_may_do_nothing(
    predicate: Callable[[Any], bool], role: StaffRole
) -> None:
    assert predicate(someone(role, active=False)) is False


@pytest.fixture
def guarded(app: Flask) -> str:
    """A throwaway page for moderators and administrators; returns its address."""

    @require_role(StaffRole.MODERATOR, StaffRole.ADMIN)
    def moderators_only() -> str:
        return "the moderators' page"

    app.add_url_rule("/<lang>/staff/test-only", view_func=moderators_only)
    return "/en/staff/test-only"


def test_anonymous_visitor_is_sent_to_sign_in_and_back(client: FlaskClient, guarded: str) -> None:
    response = client.get(guarded)
    assert response.status_code == 302
    assert response.headers["Location"] == "/en/staff/login?next=%2Fen%2Fstaff%2Ftest-only"
    page = client.get(response.headers["Location"]).text
    assert "Please sign in with your staff account to see this page." in page


def test_anonymous_visitor_is_asked_in_their_language(client: FlaskClient, guarded: str) -> None:
    response = client.get("/so/staff/test-only")
    assert response.headers["Location"].startswith("/so/staff/login?next=")


def test_staff_without_the_role_get_403(
    client: FlaskClient, guarded: str, login_as: Callable[..., StaffUser]
) -> None:
    login_as("council")
    response = client.get(guarded)
    assert response.status_code == 403
    assert "You don't have access to this page" in response.text


@pytest.mark.parametrize("role", ["moderator", "admin"])
def test_staff_with_the_role_get_the_page(
    client: FlaskClient, guarded: str, login_as: Callable[..., StaffUser], role: str
) -> None:
    login_as(role)
    response = client.get(guarded)
    assert response.status_code == 200
    assert response.text == "the moderators' page"


def test_after_sign_in_the_page_asked_for_opens(
    client: FlaskClient, session: Session, guarded: str
) -> None:
    create_staff(session, "moderator@example.org", StaffRole.MODERATOR, STAFF_PASSWORD)
    session.commit()
    to_sign_in = client.get(guarded).headers["Location"]
    assert to_sign_in == "/en/staff/login?next=%2Fen%2Fstaff%2Ftest-only"
    page = client.get(to_sign_in)
    back = client.post(
        to_sign_in,
        data={
            "email": "moderator@example.org",
            "password": STAFF_PASSWORD,
            "csrf_token": csrf_token(page.text),
        },
    )
    assert back.headers["Location"] == guarded
    assert client.get(guarded).status_code == 200


def test_a_second_browser_is_not_signed_in(
    app: Flask, client: FlaskClient, guarded: str, login_as: Callable[..., StaffUser]
) -> None:
    login_as("admin")
    assert client.get(guarded).status_code == 200
    assert app.test_client().get(guarded).status_code == 302
