"""commitment status decision: an objection decided `corrected` or `revoked` replaces the commitment's public
status, with the decision and its reason (domain/commitment_status.py).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 06:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('commitment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_decision', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('commitment', schema=None) as batch_op:
        batch_op.drop_column('status_decision')
