"""One app per test, on SQLite always and on PostgreSQL too when TEST_DATABASE_URL is set.

SQLite: a fresh in-memory database with ``create_all`` per test. PostgreSQL: the schema is built
once with ``alembic upgrade head`` (which proves the migrations), and each test runs inside an
outer transaction that is rolled back, so the app's commits leave nothing behind.
"""

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from alembic import command
from flask import Flask, g
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from engagement import create_app
from engagement.auth.models import StaffRole, StaffUser
from engagement.auth.operations import create_staff
from engagement.cli import alembic_config
from engagement.db import AppDatabase, Base, db
from engagement.geography.operations import load_geography
from engagement.jobs.runners import InlineRunner
from tests.factories import make_consultation

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite", *(["postgres"] if TEST_DATABASE_URL else [])]


@dataclass
class Backend:
    name: str
    url: str
    extra: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    if request.param == "sqlite":
        yield Backend("sqlite", "sqlite://")
        return
    assert TEST_DATABASE_URL
    engine = create_engine(TEST_DATABASE_URL)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    with engine.begin() as connection:
        config = alembic_config(TEST_DATABASE_URL)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    yield Backend("postgres", TEST_DATABASE_URL, extra={"engine": engine})
    engine.dispose()


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    """Extra settings for the app; a test module may override this fixture."""
    return {}


@pytest.fixture
def app(
    backend: Backend, request: pytest.FixtureRequest, app_overrides: dict[str, Any]
) -> Iterator[Flask]:
    overrides = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URL": backend.url,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": "localhost",
    }
    marker = request.node.get_closest_marker("config")
    if marker:
        overrides.update(marker.kwargs)
    overrides.update(app_overrides)
    app = create_app(overrides)
    app.test_client_class = BrowserLikeClient
    app.before_request(_forget_who_the_last_request_was)
    state: AppDatabase = app.extensions["db"]
    if backend.name == "sqlite":
        Base.metadata.create_all(state.engine)
        yield app
        state.engine.dispose()
        return
    # PostgreSQL: every session of this test joins one outer transaction, rolled back at the end.
    connection = backend.extra["engine"].connect()
    outer = connection.begin()
    state.sessionmaker = sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    try:
        yield app
    finally:
        outer.rollback()
        connection.close()
        state.engine.dispose()


class BrowserLikeClient(FlaskClient):
    """Reads each answer to the end and closes it, as a server sending it to a browser does,
    so that what runs after the response (jobs on the embedded default) has run when a test
    looks. Pass ``buffered=False`` to read a streamed answer piece by piece."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


def _forget_who_the_last_request_was() -> None:
    """Each request finds its staff member and CSRF token in its own cookie, as in production.

    The ``session`` fixture holds an app context open, and Flask lets the test client's requests
    share it, so ``g`` outlives a request. Flask-Login caches the signed-in user there, and
    Flask-WTF the signed CSRF token: left alone, a second client would inherit the first one's
    sign-in, and get a token its own session can't vouch for.
    """
    g.pop("_login_user", None)
    g.pop("csrf_token", None)


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    with app.app_context():
        yield db.session


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def places(session: Session) -> None:
    """The City's communities, neighborhoods and wards."""
    load_geography(session)
    session.commit()


@pytest.fixture
def consultation(session: Session, places: None) -> Any:
    """An open consultation with three topics."""
    consultation = make_consultation(session)
    session.commit()
    return consultation


TOKEN_FIELDS = ("csrf_token", "submission_token")


def form_tokens(html: str) -> dict[str, str]:
    """The hidden tokens of the comment form on a rendered page."""
    tokens = {}
    for name in TOKEN_FIELDS:
        match = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html)
        assert match, f"{name} not found in the page"
        tokens[name] = match.group(1)
    return tokens


class Resident:
    """A resident using the site through the test client, as a browser would."""

    def __init__(self, client: FlaskClient, slug: str, lang: str = "en") -> None:
        self.client = client
        self.slug = slug
        self.lang = lang

    def open_form(self) -> dict[str, str]:
        page = self.client.get(f"/{self.lang}/consultations/{self.slug}")
        assert page.status_code == 200
        return form_tokens(page.get_data(as_text=True))

    def submit(self, tokens: dict[str, str] | None = None, **fields: Any) -> Any:
        data = {
            "body": "I am worried about how long face scans would be kept.",
            "position": "oppose",
            "topics": ["privacy"],
            "neighborhood": "seward",
            "display_name": "",
            "contact_email": "",
            "website": "",
            **(tokens if tokens is not None else self.open_form()),
        }
        data.update(fields)
        data = {key: value for key, value in data.items() if value is not None}
        return self.client.post(f"/{self.lang}/consultations/{self.slug}/comments", data=data)


@pytest.fixture
def resident(client: FlaskClient, consultation: Any) -> Resident:
    return Resident(client, consultation.slug)


STAFF_PASSWORD = "correct horse battery staple"


def csrf_token(html: str) -> str:
    """The CSRF token of the (first) form on a rendered page."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]*)"', html)
    assert match, "csrf_token not found in the page"
    return match.group(1)


def sign_in(client: FlaskClient, email: str, password: str, lang: str = "en", **query: str) -> Any:
    """Sign in through the form, as a browser would: open the page, then send it."""
    path = f"/{lang}/staff/login"
    page = client.get(path, query_string=query)
    assert page.status_code == 200
    data = {"email": email, "password": password, "csrf_token": csrf_token(page.text)}
    return client.post(path, query_string=query, data=data)


@pytest.fixture
def login_as(client: FlaskClient, session: Session) -> Callable[..., StaffUser]:
    """``login_as("moderator")``: a new active account with that role, signed in on ``client``."""

    def login(role: str, email: str | None = None) -> StaffUser:
        user = create_staff(
            session, email or f"{role}@minneapolismn.gov", StaffRole(role), STAFF_PASSWORD
        )
        session.commit()
        response = sign_in(client, user.email, STAFF_PASSWORD)
        assert response.status_code == 303, response.text
        return user

    return login


def run_jobs(app: Flask) -> int:
    """Run the background jobs that are due, as the embedded default does after a response."""
    return InlineRunner().drain(app)


def _postgres_database(name: str) -> str:
    assert TEST_DATABASE_URL
    parts = urlsplit(TEST_DATABASE_URL)
    admin = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return urlunsplit(parts._replace(path=f"/{name}"))


def _drop_postgres_database(name: str) -> None:
    assert TEST_DATABASE_URL
    admin = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


DATABASES = ["sqlite", *(["postgres"] if TEST_DATABASE_URL else [])]


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of the test's own, committed to for real, that several apps (workers) and
    processes can share: the schema by the migrations, the City's places and one open
    consultation (slug ``face-pilot``). A SQLite file, and a PostgreSQL database of its own on
    TEST_DATABASE_URL's server when that is set."""
    from tests.resilience.conftest import build_database

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
        build_database(url)
        yield url
        return
    name = (
        f"jobs_{os.getpid()}_{request.node.name[:20].lower()}".replace("[", "_")
        .replace("]", "")
        .replace("-", "_")
    )
    url = _postgres_database(name)
    build_database(url)
    yield url
    _drop_postgres_database(name)


@contextmanager
def count_queries() -> Iterator[list[str]]:
    """Every SQL statement sent while the block runs, on any engine."""
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(Engine, "before_cursor_execute", record)
