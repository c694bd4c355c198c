"""An effect's code may repeat: a partner may hand every member the same promotion code.

Revision ID: 0003
Revises: 0002

The store refused a second effect with a code it already held, and the refusal
surfaced as a failed write of the whole batch. Codes the engine issues itself
(`CodeIssuer`) never repeat; a partner's static code legitimately does. The column
keeps an index, so that a code can still be looked up. SQLite cannot drop an
unnamed UNIQUE constraint, so there the table is rebuilt (Alembic's batch mode).
"""

from __future__ import annotations

from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}  # names the constraint SQLite created unnamed


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("effects", recreate="always", naming_convention=_NAMES) as batch:
            batch.drop_constraint("uq_effects_code", type_="unique")
    else:
        op.drop_constraint("effects_code_key", "effects", type_="unique")
    op.create_index("ix_effects_code", "effects", ["code"])


def downgrade() -> None:
    op.drop_index("ix_effects_code", table_name="effects")
    with op.batch_alter_table("effects") as batch:
        batch.create_unique_constraint("effects_code_key", ["code"])
