"""The current period's monitoring figures, kept as they are counted (report_live): a process that starts reads
them and recounts only the cases with events since, instead of counting the whole period at its first request
(about 55 µs per event of the period: minutes at a province's size).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 11:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'report_live',
        sa.Column('period_key', sa.String(10), primary_key=True),
        sa.Column('newest_id', sa.Integer(), nullable=False),
        sa.Column('newest_hash', sa.String(64), nullable=False),
        sa.Column('departments', sa.JSON(), nullable=False),
        sa.Column('seen', sa.JSON(), nullable=False),
        sa.Column('figures', sa.JSON(), nullable=False),
        sa.Column('counted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table('report_live')
