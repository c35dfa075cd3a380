"""integrity reports: each department's periodic report (政务诚信建设情况报送), one row per department and period.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 08:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('integrity_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('department_code', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('period_key', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('on_time', sa.Boolean(), nullable=True),
    sa.Column('overdue', sa.Boolean(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('return_reason', sa.Text(), nullable=True),
    sa.Column('profile_name', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('profile_version', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['department_code'], ['department.code'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('department_code', 'period_key'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('integrity_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_integrity_report_department_code'), ['department_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_integrity_report_period_key'), ['period_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_integrity_report_state'), ['state'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('integrity_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_integrity_report_state'))
        batch_op.drop_index(batch_op.f('ix_integrity_report_period_key'))
        batch_op.drop_index(batch_op.f('ix_integrity_report_department_code'))
    op.drop_table('integrity_report')
