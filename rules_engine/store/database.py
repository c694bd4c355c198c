"""Opening a store: the connection settings each database needs, and bringing the schema up to date.

Writers must take their lock when the transaction starts, not at their first
write: Python's sqlite3 begins transactions lazily, so two writers could both read
a balance before either writes. On SQLite every transaction therefore opens with
`BEGIN IMMEDIATE` (issued from SQLAlchemy's pysqlite event hooks), and the file
runs in WAL mode so readers never wait for the writer. On PostgreSQL the writers
lock the `ledger_head` row instead (see `rules_engine.store.writer`).
"""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection, Engine

DEFAULT_URL = "sqlite:///loyalty.db"
ENV_VAR = "LOYALTY_DATABASE_URL"
MIGRATIONS = Path(__file__).with_name("migrations")
_BUSY_SECONDS = 120  # how long a SQLite writer waits for another one before giving up
_READ_ONLY = "loyalty_read_only"
_SCHEMA_LOCK = 0x4C4F59  # PostgreSQL advisory lock taken while migrating, so two first runs do not race


class StoreError(Exception):
    """A problem with the store that the operator has to fix; the message says how."""


def database_url(given: str | None) -> str:
    """`--db`, else `LOYALTY_DATABASE_URL`, else ./loyalty.db. A bare path means a SQLite file."""
    url = given or os.environ.get(ENV_VAR) or DEFAULT_URL
    return url if "://" in url else f"sqlite:///{url}"


def open_database(url: str, create: bool = True) -> Engine:
    """An engine for `url` with the schema migrated to the latest version.

    Only `apply` starts a store: the commands that read or change an existing one pass
    `create=False`, so that a mistyped SQLite path is an error rather than a new, empty file.
    """
    if not create:
        _must_exist(url)
    engine = _engine(url)
    try:
        migrate(engine)
    except sa.exc.OperationalError as err:
        engine.dispose()
        raise StoreError(f"cannot open the store at {display_url(url)}: {err.orig}") from err
    return engine


def migrate(engine: Engine) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        # SQLite changes a table by building a new one and dropping the old, which enforced foreign keys refuse;
        # enforcement can only be switched outside a transaction, and the keys are checked before the commit instead.
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with connection.begin():
                if not sqlite:
                    connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK})
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
                if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                    raise StoreError("migrating the store broke a reference between its tables; nothing was changed. "
                                     "Please report this with the store's schema version (table alembic_version).")
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


def read(engine: Engine) -> Connection:
    """A connection for reading only: on SQLite it takes no write lock, so a long read never stalls a writer."""
    return engine.connect().execution_options(**{_READ_ONLY: True})


def _must_exist(url: str) -> None:
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        return  # _engine words the error
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        path = Path(parsed.database).expanduser()
        if not path.is_file():
            raise StoreError(f"there is no store at {path}: check --db or {ENV_VAR}, or start one with "
                             f"loyalty apply RULEBOOK EVENTS")


def _engine(url: str) -> Engine:
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError as err:
        raise StoreError(f"{url} is not a database URL: {err}") from err
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise StoreError(f"the store runs on SQLite or PostgreSQL, not {backend}: give a file path, sqlite:///PATH "
                         f"or postgresql+psycopg://USER@HOST/DATABASE")
    if backend == "postgresql":
        try:
            engine = sa.create_engine(parsed, pool_pre_ping=True)
        except (sa.exc.NoSuchModuleError, ImportError) as err:
            raise StoreError(f"cannot use {display_url(url)}: {err}; write postgresql+psycopg://...") from err
        if engine.dialect.driver != "psycopg":  # the writer sends psycopg's binary parameters (%b)
            engine.dispose()
            raise StoreError(f"the store talks to PostgreSQL through psycopg, not {engine.dialect.driver}: "
                             f"write postgresql+psycopg://...")
        return engine
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": _BUSY_SECONDS})

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")  # the default of most builds, not of all: a commit survives a power cut
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(connection) -> None:  # type: ignore[no-untyped-def]
        connection.exec_driver_sql("BEGIN" if connection.get_execution_options().get(_READ_ONLY) else "BEGIN IMMEDIATE")

    return engine


def display_url(url: str) -> str:
    """The URL without its password, for messages."""
    return sa.engine.make_url(url).render_as_string(hide_password=True)
