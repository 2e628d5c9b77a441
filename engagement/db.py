"""Engine and per-request session for each app, the declarative Base, and shared column types."""

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import DDL, JSON, DateTime, Enum, MetaData, create_engine, event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    SQLite has no time zones; storing naive UTC and re-attaching UTC on the way out makes SQLite
    answer exactly what PostgreSQL answers.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class TranslatedText(TypeDecorator[dict[str, str]]):
    """Text kept in every language we have it in: ``{"en": "...", "es": "..."}``.

    Which language a reader sees is decided by ``engagement.i18n.translated``, the one fallback
    rule for content from the database.
    """

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: dict[str, str] | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return {lang: text for lang, text in value.items() if text}


def enum_column(enum_class: type[StrEnum], name: str) -> Enum:
    """A vocabulary column stored as its values in a VARCHAR, the same on SQLite and PostgreSQL.

    Storing values (not member names) keeps the data readable and lets a label change freely;
    no native enum type means adding a member needs no ALTER TYPE.
    """
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        length=20,
        values_callable=lambda members: [member.value for member in members],
    )


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class AppDatabase:
    """One app's engine and session factory (tests may rebind the factory)."""

    engine: Engine
    sessionmaker: sessionmaker[Session]


class Database:
    """Hands each request (or CLI command) one Session from the current app's database."""

    def init_app(self, app: Flask) -> None:
        engine = make_engine(app.config["SQLALCHEMY_DATABASE_URL"])
        app.extensions["db"] = AppDatabase(
            engine, sessionmaker(bind=engine, expire_on_commit=False)
        )
        app.teardown_appcontext(self._close_session)

    @property
    def state(self) -> AppDatabase:
        state: AppDatabase = current_app.extensions["db"]
        return state

    @property
    def engine(self) -> Engine:
        return self.state.engine

    @property
    def session(self) -> Session:
        if "db_session" not in g:
            g.db_session = self.state.sessionmaker()
        session: Session = g.db_session
        return session

    @staticmethod
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is None:
            return
        try:
            session.close()
        except DBAPIError:
            # The database went away during the request, so the rollback in close() failed.
            # The answer (a 503 page that keeps the resident's text) is already made: raising
            # here would replace it with a bare 500. Drop the dead connection instead, so the
            # pool never hands it out again.
            current_app.logger.warning("database connection lost; discarding it")
            session.invalidate()

    def check_connection(self) -> None:
        """Raise if the database can't answer a trivial query (used by /healthz)."""
        with self.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")


def make_engine(url: str) -> Engine:
    """Create the engine with the settings each backend needs to behave the same under load."""
    if url.startswith("sqlite"):
        in_memory = url in ("sqlite://", "sqlite:///:memory:")
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 15},
            poolclass=StaticPool if in_memory else None,
        )
        event.listen(engine, "connect", _configure_sqlite)
        event.listen(engine, "begin", _begin_sqlite)
        return engine
    # pool_pre_ping: after a database restart, stale connections are replaced instead of
    # failing the next resident's request.
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin, so that
    # SAVEPOINTs (one bulk decision per comment) behave as on PostgreSQL.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets readers go on while one writer commits; the busy timeout makes a second writer
    # wait instead of failing with "database is locked".
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _begin_sqlite(connection: Any) -> None:
    # A request that may write takes SQLite's write lock when its transaction begins. A
    # transaction that reads first and writes later can't wait for the lock: if another
    # writer committed in between, SQLite answers "database is locked" at once, busy timeout
    # or not (its snapshot is stale), and the resident gets "try again". Taking the lock up
    # front makes concurrent writers queue for up to the busy timeout instead. Pages that
    # only read (GET) keep a plain BEGIN, so readers never wait for writers under WAL.
    connection.exec_driver_sql("BEGIN IMMEDIATE" if _may_write() else "BEGIN")


def _may_write() -> bool:
    """Whether the current unit of work may write: any request but GET/HEAD/OPTIONS, and
    everything outside a request (CLI commands, tests' own sessions)."""
    if has_request_context():
        return request.method not in ("GET", "HEAD", "OPTIONS")
    return True


db = Database()


class AppendOnlyViolation(Exception):
    """Raised when code tries to change or remove an entry of an append-only log."""


def append_only(model: type[Base]) -> type[Base]:
    """Make a log table append-only: the ORM refuses updates and deletes, and so does the
    database (triggers created with the table), for any statement that bypasses the ORM.

    Migrations keep their own copy of the trigger statements, as they were when written.
    """
    table = model.__tablename__

    def refuse(_mapper: Any, _connection: Any, target: Any) -> None:
        raise AppendOnlyViolation(f"{table} row {target.id} is append-only")

    event.listen(model, "before_update", refuse)
    event.listen(model, "before_delete", refuse)
    statements = {
        "postgresql": [
            f"""CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION '{table} is append-only'; END; $$ LANGUAGE plpgsql""",
            f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE
ON {table} FOR EACH ROW EXECUTE FUNCTION {table}_append_only()""",
        ],
        "sqlite": [
            f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END""",
            f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END""",
        ],
    }
    for dialect, ddl in statements.items():
        for statement in ddl:
            event.listen(
                model.__table__, "after_create", DDL(statement).execute_if(dialect=dialect)
            )
    return model
