"""The operator commands, as an operator sees them."""

from __future__ import annotations

import csv
import io
import json
import os
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ledger_support import BUY, SIGNUP, write_lines
from rules_engine.cli import main
from rules_engine.store.database import open_database



def run(*args: str) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_apply_lists_unreadable_rows_with_line_and_reason_and_applies_the_rest(db_url: str, rulebook: Path, tmp_path: Path) -> None:
    events = write_lines(tmp_path / "e.jsonl", SIGNUP, '{"id": "p0", "member": "m1"', {**BUY, "amount": "lots"}, BUY)

    result = run("apply", rulebook, events, "--db", db_url)

    assert result.exit_code == 0
    assert (tmp_path / "e.jsonl.rejects").read_text(encoding="utf-8").splitlines() == [
        f"{events}:2: not valid JSON (Expecting ',' delimiter at column 28)",
        f"{events}:3: purchase needs a numeric 'amount' (got 'lots')"]
    assert "  applied                  2" in result.stdout
    assert "  unreadable rows          2" in result.stdout


def test_apply_reports_conflicts_on_stderr_with_file_and_line(db_url: str, rulebook: Path, tmp_path: Path) -> None:
    run("apply", rulebook, write_lines(tmp_path / "a.jsonl", SIGNUP, BUY), "--db", db_url)
    changed = write_lines(tmp_path / "b.jsonl", {**BUY, "amount": 5})

    result = run("apply", rulebook, changed, "--db", db_url)

    assert f"{changed}:1: event p1 conflict: event id p1 was already applied with different content" in result.stderr
    assert "  duplicates               1" in result.stdout
    assert "    conflicts              1" in result.stdout


def test_apply_reads_a_pipe_whole(db_url: str, rulebook: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "events"
    os.mkfifo(fifo)
    writer = threading.Thread(target=write_lines, args=(fifo, SIGNUP, BUY))
    writer.start()
    result = run("apply", rulebook, fifo, "--db", db_url)
    writer.join()
    assert "  applied                  2" in result.stdout


def test_member_shows_balance_open_lots_and_each_entry_with_its_reason(db_url: str, rulebook: Path, tmp_path: Path) -> None:
    run("apply", rulebook, write_lines(tmp_path / "e.jsonl", SIGNUP, BUY), "--db", db_url)

    shown = run("member", "m1", "--db", db_url).stdout.splitlines()

    assert shown[0] == "m1: balance 170, tier basic (earned 170, redeemed 0, expired 0, reversed 0)"
    assert "  s1                             50 of 50 left, expires 2025-01-31 10:00" in shown
    assert ("  2025-01-02 10:00  earn         +120  p1 [per_toman] +120: per_toman, 1 per 1,000 on 120,000 of the purchase"
            in shown)


def test_member_lists_the_codes_the_member_was_given(db_url: str, rulebook: Path, tmp_path: Path) -> None:
    coupon = {"id": "x1", "type": "redeem", "member": "m1", "at": "2025-01-03T10:00:00Z", "reward": "coupon"}
    run("apply", rulebook, write_lines(tmp_path / "e.jsonl", SIGNUP, BUY, coupon), "--db", db_url)
    shown = run("member", "m1", "--db", db_url).stdout.splitlines()
    listed = shown[shown.index("codes issued:") + 1].split()
    assert (listed[:2], listed[3:]) == (["2025-01-03", "10:00"], ["coupon", "(x1)"])
    assert len(listed[2]) == 19 and listed[2].count("-") == 3


def test_member_unknown_to_the_store_is_an_error(db_url: str, rulebook: Path, tmp_path: Path) -> None:
    run("apply", rulebook, write_lines(tmp_path / "e.jsonl", SIGNUP), "--db", db_url)
    result = CliRunner().invoke(main, ["member", "nobody", "--db", db_url])
    assert (result.exit_code, result.stderr.strip()) == (1, "Error: the store has no member nobody")


def test_commands_on_an_empty_store_say_to_apply_a_rulebook_first(db_url: str) -> None:
    open_database(db_url).dispose()  # a store with its tables and nothing in them
    result = CliRunner().invoke(main, ["report", "--db", db_url])
    assert result.exit_code == 1
    assert "the store is empty: apply a rulebook to it first" in result.stderr


@pytest.mark.parametrize("command", [["report"], ["member", "m1"], ["export"], ["expire", "--as-of", "2025-02-01"],
                                     ["redeem", "m1", "coupon"]])
def test_commands_other_than_apply_do_not_create_a_store_at_a_mistyped_path(command: list[str], tmp_path: Path) -> None:
    missing = tmp_path / "ledgr.db"
    result = CliRunner().invoke(main, [*command, "--db", str(missing)])
    assert result.exit_code == 1
    assert f"there is no store at {missing}: check --db or LOYALTY_DATABASE_URL" in result.stderr
    assert not missing.exists()


def test_redeem_prints_the_code_and_the_new_balance(db_url: str, rulebook: Path, tmp_path: Path) -> None:
    run("apply", rulebook, write_lines(tmp_path / "e.jsonl", SIGNUP, BUY), "--db", db_url)

    result = run("redeem", "m1", "coupon", "--db", db_url, "--at", "2025-01-03T00:00:00Z", "--id", "order-7")

    lines = result.stdout.splitlines()
    assert lines[0] == "order-7: m1 redeemed coupon for 20 points; balance now 150"
    assert lines[1].startswith("  coupon(amount=5000, code=")


def test_redeem_refused_says_why_and_exits_1(db_url: str, rulebook: Path, tmp_path: Path) -> None:
    run("apply", rulebook, write_lines(tmp_path / "e.jsonl", {**BUY, "amount": 5000}), "--db", db_url)
    result = CliRunner().invoke(main, ["redeem", "m1", "r10", "--db", db_url, "--at", "2025-01-03T00:00:00Z"])
    assert (result.exit_code, result.stdout) == (1, "")
    assert "Error: m1 cannot redeem r10: insufficient_points: r10 costs 10 points; the balance is 5" in result.stderr


def test_redeem_retried_with_the_same_id_spends_nothing_more(db_url: str, rulebook: Path, tmp_path: Path) -> None:
    run("apply", rulebook, write_lines(tmp_path / "e.jsonl", SIGNUP, BUY), "--db", db_url)
    run("redeem", "m1", "r10", "--db", db_url, "--at", "2025-01-03T00:00:00Z", "--id", "order-7")

    retry = run("redeem", "m1", "r10", "--db", db_url, "--at", "2025-01-03T00:05:00Z", "--id", "order-7")

    assert (retry.exit_code, retry.stdout) == (
        0, "order-7 was already applied: m1 redeemed r10 for 10 points; nothing more was done\n")
    assert "m1: balance 160," in run("member", "m1", "--db", db_url).stdout


def test_expire_writes_what_fell_due_and_a_second_run_changes_nothing(db_url: str, rulebook: Path, tmp_path: Path) -> None:
    run("apply", rulebook, write_lines(tmp_path / "e.jsonl", SIGNUP, BUY), "--db", db_url)

    first = run("expire", "--db", db_url, "--as-of", "2025-02-01T00:00:00Z")
    second = run("expire", "--db", db_url, "--as-of", "2025-02-01T00:00:00Z")

    assert first.stdout.startswith("closed at 2025-02-01T00:00:00+00:00: 1 expiry entries (-50 points)")
    assert second.stdout == "already closed at 2025-02-01T00:00:00+00:00: nothing to do\n"
    assert "m1: balance 120," in run("member", "m1", "--db", db_url).stdout


def test_export_lists_every_entry_with_its_provenance_and_the_lots_it_took(db_url: str, rulebook: Path, tmp_path: Path) -> None:
    spend = {"id": "x1", "type": "redeem", "member": "m1", "at": "2025-01-03T10:00:00Z", "reward": "r10"}
    run("apply", rulebook, write_lines(tmp_path / "e.jsonl", SIGNUP, BUY, spend), "--db", db_url)

    rows = list(csv.DictReader(io.StringIO(run("export", "--db", db_url).stdout)))
    as_json = [json.loads(line) for line in run("export", "--db", db_url, "--format", "jsonl").stdout.splitlines()]

    assert [(r["kind"], r["points"], r["event"], r["rule"], r["rulebook"], r["lots"]) for r in rows] == [
        ("earn", "50", "s1", "welcome", "1", ""), ("earn", "120", "p1", "per_toman", "1", ""),
        ("redeem", "-10", "x1", "line 9", "1", "s1:10")]
    assert [r["points"] for r in as_json] == [50, 120, -10]


def test_apply_of_a_clean_file_leaves_no_rejects_file_behind(db_url: str, rulebook: Path, tmp_path: Path) -> None:
    events = write_lines(tmp_path / "e.jsonl", SIGNUP, "{broken")
    run("apply", rulebook, events, "--db", db_url)
    events.write_text(json.dumps(SIGNUP) + "\n", encoding="utf-8")

    run("apply", rulebook, events, "--db", db_url)

    assert not (tmp_path / "e.jsonl.rejects").exists()


def test_effect_sinks_hear_of_new_outcomes_once_and_never_of_replays(db_url: str, rulebook: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    outbox = tmp_path / "outbox.jsonl"
    monkeypatch.setenv("LOYALTY_OUTBOX", str(outbox))
    events = write_lines(tmp_path / "e.jsonl", SIGNUP, BUY)
    run("apply", rulebook, events, "--db", db_url)
    after_apply = outbox.read_text(encoding="utf-8").splitlines()

    run("apply", rulebook, events, "--db", db_url)
    run("redeem", "m1", "coupon", "--db", db_url, "--at", "2025-01-03T00:00:00Z", "--id", "order-7")

    messages = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()]
    assert len(messages) == len(after_apply) + 1
    assert (messages[-1]["to"], messages[-1]["event"]) == ("m1", "order-7")


def test_a_database_the_store_does_not_support_is_a_clear_error() -> None:
    result = CliRunner().invoke(main, ["report", "--db", "mysql://shop@db/club"])
    assert (result.exit_code, result.stderr.strip()) == (
        1, "Error: the store runs on SQLite or PostgreSQL, not mysql: give a file path, sqlite:///PATH or "
           "postgresql+psycopg://USER@HOST/DATABASE")


def test_expire_warns_the_sinks_of_points_expiring_on_the_day_warn_days_ahead(db_url: str, rulebook: Path, tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    outbox = tmp_path / "outbox.jsonl"
    run("apply", rulebook, write_lines(tmp_path / "e.jsonl", SIGNUP, BUY), "--db", db_url)
    monkeypatch.setenv("LOYALTY_OUTBOX", str(outbox))

    result = run("expire", "--db", db_url, "--as-of", "2025-01-25T12:00:00Z", "--warn-days", "7")

    assert "1 members warned of points expiring by 2025-02-01" in result.stdout
    (message,) = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()]
    assert message["to"] == "m1" and "منقضی" in message["text"]


@pytest.mark.parametrize("command", [["member", "m1"], ["report"], ["expire", "--as-of", "2025-02-01"],
                                     ["redeem", "m1", "coupon"]])
def test_a_broken_plugin_is_a_one_line_error_in_store_commands(command: list[str], db_url: str, rulebook: Path,
                                                                tmp_path: Path) -> None:
    run("apply", rulebook, write_lines(tmp_path / "e.jsonl", SIGNUP, BUY), "--db", db_url)
    holidays = tmp_path / "holidays.txt"
    holidays.write_text("13 Farvardin\n", encoding="utf-8")
    result = CliRunner(env={"LOYALTY_HOLIDAYS": str(holidays)}).invoke(main, [*command, "--db", db_url])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: plugin builtin.functions failed in loyalty_functions")
    assert "Traceback" not in result.output


def test_apply_asks_the_plugins_once(db_url: str, rulebook: Path, tmp_path: Path, monkeypatch) -> None:
    from rules_engine.plugins import manager

    built = []
    build = manager.build_registry
    monkeypatch.setattr(manager, "build_registry", lambda pm: built.append(1) or build(pm))
    run("apply", rulebook, write_lines(tmp_path / "e.jsonl", SIGNUP, BUY), "--db", db_url)
    assert len(built) == 1


def test_apply_that_could_not_deliver_its_messages_says_so_and_exits_1(db_url: str, rulebook: Path, tmp_path: Path,
                                                                       monkeypatch) -> None:
    from plugins.faulty import Faulty
    from rules_engine.plugins import manager

    original = manager.plugin_manager
    monkeypatch.setattr(manager, "plugin_manager", lambda: original(extra=[Faulty()]))
    result = CliRunner().invoke(main, ["apply", str(rulebook), str(write_lines(tmp_path / "e.jsonl", SIGNUP, BUY)),
                                       "--db", db_url])
    assert result.exit_code == 1
    assert "warning: " in result.stderr and "SMS gateway refused the connection" in result.stderr
    assert "1 deliveries to effect sinks failed" in result.stderr
    assert "  applied                  2" in result.stdout
