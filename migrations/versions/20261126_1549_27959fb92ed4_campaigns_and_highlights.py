"""campaigns and highlights

Revision ID: 27959fb92ed4
Revises: d6f10646dd18
Create Date: 2026-11-26 15:49:48.900876
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '27959fb92ed4'
down_revision: str | None = 'd6f10646dd18'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('found_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_campaigns_consultation_id_consultations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns'))
    )
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaigns_consultation_id'), ['consultation_id'], unique=False)

    op.create_table('signature_bands',
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('band', sa.SmallInteger(), autoincrement=False, nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], name=op.f('fk_signature_bands_comment_id_comments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_signature_bands_consultation_id_consultations')),
    sa.PrimaryKeyConstraint('comment_id', 'band', name=op.f('pk_signature_bands'))
    )
    with op.batch_alter_table('signature_bands', schema=None) as batch_op:
        batch_op.create_index('ix_signature_bands_lookup', ['consultation_id', 'band', 'key'], unique=False)

    with op.batch_alter_table('neighborhoods', schema=None) as batch_op:
        batch_op.add_column(sa.Column('boundary', sa.JSON(), nullable=True))

    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('campaign_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('highlighted', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index(batch_op.f('ix_comments_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_comments_campaign_id_campaigns'), 'campaigns', ['campaign_id'], ['id'], ondelete='SET NULL')



def downgrade() -> None:
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_comments_campaign_id_campaigns'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_comments_campaign_id'))
        batch_op.drop_column('highlighted')
        batch_op.drop_column('campaign_id')

    with op.batch_alter_table('neighborhoods', schema=None) as batch_op:
        batch_op.drop_column('boundary')

    with op.batch_alter_table('signature_bands', schema=None) as batch_op:
        batch_op.drop_index('ix_signature_bands_lookup')

    op.drop_table('signature_bands')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaigns_consultation_id'))

    op.drop_table('campaigns')
