"""deadline reminders: the reminder offsets a deadline was planned with, so a calendar change can
re-plan every open deadline in one batch (and tell which cases must move a timer now).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 06:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminders', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.drop_column('reminders')
