"""An operator's slips with the store commands: each is refused before it can cost data or mislead."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ledger_support import BUY, SIGNUP, SMALL_RULEBOOK, write_lines
from rules_engine.cli import main



@pytest.fixture
def events(tmp_path: Path) -> Path:
    return write_lines(tmp_path / "e.jsonl", SIGNUP, BUY, "{broken")


def run(*args: object) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


# --- apply --rejects ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm", "-journal"])
def test_rejects_at_the_store_file_is_refused_and_the_store_kept(suffix: str, rulebook: Path, events: Path,
                                                                 tmp_path: Path) -> None:
    store = tmp_path / "g.db"
    run("apply", rulebook, events, "--db", store)
    before = store.read_bytes()

    result = run("apply", rulebook, events, "--db", store, "--rejects", f"{store}{suffix}")

    assert result.exit_code == 2
    assert f"the rejects list would go to {store}{suffix}, which is the store's" in result.stderr
    assert store.read_bytes() == before


def test_rejects_at_the_events_file_is_refused_and_the_file_kept(rulebook: Path, events: Path, tmp_path: Path) -> None:
    before = events.read_bytes()
    result = run("apply", rulebook, events, "--db", tmp_path / "g.db", "--rejects", events)
    assert result.exit_code == 2
    assert "which is the EVENTS file, and it is rewritten on every run: give --rejects another path" in result.stderr
    assert events.read_bytes() == before
    assert not (tmp_path / "g.db").exists()


def test_rejects_at_the_rulebook_is_refused_and_the_rulebook_kept(rulebook: Path, events: Path, tmp_path: Path) -> None:
    result = run("apply", rulebook, events, "--db", tmp_path / "g.db", "--rejects", rulebook)
    assert result.exit_code == 2
    assert "which is the RULEBOOK" in result.stderr
    assert rulebook.read_text(encoding="utf-8") == SMALL_RULEBOOK


def test_rejects_at_another_name_of_the_events_file_is_refused(rulebook: Path, events: Path, tmp_path: Path) -> None:
    alias = tmp_path / "alias.jsonl"
    os.link(events, alias)
    result = run("apply", rulebook, events, "--db", tmp_path / "g.db", "--rejects", alias)
    assert result.exit_code == 2
    assert "which is the EVENTS file" in result.stderr


# --- expire -----------------------------------------------------------------------------------------------------


def test_expire_refuses_warn_days_past_ten_years_and_closes_nothing(db_url: str, rulebook: Path, events: Path) -> None:
    run("apply", rulebook, events, "--db", db_url)

    refused = run("expire", "--db", db_url, "--as-of", "2030-01-01T00:00:00Z", "--warn-days", "99999999")
    again = run("expire", "--db", db_url, "--as-of", "2030-01-01T00:00:00Z", "--warn-days", "0")

    assert refused.exit_code == 2
    assert "Invalid value for '--warn-days': 99999999 is not in the range 0<=x<=3660" in refused.stderr
    assert again.stdout.startswith("closed at 2030-01-01T00:00:00+00:00:")


def test_expire_at_the_end_of_the_calendar_is_refused_before_the_close(db_url: str, rulebook: Path, events: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    run("apply", rulebook, events, "--db", db_url)
    last = datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc)
    monkeypatch.setattr("rules_engine.cli.store.time_option", lambda *_: last)  # whatever range --as-of allows

    refused = run("expire", "--db", db_url)

    assert refused.exit_code == 2
    assert "runs past the last date there is (9999-12-31)" in refused.stderr
    assert "expire" not in run("export", "--db", db_url).stdout


# --- redeem -----------------------------------------------------------------------------------------------------


def test_redeem_for_a_member_the_store_has_not_seen_is_refused_and_stores_nothing(db_url: str, rulebook: Path,
                                                                                  events: Path) -> None:
    run("apply", rulebook, events, "--db", db_url)

    result = run("redeem", "nobody", "r10", "--db", db_url, "--id", "ord-1")

    assert (result.exit_code, result.stderr) == (1, "Error: the store has no member nobody; nothing was done\n")
    assert "the store has no member nobody" in run("member", "nobody", "--db", db_url).stderr
    later = run("redeem", "m1", "r10", "--db", db_url, "--id", "ord-1", "--at", "2025-01-03T00:00:00Z")
    assert later.stdout.startswith("ord-1: m1 redeemed r10")  # the id is still free


def test_redeem_for_an_unknown_member_suggests_a_close_one(db_url: str, rulebook: Path, events: Path) -> None:
    run("apply", rulebook, events, "--db", db_url)
    result = run("redeem", "M1", "r10", "--db", db_url)
    assert result.stderr == "Error: the store has no member M1; nothing was done (did you mean `m1`?)\n"


@pytest.mark.parametrize("args", [["", "r10"], [" ", "r10"], ["m1", "r10", "--id", " "]])
def test_redeem_refuses_a_blank_member_or_id(args: list[str], db_url: str, rulebook: Path, events: Path) -> None:
    run("apply", rulebook, events, "--db", db_url)
    result = run("redeem", *args, "--db", db_url)
    assert result.exit_code == 2
    assert "is blank: give an id" in result.stderr


def test_a_retried_rejected_redemption_says_so_again_and_exits_1(db_url: str, rulebook: Path, tmp_path: Path) -> None:
    run("apply", rulebook, write_lines(tmp_path / "small.jsonl", {**BUY, "amount": 5000}), "--db", db_url)
    first = run("redeem", "m1", "r10", "--db", db_url, "--id", "ord-1", "--at", "2025-01-03T00:00:00Z")

    retry = run("redeem", "m1", "r10", "--db", db_url, "--id", "ord-1", "--at", "2025-01-03T00:05:00Z")

    assert (first.exit_code, retry.exit_code) == (1, 1)
    assert retry.stderr == ("Error: ord-1 was already tried: rejected (insufficient_points: r10 costs 10 points; "
                            "the balance is 5); nothing more was done\n")


# --- apply of a file that gives no event ------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["id,member,amount\np1,m1,100\n",
                                  "id\ttype\tmember\tat\tamount\np1\tpurchase\tm1\t2025-01-02T10:00:00Z\t100\n"])
def test_apply_of_a_file_none_of_whose_rows_can_be_read_exits_1(text: str, db_url: str, rulebook: Path,
                                                                 tmp_path: Path) -> None:
    feed = tmp_path / "feed.csv"
    feed.write_text(text, encoding="utf-8")
    result = run("apply", rulebook, feed, "--db", db_url)
    assert result.exit_code == 1
    assert f"Error: no event could be read from {feed}, so nothing was applied" in result.stderr
    assert f"listed in {feed}.rejects" in result.stderr


def test_apply_of_an_empty_file_warns_that_nothing_was_applied(db_url: str, rulebook: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    result = run("apply", rulebook, empty, "--db", db_url)
    assert result.exit_code == 0
    assert f"warning: {empty} has no rows; nothing was applied" in result.stderr
