"""Built-in functions rule conditions can call."""

from __future__ import annotations

from datetime import date

import jdatetime

from rules_engine.plugins.hookspecs import hookimpl
from rules_engine.plugins.registry import DslFunction

# Iran's official holidays that fall on a fixed day of the solar (Jalali) calendar, as (month, day).
IRAN_SOLAR_HOLIDAYS: frozenset[tuple[int, int]] = frozenset({
    (1, 1), (1, 2), (1, 3), (1, 4),  # Nowruz
    (1, 12),  # Islamic Republic Day
    (1, 13),  # Sizdah Bedar (Nature Day)
    (3, 14),  # death of Imam Khomeini
    (3, 15),  # 15 Khordad uprising
    (11, 22),  # Revolution Day
    (12, 29),  # nationalisation of the oil industry
})


def is_holiday(day: date) -> bool:
    jalali = jdatetime.date.fromgregorian(date=day)
    return (jalali.month, jalali.day) in IRAN_SOLAR_HOLIDAYS


@hookimpl
def loyalty_functions() -> list[DslFunction]:
    return [DslFunction("is_holiday", ("date",), "bool", is_holiday, "true on Iran's fixed solar-calendar holidays")]
