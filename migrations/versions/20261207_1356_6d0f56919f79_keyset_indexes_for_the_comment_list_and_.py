"""Keyset indexes for the comment list and the API feed

The public list reads (submitted_at, receipt_code) positions newest first, the API feed
(coalesce(published_at, submitted_at), receipt_code) oldest first: each page starts at a
position of its index instead of an OFFSET, and neither order needs a sort.

Revision ID: 6d0f56919f79
Revises: 6ff786f2be66
Create Date: 2026-12-07 13:56:39.877452
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '6d0f56919f79'
down_revision: str | None = '6ff786f2be66'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index('ix_comments_listing', table_name='comments')
    op.create_index(
        'ix_comments_listing',
        'comments',
        ['consultation_id', 'status', 'submitted_at', 'receipt_code'],
        unique=False,
    )
    op.create_index(
        'ix_comments_feed',
        'comments',
        ['consultation_id', 'status', sa.text('coalesce(published_at, submitted_at)'), 'receipt_code'],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index('ix_comments_feed', table_name='comments')
    op.drop_index('ix_comments_listing', table_name='comments')
    op.create_index(
        'ix_comments_listing',
        'comments',
        ['consultation_id', 'status', 'submitted_at'],
        unique=False,
    )
