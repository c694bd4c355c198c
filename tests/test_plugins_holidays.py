"""`is_holiday(date)`: Iran's fixed solar holidays, plus the operator's dates file named by LOYALTY_HOLIDAYS."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from plugins.harness import engine_for, event
from rules_engine.plugins.builtin.functions import HOLIDAYS_ENV, HolidaysFileError, holiday_function, read_holidays
from rules_engine.plugins.manager import PluginError, default_registry

is_holiday = holiday_function().impl


@pytest.mark.parametrize("day", [
    date(2026, 3, 21),  # 1 Farvardin 1405, Nowruz
    date(2026, 3, 24),  # 4 Farvardin, last day of Nowruz
    date(2026, 4, 1),  # 12 Farvardin, Islamic Republic Day
    date(2026, 4, 2),  # 13 Farvardin, Nature Day
    date(2026, 6, 4),  # 14 Khordad
    date(2026, 6, 5),  # 15 Khordad
    date(2027, 2, 11),  # 22 Bahman 1405
    date(2026, 3, 20),  # 29 Esfand 1404, oil nationalisation
])
def test_irans_fixed_solar_holidays_are_holidays(day: date) -> None:
    assert is_holiday(day)


@pytest.mark.parametrize("day", [date(2026, 3, 25), date(2026, 3, 19), date(2026, 1, 1)])
def test_other_days_are_not_holidays(day: date) -> None:
    assert not is_holiday(day)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "holidays.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_dates_file_takes_jalali_and_gregorian_dates_and_comments(tmp_path: Path) -> None:
    path = write(tmp_path, "# lunar holidays of 1405\n1405-01-15  # Eid al-Fitr\n\n2026-05-27\n")
    assert read_holidays(path) == {date(2026, 4, 4), date(2026, 5, 27)}


@pytest.mark.parametrize(("text", "message"), [
    ("1405-01-15\ntomorrow\n", "{path}:2: 'tomorrow' is not a date; write one YYYY-MM-DD a line, "
                                "like 1405-01-15 (Jalali) or 2026-04-04 (Gregorian)"),
    ("1405-01-15\n\n1404-12-30\n", "{path}:3: 1404-12-30 is not a day of the Jalali calendar "
                                   "(month 12 of 1404 has 29 days)"),
    ("2026-02-30\n", "{path}:1: 2026-02-30 is not a day of the Gregorian calendar (month 2 of 2026 has 28 days)"),
])
def test_a_bad_line_in_the_dates_file_is_an_error_with_its_line(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(HolidaysFileError) as caught:
        read_holidays(path)
    assert str(caught.value) == message.format(path=path)


def test_the_operators_dates_are_holidays_in_rulebooks(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(HOLIDAYS_ENV, str(write(tmp_path, "1404-12-12\n")))  # 2026-03-03, a Tuesday
    engine = engine_for("earn 1 point per 1000\nholiday: bonus 2x when is_holiday(date)")
    assert [e.points for e in engine.process(event("p-1", "purchase", 1, amount=10_000)).entries] == [10]
    assert [e.points for e in engine.process(event("p-2", "purchase", 2, amount=10_000)).entries] == [20]


def test_a_bad_dates_file_stops_loading_with_the_plugin_and_line_named(tmp_path: Path, monkeypatch) -> None:
    path = write(tmp_path, "13 Farvardin\n")
    monkeypatch.setenv(HOLIDAYS_ENV, str(path))
    with pytest.raises(PluginError, match=rf"^plugin builtin.functions failed in loyalty_functions: "
                                          rf"HolidaysFileError\(.*{path.name}:1: '13 Farvardin' is not a date"):
        default_registry()


def test_a_missing_dates_file_is_an_error_naming_the_variable(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(HOLIDAYS_ENV, str(tmp_path / "nowhere.txt"))
    with pytest.raises(PluginError, match="cannot read the holidays file named by LOYALTY_HOLIDAYS"):
        default_registry()
