"""Built-in functions rule conditions can call: `is_holiday(date)`.

Iran's official holidays that fall on a fixed day of the solar (Jalali) year are
built in. The lunar (religious) holidays move every year, so the operator adds
them, and any company days off, in a dates file named by LOYALTY_HOLIDAYS: one
date a line, `YYYY-MM-DD`, a year below 1700 meaning a Jalali date (1405-01-15)
and any other a Gregorian one (2026-04-04); `#` starts a comment. The file is
read when the plugins are loaded, so a bad line stops the command before any
event is evaluated.
"""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

import jdatetime

from rules_engine.calendars import resolve_date
from rules_engine.plugins.hookspecs import hookimpl
from rules_engine.plugins.registry import DslFunction

HOLIDAYS_ENV = "LOYALTY_HOLIDAYS"
JALALI_BEFORE_YEAR = 1700

# (month, day) of the Jalali year.
IRAN_SOLAR_HOLIDAYS: frozenset[tuple[int, int]] = frozenset({
    (1, 1), (1, 2), (1, 3), (1, 4),  # Nowruz
    (1, 12),  # Islamic Republic Day
    (1, 13),  # Sizdah Bedar (Nature Day)
    (3, 14),  # death of Imam Khomeini
    (3, 15),  # 15 Khordad uprising
    (11, 22),  # Revolution Day
    (12, 29),  # nationalisation of the oil industry
})

_LINE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})\Z")


class HolidaysFileError(ValueError):
    """A dates file line that is not a date, reported as `path:line: what`."""


def read_holidays(path: Path) -> frozenset[date]:
    """The Gregorian dates listed in an operator's holidays file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise HolidaysFileError(f"{path}: cannot read the holidays file named by {HOLIDAYS_ENV}: {err.strerror}") from err
    days: set[date] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        content = line.split("#", 1)[0].strip()
        if not content:
            continue
        match = _LINE.match(content)
        if match is None:
            raise HolidaysFileError(f"{path}:{number}: {content!r} is not a date; write one YYYY-MM-DD a line, "
                                    f"like 1405-01-15 (Jalali) or 2026-04-04 (Gregorian)")
        year, month, day = map(int, match.groups())
        calendar = "jalali" if year < JALALI_BEFORE_YEAR else "gregorian"
        try:
            days.add(resolve_date(calendar, year, month, day))
        except ValueError as err:
            raise HolidaysFileError(f"{path}:{number}: {err}") from err
    return frozenset(days)


def is_iran_solar_holiday(day: date) -> bool:
    jalali = jdatetime.date.fromgregorian(date=day)
    return (jalali.month, jalali.day) in IRAN_SOLAR_HOLIDAYS


def holiday_function(extra: frozenset[date] = frozenset()) -> DslFunction:
    def is_holiday(day: date) -> bool:
        return day in extra or is_iran_solar_holiday(day)

    return DslFunction("is_holiday", ("date",), "bool", is_holiday,
                       f"true on Iran's fixed solar holidays and the dates in ${HOLIDAYS_ENV}")


@hookimpl
def loyalty_functions() -> list[DslFunction]:
    path = os.environ.get(HOLIDAYS_ENV)
    return [holiday_function(read_holidays(Path(path)) if path else frozenset())]
