"""Importing other people's exports: column maps, date formats, amounts, and bad rows."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from rules_engine.cli import main
from rules_engine.importing import (Import, MapError, import_rows, parse_amount, parse_date, parse_delimiter,
                                    parse_map, parse_scale)
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
    assert parse_amount("$1,234.50") == ("1234.5", "$")
    assert parse_amount("12.5", Decimal(60_000)) == (750_000, None)


@pytest.mark.parametrize("text, value, currency", [
    ("-$100", -100, "$"),
    ("USD -3.25", "-3.25", "USD"),
    ("۱۲۰٬۰۰۰ تومان", 120_000, "toman"),
    ("1,200,000 IRR", 1_200_000, "rial"),
    ("٣٫٥ ﷼", "3.5", "rial"),
    (".5", "0.5", None),
])
def test_an_amount_may_have_a_sign_a_currency_on_either_side_and_persian_digits(text, value, currency):
    assert parse_amount(text) == (value, currency)


@pytest.mark.parametrize("text, why", [
    ("1.234,50", "separators in the wrong places"),
    ("1,23", "separators in the wrong places"),
    ("(100)", "parentheses"),
    ("1e5", "exponent notation"),
    ("USD 100, fee 5", "not one number"),
    ("12 items", "'items' is not a currency"),
    ("+-5", "not one number"),
    ("$5 USD", "not one number"),
])
def test_an_amount_that_is_not_plainly_one_number_is_refused_with_the_reason(text, why):
    with pytest.raises(ValueError, match=re.escape(why)):
        parse_amount(text)


def test_a_scaled_amount_the_engine_could_not_take_is_refused():
    with pytest.raises(ValueError, match=r"× 60000 is too large"):
        parse_amount("99999999999999", Decimal(60_000))


def test_amounts_are_scaled_exactly_beyond_decimal_precision():
    assert parse_amount("0.1234567890123456789012345678901", Decimal(3)) == ("0.3703703670370370367037037036703", None)


def test_an_amount_in_another_currency_than_earlier_rows_is_refused(tmp_path):
    path = write(tmp_path, "sales.csv", "cust,day,total\nc1,20260321,USD 10\nc2,20260321,EUR 10\nc3,20260321,7\n")
    rows = list(import_rows(path, Import(parse_map("member=cust,at=day,amount=total"))))
    assert rows[1] == RowError(3, "amount 'EUR 10' is in EUR, but line 2 is in USD; one --scale cannot convert "
                                  "both: import each currency on its own")
    assert [r["amount"] for r in rows if isinstance(r, dict)] == [10, 7]


@pytest.mark.parametrize("text", ["Infinity", "NaN", "1e999999", "-1", "0", "1e18"])
def test_a_scale_must_be_a_finite_number_above_zero_and_below_10_18(text):
    with pytest.raises(ValueError, match="cannot scale amounts"):
        parse_scale(text)


@pytest.mark.parametrize("text", [";;", "", '"', "\n"])
def test_a_delimiter_is_one_character_other_than_a_quote_or_a_line_break(text):
    with pytest.raises(ValueError, match="is not a cell separator"):
        parse_delimiter(text)


def test_tab_and_space_name_their_delimiters():
    assert (parse_delimiter("tab"), parse_delimiter("space"), parse_delimiter(";")) == ("\t", None, ";")


def test_a_row_that_is_not_utf8_is_reported_with_its_line_and_the_rest_still_imports(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes(b"cust,day\nJos\xe9,20260321\nJos\xe8,20260321\nbob,20260321\n")
    rows = list(import_rows(path, Import(parse_map("member=cust,at=day"))))
    assert [r.line for r in rows if isinstance(r, RowError)] == [2, 3]
    assert "not valid UTF-8" in rows[0].message
    assert [r["member"] for r in rows if isinstance(r, dict)] == ["bob"]


def test_a_header_that_is_not_utf8_stops_the_import_at_line_1(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes(b"cust,d\xe9te\nc1,20260321\n")
    assert list(import_rows(path, Import(parse_map("member=cust,at=2")))) == [
        RowError(1, "the header is not valid UTF-8 text (save the export as UTF-8 and import it again)")]


def test_a_record_the_csv_module_cannot_read_is_a_row_error(tmp_path):
    path = write(tmp_path, "big.csv", f"cust,day\nc1,20260321\nc2,{'x' * 200_000}\nc3,20260322\n")
    rows = list(import_rows(path, Import(parse_map("member=cust,at=day"))))
    assert isinstance(rows[1], RowError) and rows[1].line == 3 and "not valid CSV" in rows[1].message
    assert rows[2]["member"] == "c3"


@pytest.mark.parametrize("header, option", [("cust;day;total", "';'"), ("cust\tday\ttotal", "tab")])
def test_a_header_read_as_one_cell_suggests_the_delimiter_it_holds(tmp_path, header, option):
    path = write(tmp_path, "semi.csv", f"{header}\nc1;20260321;5\n")
    with pytest.raises(MapError, match=re.escape(f"give --delimiter {option}")):
        list(import_rows(path, Import(parse_map("member=cust,at=day"))))


@pytest.mark.parametrize("text", ["۱۴۰۴/۱۰/۱۵", "14041015", "1399-01-01"])
def test_a_gregorian_date_with_a_jalali_year_asks_for_the_jalali_calendar(text):
    with pytest.raises(ValueError, match="a Jalali year: give --calendar jalali"):
        parse_date(text, None)


def test_a_jalali_date_with_a_gregorian_year_suggests_leaving_out_the_calendar():
    with pytest.raises(ValueError, match="outside the years 1900 to 2199; a Gregorian date"):
        parse_date("2026/03/21", None, "jalali")


@pytest.mark.parametrize("text, fmt", [("1850-01-01", None), ("01/01/2300", "%d/%m/%Y")])
def test_a_date_outside_the_years_events_may_have_is_refused(text, fmt):
    with pytest.raises(ValueError, match="outside the years 1900 to 2199"):
        parse_date(text, fmt)


def test_a_row_of_a_type_no_event_has_is_refused(tmp_path):
    path = write(tmp_path, "sales.csv", "cust,day,kind\nc1,20260321,sale\n")
    (row,) = import_rows(path, Import(parse_map("member=cust,at=day,type=kind")))
    assert row == RowError(2, "type 'sale' is not an event type (expected one of purchase, refund, signup, redeem, "
                              "claim, event, referral)")


def test_a_bad_row_is_reported_with_its_line_and_the_rest_still_imports(tmp_path):
    path = write(tmp_path, "sales.csv", "cust,day,total\nc1,20260321,100\nc2,someday,200\nc3,20260322,abc\nc4,20260323,300\n")
    rows = list(import_rows(path, Import(parse_map("member=cust,at=day,amount=total"))))
    errors = [r for r in rows if isinstance(r, RowError)]
    assert [(e.line, e.message) for e in errors] == [
        (3, "'someday' is not a date this importer knows; give --date-format (for example %d/%m/%Y for 21/03/2026)"),
        (4, "amount 'abc' is not one number (like 1250, -3.5, $1,234.50, 1,200,000 IRR or ۱۲۰٬۰۰۰ تومان)")]
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
