"""Turning someone else's export (any CSV of transactions) into our event rows.

Real exports name things their own way (`customer_id`, `dollar_value`) and write
dates their own way (`19970101`, `1404/01/15`). A column map says which of
their columns holds which of our fields; everything else is cleaned here: dates
become ISO text, amounts lose currency signs and thousands separators and can be
scaled into the rulebook currency. Rows stream one at a time, and a row that
cannot be converted becomes a `RowError` with its line and a reason, so the rest
of the file still imports and nothing is lost silently.

The rows produced are what `loyalty simulate` reads (JSON Lines); they are
validated again there like any other event file.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Iterator

import jdatetime

from rules_engine.calendars import CALENDARS, resolve_date
from rules_engine.readers import RowError

# Our fields a map may fill; any other target name becomes an event field (`channel`, `store`, …).
REQUIRED = ("member", "at")
_MONEY_FIELDS = ("amount",)
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")


class MapError(ValueError):
    """A column map or header that cannot work; the message says how to write it."""


@dataclass(frozen=True)
class Import:
    """How to read one export. `mapping` is our field → their column (a header name, or a 1-based number)."""

    mapping: dict[str, str]
    date_format: str | None = None  # a strptime format; None: ISO dates, YYYYMMDD and YYYY/MM/DD are recognised
    calendar: str = "gregorian"  # the calendar the export's dates are written in
    scale: Decimal = Decimal(1)  # multiplies every amount, to convert the export's currency
    event_type: str = "purchase"  # for rows without a mapped `type`
    delimiter: str | None = ","  # None: any run of whitespace
    header: bool = True


def parse_map(text: str) -> dict[str, str]:
    """`member=customer_id,at=date,amount=dollar_value` → {"member": "customer_id", ...}."""
    mapping: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        ours, sep, theirs = (s.strip() for s in part.partition("="))
        if not sep or not ours or not theirs:
            raise MapError(f"'{part}' in --map is not field=column (example: member=customer_id,at=date)")
        if ours in mapping:
            raise MapError(f"--map names field '{ours}' twice")
        mapping[ours] = theirs
    if missing := [f for f in REQUIRED if f not in mapping]:
        raise MapError(f"--map must say which column holds {' and '.join(missing)} "
                       f"(example: member=customer_id,at=date,amount=total)")
    return mapping


def import_rows(path: str | Path, spec: Import) -> Iterator[dict[str, Any] | RowError]:
    """The export's rows as event rows (or row errors), in file order, one at a time."""
    if spec.calendar not in CALENDARS:
        raise MapError(f"unknown calendar '{spec.calendar}' (expected {' or '.join(CALENDARS)})")
    stem = Path(path).stem
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as handle:
        rows = _split(handle, spec.delimiter)
        header = next(rows, (0, []))[1] if spec.header else None
        columns = _columns(spec.mapping, header)
        for line, cells in rows:
            if not any(cell.strip() for cell in cells):
                continue
            yield _row(line, cells, columns, header, spec, stem)


def _split(handle: Any, delimiter: str | None) -> Iterator[tuple[int, list[str]]]:
    if delimiter is None:
        for line, text in enumerate(handle, start=1):
            yield line, text.split()
        return
    reader = csv.reader(handle, delimiter=delimiter)
    done = 0
    for cells in reader:
        yield done + 1, cells
        done = reader.line_num


def _columns(mapping: dict[str, str], header: list[str] | None) -> dict[str, int]:
    """Our field → cell index, checked against the header once, before any row is read."""
    names = [name.strip() for name in header] if header is not None else None
    found = {}
    for ours, theirs in mapping.items():
        if theirs.isdigit() and int(theirs) >= 1:
            found[ours] = int(theirs) - 1
        elif names is None:
            raise MapError(f"--map {ours}={theirs}: a file without a header names columns by number (1, 2, …)")
        elif theirs in names:
            found[ours] = names.index(theirs)
        else:
            raise MapError(f"--map {ours}={theirs}: the header has no column '{theirs}' "
                           f"(it has: {', '.join(names)})")
    return found


def _row(line: int, cells: list[str], columns: dict[str, int], header: list[str] | None, spec: Import,
         stem: str) -> dict[str, Any] | RowError:
    values: dict[str, str] = {}
    for ours, index in columns.items():
        if index >= len(cells):
            return RowError(line, f"the row has {len(cells)} cells; {ours} is mapped to column {index + 1}")
        if cell := cells[index].strip():
            values[ours] = cell
    try:
        row: dict[str, Any] = {"id": values.pop("id", f"{stem}-{line}"), "type": values.pop("type", spec.event_type)}
        row["member"] = values.pop("member")
        row["at"] = parse_date(values.pop("at"), spec.date_format, spec.calendar)
        for name, value in values.items():
            row[name] = parse_amount(value, spec.scale) if name in _MONEY_FIELDS else _plain(value)
    except KeyError as missing:
        return RowError(line, f"the {missing.args[0]} cell is empty")
    except ValueError as error:
        return RowError(line, str(error))
    if header is not None:
        mapped = set(columns.values())
        for index, name in enumerate(header):
            name = name.strip()
            if index not in mapped and name and name not in row and index < len(cells) and cells[index].strip():
                row[name] = _plain(cells[index].strip())
    return row


def parse_date(text: str, date_format: str | None, calendar: str = "gregorian") -> str:
    """An export's date or time as ISO text; without an offset it is read in the rulebook's time zone."""
    if date_format and calendar == "jalali":  # Gregorian strptime would refuse 30 Ordibehesht, 31 Tir, ...
        try:
            jalali = jdatetime.datetime.strptime(text, date_format)
        except ValueError as error:
            raise ValueError(f"'{text}' is not a Jalali date in the format {date_format} ({error})") from None
        return _gregorian(text, jalali.year, jalali.month, jalali.day, jalali.strftime("%H:%M:%S"), calendar)
    if date_format:
        try:
            return datetime.strptime(text, date_format).isoformat()
        except ValueError:
            raise ValueError(f"'{text}' does not match the date format {date_format}") from None
    if len(text) == 8 and text.isdigit():
        return _gregorian(text, int(text[:4]), int(text[4:6]), int(text[6:]), None, calendar)
    if match := _DATE.match(text):
        clock = text[match.end():].strip().lstrip("T")
        return _gregorian(text, *(int(g) for g in match.groups()), clock or None, calendar)
    raise ValueError(f"'{text}' is not a date this importer knows; give --date-format "
                     f"(for example %d/%m/%Y for 21/03/2026)")


def _gregorian(text: str, year: int, month: int, day: int, clock: str | None, calendar: str) -> str:
    try:
        day_ = resolve_date(calendar, year, month, day)
    except ValueError as error:
        raise ValueError(f"'{text}': {error}") from None
    if clock is None:
        return day_.isoformat()
    try:
        return datetime.fromisoformat(f"{day_.isoformat()}T{clock}").isoformat()
    except ValueError:
        raise ValueError(f"'{text}' has a time this importer does not understand") from None


def parse_amount(text: str, scale: Decimal = Decimal(1)) -> int | str:
    """`$1,234.50` → 1234.5 × scale: an int when whole, else exact decimal text (JSON has no exact decimals)."""
    cleaned = re.sub(r"[^\d.+-]", "", text.replace("٫", ".").replace("٬", ""))
    if not _NUMBER.fullmatch(cleaned):
        raise ValueError(f"amount '{text}' is not a number")
    try:
        value = Decimal(cleaned) * scale
    except InvalidOperation:
        raise ValueError(f"amount '{text}' is not a number") from None
    return int(value) if value == value.to_integral_value() else str(value.normalize())


def _plain(text: str) -> Any:
    """Other cells: whole numbers as numbers (rule conditions compare them), everything else as text."""
    return int(text) if re.fullmatch(r"[+-]?\d{1,15}", text) else text
