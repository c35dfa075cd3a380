"""tamper-evident audit log: seq, prev_hash and hash on audit_event (back-filled in id order), the chain heads,
the daily checkpoints, the signing keys and the signed open-data snapshots.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 13:30:00
"""
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op

from domain.audit_hash import EVENT_FIELDS, GENESIS, event_hash

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_events = sa.table('audit_event', sa.column('id', sa.Integer()), sa.column('case_type', sa.String()),
                   sa.column('case_id', sa.Integer()), sa.column('event_key', sa.String()),
                   sa.column('action', sa.String()), sa.column('from_state', sa.String()),
                   sa.column('to_state', sa.String()), sa.column('actor', sa.String()), sa.column('role', sa.String()),
                   sa.column('reason', sa.Text()), sa.column('at', sa.DateTime(timezone=True)),
                   sa.column('data', sa.JSON()), sa.column('seq', sa.Integer()), sa.column('prev_hash', sa.String()),
                   sa.column('hash', sa.String()))
_heads = sa.table('audit_chain_head', sa.column('case_type', sa.String()), sa.column('case_id', sa.Integer()),
                  sa.column('seq', sa.Integer()), sa.column('last_hash', sa.String()))


def _backfill() -> None:
    """Chain the rows an installation already has, case by case in id order (the order they were written)."""
    conn = op.get_bind()
    heads: dict[tuple[str, int], tuple[int, str]] = {}
    batch: list[dict[str, Any]] = []
    update = (_events.update().where(_events.c.id == sa.bindparam('row_id'))
              .values(seq=sa.bindparam('new_seq'), prev_hash=sa.bindparam('new_prev'), hash=sa.bindparam('new_hash')))
    rows = conn.execute(sa.select(*(_events.c[n] for n in ('id', *EVENT_FIELDS) if n != 'seq'))
                        .order_by(_events.c.id)).mappings().all()
    for row in rows:
        key = (row['case_type'], row['case_id'])
        seq, prev = heads.get(key, (0, GENESIS))
        fields = dict(row)
        fields['seq'] = seq + 1
        digest = event_hash(fields, prev)
        heads[key] = (seq + 1, digest)
        batch.append({'row_id': row['id'], 'new_seq': seq + 1, 'new_prev': prev, 'new_hash': digest})
        if len(batch) >= 1000:
            conn.execute(update, batch)
            batch = []
    if batch:
        conn.execute(update, batch)
    if heads:
        conn.execute(_heads.insert(), [{'case_type': k[0], 'case_id': k[1], 'seq': s, 'last_hash': h}
                                       for k, (s, h) in heads.items()])


def upgrade() -> None:
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    op.create_table('audit_chain_head',
    sa.Column('case_type', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('last_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('case_type', 'case_id')
    )
    _backfill()
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.alter_column('seq', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('prev_hash', existing_type=sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False)
        batch_op.alter_column('hash', existing_type=sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False)
        batch_op.create_unique_constraint('uq_audit_event_case_seq', ['case_type', 'case_id', 'seq'])
    op.create_table('audit_checkpoint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('first_id', sa.Integer(), nullable=True),
    sa.Column('last_id', sa.Integer(), nullable=True),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('day'),
    sqlite_autoincrement=True
    )
    op.create_table('signing_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('public_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('private_key_pem', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key_id'),
    sqlite_autoincrement=True
    )
    op.create_table('open_data_snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('path', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('signature', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('media_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=True),
    sa.Column('built_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('path', 'sha256'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('open_data_snapshot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_open_data_snapshot_path'), ['path'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('open_data_snapshot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_open_data_snapshot_path'))
    op.drop_table('open_data_snapshot')
    op.drop_table('signing_key')
    op.drop_table('audit_checkpoint')
    op.drop_table('audit_chain_head')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_constraint('uq_audit_event_case_seq', type_='unique')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('seq')
