"""The store tests run on SQLite always and on PostgreSQL when LOYALTY_TEST_DATABASE_URL is set.

Each test gets an empty store of its own: a new SQLite file, or a new PostgreSQL
schema (selected through `search_path` in the URL) dropped after the test. If the
variable is set but the server does not answer, the tests fail: a CI run that
silently skipped PostgreSQL would claim more than it checked.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Callable, Iterator

import pytest
import sqlalchemy as sa

PG_ENV = "LOYALTY_TEST_DATABASE_URL"


def _backends() -> list[str]:
    return ["sqlite", "postgresql"] if os.environ.get(PG_ENV) else ["sqlite"]


@pytest.fixture(params=_backends())
def new_db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[Callable[[], str]]:  # type: ignore[no-untyped-def]
    """Makes empty stores on the backend under test; all are removed after the test."""
    if request.param == "sqlite":
        names = iter(range(1_000_000))
        yield lambda: f"sqlite:///{tmp_path / f'ledger-{next(names)}.db'}"
        return
    base = os.environ[PG_ENV]
    admin = sa.create_engine(base, connect_args={"connect_timeout": 10})
    schemas: list[str] = []

    def make() -> str:
        schema = f"test_{uuid.uuid4().hex[:16]}"
        try:
            with admin.begin() as connection:
                connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        except sa.exc.OperationalError as err:
            pytest.fail(f"{PG_ENV} is set to {base}, but that PostgreSQL server cannot be reached ({err.orig}). "
                        f"Start the server, or unset {PG_ENV} to run the store tests on SQLite only.", pytrace=False)
        schemas.append(schema)
        url = sa.engine.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        return url.render_as_string(hide_password=False)

    yield make
    if schemas:
        with admin.begin() as connection:
            for schema in schemas:
                connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def db_url(new_db_url: Callable[[], str]) -> str:
    """An empty store of its own for the test."""
    return new_db_url()


@pytest.fixture
def rulebook(tmp_path: Path) -> Path:
    """The small shop's rulebook (ledger_support.SMALL_RULEBOOK), as a file."""
    from ledger_support import SMALL_RULEBOOK

    path = tmp_path / "shop.rules"
    path.write_text(SMALL_RULEBOOK, encoding="utf-8")
    return path
