"""A PostgreSQL schema of its own for one benchmark run, so that runs never see each other's rows."""

from __future__ import annotations

import uuid

import sqlalchemy as sa


def create_schema(base: str, prefix: str) -> str:
    """A new empty schema on the server at `base`; the URL returned selects it through `search_path`."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(base)
    with engine.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return sa.engine.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)


def drop_schema(url: str) -> None:
    """Drop the schema a URL of `create_schema` selects, with everything in it."""
    parsed = sa.engine.make_url(url)
    schema = parsed.query["options"].split("=", 1)[1]
    engine = sa.create_engine(parsed.difference_update_query(["options"]))
    with engine.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()
