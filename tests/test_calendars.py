"""Dates and times in the rulebook's calendar and zone (spec §2 literals, §3 PERIOD, §6 timestamps)."""

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules_engine.calendars import (
    LocalDates,
    add_duration,
    format_date,
    month_shifter,
    parse_timestamp,
    resolve_date,
    subtract_duration,
)

TEHRAN = ZoneInfo("Asia/Tehran")
BERLIN = ZoneInfo("Europe/Berlin")
UTC = timezone.utc


def tehran(*args: int) -> datetime:
    return datetime(*args, tzinfo=TEHRAN)


def jalali_midnight(year: int, month: int, day: int) -> datetime:
    return datetime.combine(resolve_date("jalali", year, month, day), datetime.min.time(), TEHRAN)


def jalali_day(at: datetime) -> str:
    """The Jalali date a Tehran customer sees at instant `at`."""
    return format_date("jalali", at.astimezone(TEHRAN).date())


# --- resolve_date ------------------------------------------------------------


def test_nowruz_1405_is_21_march_2026() -> None:
    assert resolve_date("jalali", 1405, 1, 1) == date(2026, 3, 21)


def test_gregorian_dates_are_taken_as_written() -> None:
    assert resolve_date("gregorian", 2026, 3, 21) == date(2026, 3, 21)


def test_esfand_has_30_days_in_the_jalali_leap_year_1403() -> None:
    assert resolve_date("jalali", 1403, 12, 30) == date(2025, 3, 20)


def test_esfand_30_of_a_common_jalali_year_is_refused_with_the_month_length() -> None:
    with pytest.raises(ValueError, match=r"1405-12-30 is not a day of the Jalali calendar \(month 12 of 1405 has 29 days\)"):
        resolve_date("jalali", 1405, 12, 30)


def test_esfand_31_is_refused_even_in_a_leap_year() -> None:
    with pytest.raises(ValueError, match="month 12 of 1403 has 30 days"):
        resolve_date("jalali", 1403, 12, 31)


def test_mehr_has_only_30_days() -> None:
    with pytest.raises(ValueError, match="month 7 of 1403 has 30 days"):
        resolve_date("jalali", 1403, 7, 31)


def test_month_13_is_refused() -> None:
    with pytest.raises(ValueError, match="there is no month 13"):
        resolve_date("jalali", 1405, 13, 1)


def test_day_zero_is_refused() -> None:
    with pytest.raises(ValueError, match="is not a day of the Gregorian calendar"):
        resolve_date("gregorian", 2026, 3, 0)


def test_29_february_exists_only_in_gregorian_leap_years() -> None:
    assert resolve_date("gregorian", 2024, 2, 29) == date(2024, 2, 29)
    with pytest.raises(ValueError, match="month 2 of 2026 has 28 days"):
        resolve_date("gregorian", 2026, 2, 29)


def test_an_unknown_calendar_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown calendar 'hijri'"):
        resolve_date("hijri", 1447, 1, 1)


# --- format_date -------------------------------------------------------------


def test_format_date_writes_the_jalali_date() -> None:
    assert format_date("jalali", date(2026, 3, 21)) == "1405-01-01"


def test_format_date_pads_gregorian_months_and_days() -> None:
    assert format_date("gregorian", date(2026, 3, 1)) == "2026-03-01"


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)), st.sampled_from(["jalali", "gregorian"]))
def test_a_formatted_date_resolves_back_to_itself(d: date, calendar: str) -> None:
    year, month, day = map(int, format_date(calendar, d).split("-"))
    assert resolve_date(calendar, year, month, day) == d


# --- add_duration / subtract_duration -----------------------------------------


def test_days_are_exact_24_hour_spans_even_across_a_dst_change() -> None:
    before_dst = datetime(2026, 3, 28, 12, 0, tzinfo=BERLIN)
    later = add_duration(before_dst, 1, "days", "gregorian", BERLIN)
    assert later.timestamp() - before_dst.timestamp() == 24 * 3600
    assert later.astimezone(BERLIN).hour == 13


def test_weeks_are_seven_days() -> None:
    at = tehran(2026, 3, 21, 10, 15)
    assert add_duration(at, 2, "weeks", "jalali", TEHRAN) == at + timedelta(days=14)


def test_adding_a_jalali_month_clamps_to_the_end_of_a_shorter_month() -> None:
    later = add_duration(jalali_midnight(1403, 6, 31), 1, "months", "jalali", TEHRAN)
    assert jalali_day(later) == "1403-07-30"


def test_adding_a_month_keeps_the_local_time_of_day() -> None:
    later = add_duration(tehran(2026, 3, 21, 10, 15), 1, "months", "jalali", TEHRAN)
    assert later == tehran(2026, 4, 21, 10, 15)


def test_months_keep_which_of_a_repeated_hour_was_meant() -> None:
    # Summer time ends in Berlin on 26 October both in 2025 and in 2031: 02:00-03:00 comes twice.
    first = datetime(2025, 10, 26, 2, 30, tzinfo=BERLIN)
    second = datetime(2025, 10, 26, 2, 30, fold=1, tzinfo=BERLIN)
    assert add_duration(first, 72, "months", "gregorian", BERLIN) == datetime(2031, 10, 26, 0, 30, tzinfo=UTC)
    assert add_duration(second, 72, "months", "gregorian", BERLIN) == datetime(2031, 10, 26, 1, 30, tzinfo=UTC)


def test_a_month_landing_in_the_hour_summer_time_skips_moves_forward_by_the_gap() -> None:
    later = add_duration(datetime(2026, 1, 29, 2, 30, tzinfo=BERLIN), 2, "months", "gregorian", BERLIN)
    assert later == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 summer time: 02:30 did not exist


def test_months_are_counted_in_the_rulebook_calendar() -> None:
    at = jalali_midnight(1403, 12, 1)  # 2025-02-19
    assert add_duration(at, 1, "months", "jalali", TEHRAN) == tehran(2025, 3, 21)  # 1404-01-01
    assert add_duration(at, 1, "months", "gregorian", TEHRAN) == tehran(2025, 3, 19)


def test_months_are_counted_from_the_local_day_not_the_utc_day() -> None:
    at = datetime(2024, 9, 21, 22, 0, tzinfo=UTC)  # already 1403-07-01 01:30 in Tehran
    later = add_duration(at, 1, "months", "jalali", TEHRAN)
    assert later == jalali_midnight(1403, 8, 1) + timedelta(hours=1, minutes=30)


def test_a_year_after_esfand_30_of_a_leap_year_is_esfand_29() -> None:
    later = add_duration(jalali_midnight(1403, 12, 30), 1, "years", "jalali", TEHRAN)
    assert jalali_day(later) == "1404-12-29"


def test_adding_a_gregorian_month_to_31_january_gives_the_last_of_february() -> None:
    at = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
    assert add_duration(at, 1, "months", "gregorian", ZoneInfo("UTC")) == datetime(2026, 2, 28, 9, 0, tzinfo=UTC)


def test_subtracting_months_mirrors_adding_them() -> None:
    earlier = subtract_duration(jalali_midnight(1403, 7, 30), 1, "months", "jalali", TEHRAN)
    assert jalali_day(earlier) == "1403-06-30"


def test_subtracting_days_goes_back_in_time() -> None:
    at = tehran(2026, 3, 21, 10, 15)
    assert subtract_duration(at, 90, "days", "jalali", TEHRAN) == at - timedelta(days=90)


def test_the_result_is_a_utc_instant_comparable_with_the_given_time() -> None:
    at = tehran(2026, 3, 21, 10, 15)
    later = add_duration(at, 1, "months", "jalali", TEHRAN)
    assert later.tzinfo is UTC
    assert later > at


def test_an_unknown_duration_unit_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown duration unit 'fortnights'"):
        add_duration(tehran(2026, 3, 21), 1, "fortnights", "jalali", TEHRAN)


# --- parse_timestamp ---------------------------------------------------------


def test_a_timestamp_with_an_offset_names_that_instant() -> None:
    assert parse_timestamp("2026-03-21T10:15:00+03:30", TEHRAN) == datetime(2026, 3, 21, 6, 45, tzinfo=UTC)


def test_a_timestamp_without_an_offset_is_in_the_rulebook_zone() -> None:
    assert parse_timestamp("2026-03-21T10:15:00", TEHRAN) == tehran(2026, 3, 21, 10, 15)


def test_a_space_may_separate_date_and_time() -> None:
    assert parse_timestamp("2026-03-21 10:15:00", TEHRAN) == tehran(2026, 3, 21, 10, 15)


def test_z_means_utc() -> None:
    assert parse_timestamp("2026-03-21T10:15:00Z", TEHRAN) == datetime(2026, 3, 21, 10, 15, tzinfo=UTC)


def test_a_bare_date_is_local_midnight() -> None:
    assert parse_timestamp("2026-03-21", TEHRAN) == tehran(2026, 3, 21, 0, 0)


def test_parsed_timestamps_are_in_utc() -> None:
    assert parse_timestamp("2026-03-21 10:15", TEHRAN).tzinfo is UTC


def test_text_that_is_not_a_timestamp_is_refused_with_an_example() -> None:
    with pytest.raises(ValueError, match=r"'yesterday' is not a timestamp \(expected ISO 8601 such as"):
        parse_timestamp("yesterday", TEHRAN)


def test_an_impossible_date_in_a_timestamp_is_refused() -> None:
    with pytest.raises(ValueError, match="is not a timestamp"):
        parse_timestamp("2026-02-30T10:00:00", TEHRAN)


def test_a_timestamp_that_cannot_be_placed_in_utc_is_refused() -> None:
    with pytest.raises(ValueError, match="too close to the year 1 or 9999"):
        parse_timestamp("0001-01-01T00:00:00+03:30", TEHRAN)


@pytest.mark.parametrize("zone", ["Asia/Tehran", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"])
@pytest.mark.parametrize("months", [1, 12, -1])
def test_moving_months_from_utc_lands_where_the_wall_clock_does(zone: str, months: int) -> None:
    # Given the instant in UTC too, a shift skips the conversion back from the wall clock on days without a clock
    # change; every half hour of three years (clock-change days, repeated and skipped hours among them) must agree.
    tz = ZoneInfo(zone)
    shift, by_wall_clock = month_shifter(months, "jalali", tz), month_shifter(months, "jalali", tz)
    at = datetime(2019, 1, 1, tzinfo=timezone.utc)
    while at.year < 2022:
        local = at.astimezone(tz)
        assert shift(local, at) == by_wall_clock(local), local
        at += timedelta(minutes=30)


@pytest.mark.parametrize("zone", ["Asia/Tehran", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"])
def test_a_steady_local_date_is_the_wall_clock_date_and_never_a_repeated_hour(zone: str) -> None:
    # every 20 minutes of three years, clock-change days and their repeated and skipped hours among them
    tz = ZoneInfo(zone)
    dates, shift = LocalDates(tz), month_shifter(12, "jalali", tz)
    at, answered, refused = datetime(2019, 1, 1, tzinfo=timezone.utc), 0, 0
    while at.year < 2022:
        local = at.astimezone(tz)
        today = dates.steady(at)
        if today is None:
            refused += 1
        else:
            answered += 1
            assert (today, local.fold) == (local.date(), 0), local
            moved = shift.steady(today, at)
            assert moved is None or moved == shift(local), local
        at += timedelta(minutes=20)
    assert answered > 50 * refused  # only the days around a clock change go the long way


def test_a_local_date_of_an_instant_not_in_utc_is_left_to_the_wall_clock() -> None:
    assert LocalDates(TEHRAN).steady(datetime(2026, 1, 1, 12, tzinfo=TEHRAN)) is None
