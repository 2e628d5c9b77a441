"""topic bits and tally indexes

Revision ID: 3b7fb685dc4a
Revises: 5e41c0a7b2d9
Create Date: 2026-11-26 16:22:48.489130
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '3b7fb685dc4a'
down_revision: str | None = '5e41c0a7b2d9'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('topics', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bit', sa.Integer(), nullable=True))
    # Each existing topic gets its rank in its consultation's order as its bit (positions may
    # repeat when a topic was dropped from a consultation's file: the id breaks ties).
    op.execute(
        "UPDATE topics SET bit = (SELECT ranked.bit FROM ("
        " SELECT id, ROW_NUMBER() OVER (PARTITION BY consultation_id ORDER BY position, id) - 1"
        " AS bit FROM topics) AS ranked WHERE ranked.id = topics.id)"
    )
    with op.batch_alter_table('topics', schema=None) as batch_op:
        batch_op.alter_column('bit', existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_topics_consultation_id_bit'), ['consultation_id', 'bit'])
        batch_op.create_check_constraint('bit_in_range', 'bit >= 0 AND bit < 62')

    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('topic_bits', sa.BigInteger(), server_default='0', nullable=False))
    op.execute(
        "UPDATE comments SET topic_bits = COALESCE(("
        " SELECT SUM(CAST(1 AS BIGINT) << topics.bit) FROM comment_topics"
        " JOIN topics ON topics.id = comment_topics.topic_id"
        " WHERE comment_topics.comment_id = comments.id), 0)"
    )
    tally_columns = [
        'consultation_id', 'status', 'position', 'residence', 'neighborhood_id', 'locale',
        'channel', 'campaign_id', 'topic_bits', 'submitted_at', 'rejection_reason',
    ]
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index('ix_comments_campaign_id')
        batch_op.create_index('ix_comments_campaign', ['campaign_id', 'status', 'id'], unique=False)
        batch_op.create_index('ix_comments_tally', tally_columns, unique=False)
        batch_op.create_index('ix_comments_redacted', ['consultation_id', 'status'], unique=False, postgresql_where=sa.text('published_body IS NOT NULL'), sqlite_where=sa.text('published_body IS NOT NULL'))
        batch_op.create_index('ix_comments_highlighted', ['consultation_id', 'status'], unique=False, postgresql_where=sa.text('highlighted'), sqlite_where=sa.text('highlighted = 1'))


def downgrade() -> None:
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index('ix_comments_highlighted')
        batch_op.drop_index('ix_comments_redacted')
        batch_op.drop_index('ix_comments_tally')
        batch_op.drop_index('ix_comments_campaign')
        batch_op.create_index('ix_comments_campaign_id', ['campaign_id'], unique=False)
        batch_op.drop_column('topic_bits')

    with op.batch_alter_table('topics', schema=None) as batch_op:
        batch_op.drop_constraint('bit_in_range', type_='check')
        batch_op.drop_constraint(batch_op.f('uq_topics_consultation_id_bit'), type_='unique')
        batch_op.drop_column('bit')
