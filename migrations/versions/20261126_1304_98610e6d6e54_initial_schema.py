"""initial schema

Revision ID: 98610e6d6e54
Revises:
Create Date: 2026-11-26 13:04:52.300381
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '98610e6d6e54'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('communities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_communities')),
    sa.UniqueConstraint('slug', name=op.f('uq_communities_slug'))
    )
    op.create_table('consultations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('responsible_body', sa.JSON(), nullable=False),
    sa.Column('opens_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('hearing_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('opens_at < closes_at', name=op.f('ck_consultations_period_in_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultations')),
    sa.UniqueConstraint('slug', name=op.f('uq_consultations_slug'))
    )
    op.create_table('wards',
    sa.Column('number', sa.Integer(), autoincrement=False, nullable=False),
    sa.PrimaryKeyConstraint('number', name=op.f('pk_wards'))
    )
    op.create_table('neighborhoods',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_neighborhoods_community_id_communities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_neighborhoods')),
    sa.UniqueConstraint('slug', name=op.f('uq_neighborhoods_slug'))
    )
    with op.batch_alter_table('neighborhoods', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_neighborhoods_community_id'), ['community_id'], unique=False)

    op.create_table('topics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('name', sa.JSON(), nullable=False),
    sa.Column('description', sa.JSON(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_topics_consultation_id_consultations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_topics')),
    sa.UniqueConstraint('consultation_id', 'slug', name=op.f('uq_topics_consultation_id_slug'))
    )
    with op.batch_alter_table('topics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_topics_consultation_id'), ['consultation_id'], unique=False)

    op.create_table('comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('position', sa.Enum('support', 'oppose', 'mixed', name='position', native_enum=False, length=20), nullable=False),
    sa.Column('residence', sa.Enum('minneapolis', 'outside', 'undisclosed', name='residence', native_enum=False, length=20), nullable=False),
    sa.Column('neighborhood_id', sa.Integer(), nullable=True),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('channel', sa.Enum('web', 'paper', 'email', 'phone', 'in_person', 'staff_entry', name='channel', native_enum=False, length=20), nullable=False),
    sa.Column('display_name', sa.String(length=80), nullable=True),
    sa.Column('contact_email', sa.String(length=254), nullable=True),
    sa.Column('status', sa.Enum('pending', 'published', 'rejected', 'hidden', name='comment_status', native_enum=False, length=20), nullable=False),
    sa.Column('rejection_reason', sa.Enum('spam', 'harassment', 'personal_information', 'off_topic', 'duplicate', 'other', name='rejection_reason', native_enum=False), nullable=True),
    sa.Column('published_body', sa.Text(), nullable=True),
    sa.Column('receipt_code', sa.String(length=14), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('submission_token', sa.String(length=64), nullable=True),
    sa.Column('client_hash', sa.String(length=64), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("(residence = 'minneapolis') = (neighborhood_id IS NOT NULL)", name=op.f('ck_comments_neighborhood_iff_minneapolis')),
    sa.CheckConstraint("status != 'rejected' OR rejection_reason IS NOT NULL", name=op.f('ck_comments_rejected_has_reason')),
    sa.CheckConstraint('length(body) > 0', name=op.f('ck_comments_body_not_empty')),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_comments_consultation_id_consultations')),
    sa.ForeignKeyConstraint(['neighborhood_id'], ['neighborhoods.id'], name=op.f('fk_comments_neighborhood_id_neighborhoods')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comments')),
    sa.UniqueConstraint('receipt_code', name=op.f('uq_comments_receipt_code')),
    sa.UniqueConstraint('submission_token', name=op.f('uq_comments_submission_token'))
    )
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.create_index('ix_comments_listing', ['consultation_id', 'status', 'submitted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_comments_neighborhood_id'), ['neighborhood_id'], unique=False)

    op.create_table('neighborhood_wards',
    sa.Column('neighborhood_id', sa.Integer(), nullable=False),
    sa.Column('ward_number', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['neighborhood_id'], ['neighborhoods.id'], name=op.f('fk_neighborhood_wards_neighborhood_id_neighborhoods')),
    sa.ForeignKeyConstraint(['ward_number'], ['wards.number'], name=op.f('fk_neighborhood_wards_ward_number_wards')),
    sa.PrimaryKeyConstraint('neighborhood_id', 'ward_number', name=op.f('pk_neighborhood_wards'))
    )
    op.create_table('comment_topics',
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], name=op.f('fk_comment_topics_comment_id_comments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_comment_topics_topic_id_topics')),
    sa.PrimaryKeyConstraint('comment_id', 'topic_id', name=op.f('pk_comment_topics'))
    )
    with op.batch_alter_table('comment_topics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comment_topics_topic_id'), ['topic_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('comment_topics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comment_topics_topic_id'))

    op.drop_table('comment_topics')
    op.drop_table('neighborhood_wards')
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comments_neighborhood_id'))
        batch_op.drop_index('ix_comments_listing')

    op.drop_table('comments')
    with op.batch_alter_table('topics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_topics_consultation_id'))

    op.drop_table('topics')
    with op.batch_alter_table('neighborhoods', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_neighborhoods_community_id'))

    op.drop_table('neighborhoods')
    op.drop_table('wards')
    op.drop_table('consultations')
    op.drop_table('communities')
