"""Alembic environment: the URL comes from the app config, the target is our models' metadata."""

import warnings
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection, create_engine, pool

import engagement.models  # noqa: F401  (registers every table on Base.metadata)
from engagement.db import Base

config = context.config
if config.config_file_name is not None and not config.attributes.get("connection"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite can't ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with warnings.catch_warnings(), context.begin_transaction():
        # SQLite can't reflect an index on an expression (ix_comments_feed), so autogenerate
        # can't compare it there, and SQLAlchemy and Alembic say so on every check;
        # PostgreSQL compares it.
        if connection.dialect.name == "sqlite":
            warnings.filterwarnings("ignore", message="Skipped unsupported reflection of expr")
            warnings.filterwarnings("ignore", message="autogenerate skipping metadata-specified")
        context.run_migrations()


if context.is_offline_mode():
    context.configure(
        url=config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url"),
        target_metadata=Base.metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()
elif (connection := config.attributes.get("connection")) is not None:
    run_with(connection)
else:
    engine = create_engine(config.attributes["database_url"], poolclass=pool.NullPool)
    with engine.connect() as connection:
        run_with(connection)
