"""A PostgreSQL database of the benchmarks' own, built the way the README builds production's.

The schema comes from the Alembic migrations and the seed command, through the same `flask`
commands an operator runs, so the benchmarks measure the schema residents will have.
"""

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FLASK = [str(PROJECT_ROOT / ".venv" / "bin" / "flask"), "--app", "app"]
#: The server the benchmarks use: the machine's PostgreSQL, reached as the README says.
DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_NAME = "bench_engagement"
CONSULTATION = "clearview-ai-pilot"


def database_url(server_url: str, name: str) -> str:
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def _admin(server_url: str) -> Engine:
    return create_engine(server_url, isolation_level="AUTOCOMMIT")


def exists(server_url: str, name: str) -> bool:
    engine = _admin(server_url)
    try:
        with engine.connect() as connection:
            found = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
    finally:
        engine.dispose()
    return found is not None


def create(server_url: str, name: str) -> None:
    engine = _admin(server_url)
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()


def drop(server_url: str, name: str) -> None:
    engine = _admin(server_url)
    try:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


def flask(url: str, *arguments: str) -> str:
    """Run one `flask --app app ...` command against the database at url."""
    env = {**os.environ, "DATABASE_URL": url}
    done = subprocess.run(
        [*FLASK, *arguments], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"flask {' '.join(arguments)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout.strip()


def count(url: str, sql: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(text(sql)) or 0)
    finally:
        engine.dispose()


def published_comments(url: str) -> int:
    return count(url, "SELECT count(*) FROM comments WHERE status = 'published'")


def web_comments(url: str) -> int:
    return count(url, "SELECT count(*) FROM comments WHERE channel = 'web'")


@contextmanager
def bench_database(
    server_url: str = DEFAULT_SERVER,
    name: str = DEFAULT_NAME,
    *,
    published: int = 0,
    keep: bool = True,
    log: Callable[[str], None] = print,
) -> Iterator[str]:
    """A migrated, seeded database with at least ``published`` published comments.

    Kept between runs by default (adding 100,000 comments takes a while); ``keep=False`` drops
    it at the end.
    """
    url = database_url(server_url, name)
    if not exists(server_url, name):
        log(f"creating database {name}")
        create(server_url, name)
    flask(url, "db", "upgrade")
    flask(url, "seed")
    missing = published - published_comments(url)
    if missing > 0:
        log(f"adding {missing:,} published demo comments to {name} (once; kept for next runs)")
        started = time.perf_counter()
        flask(url, "demo-comments", str(missing), "--publish")
        log(f"  done in {time.perf_counter() - started:.0f} s")
        _analyze(url)
    try:
        yield url
    finally:
        if not keep:
            drop(server_url, name)


def _analyze(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("VACUUM ANALYZE"))
    finally:
        engine.dispose()
