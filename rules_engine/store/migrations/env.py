"""Alembic environment: migrates the connection `rules_engine.store.database.migrate` hands over.

Run by the store itself whenever it opens a database, so operators never run
Alembic by hand; `alembic -x url=...` works too for inspecting or stamping.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from rules_engine.store.database import database_url
from rules_engine.store.models import SQLModel

config = context.config
metadata = SQLModel.metadata


def _run(connection: sa.Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
elif context.is_offline_mode():
    context.configure(url=database_url(context.get_x_argument(as_dictionary=True).get("url")), target_metadata=metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = sa.create_engine(database_url(context.get_x_argument(as_dictionary=True).get("url")))
    with engine.begin() as connection:
        _run(connection)
