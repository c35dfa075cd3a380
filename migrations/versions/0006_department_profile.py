"""department rule profile, and repair opening the day after the minimum publicity period.

A department carries the rule profile of its jurisdiction (existing departments get the deployment's
DEFAULT_PROFILE). Records stored before 0006 held the minimum period's last day as the first day repair
could be requested; it moves one day later (民法典 art. 201, domain/periods.py).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 22:05:00
"""
from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
import sqlmodel
from alembic import op

from domain.settings import get_settings

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_department = sa.table('department', sa.column('profile', sa.String))
_record = sa.table('record', sa.column('id', sa.Integer), sa.column('repair_possible_from', sa.Date))


def _shift_repair_dates(days: int) -> None:
    """Row by row in Python: date arithmetic in SQL differs between SQLite and PostgreSQL."""
    bind = op.get_bind()
    for rid, first in bind.execute(sa.select(_record.c.id, _record.c.repair_possible_from)).all():
        bind.execute(_record.update().where(_record.c.id == rid)
                     .values(repair_possible_from=first + timedelta(days=days)))


def upgrade() -> None:
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.add_column(sa.Column('profile', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
    op.execute(_department.update().values(profile=get_settings().default_profile))
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.alter_column('profile', existing_type=sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False)
    _shift_repair_dates(1)


def downgrade() -> None:
    _shift_repair_dates(-1)
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.drop_column('profile')
