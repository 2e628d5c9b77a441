"""Administrators open and close staff accounts from the staff area."""

from typing import Any

from engagement.auth.models import StaffRole
from engagement.auth.operations import create_staff
from tests.conftest import STAFF_PASSWORD, csrf_token, sign_in


def open_account(client: Any, **fields: str) -> Any:
    page = client.get("/en/staff/accounts")
    data = {"csrf_token": csrf_token(page.text), "role": "moderator", **fields}
    return client.post("/en/staff/accounts", data=data)


def test_admin_opens_an_account_that_can_sign_in(app: Any, client: Any, login_as: Any) -> None:
    login_as("admin")
    response = open_account(
        client, email="New.Person@Example.gov", display_name="New Person", password="x" * 14
    )
    assert response.status_code == 303
    listing = client.get("/en/staff/accounts").text
    assert "new.person@example.gov" in listing
    assert "Account opened for New Person." in listing
    newcomer = app.test_client()
    assert sign_in(newcomer, "new.person@example.gov", "x" * 14).status_code == 303


def test_opening_errors_are_explained_and_the_form_kept(client: Any, login_as: Any) -> None:
    admin = login_as("admin")
    weak = open_account(client, email="short@example.gov", display_name="Shorty", password="short")
    assert weak.status_code == 422
    assert "Shorty" in weak.text
    duplicate = open_account(client, email=admin.email, password="y" * 14)
    assert duplicate.status_code == 422
    assert admin.email in duplicate.text


def test_deactivated_staff_can_no_longer_sign_in(
    app: Any, client: Any, session: Any, login_as: Any
) -> None:
    target = create_staff(
        session, "leaving@example.gov", StaffRole.MODERATOR, STAFF_PASSWORD, "Leaving"
    )
    session.commit()
    login_as("admin")
    page = client.get("/en/staff/accounts")
    response = client.post(
        f"/en/staff/accounts/{target.id}/deactivate", data={"csrf_token": csrf_token(page.text)}
    )
    assert response.status_code == 303
    assert "Leaving can no longer sign in." in client.get("/en/staff/accounts").text
    assert sign_in(app.test_client(), "leaving@example.gov", STAFF_PASSWORD).status_code == 422


def test_admins_cannot_lock_themselves_out(client: Any, session: Any, login_as: Any) -> None:
    admin = login_as("admin")
    page = client.get("/en/staff/accounts")
    client.post(
        f"/en/staff/accounts/{admin.id}/deactivate", data={"csrf_token": csrf_token(page.text)}
    )
    session.expire_all()
    assert session.get(type(admin), admin.id).active
