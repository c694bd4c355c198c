"""Turning someone else's export (any CSV of transactions) into our event rows.

Real exports name things their own way (`customer_id`, `dollar_value`) and write
dates their own way (`19970101`, `1404/01/15`). A column map says which of
their columns holds which of our fields; everything else is cleaned here: dates
become ISO text, amounts lose their currency mark and thousands separators and can
be scaled into the rulebook currency. Anything that is not plainly one date or one
number is refused rather than guessed at: a guessed amount would quietly change the
program's economics. Rows stream one at a time, and a row that
cannot be converted becomes a `RowError` with its line and a reason, so the rest
of the file still imports and nothing is lost silently.

The rows produced are what `loyalty simulate` reads (JSON Lines); they are
validated again there like any other event file.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Context, Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Iterator

import jdatetime

from rules_engine.calendars import CALENDARS, resolve_date
from rules_engine.events import EVENT_TYPES
from rules_engine.readers import EARLIEST, LATEST, MAX_QUANTITY, RowError

# Our fields a map may fill; any other target name becomes an event field (`channel`, `store`, …).
REQUIRED = ("member", "at")
_MONEY_FIELDS = ("amount",)
_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
# Years a Gregorian export writes as 13xx or 14xx are Jalali years read in the wrong calendar.
_JALALI_YEARS = range(1300, 1500)

# Persian and Arabic-Indic digits as ASCII; `٫` is their decimal point and `٬` their thousands separator.
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩٫٬", "01234567890123456789.,")
# An optional sign, an optional currency mark before or after, and one number with "," grouping thousands.
_AMOUNT = re.compile(r"(?P<sign>[+-]?)\s*(?P<before>[^\d\s.,+-]*)\s*(?P<sign2>[+-]?)\s*(?P<number>[\d.,]+)"
                     r"\s*(?P<after>[^\d\s.,+-]*)", re.ASCII)
_GROUPED = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+", re.ASCII)
# Currency words and codes, each under one name so that "تومان" and "toman" are the same currency.
_CURRENCY_WORDS = {"toman": "toman", "tomans": "toman", "تومان": "toman", "irt": "toman",
                   "rial": "rial", "rials": "rial", "ریال": "rial", "irr": "rial", "﷼": "rial"}
_AMOUNT_EXAMPLE = "like 1250, -3.5, $1,234.50, 1,200,000 IRR or ۱۲۰٬۰۰۰ تومان"


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


def parse_scale(text: str) -> Decimal:
    """The factor every amount is multiplied by. Bounded so that no sane amount times it leaves the range the
    engine takes (below 10^18), and so that infinities and NaN never reach the written file."""
    try:
        value = Decimal(text.strip().translate(_DIGITS))
    except InvalidOperation:
        raise ValueError(f"'{text}' is not a number (example: 60000 for dollars into toman)") from None
    if not value.is_finite() or not Decimal("1e-12") <= value < MAX_QUANTITY:
        raise ValueError(f"'{text}' cannot scale amounts: give a number above zero and below 10^18 "
                         f"(example: 60000 for dollars into toman, 0.1 for rial into toman)")
    return value


def parse_delimiter(text: str) -> str | None:
    """One separator character; `space` means any run of whitespace and `tab` a tab, which a shell makes hard
    to type. None stands for whitespace."""
    named = {"space": None, "tab": "\t"}
    if text in named:
        return named[text]
    if len(text) != 1 or text in '\r\n"':
        raise ValueError(f"'{text}' is not a cell separator: give one character such as , or ; (or space, or tab)")
    return text


def import_rows(path: str | Path, spec: Import) -> Iterator[dict[str, Any] | RowError]:
    """The export's rows as event rows (or row errors), in file order, one at a time."""
    if spec.calendar not in CALENDARS:
        raise MapError(f"unknown calendar '{spec.calendar}' (expected {' or '.join(CALENDARS)})")
    stem = Path(path).stem
    # Undecodable bytes are kept (as surrogates) so the row that has them can be refused by its line.
    with open(path, encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        rows = _split(handle, spec.delimiter)
        header = None
        if spec.header:
            line, first = next(rows, (1, []))
            if isinstance(first, str) or not _utf8(first):
                yield RowError(line, first if isinstance(first, str) else f"the header is {_NOT_UTF8}")
                return
            header = first
        columns = _columns(spec.mapping, header)
        currency = _OneCurrency()
        for line, cells in rows:
            if isinstance(cells, str):
                yield RowError(line, cells)
            elif not _utf8(cells):
                yield RowError(line, f"the line is {_NOT_UTF8}")
            elif any(cell.strip() for cell in cells):
                yield _row(line, cells, columns, header, spec, stem, currency)


_NOT_UTF8 = "not valid UTF-8 text (save the export as UTF-8 and import it again)"


def _utf8(cells: list[str]) -> bool:
    try:
        for cell in cells:
            cell.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _split(handle: Any, delimiter: str | None) -> Iterator[tuple[int, list[str] | str]]:
    """(line, cells) per record, or (line, why) for a record the csv module cannot read."""
    if delimiter is None:
        for line, text in enumerate(handle, start=1):
            yield line, text.split()
        return
    reader = csv.reader(handle, delimiter=delimiter)
    done = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield done + 1, f"not valid CSV ({error})"
        else:
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
                           f"(it has: {', '.join(names)}){_delimiter_hint(names)}")
    return found


def _delimiter_hint(names: list[str]) -> str:
    """A header read as one cell that holds ; or a tab was split at the wrong character."""
    if len(names) == 1:
        for char, option in ((";", "';'"), ("\t", "tab")):
            if char in names[0]:
                return f"; the file looks separated by {option}: give --delimiter {option}"
    return ""


class _OneCurrency:
    """The currency the first amount with a currency mark names. One --scale cannot convert two currencies,
    so an amount marked with another one is refused rather than scaled as if it were the same."""

    def __init__(self) -> None:
        self.name: str | None = None
        self.line = 0

    def check(self, line: int, text: str, currency: str | None) -> None:
        if currency is None or currency == self.name:
            return
        if self.name is not None:
            raise ValueError(f"amount '{text}' is in {currency}, but line {self.line} is in {self.name}; "
                             f"one --scale cannot convert both: import each currency on its own")
        self.name, self.line = currency, line


def _row(line: int, cells: list[str], columns: dict[str, int], header: list[str] | None, spec: Import,
         stem: str, currency: _OneCurrency) -> dict[str, Any] | RowError:
    values: dict[str, str] = {}
    for ours, index in columns.items():
        if index >= len(cells):
            return RowError(line, f"the row has {len(cells)} cells; {ours} is mapped to column {index + 1}")
        if cell := cells[index].strip():
            values[ours] = cell
    try:
        row: dict[str, Any] = {"id": values.pop("id", f"{stem}-{line}"), "type": values.pop("type", spec.event_type)}
        if row["type"] not in EVENT_TYPES:
            raise ValueError(f"type '{row['type']}' is not an event type (expected one of {', '.join(EVENT_TYPES)})")
        row["member"] = values.pop("member")
        row["at"] = parse_date(values.pop("at"), spec.date_format, spec.calendar)
        marks = []
        for name, value in values.items():
            if name in _MONEY_FIELDS:
                row[name], mark = parse_amount(value, spec.scale)
                marks.append((value, mark))
            else:
                row[name] = _plain(value)
        for value, mark in marks:
            currency.check(line, value, mark)
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
            at = datetime.strptime(text, date_format)
        except ValueError:
            raise ValueError(f"'{text}' does not match the date format {date_format}") from None
        _check_year(text, at.year, at.date(), calendar)
        return at.isoformat()
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
    _check_year(text, year, day_, calendar)
    if clock is None:
        return day_.isoformat()
    try:
        return datetime.fromisoformat(f"{day_.isoformat()}T{clock}").isoformat()
    except ValueError:
        raise ValueError(f"'{text}' has a time this importer does not understand") from None


def _check_year(text: str, written: int, day: date, calendar: str) -> None:
    """Refuse a date the event reader would refuse later, and name the likely cause: the wrong calendar."""
    if calendar == "gregorian" and written in _JALALI_YEARS:
        raise ValueError(f"'{text}' has the year {written}, a Jalali year: give --calendar jalali")
    if not EARLIEST.year <= day.year < LATEST.year:
        hint = "; a Gregorian date? leave out --calendar jalali" if calendar == "jalali" else ""
        raise ValueError(f"'{text}' is outside the years {EARLIEST.year} to {LATEST.year - 1}{hint}")


def parse_amount(text: str, scale: Decimal = Decimal(1)) -> tuple[int | str, str | None]:
    """`$1,234.50` → (1234.5 × scale, "$"). The value is an int when whole, else exact decimal text (JSON has
    no exact decimals); the currency, if the text names one, lets the caller refuse a file that mixes them.
    Only one plainly written number is read: guessing at `1e5` or `(100)` would change the amount."""
    plain = text.translate(_DIGITS).strip()
    if "(" in plain or ")" in plain:
        raise ValueError(f"amount '{text}' is in parentheses, which this importer does not read as a minus sign; "
                         f"write it with a - (refunds: import them with --type refund)")
    match = _AMOUNT.fullmatch(plain)
    if match is None:
        if re.search(r"\d[eE][+-]?\d", plain):
            raise ValueError(f"amount '{text}' is in exponent notation; write the number out in full")
        raise ValueError(f"amount '{text}' is not one number ({_AMOUNT_EXAMPLE})")
    if match["sign"] and match["sign2"] or match["before"] and match["after"]:
        raise ValueError(f"amount '{text}' is not one number ({_AMOUNT_EXAMPLE})")
    mark = match["before"] or match["after"]
    currency = _currency(mark) if mark else None
    if mark and currency is None:
        raise ValueError(f"amount '{text}': '{mark}' is not a currency (this importer knows signs such as $ and ﷼, "
                         f"three-letter codes such as USD, and toman or rial)")
    if not _GROUPED.fullmatch(match["number"]):
        raise ValueError(f"amount '{text}' has its separators in the wrong places: '.' is the decimal point and "
                         f"',' groups digits in threes (1,234.50)")
    number = Decimal((match["sign"] or match["sign2"]) + match["number"].replace(",", ""))
    exact = Context(prec=len(number.as_tuple().digits) + len(scale.as_tuple().digits))
    value = exact.multiply(number, scale)
    if abs(value) >= MAX_QUANTITY:
        scaled = f" × {scale}" if scale != 1 else ""
        raise ValueError(f"amount '{text}'{scaled} is too large (amounts must stay below 10^18)")
    return (int(value) if value == value.to_integral_value() else format(value.normalize(exact), "f")), currency


def _currency(mark: str) -> str | None:
    """The currency a mark names, or None when it is not one (`items` in `12 items`)."""
    if word := _CURRENCY_WORDS.get(mark.lower()):
        return word
    if all(unicodedata.category(char) == "Sc" for char in mark):
        return mark
    if len(mark) == 3 and mark.isascii() and mark.isupper():  # an ISO 4217 code: USD, EUR, AED
        return mark
    return None


def _plain(text: str) -> Any:
    """Other cells: whole numbers as numbers (rule conditions compare them), everything else as text."""
    return int(text) if re.fullmatch(r"[+-]?\d{1,15}", text) else text
