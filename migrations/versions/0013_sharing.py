"""归集共享: receiving platforms and their deliveries (sender side); senders, their keys, foreign items and
inbound delivery ids (receiver side).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 14:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'platform',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('name', sa.String(100), nullable=False),
        sa.Column('url', sa.String(500), nullable=False),
        sa.Column('sender_code', sa.String(64), nullable=False),
        sa.Column('key_id', sa.String(40), nullable=False),
        sa.Column('secret', sa.String(200), nullable=False),
        sa.Column('record_severities', sa.JSON(), nullable=True),
        sa.Column('commitments', sa.Boolean(), nullable=False),
        sa.Column('all_changes', sa.Boolean(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        'delivery',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('uid', sa.String(64), nullable=False, unique=True),
        sa.Column('platform_id', sa.Integer(), sa.ForeignKey('platform.id'), nullable=False, index=True),
        sa.Column('item_type', sa.String(20), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('event_key', sa.String(120), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('retract', sa.Boolean(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True, index=True),
        sa.Column('receipt', sa.JSON(), nullable=True),
        sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint('platform_id', 'item_type', 'item_id', 'event_key'),
    )
    op.create_table(
        'sender',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('code', sa.String(64), nullable=False, unique=True),
        sa.Column('name', sa.String(100), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        'senderkey',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('sender_id', sa.Integer(), sa.ForeignKey('sender.id'), nullable=False, index=True),
        sa.Column('key_id', sa.String(40), nullable=False, unique=True),
        sa.Column('secret', sa.String(200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        'foreignitem',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('sender_id', sa.Integer(), sa.ForeignKey('sender.id'), nullable=False, index=True),
        sa.Column('item_type', sa.String(20), nullable=False),
        sa.Column('remote_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('public', sa.Boolean(), nullable=False, index=True),
        sa.Column('title', sa.String(300), nullable=False),
        sa.Column('department_name', sa.String(100), nullable=False),
        sa.Column('state_label', sa.String(40), nullable=False),
        sa.Column('url', sa.String(500), nullable=True),
        sa.Column('data', sa.JSON(), nullable=True),
        sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('sender_id', 'item_type', 'remote_id'),
    )
    op.create_table(
        'inbounddelivery',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('sender_id', sa.Integer(), sa.ForeignKey('sender.id'), nullable=False, index=True),
        sa.Column('uid', sa.String(64), nullable=False),
        sa.Column('body_sha256', sa.String(64), nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('receipt', sa.JSON(), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('sender_id', 'uid'),
    )


def downgrade() -> None:
    for table in ('inbounddelivery', 'foreignitem', 'senderkey', 'sender', 'delivery', 'platform'):
        op.drop_table(table)
