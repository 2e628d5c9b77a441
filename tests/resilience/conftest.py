"""What the fault tests share: a throwaway PostgreSQL cluster, gunicorn, and residents who
talk HTTP from their own loopback addresses.

Everything here stays on 127.0.0.0/8, is bounded in time, and cleans up after itself. The
PostgreSQL cluster is always a new one in a temporary folder on its own port, never the
machine's shared cluster, because the tests stop and kill it.
"""

import contextlib
import glob
import http.client
import os
import pwd
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from bench.server import Gunicorn, WorkerSettings, free_port
from engagement import create_app
from engagement.cli import alembic_config
from engagement.db import db
from engagement.geography.operations import load_geography
from tests.factories import make_consultation

SLUG = "face-pilot"
FORM_PATH = f"/{{lang}}/consultations/{SLUG}"
SECRET_KEY = "resilience-secret-key"


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    initdb = found[-1] if found else shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class ThrowawayPostgres:
    """A PostgreSQL cluster of the test's own: initdb in a temporary folder, its own port.

    PostgreSQL refuses to run as root, so as root (CI) the commands run as the ``postgres``
    user through ``runuser``, in a folder that user owns.
    """

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.home = Path(tempfile.mkdtemp(prefix="resilience-pg-"))
        self.data = self.home / "data"
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(self.home, account.pw_uid, account.pw_gid)
            self.as_user = [shutil.which("runuser") or "runuser", "-u", "postgres", "--"]
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *arguments: str) -> None:
        subprocess.run([*self.as_user, *arguments], check=True, capture_output=True, timeout=90)

    def init(self) -> None:
        self._run(
            str(self.bin_dir / "initdb"),
            "--pgdata",
            str(self.data),
            "--username",
            "postgres",
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--locale",
            "C",
            "--no-sync",
        )

    def start(self) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} "
            "-c unix_socket_directories='' -c fsync=off -c max_connections=60"
        )
        self._run(
            str(self.bin_dir / "pg_ctl"),
            "--pgdata",
            str(self.data),
            "--log",
            str(self.home / "server.log"),
            "--options",
            options,
            "--wait",
            "--timeout",
            "60",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run(
            str(self.bin_dir / "pg_ctl"),
            "--pgdata",
            str(self.data),
            "--mode",
            mode,
            "--wait",
            "--timeout",
            "60",
            "stop",
        )

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def remove(self) -> None:
        if self.running():
            with contextlib.suppress(subprocess.SubprocessError):
                self.stop("immediate")
        shutil.rmtree(self.home, ignore_errors=True)


def build_database(url: str) -> None:
    """The schema by the migrations, then places and one open consultation."""
    command.upgrade(alembic_config(url), "head")
    app = create_app({"SQLALCHEMY_DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "TESTING": True})
    with app.app_context():
        load_geography(db.session)
        make_consultation(db.session, slug=SLUG)
        db.session.commit()
    app.extensions["db"].engine.dispose()


@pytest.fixture(scope="session")
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    bin_dir = _postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL's initdb is not installed (/usr/lib/postgresql/*/bin/initdb)")
    cluster = ThrowawayPostgres(bin_dir)
    try:
        cluster.init()
        cluster.start()
        build_database(cluster.url)
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file (WAL), migrated and seeded: what one machine runs on."""
    url = f"sqlite:///{tmp_path / 'resilience.sqlite3'}"
    build_database(url)
    return url


def count(url: str, sql: str, **params: Any) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(text(sql), params) or 0)
    finally:
        engine.dispose()


def server_env(url: str, tmp_path: Path, **settings: str) -> dict[str, str]:
    """The environment of a gunicorn serving the app on ``url``, as production would set it."""
    return {
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET_KEY,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "MAIL_OUTBOX": str(tmp_path / "outbox"),
        "RATELIMIT_STORAGE_URI": "memory://",
        **settings,
    }


def serve(
    app: str, env: dict[str, str], tmp_path: Path, workers: int = 2, worker_class: str = "sync"
) -> Gunicorn:
    """An unstarted gunicorn (use it as a context manager).

    ``--preload`` imports the app once in the master, so workers (and the one started after a
    kill) are forked ready in a moment; nothing connects to the database before the fork.
    """
    settings = WorkerSettings(worker_class, workers, threads=4 if worker_class == "gthread" else 1)
    return Gunicorn(app, env, settings, log_file=tmp_path / "gunicorn.log", extra=["--preload"])


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


@dataclass
class LoopbackResident:
    """A resident's browser talking to a real server from its own 127.x.y.z address."""

    base_url: str
    address: str
    lang: str = "en"
    cookies: dict[str, str] = field(default_factory=dict)
    timeout: float = 30.0

    def request(
        self, method: str, path: str, fields: list[tuple[str, str]] | None = None
    ) -> Answer:
        parts = urlsplit(self.base_url)
        connection = http.client.HTTPConnection(
            parts.hostname, parts.port, timeout=self.timeout, source_address=(self.address, 0)
        )
        headers = {"Accept": "text/html"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if fields is not None:
            body = urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read().decode("utf-8", "replace")
            for cookie in response.headers.get_all("Set-Cookie") or []:
                name, _eq, value = cookie.split(";", 1)[0].partition("=")
                self.cookies[name.strip()] = value.strip()
            answer_headers = {k.lower(): v for k, v in response.getheaders()}
            return Answer(response.status, answer_headers, data)
        finally:
            connection.close()

    def open_form(self) -> Answer:
        return self.request("GET", FORM_PATH.format(lang=self.lang))

    def submit(self, body: str, form: Answer | None = None) -> tuple[Answer, list[tuple[str, str]]]:
        """Open the form (unless given), fill it in and send it: (answer, what was sent)."""
        form = form or self.open_form()
        assert form.status == 200, form.status
        fields = [
            *hidden_fields(form.text),
            ("body", body),
            ("position", "oppose"),
            ("topics", "privacy"),
            ("neighborhood", "seward"),
            ("display_name", ""),
            ("contact_email", ""),
            ("website", ""),
        ]
        return self.request("POST", f"/{self.lang}/consultations/{SLUG}/comments", fields), fields


HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*>')
NAME_VALUE = re.compile(r'(name|value)="([^"]*)"')


def hidden_fields(page: str) -> list[tuple[str, str]]:
    """The hidden inputs of a page (the CSRF and submission tokens), unescaped."""
    import html

    found = []
    for tag in HIDDEN.findall(page):
        attributes = dict(NAME_VALUE.findall(tag))
        if "name" in attributes:
            found.append((attributes["name"], html.unescape(attributes.get("value", ""))))
    return found


def receipt_code(location: str) -> str:
    return location.rstrip("/").rsplit("/", 1)[-1]
