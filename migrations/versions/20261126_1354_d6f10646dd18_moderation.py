"""moderation

Revision ID: d6f10646dd18
Revises: 3b74b8993a2d
Create Date: 2026-11-26 13:54:58.309380
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'd6f10646dd18'
down_revision: str | None = '3b74b8993a2d'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('comment_flags',
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('flag', sa.Enum('personal_information', 'profanity', 'link', 'too_short', 'threat', 'copies', name='flag', native_enum=False), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], name=op.f('fk_comment_flags_comment_id_comments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('comment_id', 'flag', name=op.f('pk_comment_flags'))
    )
    op.create_table('comment_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Enum('personal_information', 'harassment', 'spam', 'off_topic', 'other', name='report_reason', native_enum=False), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('client_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], name=op.f('fk_comment_reports_comment_id_comments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comment_reports'))
    )
    with op.batch_alter_table('comment_reports', schema=None) as batch_op:
        batch_op.create_index('ix_comment_reports_open', ['comment_id', 'resolved_at'], unique=False)

    op.create_table('moderation_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('staff_user_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('action', sa.Enum('publish', 'publish_redacted', 'reject', 'hide', 'restore', 'dismiss_reports', 'auto_hide', 'enter', name='action', native_enum=False, length=20), nullable=False),
    sa.Column('reason', sa.Enum('spam', 'harassment', 'personal_information', 'off_topic', 'duplicate', 'other', name='rejection_reason', native_enum=False), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('before', sa.JSON(), nullable=False),
    sa.Column('after', sa.JSON(), nullable=False),
    sa.Column('bulk', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], name=op.f('fk_moderation_events_comment_id_comments')),
    sa.ForeignKeyConstraint(['staff_user_id'], ['staff_users.id'], name=op.f('fk_moderation_events_staff_user_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moderation_events'))
    )
    with op.batch_alter_table('moderation_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_moderation_events_comment_id'), ['comment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_moderation_events_created_at'), ['created_at'], unique=False)

    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('redactions', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('priority', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('entered_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('source_reference', sa.String(length=200), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_comments_entered_by_id_staff_users'), 'staff_users', ['entered_by_id'], ['id'])

    # The moderation log is append-only, also for statements that bypass the application.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            "CREATE OR REPLACE FUNCTION moderation_events_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'moderation_events is append-only'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER moderation_events_append_only BEFORE UPDATE OR DELETE "
            "ON moderation_events FOR EACH ROW EXECUTE FUNCTION moderation_events_append_only()"
        )
    else:
        op.execute(
            "CREATE TRIGGER moderation_events_no_update BEFORE UPDATE ON moderation_events "
            "BEGIN SELECT RAISE(ABORT, 'moderation_events is append-only'); END"
        )
        op.execute(
            "CREATE TRIGGER moderation_events_no_delete BEFORE DELETE ON moderation_events "
            "BEGIN SELECT RAISE(ABORT, 'moderation_events is append-only'); END"
        )


def downgrade() -> None:
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_comments_entered_by_id_staff_users'), type_='foreignkey')
        batch_op.drop_column('source_reference')
        batch_op.drop_column('entered_by_id')
        batch_op.drop_column('priority')
        batch_op.drop_column('redactions')

    with op.batch_alter_table('moderation_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_moderation_events_created_at'))
        batch_op.drop_index(batch_op.f('ix_moderation_events_comment_id'))

    op.drop_table('moderation_events')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP FUNCTION IF EXISTS moderation_events_append_only()")
    with op.batch_alter_table('comment_reports', schema=None) as batch_op:
        batch_op.drop_index('ix_comment_reports_open')

    op.drop_table('comment_reports')
    op.drop_table('comment_flags')
