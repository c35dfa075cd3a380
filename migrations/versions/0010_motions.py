"""motions: deputies' suggestions and members' proposals (建议提案办理), and the link from a commitment to the
suggestion or proposal whose reply promised it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 08:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('motion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('deputy_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('deputy_contact', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.Column('department_code', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('co_departments', sa.JSON(), nullable=True),
    sa.Column('co_opinions', sa.JSON(), nullable=True),
    sa.Column('co_late', sa.JSON(), nullable=True),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('extended', sa.Boolean(), nullable=False),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('reopened', sa.Boolean(), nullable=False),
    sa.Column('reply_text', sa.Text(), nullable=True),
    sa.Column('result_class', sqlmodel.sql.sqltypes.AutoString(length=1), nullable=True),
    sa.Column('promise', sa.Text(), nullable=True),
    sa.Column('promise_due', sa.Date(), nullable=True),
    sa.Column('approved_by_leader', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('replied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reply_public', sa.Boolean(), nullable=False),
    sa.Column('feedback', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('feedback_comment', sa.Text(), nullable=True),
    sa.Column('commitment_ids', sa.JSON(), nullable=True),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('profile_name', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('profile_version', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['department_code'], ['department.code'], ),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('motion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_motion_number'), ['number'], unique=False)
        batch_op.create_index(batch_op.f('ix_motion_department_code'), ['department_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_motion_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_motion_reply_public'), ['reply_public'], unique=False)
    with op.batch_alter_table('commitment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('motion_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_commitment_motion_id'), ['motion_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('commitment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commitment_motion_id'))
        batch_op.drop_column('motion_id')
    with op.batch_alter_table('motion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_motion_reply_public'))
        batch_op.drop_index(batch_op.f('ix_motion_state'))
        batch_op.drop_index(batch_op.f('ix_motion_department_code'))
        batch_op.drop_index(batch_op.f('ix_motion_number'))
    op.drop_table('motion')
