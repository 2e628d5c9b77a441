"""Administrators edit services: all languages on one form, the import's rules, a log, no lost
updates, and nobody else may."""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from engagement.auth.models import StaffUser
from engagement.city_services.models import (
    EditSource,
    Service,
    ServiceEdit,
)
from engagement.city_services.operations import EditedMeanwhile, InvalidService, update_service
from engagement.city_services.queries import search_services
from engagement.city_services.records import CONTENT_LANGUAGES, TRANSLATED_FIELDS, record_of
from engagement.db import AppendOnlyViolation
from tests.conftest import csrf_token

EDIT = "/en/staff/services/garbage-recycling"


def service(session: Session, code: str = "garbage-recycling") -> Service:
    session.expire_all()
    found = session.scalar(select(Service).where(Service.code == code))
    assert found is not None
    return found


def form_data(
    session: Session, token: str, code: str = "garbage-recycling", **changes: str
) -> dict[str, str]:
    """What the edit form posts for a service as it is, with some fields changed.

    ``changes`` use the record's column names (``name_es="..."``); checkboxes are sent only
    when ticked, as a browser does.
    """
    current = service(session, code)
    record = {**record_of(current), **changes}
    data = {"csrf_token": token, "version": str(current.version)}
    for name in ("category", "department", "phone", "url", "address", "language_line"):
        data[name] = record[name]
    for name in ("active", "phone_uncertain"):
        if record[name] == "true":
            data[name] = "y"
    for lang in CONTENT_LANGUAGES:
        for field in TRANSLATED_FIELDS:
            data[f"{lang}-{field}"] = record[f"{field}_{lang}"]
    return data


def open_edit(client: FlaskClient, path: str = EDIT) -> str:
    page = client.get(path)
    assert page.status_code == 200
    return csrf_token(page.text)


# --- who may --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"), [(None, 302), ("council", 403), ("moderator", 403), ("admin", 200)]
)
@pytest.mark.parametrize("path", ["/en/staff/services/", EDIT])
def test_only_administrators_edit_services(
    client: FlaskClient,
    catalog: Any,
    login_as: Callable[..., StaffUser],
    role: str | None,
    status: int,
    path: str,
) -> None:
    if role:
        login_as(role)
    assert client.get(path).status_code == status
    if path == EDIT:
        # An empty form from an administrator is refused for its content, not its sender.
        assert client.post(path, data={}).status_code == (422 if status == 200 else status)


def test_the_list_shows_every_service_and_links_to_its_edit_page(
    client: FlaskClient, catalog: Any, login_as: Callable[..., StaffUser]
) -> None:
    login_as("admin")
    page = client.get("/en/staff/services/").text
    for code in ("garbage-recycling", "opcr-complaint", "mpls-311-lang-hmn"):
        assert f'href="/en/staff/services/{code}"' in page


def test_an_unknown_service_is_not_found(
    client: FlaskClient, catalog: Any, login_as: Callable[..., StaffUser]
) -> None:
    login_as("admin")
    assert client.get("/en/staff/services/no-such-thing").status_code == 404


# --- editing --------------------------------------------------------------------------------


def test_the_form_shows_all_four_languages(
    client: FlaskClient, catalog: Any, login_as: Callable[..., StaffUser]
) -> None:
    login_as("admin")
    page = client.get(EDIT).text
    for shown in (
        "Garbage and recycling",
        "Basura y reciclaje",
        "Qashinka iyo dib-u-warshadaynta",
        "Khib nyiab thiab rov siv dua",
        "qashin; qashinka; dib-u-warshadayn",
    ):
        assert shown in page
    assert 'lang="so"' in page
    assert 'name="hmn-keywords"' in page


def test_a_save_changes_the_service_and_is_logged(
    client: FlaskClient, session: Session, catalog: Any, login_as: Callable[..., StaffUser]
) -> None:
    admin = login_as("admin")
    token = open_edit(client)
    data = form_data(
        session, token, name_es="Basura, reciclaje y compost", keywords_so="qashin; qashinka; haraa"
    )
    response = client.post(EDIT, data=data)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(EDIT)
    saved = service(session)
    assert saved.name["es"] == "Basura, reciclaje y compost"
    assert saved.keywords["so"] == ["qashin", "qashinka", "haraa"]
    assert saved.version == 2
    [entry] = session.scalars(select(ServiceEdit).where(ServiceEdit.service_id == saved.id))
    assert (entry.staff_user_id, entry.actor, entry.source) == (
        admin.id,
        admin.display_name,
        EditSource.STAFF,
    )
    changed = {k for k in entry.after if entry.before.get(k) != entry.after[k]}
    assert changed == {"name_es", "keywords_so"}
    assert entry.before["name_es"] == "Basura y reciclaje"
    page = client.get(EDIT).text
    assert "Saved." in page
    assert "Basura, reciclaje y compost" in page
    assert "haraa" in page
    assert admin.display_name in page
    # The public search follows at once.
    assert search_services(session, "haraa", "so")[0].code == "garbage-recycling"


def test_saving_without_changes_writes_nothing(
    client: FlaskClient, session: Session, catalog: Any, login_as: Callable[..., StaffUser]
) -> None:
    login_as("admin")
    token = open_edit(client)
    response = client.post(EDIT, data=form_data(session, token), follow_redirects=True)
    assert "Nothing was changed." in response.text
    assert service(session).version == 1
    assert session.scalars(select(ServiceEdit)).all() == []


def test_deactivating_hides_the_service_from_the_public(
    client: FlaskClient, session: Session, catalog: Any, login_as: Callable[..., StaffUser]
) -> None:
    login_as("admin")
    token = open_edit(client)
    assert client.post(EDIT, data=form_data(session, token, active="false")).status_code == 303
    assert client.get("/en/services/garbage-recycling").status_code == 404
    assert client.get("/open311/v2/services/garbage-recycling.json").status_code == 404
    assert "garbage-recycling" not in client.get("/en/services").text
    assert client.get(EDIT).status_code == 200  # staff still reach it


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name_en": ""}, "en-name", "This is required in English."),
        ({"description_en": "  "}, "en-description", "This is required in English."),
        ({"phone": "call us"}, "phone", "Write the phone number like 612-673-3000"),
        ({"url": "www.example.org"}, "url", "starting with https://"),
        ({"keywords_es": "basura, reciclaje"}, "es-keywords", "has no comma"),
        ({"name_so": "x" * 201}, "so-name", "at most 200 characters"),
        ({"category": "no-such-category"}, "category", "Choose a category from the list."),
        ({"language_line": "fr"}, "language_line", "Choose a language from the list."),
        ({"hours_hmn": "7\x07am"}, "hmn-hours", "control characters"),
    ],
)
def test_bad_values_are_refused_with_a_message_and_the_text_kept(
    client: FlaskClient,
    session: Session,
    catalog: Any,
    login_as: Callable[..., StaffUser],
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    login_as("admin")
    token = open_edit(client)
    data = form_data(session, token, **changes, address="Kept as typed: 1 Main St")
    response = client.post(EDIT, data=data)
    assert response.status_code == 422
    assert message in response.text
    assert f'id="{field}-error"' in response.text or f'aria-describedby="{field}' in response.text
    assert "Kept as typed: 1 Main St" in response.text
    assert service(session).version == 1
    assert session.scalars(select(ServiceEdit)).all() == []


def test_invalid_utf8_in_a_field_is_reported_not_stored(
    client: FlaskClient, session: Session, catalog: Any, login_as: Callable[..., StaffUser]
) -> None:
    login_as("admin")
    token = open_edit(client)
    data = form_data(session, token)
    del data["es-name"]
    body = f"{urlencode(data)}&es-name=Basura%E9"  # Latin-1 "é", not UTF-8
    response = client.post(EDIT, data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 422
    assert "Some characters could not be read" in response.text
    assert "Basura\ufffd" in response.text
    assert service(session).name["es"] == "Basura y reciclaje"


def test_an_expired_form_is_refused(
    client: FlaskClient, session: Session, catalog: Any, login_as: Callable[..., StaffUser]
) -> None:
    login_as("admin")
    response = client.post(EDIT, data=form_data(session, "not-a-token", name_en="Changed"))
    assert response.status_code == 422
    assert service(session).name["en"] == "Garbage and recycling"


# --- two administrators at once -------------------------------------------------------------


def test_a_second_save_of_the_same_version_is_refused_and_keeps_the_text(
    app: Flask, session: Session, catalog: Any, login_as: Callable[..., StaffUser]
) -> None:
    first = app.test_client()
    second = app.test_client()
    from engagement.auth.operations import create_staff
    from tests.conftest import STAFF_PASSWORD, sign_in

    ana = create_staff(session, "ana@minneapolismn.gov", "admin", STAFF_PASSWORD, "Ana")
    ben = create_staff(session, "ben@minneapolismn.gov", "admin", STAFF_PASSWORD, "Ben")
    session.commit()
    sign_in(first, ana.email, STAFF_PASSWORD)
    sign_in(second, ben.email, STAFF_PASSWORD)
    ana_form = form_data(session, open_edit(first), name_en="Garbage, recycling and compost")
    ben_form = form_data(session, open_edit(second), description_en="Ben's new description.")

    assert first.post(EDIT, data=ana_form).status_code == 303
    refused = second.post(EDIT, data=ben_form)
    assert refused.status_code == 409
    assert "Ana saved this service at" in refused.text
    assert "Ben&#39;s new description." in refused.text  # Ben's text is still in the form
    saved = service(session)
    assert saved.name["en"] == "Garbage, recycling and compost"
    assert saved.description["en"].startswith("A missed pickup")
    # The page now carries the current version: saving again is Ben's informed choice.
    assert 'name="version" type="hidden" value="2"' in refused.text
    ben_form["version"] = "2"
    ben_form["csrf_token"] = csrf_token(refused.text)
    assert second.post(EDIT, data=ben_form).status_code == 303
    saved = service(session)
    assert saved.description["en"] == "Ben's new description."
    assert [e.actor for e in session.scalars(select(ServiceEdit).order_by(ServiceEdit.id))] == [
        "Ana",
        "Ben",
    ]


def test_update_service_refuses_a_stale_version(session: Session, catalog: Any) -> None:
    from engagement.auth.operations import create_staff
    from tests.conftest import STAFF_PASSWORD

    admin = create_staff(session, "a@minneapolismn.gov", "admin", STAFF_PASSWORD, "A")
    record = record_of(service(session))
    update_service(
        session, "graffiti", record_of(service(session, "graffiti")), seen_version=1, editor=admin
    )
    record["name_en"] = "Garbage"
    update_service(session, "garbage-recycling", record, seen_version=1, editor=admin)
    with pytest.raises(EditedMeanwhile):
        update_service(session, "garbage-recycling", record, seen_version=1, editor=admin)
    with pytest.raises(InvalidService) as refused:
        update_service(
            session, "garbage-recycling", {**record, "url": "nope"}, seen_version=2, editor=admin
        )
    assert [p.column for p in refused.value.problems] == ["url"]


# --- the log is append-only -----------------------------------------------------------------


def test_the_edit_log_cannot_be_changed_or_deleted(
    client: FlaskClient, session: Session, catalog: Any, login_as: Callable[..., StaffUser]
) -> None:
    login_as("admin")
    token = open_edit(client)
    client.post(EDIT, data=form_data(session, token, name_en="Trash"))
    entry = session.scalars(select(ServiceEdit)).one()
    entry.actor = "Someone else"
    with pytest.raises(AppendOnlyViolation):
        session.flush()
    session.rollback()
    session.delete(session.scalars(select(ServiceEdit)).one())
    with pytest.raises(AppendOnlyViolation):
        session.flush()
    session.rollback()
    for statement in ("UPDATE service_edits SET actor = 'x'", "DELETE FROM service_edits"):
        with pytest.raises(DBAPIError):
            session.execute(text(statement))
        session.rollback()
    assert session.scalars(select(ServiceEdit)).one().actor != "x"
