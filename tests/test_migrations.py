"""The migrations build exactly the schema the models describe."""

from pathlib import Path

from alembic import command

from engagement.cli import alembic_config


def test_migrations_match_the_models_on_sqlite(tmp_path: Path) -> None:
    config = alembic_config(f"sqlite:///{tmp_path / 'migrated.sqlite3'}")
    command.upgrade(config, "head")
    command.check(config)  # raises when autogenerate would find a difference
    command.downgrade(config, "base")
    command.upgrade(config, "head")
