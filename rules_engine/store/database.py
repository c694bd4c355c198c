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
import re
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from rules_engine.store.models import SQLModel

DEFAULT_URL = "sqlite:///loyalty.db"
ENV_VAR = "LOYALTY_DATABASE_URL"
MIGRATIONS = Path(__file__).with_name("migrations")
_BUSY_SECONDS = 120  # how long a SQLite writer waits for another one before giving up
_READ_ONLY = "loyalty_read_only"
_SCHEMA_LOCK = 0x4C4F59  # PostgreSQL advisory lock taken while migrating, so two first runs do not race
_URL_FORMS = "a file path, sqlite:///PATH or postgresql+psycopg://USER[:PASSWORD]@HOST[:PORT]/DATABASE"


class StoreError(Exception):
    """A problem with the store that the operator has to fix; the message says how."""


def database_url(given: str | None) -> str:
    """`--db`, else `LOYALTY_DATABASE_URL`, else ./loyalty.db. A bare path means a SQLite file.

    An empty `--db` is refused rather than read as "not given": a script whose variable came out empty
    would otherwise write to whatever ./loyalty.db the current directory holds.
    """
    if given is not None and not given.strip():
        raise StoreError(f"--db is empty: give {_URL_FORMS}, or leave --db out to use ${ENV_VAR} (else ./loyalty.db)")
    url = given or os.environ.get(ENV_VAR) or DEFAULT_URL
    return url if "://" in url else f"sqlite:///{url}"


def in_memory(url: str) -> bool:
    """Whether `url` names SQLite's in-memory database, which is gone when the process ends."""
    parsed = _parse(url)
    return parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:")


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite store lives in; None for PostgreSQL and for the in-memory database."""
    parsed = _parse(url)
    if parsed.get_backend_name() != "sqlite" or in_memory(url):
        return None
    return Path(parsed.database).expanduser()  # type: ignore[arg-type]


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
    except sa.exc.DatabaseError as err:
        engine.dispose()
        raise unreadable(url, err) from err
    except BaseException:
        engine.dispose()
        raise
    return engine


def unreadable(url: str, err: sa.exc.DatabaseError) -> StoreError:
    """The error for a store the database refuses to read. On SQLite anything but a locked or missing file
    means the file is not a SQLite database at all, or is damaged: the driver's words alone do not say which file."""
    path = sqlite_file(url)
    if path is None or isinstance(err, sa.exc.OperationalError):
        return StoreError(f"cannot open the store at {display_url(url)}: {err.orig}")
    return StoreError(f"the file at {path} is not a loyalty store, or it is damaged ({err.orig}). Check --db or "
                      f"{ENV_VAR}; if it is the store, restore it from a backup (SQLite's .recover may save some of it)")


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
                _must_be_ours(connection, ScriptDirectory.from_config(config))
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
                if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                    raise StoreError("migrating the store broke a reference between its tables; nothing was changed. "
                                     "Please report this with the store's schema version (table alembic_version).")
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
        if sqlite:  # only now that the file is known to be a store: the mode stays with the file once set
            connection.connection.driver_connection.execute("PRAGMA journal_mode=WAL")  # type: ignore[union-attr]


def _must_be_ours(connection: Connection, scripts: ScriptDirectory) -> None:
    """Refuse a database another program made, or a newer loyalty: migrating either would fail half way, or
    worse, add the ledger's tables to someone else's SQLite file.

    A store is recognised by its `alembic_version` table. On PostgreSQL the ledger may share a database
    with other data, so there only a table of the ledger's own name without that mark is foreign.
    """
    where = _describe(connection)
    tables = set(sa.inspect(connection).get_table_names())
    if "alembic_version" not in tables:
        foreign = tables if connection.dialect.name == "sqlite" else tables & set(SQLModel.metadata.tables)
        if foreign:
            raise StoreError(f"{where} is not a loyalty store: it holds other tables ({', '.join(sorted(foreign)[:5])}) "
                             f"and no loyalty schema version. Check --db or {ENV_VAR}, or give a new file (or an "
                             f"empty PostgreSQL schema) to start a store")
        return
    for revision in MigrationContext.configure(connection).get_current_heads():
        if revision not in {script.revision for script in scripts.walk_revisions()}:
            raise StoreError(f"{where} was made by a newer version of loyalty (schema version {revision}, which "
                             f"this version does not know): upgrade loyalty to use it")


def _describe(connection: Connection) -> str:
    path = sqlite_file(connection.engine.url.render_as_string(hide_password=False))
    return f"the file at {path}" if path is not None else f"the database at {display_url(connection.engine.url)}"


def read(engine: Engine) -> Connection:
    """A connection for reading only: on SQLite it takes no write lock, so a long read never stalls a writer."""
    return engine.connect().execution_options(**{_READ_ONLY: True})


def _must_exist(url: str) -> None:
    path = sqlite_file(url)
    if path is not None and not path.is_file():
        raise StoreError(f"there is no store at {path}: check --db or {ENV_VAR}, or start one with "
                         f"loyalty apply RULEBOOK EVENTS")


def _parse(url: str) -> sa.engine.URL:
    """`url` parsed, or an error that shows the forms expected (with any password masked, as the URL is echoed)."""
    try:
        return sa.engine.make_url(url)
    except (sa.exc.ArgumentError, ValueError) as err:
        shown = re.sub(r"(://[^/@]*?:)[^/@]*@", r"\1***@", url)
        raise StoreError(f"{shown} is not a valid database URL ({err}): give {_URL_FORMS}") from err


def _engine(url: str) -> Engine:
    parsed = _parse(url)
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
    path = sqlite_file(url)
    if path is not None:
        _make_folder(path)
    engine = sa.create_engine(url, connect_args={"timeout": _BUSY_SECONDS})

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=FULL")  # the default of most builds, not of all: a commit survives a power cut
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(connection) -> None:  # type: ignore[no-untyped-def]
        connection.exec_driver_sql("BEGIN" if connection.get_execution_options().get(_READ_ONLY) else "BEGIN IMMEDIATE")

    return engine


def _make_folder(path: Path) -> None:
    """The folder a new SQLite store goes in, made if missing; a file in its way is the operator's to move."""
    in_the_way = next((parent for parent in path.parents if parent.is_file()), None)
    if in_the_way is not None:
        raise StoreError(f"cannot start a store at {path}: {in_the_way} is a file, not a folder. Check --db or {ENV_VAR}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise StoreError(f"cannot make the folder {path.parent} for the store at {path}: {err.strerror}. "
                         f"Check --db or {ENV_VAR}") from err


def display_url(url: str | sa.engine.URL) -> str:
    """The URL without its password, for messages."""
    return (url if isinstance(url, sa.engine.URL) else _parse(url)).render_as_string(hide_password=True)
