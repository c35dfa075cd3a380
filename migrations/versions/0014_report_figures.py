"""Stored monitoring figures of past periods (report_period, report_count): a past period never changes, so its
figures are computed from the audit log once instead of on every request.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 21:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'report_period',
        sa.Column('period_key', sa.String(10), primary_key=True),
        sa.Column('token', sa.String(32), nullable=False),
        sa.Column('events', sa.Integer(), nullable=False),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        'report_count',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('period_key', sa.String(10), sa.ForeignKey('report_period.period_key'), nullable=False),
        sa.Column('department_code', sa.String(32), nullable=False),
        sa.Column('name', sa.String(60), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.Column('case_ids', sa.JSON(), nullable=False),
        sa.UniqueConstraint('period_key', 'department_code', 'name'),
    )


def downgrade() -> None:
    op.drop_table('report_count')
    op.drop_table('report_period')
