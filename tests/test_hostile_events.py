"""Hostile event files through `loyalty simulate`: every bad row gets a reason, every good row counts.

Each test feeds a file where one or two rows are wrong between valid purchases,
then checks three things a designer relies on: stderr names the line and the
reason, the bad row changes no balance, and the valid rows around it are all in
the totals.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules_engine import simulation
from rules_engine.cli import main
from rules_engine.dsl.compiler import compile_rulebook
from rules_engine.plugins.manager import default_registry
from rules_engine.readers import read_events

RULEBOOK = """\
program "Hostile"
currency toman
timezone "Asia/Tehran"
earn 1 point per 1000 toman
reward mug "Mug" costs 100 points gives product(sku: "MUG")
"""
AT = "2026-03-21T10:00:00+03:30"


def purchase(id: str, member: str = "m-1", amount: Any = 10_000, **more: Any) -> dict[str, Any]:
    return {"id": id, "type": "purchase", "member": member, "at": AT, "amount": amount, **more}


def as_line(row: dict[str, Any] | str) -> str:
    return row if isinstance(row, str) else json.dumps(row, ensure_ascii=False)


@pytest.fixture
def simulate(tmp_path: Path):
    """Run `loyalty simulate --format json` over rows (dicts, raw lines, or raw bytes of the whole file)."""
    rulebook = tmp_path / "program.rules"
    rulebook.write_text(RULEBOOK, encoding="utf-8")

    def run(rows: list[dict[str, Any] | str] | bytes, name: str = "events.jsonl") -> tuple[dict[str, Any], list[str]]:
        events = tmp_path / name
        if isinstance(rows, bytes):
            events.write_bytes(rows)
        else:
            events.write_text("\n".join(as_line(row) for row in rows) + "\n", encoding="utf-8")
        result = CliRunner().invoke(main, ["simulate", str(rulebook), str(events), "--format", "json"])
        assert result.exit_code == 0, result.output + result.stderr
        return json.loads(result.stdout), [line.removeprefix(f"{events}:") for line in result.stderr.splitlines()]

    return run


def balance(report: dict[str, Any], member: str) -> int:
    return next(m["balance"] for m in report["members"] if m["id"] == member)


def test_wrong_types_are_skipped_with_their_field_named(simulate) -> None:
    report, errors = simulate([
        purchase("p-1"),
        purchase("p-2", amount="lots"),
        {**purchase("p-3"), "at": 20260321},
        {**purchase("p-4"), "items": "coffee"},
        purchase("p-5", amount=True),
        purchase("p-6"),
    ])
    assert [e.split(":")[0] for e in errors] == ["2", "3", "4", "5"]
    assert "'amount'" in errors[0] and "'lots'" in errors[0]
    assert "'at'" in errors[1] and "expected text" in errors[1]
    assert "'items' must be a list" in errors[2]
    assert "'amount'" in errors[3] and "true" in errors[3]
    assert report["totals"]["events"] == 2
    assert balance(report, "m-1") == 20


def test_missing_fields_are_skipped_naming_what_is_missing(simulate) -> None:
    report, errors = simulate([
        {"id": "p-1", "type": "purchase", "at": AT, "amount": 10_000},
        {"id": "p-2", "type": "purchase", "member": "m-1", "amount": 10_000},
        {"type": "purchase", "member": "m-1", "at": AT, "amount": 10_000},
        {"id": "p-4", "type": "purchase", "member": "m-1", "at": AT},
        {"id": "r-1", "type": "refund", "member": "m-1", "at": AT, "amount": 1},
        purchase("p-6"),
    ])
    assert errors == [
        "1: skipped: every event needs a 'member'",
        "2: skipped: every event needs an 'at'",
        "3: skipped: every event needs an 'id'",
        "4: skipped: purchase needs an 'amount'",
        "5: skipped: refund needs an 'of'",
    ]
    assert report["totals"]["events"] == 1
    assert balance(report, "m-1") == 10


def test_an_unknown_member_is_enrolled_by_their_first_purchase(simulate) -> None:
    report, errors = simulate([purchase("p-1", member="m-1"), purchase("p-2", member="never-seen", amount=50_000)])
    assert errors == []
    assert balance(report, "never-seen") == 50
    assert report["totals"]["members"] == 2


def test_a_redemption_by_an_unknown_member_is_rejected_without_overdrawing(simulate) -> None:
    report, errors = simulate([
        purchase("p-1"),
        {"id": "x-1", "type": "redeem", "member": "stranger", "at": AT, "reward": "mug"},
    ])
    assert errors == []  # a refused redemption is a business answer, counted, not a data error
    assert report["totals"]["rejected"] == 1
    assert report["totals"]["redeemed"] == 0
    assert all(m["balance"] >= 0 for m in report["members"])


def test_a_refund_of_an_unknown_purchase_is_invalid_and_the_rest_applies(simulate) -> None:
    report, errors = simulate([
        purchase("p-1", amount=20_000),
        {"id": "r-1", "type": "refund", "member": "m-1", "at": AT, "of": "p-404", "amount": 20_000},
        purchase("p-2", amount=30_000),
    ])
    (error,) = errors
    assert error.startswith("2: event r-1 invalid:") and "p-404" in error
    assert report["totals"]["invalid"] == 1
    assert balance(report, "m-1") == 50


def test_a_second_refund_of_a_fully_refunded_purchase_is_invalid(simulate) -> None:
    report, errors = simulate([
        purchase("p-1", amount=20_000),
        purchase("p-2", amount=30_000),
        {"id": "r-1", "type": "refund", "member": "m-1", "at": AT, "of": "p-1", "amount": 20_000},
        {"id": "r-2", "type": "refund", "member": "m-1", "at": AT, "of": "p-1", "amount": 20_000},
    ])
    (error,) = errors
    assert error.startswith("4: event r-2 invalid:")
    assert report["totals"]["reversed"] == 20
    assert balance(report, "m-1") == 30


def test_a_refund_of_another_members_purchase_is_invalid(simulate) -> None:
    report, errors = simulate([
        purchase("p-1", member="m-1", amount=20_000),
        {"id": "r-1", "type": "refund", "member": "m-2", "at": AT, "of": "p-1", "amount": 20_000},
    ])
    (error,) = errors
    assert error.startswith("2: event r-1 invalid:")
    assert balance(report, "m-1") == 20


def test_negative_amounts_are_skipped(simulate) -> None:
    report, errors = simulate([
        purchase("p-1", amount=-10_000),
        {"id": "r-1", "type": "refund", "member": "m-1", "at": AT, "of": "p-2", "amount": -5},
        purchase("p-2", amount=10_000, items=[{"sku": "A", "qty": -1, "price": 10_000}]),
        purchase("p-3", amount=10_000),
    ])
    assert [e.split(":")[0] for e in errors] == ["1", "2", "3"]
    assert "'amount' must not be negative (got -10000)" in errors[0]
    assert "'amount' must not be negative (got -5)" in errors[1]
    assert "item 1: 'qty' must be more than zero (got -1)" in errors[2]
    assert balance(report, "m-1") == 10


def test_absurd_amounts_are_skipped_as_too_large_and_valid_rows_still_count(simulate) -> None:
    report, errors = simulate([
        purchase("p-1", amount=10_000),
        '{"id": "p-2", "type": "purchase", "member": "m-1", "at": "%s", "amount": 1e30}' % AT,
        '{"id": "p-3", "type": "purchase", "member": "m-1", "at": "%s", "amount": %d}' % (AT, 10**40),
        '{"id": "p-4", "type": "purchase", "member": "m-1", "at": "%s", "amount": %s}' % (AT, "9" * 5_000),
        purchase("p-5", amount="9" * 5_000),
        purchase("p-6", amount=10_000, items=[{"sku": "A", "qty": 10**30, "price": 1}]),
        '{"id": "p-7", "type": "purchase", "member": "m-1", "at": "%s", "amount": 1e400}' % AT,
        '{"id": "p-8", "type": "purchase", "member": "m-1", "at": "%s", "amount": NaN}' % AT,
        purchase("p-9", amount=10_000),
    ])
    assert [e.split(":")[0] for e in errors] == ["2", "3", "4", "5", "6", "7", "8"]
    assert all("is too large" in e for e in errors[:6])
    assert all(len(e) < 200 for e in errors)
    assert "NaN is not a number" in errors[6]
    assert report["totals"]["events"] == 2
    assert balance(report, "m-1") == 20


def test_the_largest_allowed_amount_earns_its_points_exactly(simulate) -> None:
    report, errors = simulate([purchase("p-1", amount=10**18 - 1)])
    assert errors == []
    assert balance(report, "m-1") == (10**18 - 1) // 1000


def test_a_tiny_fractional_amount_earns_nothing_and_breaks_nothing(simulate) -> None:
    report, errors = simulate(['{"id": "p-1", "type": "purchase", "member": "m-1", "at": "%s", "amount": 1e-400}' % AT,
                               purchase("p-2")])
    assert errors == []
    assert balance(report, "m-1") == 10


@pytest.mark.parametrize("at", [
    "9999-12-31T23:59:59+00:00", "9999-12-31T23:59:59", "0001-01-01T00:00:00+00:00", "0001-01-01T00:00:00",
    "1899-12-31T23:59:59+00:00", "2200-01-01T00:00:00+00:00",
])
def test_timestamps_in_the_far_future_or_past_are_skipped_as_a_wrong_clock(simulate, at: str) -> None:
    report, errors = simulate([purchase("p-1"), {**purchase("p-2"), "at": at}, purchase("p-3")])
    (error,) = errors
    assert error.startswith(f"2: skipped: 'at': '{at}'")
    assert "1900" in error or "too close" in error
    assert balance(report, "m-1") == 20


def test_timestamps_at_the_edges_of_the_allowed_years_are_read(simulate) -> None:
    report, errors = simulate([{**purchase("p-1"), "at": "1900-01-01T00:00:00+00:00"},
                               {**purchase("p-2"), "at": "2199-12-31T23:59:59+00:00"}])
    assert errors == []
    assert balance(report, "m-1") == 20


def test_a_timestamp_that_is_no_date_is_skipped(simulate) -> None:
    report, errors = simulate([{**purchase("p-1"), "at": "2026-02-30T10:00:00+03:30"},
                               {**purchase("p-2"), "at": "10000-01-01T00:00:00+00:00"}, purchase("p-3")])
    assert [e.split(":")[0] for e in errors] == ["1", "2"]
    assert all("is not a timestamp" in e for e in errors)
    assert balance(report, "m-1") == 10


def test_a_bom_at_the_start_of_the_file_is_ignored(simulate) -> None:
    data = "\ufeff" + "\n".join(as_line(purchase(f"p-{n}")) for n in range(3)) + "\n"
    report, errors = simulate(data.encode("utf-8"))
    assert errors == []
    assert balance(report, "m-1") == 30


def test_a_latin1_line_in_a_utf8_file_is_skipped_alone(simulate) -> None:
    good = as_line(purchase("p-1", member="مشتری")).encode("utf-8")
    bad = as_line(purchase("p-2", member="José")).encode("latin-1")
    tail = as_line(purchase("p-3", member="مشتری")).encode("utf-8")
    report, errors = simulate(b"\n".join([good, bad, tail]) + b"\n")
    assert errors == ["2: skipped: the line is not valid UTF-8 text"]
    assert balance(report, "مشتری") == 20


def test_a_bom_where_two_files_were_joined_is_ignored(simulate) -> None:
    report, errors = simulate([purchase("p-1"), "\ufeff" + as_line(purchase("p-2")), purchase("p-3")])
    assert errors == []
    assert balance(report, "m-1") == 30


def test_nul_bytes_cost_only_their_line_and_are_named(simulate) -> None:
    report, errors = simulate([purchase("p-1"), as_line(purchase("p-2")) + "\x00", "\x00\x00", purchase("p-4")])
    assert [e.split(":")[0] for e in errors] == ["2", "3"]
    assert all("U+0000" in e for e in errors)
    assert balance(report, "m-1") == 20


def test_an_escaped_nul_in_an_id_costs_only_its_line(simulate) -> None:
    report, errors = simulate([purchase("p-1"), r'{"id": "p-2", "member": "m\u0000-1", "at": "2026-03-01T10:00:00Z", '
                               r'"amount": 100000}', purchase("p-3")])
    assert errors == ["2: skipped: 'member' holds an invisible character U+0000; remove it"]
    assert balance(report, "m-1") == 20


def test_a_duplicate_id_with_different_content_is_a_conflict_and_never_applied(simulate) -> None:
    report, errors = simulate([
        purchase("p-1", amount=10_000),
        purchase("p-1", amount=999_000),
        purchase("p-1", amount=10_000),
        purchase("p-2", amount=20_000),
    ])
    assert errors == ["2: event p-1 conflict: event id p-1 was already applied with different content"]
    assert report["totals"]["conflicts"] == 1
    assert report["totals"]["duplicates"] == 2  # every repeated id, the conflict included
    assert balance(report, "m-1") == 30


def test_an_unknown_event_type_names_the_types_there_are(simulate) -> None:
    report, errors = simulate([{**purchase("p-1"), "type": "purchace"}, purchase("p-2")])
    (error,) = errors
    assert error.startswith("1: skipped: unknown event type 'purchace'") and "purchase" in error
    assert balance(report, "m-1") == 10


def test_lines_that_are_not_json_objects_are_skipped(simulate) -> None:
    report, errors = simulate(["[1, 2]", "{not json", '"text"', "{" * 100_000 + "}" * 100_000, purchase("p-1")])
    assert [e.split(":")[0] for e in errors] == ["1", "2", "3", "4"]
    assert balance(report, "m-1") == 10


def test_a_csv_file_with_a_bom_and_bad_cells_keeps_its_good_rows(simulate) -> None:
    text = ("\ufeffid,type,member,at,amount\n"
            f"p-1,purchase,m-1,{AT},10000\n"
            f"p-2,purchase,m-1,{AT},ten\n"
            f"p-3,purchase,m-1,{AT},-5\n"
            f"p-4,purchase,m-1,9999-01-01,10000\n"
            f"p-5,purchase,m-1,{AT},{10**30}\n"
            f"p-6,purchase,m-1,{AT},10000,extra\n"
            f"p-7,purchase,m-1,{AT},10000\n")
    report, errors = simulate(text.encode("utf-8"), name="events.csv")
    assert [e.split(":")[0] for e in errors] == ["3", "4", "5", "6", "7"]
    assert "numeric 'amount'" in errors[0]
    assert "must not be negative" in errors[1]
    assert "'at'" in errors[2]
    assert "too large" in errors[3]
    assert "more cells" in errors[4]
    assert balance(report, "m-1") == 20


# --- any row at all ---------------------------------------------------------------------

_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**25, 10**25), st.text(max_size=8),
                     st.sampled_from(["purchase", "refund", "redeem", "signup", "claim", "event", "referral",
                                      AT, "9999-12-31", "0001-01-01T00:00:00-12:00", "1e30", "-0", "NaN", "mug"]),
                     st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str))
_VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                         st.dictionaries(st.text(max_size=5), inner, max_size=3)),
                       max_leaves=8)
_ROWS = st.dictionaries(st.sampled_from(["id", "type", "member", "at", "amount", "of", "reward", "offer", "name",
                                         "items", "attrs", "sku", "qty", "price"]), _VALUES, max_size=9)


PROGRAM = compile_rulebook(RULEBOOK, "program.rules", default_registry())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(rows=st.lists(_ROWS, min_size=1, max_size=8))
def test_any_rows_are_read_or_reported_and_the_engine_takes_what_is_read(tmp_path: Path, rows: list[dict[str, Any]]) -> None:
    path = tmp_path / "any.jsonl"
    path.write_text("\n".join(json.dumps(row, default=str) for row in rows) + "\n", encoding="utf-8")
    read = read_events(path, PROGRAM.settings.tz)
    assert len(read.events) + len(read.errors) == len(rows)
    assert all(error.message for error in read.errors)
    report = simulation.simulate(PROGRAM, read.events)
    assert sum(report.status.values()) == len(read.events)


@pytest.mark.parametrize("as_of", ["1800-01-01", "9999-12-31T23:59:59"])
def test_an_as_of_outside_the_years_of_events_is_refused(tmp_path: Path, as_of: str) -> None:
    rulebook, events = tmp_path / "program.rules", tmp_path / "events.jsonl"
    rulebook.write_text(RULEBOOK, encoding="utf-8")
    events.write_text(as_line(purchase("p-1")) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["simulate", str(rulebook), str(events), "--as-of", as_of])
    assert result.exit_code == 2
    assert f"'{as_of}' is outside the years 1900 to 2199" in result.stderr
