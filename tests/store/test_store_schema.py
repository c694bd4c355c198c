"""The schema: Alembic builds exactly the tables the models declare, and the storage layer refuses bad entries."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext

from rules_engine.store.database import MIGRATIONS, migrate, open_database
from rules_engine.store.models import TABLES, Entry, SQLModel


def test_migrations_build_the_tables_the_models_declare(db_url: str) -> None:
    db = open_database(db_url)
    try:
        with db.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    finally:
        db.dispose()
    ours = {table.name for table in TABLES}
    assert [d for d in differences if _table_of(d) in ours] == []


def test_opening_a_store_again_changes_nothing(db_url: str) -> None:
    db = open_database(db_url)
    try:
        migrate(db)
        with db.connect() as connection:
            head = connection.execute(sa.text("SELECT id, last_seq FROM ledger_head")).all()
            version = connection.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    finally:
        db.dispose()
    assert [tuple(row) for row in head] == [(1, 0)]
    assert len(version) == 1


_INSERT_EVENT = sa.text(
    "INSERT INTO events (seq, id, kind, type, member, at, status, points, fingerprint, payload, rulebook_id) "
    "VALUES (:seq, 'v1', 'event', 'redeem', 'm', :at, :status, 0, '', '{}', 1)")
_AT = datetime(2025, 1, 1, tzinfo=timezone.utc)


def test_a_store_made_before_failed_attempts_freed_their_id_keeps_its_rows_and_takes_them(db_url: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    old = sa.create_engine(db_url)
    with old.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(sa.text("INSERT INTO rulebooks (id, sha256, path, text) VALUES (1, 'x', 'p', 't')"))
        connection.execute(_INSERT_EVENT, {"seq": 1, "at": _AT, "status": "failed"})
        connection.execute(sa.text("INSERT INTO entries (seq, n, member, at, kind, points, event, rule, why, rulebook_id)"
                                   " VALUES (1, 0, 'm', :at, 'expire', -5, 'p0', 'expiry', '[]', 1)"), {"at": _AT})
    old.dispose()
    db = open_database(db_url)
    try:
        with db.begin() as connection:
            connection.execute(_INSERT_EVENT, {"seq": 2, "at": _AT, "status": "applied"})
            assert connection.execute(sa.text("SELECT seq, status FROM events ORDER BY seq")).all() == [
                (1, "failed"), (2, "applied")]
            assert connection.execute(sa.text("SELECT seq, points FROM entries")).all() == [(1, -5)]
        with pytest.raises(sa.exc.IntegrityError), db.begin() as connection:
            connection.execute(_INSERT_EVENT, {"seq": 3, "at": _AT, "status": "rejected"})
    finally:
        db.dispose()


@pytest.mark.parametrize("kind, points", [("earn", 0), ("earn", -5), ("redeem", 5), ("gift", 5)])
def test_the_ledger_refuses_zero_and_wrongly_signed_entries(db_url: str, kind: str, points: int) -> None:
    db = open_database(db_url)
    row = dict(seq=1, n=0, member="m", at=datetime(2025, 1, 1, tzinfo=timezone.utc), kind=kind, points=points,
               event="e", rule="r", why="[]", rulebook_id=1)
    try:
        with pytest.raises(sa.exc.IntegrityError), db.begin() as connection:
            connection.execute(sa.text("INSERT INTO rulebooks (id, sha256, path, text) VALUES (1, 'x', 'p', 't')"))
            connection.execute(sa.text(
                "INSERT INTO events (seq, id, kind, type, member, at, status, points, fingerprint, payload, rulebook_id) "
                "VALUES (1, 'e', 'event', 'purchase', 'm', :at, 'applied', 0, '', '{}', 1)"), {"at": row["at"]})
            connection.execute(Entry.__table__.insert(), [row])  # type: ignore[attr-defined]
    finally:
        db.dispose()


def _table_of(difference: object) -> str | None:
    item = difference[0] if isinstance(difference, list) else difference
    for part in item[1:] if isinstance(item, tuple) else ():
        if isinstance(part, sa.Table):
            return part.name
        if hasattr(part, "table") and isinstance(part.table, sa.Table):
            return part.table.name
    return None


def test_a_sqlite_store_runs_in_wal_mode_and_syncs_every_commit(tmp_path) -> None:
    db = open_database(f"sqlite:///{tmp_path / 'ledger.db'}")
    with db.connect() as connection:
        settings = (connection.exec_driver_sql("PRAGMA journal_mode").scalar(),
                    connection.exec_driver_sql("PRAGMA synchronous").scalar())
    db.dispose()
    assert settings == ("wal", 2)  # 2 is FULL
