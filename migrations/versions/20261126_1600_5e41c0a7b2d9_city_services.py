"""city services

Revision ID: 5e41c0a7b2d9
Revises: 27959fb92ed4
Create Date: 2026-11-26 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '5e41c0a7b2d9'
down_revision: str | None = '27959fb92ed4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('service_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('name', sa.JSON(), nullable=False),
    sa.Column('position', sa.Integer(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_categories')),
    sa.UniqueConstraint('slug', name=op.f('uq_service_categories_slug'))
    )
    op.create_table('services',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=80), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('department', sa.String(length=200), nullable=True),
    sa.Column('name', sa.JSON(), nullable=False),
    sa.Column('description', sa.JSON(), nullable=False),
    sa.Column('prepare', sa.JSON(), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('keywords', sa.JSON(), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('phone_uncertain', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('hours', sa.JSON(), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('language_line', sa.String(length=10), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("language_line IS NULL OR language_line IN ('es', 'so', 'hmn')", name=op.f('ck_services_known_language_line')),
    sa.CheckConstraint('length(code) > 0', name=op.f('ck_services_code_not_empty')),
    sa.ForeignKeyConstraint(['category_id'], ['service_categories.id'], name=op.f('fk_services_category_id_service_categories')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_services')),
    sa.UniqueConstraint('code', name=op.f('uq_services_code'))
    )
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_services_category_id'), ['category_id'], unique=False)

    op.create_table('service_edits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('staff_user_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('source', sa.Enum('staff', 'import', name='service_edit_source', native_enum=False, length=20), nullable=False),
    sa.Column('before', sa.JSON(), nullable=False),
    sa.Column('after', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_service_edits_service_id_services')),
    sa.ForeignKeyConstraint(['staff_user_id'], ['staff_users.id'], name=op.f('fk_service_edits_staff_user_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_edits'))
    )
    with op.batch_alter_table('service_edits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_edits_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_edits_service_id'), ['service_id'], unique=False)

    # The edit log is append-only, also for statements that bypass the application.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            "CREATE OR REPLACE FUNCTION service_edits_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'service_edits is append-only'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER service_edits_append_only BEFORE UPDATE OR DELETE "
            "ON service_edits FOR EACH ROW EXECUTE FUNCTION service_edits_append_only()"
        )
    else:
        op.execute(
            "CREATE TRIGGER service_edits_no_update BEFORE UPDATE ON service_edits "
            "BEGIN SELECT RAISE(ABORT, 'service_edits is append-only'); END"
        )
        op.execute(
            "CREATE TRIGGER service_edits_no_delete BEFORE DELETE ON service_edits "
            "BEGIN SELECT RAISE(ABORT, 'service_edits is append-only'); END"
        )


def downgrade() -> None:
    with op.batch_alter_table('service_edits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_edits_service_id'))
        batch_op.drop_index(batch_op.f('ix_service_edits_created_at'))

    op.drop_table('service_edits')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP FUNCTION IF EXISTS service_edits_append_only()")
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_services_category_id'))

    op.drop_table('services')
    op.drop_table('service_categories')
