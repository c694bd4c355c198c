"""The ledger tables.

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 18:12:09.681783
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lot_uses',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('n', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('k', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('lot', sa.String(), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('points > 0', name='ck_lot_uses_positive'),
    sa.PrimaryKeyConstraint('seq', 'n', 'k')
    )
    op.create_index('ix_lot_uses_lot', 'lot_uses', ['lot'])

    op.create_table('members',
    sa.Column('id', sa.String(), nullable=False),
    sa.Column('balance', sa.BigInteger(), nullable=False),
    sa.Column('tier', sa.String(), nullable=True),
    sa.Column('earned', sa.BigInteger(), nullable=False),
    sa.Column('redeemed', sa.BigInteger(), nullable=False),
    sa.Column('expired', sa.BigInteger(), nullable=False),
    sa.Column('reversed', sa.BigInteger(), nullable=False),
    sa.Column('spend_total', sa.String(), nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('repeats',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('event_id', sa.String(), nullable=False),
    sa.Column('fingerprint', sa.String(), nullable=False),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('source', sa.String(), nullable=True),
    sa.Column('line', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('source', 'line', 'event_id', 'fingerprint', name='uq_repeats_arrival')
    )
    op.create_index('ix_repeats_event_id', 'repeats', ['event_id'])

    op.create_table('rulebooks',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('path', sa.String(), nullable=False),
    sa.Column('text', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sha256')
    )
    op.create_table('events',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('id', sa.String(), nullable=False),
    sa.Column('kind', sa.String(), nullable=False),
    sa.Column('parent', sa.Integer(), nullable=True),
    sa.Column('type', sa.String(), nullable=False),
    sa.Column('member', sa.String(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('reason', sa.String(), nullable=True),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('fingerprint', sa.String(), nullable=False),
    sa.Column('payload', sa.String(), nullable=False),
    sa.Column('source', sa.String(), nullable=True),
    sa.Column('line', sa.Integer(), nullable=True),
    sa.Column('rulebook_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['rulebook_id'], ['rulebooks.id'], ),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('id')
    )
    op.create_index('ix_events_member', 'events', ['member'])

    head = op.create_table('ledger_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.Column('rulebook_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['rulebook_id'], ['rulebooks.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.bulk_insert(head, [{"id": 1, "last_seq": 0, "rulebook_id": None}])
    op.create_table('effects',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('n', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('member', sa.String(), nullable=False),
    sa.Column('event', sa.String(), nullable=False),
    sa.Column('kind', sa.String(), nullable=False),
    sa.Column('plugin', sa.String(), nullable=False),
    sa.Column('data', sa.String(), nullable=False),
    sa.Column('code', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['seq'], ['events.seq'], ),
    sa.PrimaryKeyConstraint('seq', 'n'),
    sa.UniqueConstraint('code')
    )
    op.create_index('ix_effects_member', 'effects', ['member'])

    op.create_table('entries',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('n', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('member', sa.String(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('event', sa.String(), nullable=False),
    sa.Column('rule', sa.String(), nullable=False),
    sa.Column('why', sa.String(), nullable=False),
    sa.Column('rulebook_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("(kind = 'earn' AND points > 0) OR (kind <> 'earn' AND points < 0)", name='ck_entries_sign'),
    sa.CheckConstraint("kind IN ('earn', 'redeem', 'expire', 'reverse')", name='ck_entries_kind'),
    sa.ForeignKeyConstraint(['rulebook_id'], ['rulebooks.id'], ),
    sa.ForeignKeyConstraint(['seq'], ['events.seq'], ),
    sa.PrimaryKeyConstraint('seq', 'n')
    )
    op.create_index('ix_entries_event', 'entries', ['event'])
    op.create_index('ix_entries_member', 'entries', ['member'])

    op.create_table('lots',
    sa.Column('event', sa.String(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('member', sa.String(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('opening', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['seq'], ['events.seq'], ),
    sa.PrimaryKeyConstraint('event')
    )
    op.create_index('ix_lots_member', 'lots', ['member'])
    op.create_index('ix_lots_seq', 'lots', ['seq'])

    op.create_table('redemptions',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('event', sa.String(), nullable=False),
    sa.Column('member', sa.String(), nullable=False),
    sa.Column('reward', sa.String(), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['seq'], ['events.seq'], ),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('event')
    )
    op.create_index('ix_redemptions_member', 'redemptions', ['member'])

    op.create_table('tier_history',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('n', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('member', sa.String(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('before', sa.String(), nullable=True),
    sa.Column('after', sa.String(), nullable=False),
    sa.Column('why', sa.String(), nullable=False),
    sa.Column('rulebook_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['rulebook_id'], ['rulebooks.id'], ),
    sa.ForeignKeyConstraint(['seq'], ['events.seq'], ),
    sa.PrimaryKeyConstraint('seq', 'n')
    )
    op.create_index('ix_tier_history_member', 'tier_history', ['member'])



def downgrade() -> None:
    op.drop_index('ix_tier_history_member', table_name='tier_history')

    op.drop_table('tier_history')
    op.drop_index('ix_redemptions_member', table_name='redemptions')

    op.drop_table('redemptions')
    op.drop_index('ix_lots_seq', table_name='lots')
    op.drop_index('ix_lots_member', table_name='lots')

    op.drop_table('lots')
    op.drop_index('ix_entries_member', table_name='entries')
    op.drop_index('ix_entries_event', table_name='entries')

    op.drop_table('entries')
    op.drop_index('ix_effects_member', table_name='effects')

    op.drop_table('effects')
    op.drop_table('ledger_head')
    op.drop_index('ix_events_member', table_name='events')

    op.drop_table('events')
    op.drop_table('rulebooks')
    op.drop_index('ix_repeats_event_id', table_name='repeats')

    op.drop_table('repeats')
    op.drop_table('members')
    op.drop_index('ix_lot_uses_lot', table_name='lot_uses')

    op.drop_table('lot_uses')
