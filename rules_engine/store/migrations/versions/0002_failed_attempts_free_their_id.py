"""A failed attempt of an event leaves its id free: event ids are unique among the other rows only.

Revision ID: 0002
Revises: 0001

The store used to refuse a second row with the id of a failed event, so an event
that failed because of a broken plugin could never be applied once the plugin was
fixed. SQLite cannot drop a table's UNIQUE constraint, so there the table is
rebuilt (Alembic's batch mode; `database.migrate` turns foreign key enforcement
off for the copy and checks the keys before it commits).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

_NOT_FAILED = sa.text("status <> 'failed'")
_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}  # names the constraint SQLite created unnamed


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("events", recreate="always", naming_convention=_NAMES) as batch:
            batch.drop_constraint("uq_events_id", type_="unique")
    else:
        op.drop_constraint("events_id_key", "events", type_="unique")
    op.create_index("uq_events_id", "events", ["id"], unique=True, sqlite_where=_NOT_FAILED,
                    postgresql_where=_NOT_FAILED)


def downgrade() -> None:
    op.drop_index("uq_events_id", table_name="events")
    with op.batch_alter_table("events") as batch:
        batch.create_unique_constraint("events_id_key", ["id"])
