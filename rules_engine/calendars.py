"""Dates and times as a rulebook sees them: in its calendar and its time zone.

A rulebook writes dates in its own calendar (`calendar jalali`) and means wall-clock
time in its own zone (`timezone "Asia/Tehran"`), while the engine orders and
compares instants. This module is the one place where the two views meet, so the
rest of the engine never touches `jdatetime` or zone rules directly.
"""

from __future__ import annotations

from calendar import monthrange
from functools import lru_cache
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import jdatetime

from rules_engine.dsl.literals import ascii_digits

CALENDARS: tuple[str, ...] = ("jalali", "gregorian")
UNITS: tuple[str, ...] = ("days", "weeks", "months", "years")

_JALALI_MONTH_DAYS = (31, 31, 31, 31, 31, 31, 30, 30, 30, 30, 30, 29)


def resolve_date(calendar: str, year: int, month: int, day: int) -> date:
    """The Gregorian date of a day written in `calendar`.

    Checks the day ourselves rather than trusting the library's exception, so a
    rulebook author is told why the date does not exist, not just that it failed.
    """
    name = _calendar_title(calendar)
    if not 1 <= year <= _max_year(calendar):
        raise ValueError(f"{_show(year, month, day)} is not a day of the {name} calendar (year {year} is out of range)")
    if not 1 <= month <= 12:
        raise ValueError(f"{_show(year, month, day)} is not a day of the {name} calendar (there is no month {month})")
    length = _days_in_month(calendar, year, month)
    if not 1 <= day <= length:
        raise ValueError(
            f"{_show(year, month, day)} is not a day of the {name} calendar "
            f"(month {month} of {year} has {length} days)"
        )
    if calendar == "jalali":
        return jdatetime.date(year, month, day).togregorian()
    return date(year, month, day)


def format_date(calendar: str, d: date) -> str:
    """`d` written as YYYY-MM-DD in `calendar`, the way a rulebook author writes it."""
    return _show(*_split(calendar, d))


def add_duration(at: datetime, count: int, unit: str, calendar: str, tz: ZoneInfo) -> datetime:
    """`at` moved `count` units later, as an instant in UTC like those `parse_timestamp` gives.

    Days and weeks are exact spans of 24 hours, so windows like `spend_90d` do not
    stretch or shrink across a daylight-saving change. Months and years follow the
    rulebook's calendar on the local wall clock, since "one month" from the 31st
    of Shahrivar means the last day of Mehr to a Tehran customer, not 30 days.
    """
    at = _aware(at)
    if unit in ("days", "weeks"):
        span = timedelta(days=count) if unit == "days" else timedelta(weeks=count)
        return at.astimezone(timezone.utc) + span
    if unit in ("months", "years"):
        months = count if unit == "months" else 12 * count
        return _add_months(at, months, calendar, tz)
    raise ValueError(f"unknown duration unit '{unit}' (expected {', '.join(UNITS)})")


def subtract_duration(at: datetime, count: int, unit: str, calendar: str, tz: ZoneInfo) -> datetime:
    """`at` moved `count` units earlier; the mirror of `add_duration`."""
    return add_duration(at, -count, unit, calendar, tz)


def parse_timestamp(text: str, tz: ZoneInfo) -> datetime:
    """The instant named by an ISO 8601 timestamp, as an aware datetime in UTC.

    A timestamp without an offset is wall-clock time in `tz`; a bare date is
    midnight there. The result is in UTC so that ordering and timedelta
    arithmetic are exact however the source wrote its offsets; `astimezone(tz)`
    reads the wall clock back.
    """
    cleaned = text.strip()
    if not cleaned.isascii():  # Iranian exports write ۲۰۲۶-۰۳-۲۱ as often as 2026-03-21
        cleaned = ascii_digits(cleaned)
    try:
        parsed = datetime.fromisoformat(cleaned)
    except ValueError:
        raise ValueError(
            f"'{text}' is not a timestamp (expected ISO 8601 such as "
            "2026-03-21T10:15:00+03:30, 2026-03-21 10:15:00 or 2026-03-21)"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    try:
        return parsed.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError(f"'{text}' is too close to the year 1 or 9999 to place in time") from None


def _add_months(at: datetime, months: int, calendar: str, tz: ZoneInfo) -> datetime:
    return month_shifter(months, calendar, tz)(at)


@lru_cache(maxsize=64)
def month_shifter(months: int, calendar: str, tz: ZoneInfo) -> MonthShifter:
    """Instants moved `months` calendar months on the local wall clock, made once per count, calendar and zone."""
    return MonthShifter(months, calendar, tz)


class MonthShifter:
    """Instants moved some calendar months on the local wall clock, the day clamped to the month's end.

    The engine keeps one for its expiry rule. What happens to each local date is cached: every lot earned
    on one day expires on one day, so a year of earnings works out about 365 dates. Unless a clock change
    falls on either day, the answer is the instant in UTC plus the cached span, without converting from the
    wall clock back to UTC (a zone lookup per call): `shift(local, utc)` when the caller has both, and
    `steady(day, utc)` when it knows the local date is steady (`LocalDates`) and has not worked out the
    wall-clock time at all.
    """

    def __init__(self, months: int, calendar: str, tz: ZoneInfo) -> None:
        self.months = months
        self.calendar = calendar
        self.tz = tz
        self.moves: dict[date, tuple[timedelta, timedelta | None]] = {}

    def _move(self, today: date) -> tuple[timedelta, timedelta | None]:
        """The days to add, and the span the instant moves by when neither day has a clock change."""
        found = self.moves.get(today)
        if found is None:
            step = _shift_date(self.calendar, today, self.months) - today
            before, after = _steady_offset(today, self.tz), _steady_offset(today + step, self.tz)
            # the span: the same wall clock on the new day, in UTC
            found = self.moves[today] = (step, None if before is None or after is None else step + before - after)
        return found

    def steady(self, today: date, utc: datetime) -> datetime | None:
        """`utc`, an instant in UTC whose local date is `today` and whose wall time is not a repeated one, moved;
        None when a clock change falls on either day, for `__call__` to move the wall clock instead."""
        span = self._move(today)[1]
        return utc + span if span is not None else None

    def __call__(self, at: datetime, utc: datetime | None = None) -> datetime:
        """`at` moved; `utc`, the same instant in UTC (`timezone.utc`), when the caller has it."""
        local = at.astimezone(self.tz)  # free when `at` is already local time in the zone
        step, span = self._move(local.date())
        if span is not None and utc is not None and utc.tzinfo is timezone.utc and not local.fold:
            return utc + span
        # The same wall-clock time on the new day: adding whole days to an aware time moves its wall clock
        # (and is much cheaper than `replace`), though it drops the fold an ambiguous time may carry.
        wall = local + step
        if local.fold:
            wall = wall.replace(fold=1)
        # Round-tripping through UTC moves a wall time skipped by a DST jump forward by the gap.
        return wall.astimezone(timezone.utc)


class LocalDates:
    """The local dates of instants in one zone, worked out once per UTC day that no clock change is near.

    Converting an instant to the zone's wall clock (`astimezone`) asks the zone for its offsets and builds
    a new time at each call: the dearest step of a purchase in a rulebook with a `during` or an expiry in
    months. When neither the instant's UTC day nor the day before has a clock change, every instant of the
    day is one span from its wall-clock time, no wall time it shows is a repeated one (a repeat follows a
    change by less than a day), and its local date is the date of the instant plus that span.
    """

    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz
        self.offsets: dict[int, timedelta] = {}  # by UTC day ordinal; _UNSTEADY for a day a clock change is near

    def steady(self, at: datetime) -> date | None:
        """The local date of `at`, when it is in UTC on a steady day (see above); None otherwise."""
        if at.tzinfo is not timezone.utc:
            return None
        day = at.toordinal()
        offset = self.offsets.get(day)
        if offset is None:
            offset = self.offsets[day] = self._offset(day)
        return (at + offset).date() if offset is not _UNSTEADY else None

    def _offset(self, day: int) -> timedelta:
        """The zone's offset throughout UTC day `day` and the day before, or _UNSTEADY if it changes."""
        start = datetime.combine(date.fromordinal(day - 1), time(0), timezone.utc)
        probes = [start + timedelta(hours=hours) for hours in range(0, 48, 3)] + [start + timedelta(days=2, microseconds=-1)]
        found = {probe.astimezone(self.tz).utcoffset() for probe in probes}
        offset = found.pop() if len(found) == 1 else None
        return offset if offset is not None else _UNSTEADY


_UNSTEADY = timedelta.max  # no offset: a clock change falls on the day or the day before


def _steady_offset(day: date, tz: ZoneInfo) -> timedelta | None:
    """The day's offset from UTC, or None if a clock change falls on it (none falls twice in one day)."""
    offsets = {datetime.combine(day, at, tz).utcoffset() for at in (time(0), time(12), time(23, 59, 59, 999999))}
    return offsets.pop() if len(offsets) == 1 else None


def _shift_date(calendar: str, day: date, months: int) -> date:
    """The same day of the month `months` later, clamped to the month's end."""
    start = _split(calendar, day)
    year, month = divmod(start[0] * 12 + (start[1] - 1) + months, 12)
    month += 1
    if not 1 <= year <= _max_year(calendar):
        raise ValueError(f"moving {months:+d} months from {_show(*start)} leaves the {_calendar_title(calendar)} calendar")
    return resolve_date(calendar, year, month, min(start[2], _days_in_month(calendar, year, month)))


def _split(calendar: str, d: date) -> tuple[int, int, int]:
    """`d` as (year, month, day) in `calendar`."""
    if _check(calendar) == "jalali":
        j = jdatetime.date.fromgregorian(date=d)
        return j.year, j.month, j.day
    return d.year, d.month, d.day


def _days_in_month(calendar: str, year: int, month: int) -> int:
    if _check(calendar) == "jalali":
        if month == 12 and jdatetime.date(year, 1, 1).isleap():
            return 30
        return _JALALI_MONTH_DAYS[month - 1]
    return monthrange(year, month)[1]


def _max_year(calendar: str) -> int:
    return jdatetime.MAXYEAR if _check(calendar) == "jalali" else 9999


def _check(calendar: str) -> str:
    if calendar not in CALENDARS:
        raise ValueError(f"unknown calendar '{calendar}' (expected {' or '.join(CALENDARS)})")
    return calendar


def _calendar_title(calendar: str) -> str:
    return _check(calendar).capitalize()


def _aware(at: datetime) -> datetime:
    """Refuse naive datetimes: which instant they mean would depend on the host's zone."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{at.isoformat()} has no time zone; the engine only works with aware datetimes")
    return at


def _show(year: int, month: int, day: int) -> str:
    return f"{year:04d}-{month:02d}-{day:02d}"
