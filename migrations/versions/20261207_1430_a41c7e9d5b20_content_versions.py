"""Content versions: counters of reference data and of the published record, which every
worker checks before reusing what it kept (reference lists, whole public pages).

Revision ID: a41c7e9d5b20
Revises: 6d0f56919f79
Create Date: 2026-12-07 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'a41c7e9d5b20'
down_revision: str | None = '6d0f56919f79'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('content_versions',
    sa.Column('name', sa.String(length=20), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_content_versions'))
    )
    op.execute("INSERT INTO content_versions (name, version) VALUES ('reference', 1), ('public', 1)")


def downgrade() -> None:
    op.drop_table('content_versions')
