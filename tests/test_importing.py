"""Importing other people's exports: column maps, date formats, amounts, and bad rows."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from rules_engine.cli import main
from rules_engine.importing import Import, MapError, import_rows, parse_amount, parse_date, parse_map
from rules_engine.readers import RowError, read_events

CDNOW = "00001 19970101 1 11.77\n00002 19970112 1 12.00\n00002 19970112 5 77.00\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_map_names_our_field_then_their_column():
    assert parse_map("member=customer_id, at=date,amount=dollar_value") == {
        "member": "customer_id", "at": "date", "amount": "dollar_value"}


@pytest.mark.parametrize("text, complaint", [
    ("member=customer_id", "which column holds at"),
    ("member=customer_id,at", "is not field=column"),
    ("member=a,at=b,member=c", "names field 'member' twice"),
])
def test_a_map_that_cannot_work_is_refused_with_an_example(text, complaint):
    with pytest.raises(MapError, match=complaint):
        parse_map(text)


def test_a_headerless_whitespace_export_maps_columns_by_number(tmp_path):
    path = write(tmp_path, "cdnow.txt", CDNOW)
    spec = Import(parse_map("member=1,at=2,qty=3,amount=4"), delimiter=None, header=False)
    rows = list(import_rows(path, spec))
    assert rows[0] == {"id": "cdnow-1", "type": "purchase", "member": "00001", "at": "1997-01-01", "qty": 1,
                       "amount": "11.77"}
    assert [r["amount"] for r in rows[1:]] == [12, 77]


def test_columns_the_map_does_not_name_stay_as_event_fields(tmp_path):
    path = write(tmp_path, "sales.csv", "customer_id,date,dollar_value,channel\nc7,2026-03-21,250000,app\n")
    (row,) = import_rows(path, Import(parse_map("member=customer_id,at=date,amount=dollar_value")))
    assert row["channel"] == "app"
    assert "customer_id" not in row


@pytest.mark.parametrize("text, fmt, calendar, iso", [
    ("19970101", None, "gregorian", "1997-01-01"),
    ("1997/01/31", None, "gregorian", "1997-01-31"),
    ("2026-03-21 10:15", None, "gregorian", "2026-03-21T10:15:00"),
    ("2026-03-21T10:15:00+03:30", None, "gregorian", "2026-03-21T10:15:00+03:30"),
    ("21/03/2026", "%d/%m/%Y", "gregorian", "2026-03-21T00:00:00"),
    ("1404/01/01", None, "jalali", "2025-03-21"),
    ("14040101", None, "jalali", "2025-03-21"),
    ("1404/02/30", "%Y/%m/%d", "jalali", "2025-05-20T00:00:00"),  # no 30th of a Gregorian February
    ("31-04-1404 14:05", "%d-%m-%Y %H:%M", "jalali", "2025-07-22T14:05:00"),
])
def test_dates_are_read_in_the_common_export_formats(text, fmt, calendar, iso):
    assert parse_date(text, fmt, calendar) == iso


def test_a_date_that_does_not_exist_says_why():
    with pytest.raises(ValueError, match="month 2 of 1997 has 28 days"):
        parse_date("19970230", None)


def test_a_jalali_date_that_does_not_exist_in_the_given_format_says_so():
    with pytest.raises(ValueError, match=r"'1404/12/30' is not a Jalali date in the format %Y/%m/%d"):
        parse_date("1404/12/30", "%Y/%m/%d", "jalali")


def test_amounts_lose_currency_signs_and_separators_and_can_be_scaled():
    assert parse_amount("$1,234.50") == "1234.5"
    assert parse_amount("12.5", Decimal(60_000)) == 750_000


def test_a_bad_row_is_reported_with_its_line_and_the_rest_still_imports(tmp_path):
    path = write(tmp_path, "sales.csv", "cust,day,total\nc1,20260321,100\nc2,someday,200\nc3,20260322,abc\nc4,20260323,300\n")
    rows = list(import_rows(path, Import(parse_map("member=cust,at=day,amount=total"))))
    errors = [r for r in rows if isinstance(r, RowError)]
    assert [(e.line, e.message) for e in errors] == [
        (3, "'someday' is not a date this importer knows; give --date-format (for example %d/%m/%Y for 21/03/2026)"),
        (4, "amount 'abc' is not a number")]
    assert [r["member"] for r in rows if isinstance(r, dict)] == ["c1", "c4"]


def test_a_map_naming_a_missing_column_lists_the_header(tmp_path):
    path = write(tmp_path, "sales.csv", "cust,day,total\nc1,20260321,100\n")
    with pytest.raises(MapError, match=r"no column 'customer_id' \(it has: cust, day, total\)"):
        list(import_rows(path, Import(parse_map("member=customer_id,at=day"))))


def test_loyalty_import_writes_events_that_simulate_reads(tmp_path):
    export = write(tmp_path, "cdnow.txt", CDNOW)
    out = tmp_path / "events.jsonl"
    result = CliRunner().invoke(main, ["import", str(export), "--map", "member=1,at=2,amount=4", "--no-header",
                                       "--delimiter", "space", "--scale", "60000", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["amount"] for line in out.read_text().splitlines()] == [706_200, 720_000, 4_620_000]
    read = read_events(out, ZoneInfo("Asia/Tehran"))
    assert read.errors == () and len(read.events) == 3


def test_loyalty_import_exits_1_after_skipping_rows(tmp_path):
    export = write(tmp_path, "sales.csv", "cust,day,total\nc1,20260321,100\nc2,nope,1\n")
    result = CliRunner().invoke(main, ["import", str(export), "--map", "member=cust,at=day,amount=total"])
    assert result.exit_code == 1
    assert "sales.csv:3: skipped:" in result.output
