"""Opening a store that is not one, or not this version's: one plain error each, never a traceback."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from ledger_support import SIGNUP, SMALL_RULEBOOK, write_lines
from rules_engine.cli import main



def run(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def apply(url: str, tmp_path: Path) -> Result:
    rulebook = tmp_path / "shop.rules"
    rulebook.write_text(SMALL_RULEBOOK, encoding="utf-8")
    return run("apply", rulebook, write_lines(tmp_path / "e.jsonl", SIGNUP), "--db", url)


def test_a_text_file_given_as_the_store_is_not_a_loyalty_store(tmp_path: Path) -> None:
    notes = tmp_path / "notes.db"
    notes.write_text("shopping list\n", encoding="utf-8")
    result = run("report", "--db", notes)
    assert result.exit_code == 1
    assert f"Error: the file at {notes} is not a loyalty store, or it is damaged (file is not a database)" in result.stderr
    assert "Traceback" not in result.output


def test_a_truncated_store_is_said_to_be_damaged(tmp_path: Path) -> None:
    whole = tmp_path / "whole.db"
    apply(f"sqlite:///{whole}", tmp_path)
    with sqlite3.connect(whole) as connection:  # the ledger into the file itself, out of its write-ahead log
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    cut = tmp_path / "cut.db"
    cut.write_bytes(whole.read_bytes()[:5000])
    result = run("member", "m1", "--db", cut)
    assert result.exit_code == 1
    assert f"the file at {cut} is not a loyalty store, or it is damaged" in result.stderr
    assert "restore it from a backup" in result.stderr


def test_a_store_from_a_newer_version_says_to_upgrade_loyalty(db_url: str, tmp_path: Path) -> None:
    apply(db_url, tmp_path)
    engine = sa.create_engine(db_url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))
    engine.dispose()
    result = run("report", "--db", db_url)
    assert result.exit_code == 1
    assert "was made by a newer version of loyalty (schema version 9999_future" in result.stderr
    assert "upgrade loyalty to use it" in result.stderr


def test_a_database_with_a_table_of_the_ledgers_name_but_no_schema_version_is_not_a_loyalty_store(
        db_url: str, tmp_path: Path) -> None:
    engine = sa.create_engine(db_url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE events (what TEXT)"))
    engine.dispose()
    result = apply(db_url, tmp_path)
    assert result.exit_code == 1
    assert "is not a loyalty store: it holds other tables (events) and no loyalty schema version" in result.stderr


def test_a_sqlite_file_of_another_program_gets_no_ledger_tables(tmp_path: Path) -> None:
    shop = tmp_path / "shop.db"
    with sqlite3.connect(shop) as connection:
        connection.execute("CREATE TABLE customers (name TEXT)")
    result = apply(f"sqlite:///{shop}", tmp_path)
    assert result.exit_code == 1
    assert f"the file at {shop} is not a loyalty store: it holds other tables (customers)" in result.stderr
    with sqlite3.connect(shop) as connection:
        assert connection.execute("SELECT name FROM sqlite_master").fetchall() == [("customers",)]


def test_a_malformed_url_is_refused_with_the_forms_expected() -> None:
    result = run("report", "--db", "postgresql+psycopg://::::")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: postgresql+psycopg://:::: is not a valid database URL (")
    assert "give a file path, sqlite:///PATH or postgresql+psycopg://USER[:PASSWORD]@HOST[:PORT]/DATABASE" in result.stderr


def test_a_malformed_url_is_echoed_without_its_password() -> None:
    result = run("report", "--db", "postgresql+psycopg://shop:s3cret@db:port/club")
    assert "postgresql+psycopg://shop:***@db:port/club is not a valid database URL" in result.stderr
    assert "s3cret" not in result.output


def test_a_store_path_under_a_file_says_which_file_is_in_the_way(tmp_path: Path) -> None:
    blocker = tmp_path / "text.db"
    blocker.write_text("not a folder\n", encoding="utf-8")
    result = apply(f"{blocker}/x.db", tmp_path)
    assert result.exit_code == 1
    assert f"Error: cannot start a store at {blocker}/x.db: {blocker} is a file, not a folder" in result.stderr


@pytest.mark.parametrize("given", ["", "  "])
def test_an_empty_db_option_is_refused_rather_than_read_as_the_default(given: str, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = apply(given, tmp_path)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: --db is empty: give a file path")
    assert not (tmp_path / "loyalty.db").exists()


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_apply_refuses_an_in_memory_database_whose_ledger_would_vanish(url: str, tmp_path: Path) -> None:
    result = apply(url, tmp_path)
    assert result.exit_code == 2
    assert f"{url} is an in-memory database, which is gone when the command ends" in result.stderr


def test_a_database_error_after_opening_is_a_one_line_message(db_url: str, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    apply(db_url, tmp_path)

    def damaged(*_: object) -> None:  # a bad page deep in a SQLite file shows only once a query reaches it
        raise sa.exc.DatabaseError("SELECT", {}, sqlite3.DatabaseError("database disk image is malformed"))

    monkeypatch.setattr("rules_engine.store.queries.report", damaged)
    result = run("report", "--db", db_url)
    assert (result.exit_code, result.stderr) == (
        1, "Error: the store could not be read (database disk image is malformed); nothing was changed. "
           "If it is a SQLite file it may be damaged: restore it from a backup\n")


def test_a_sqlite_file_of_another_program_keeps_its_journal_mode(tmp_path: Path) -> None:
    shop = tmp_path / "shop.db"
    with sqlite3.connect(shop) as connection:
        connection.execute("CREATE TABLE customers (name TEXT)")
    apply(f"sqlite:///{shop}", tmp_path)
    with sqlite3.connect(shop) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("delete",)


def test_a_new_store_keeps_its_ledger_in_write_ahead_mode(tmp_path: Path) -> None:
    store = tmp_path / "new.db"
    assert apply(f"sqlite:///{store}", tmp_path).exit_code == 0
    with sqlite3.connect(store) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
