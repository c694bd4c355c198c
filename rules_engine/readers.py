"""Reading event files (JSON Lines or CSV) into validated `Event`s.

Operators feed the engine exports from tills and apps, so rows are often wrong.
Every row is checked on its own: a bad row becomes a `RowError` with its line and
a reason in plain words, and the rest of the file is still read. Rows stream one
at a time so a year of purchases reads in constant memory. Numbers stay exact
(`int` or `Decimal`, never `float`) because they are money.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from dataclasses import dataclass
from itertools import chain
from datetime import datetime, timezone
from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Iterator, Literal, TextIO, Union, get_args
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, TypeAdapter, ValidationError, ValidationInfo
from pydantic_core import ErrorDetails, PydanticCustomError

from rules_engine.calendars import parse_timestamp
from rules_engine.dsl.literals import ascii_digits
from rules_engine.dsl.names import EVENT_NAMES
from rules_engine.events import EMPTY, EVENT_TYPES, REFERRAL_SUFFIX, RESERVED_ID, Event, Item

_JSON_SUFFIXES = (".jsonl", ".json", ".ndjson")
_ALWAYS_REQUIRED = ("id", "member", "at")
# CSV columns holding names, not quantities: "007" stays "007". The fields the rule language knows as
# text (channel, store) are among them, so that `store == "12"` holds for a store column reading 12.
_TEXT_COLUMNS = frozenset({"id", "type", "member", "at", "of", "reward", "offer", "name"}
                          | {name for name, kind in EVENT_NAMES.items() if kind == "string"})
_ATTRS_PREFIX = "attrs."
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
# Python refuses to print ints longer than this; bigger integral values stay Decimal.
_MAX_INT_DIGITS = 4300
# An amount, price or quantity at or above this is a typo or an attack, not a sale: points
# computed from it would be too long to print, and Decimal work on it grows with its digits.
MAX_QUANTITY = 10**18
# Event times the engine can add expiry periods to and subtract windows from without
# leaving the datetime range; a year outside these is a wrong clock, not a purchase.
EARLIEST = datetime(1900, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2200, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True, slots=True)
class RowError:
    """A row that could not become an event; `line` is 1-based, as an editor shows it."""

    line: int
    message: str


@dataclass(frozen=True, slots=True)
class ReadResult:
    events: tuple[Event, ...]
    errors: tuple[RowError, ...]


def read_events(path: str | Path, tz: ZoneInfo) -> ReadResult:
    """All events and all row errors of a file, each in file order."""
    entries = tuple(iter_events(path, tz))
    return ReadResult(
        events=tuple(entry for entry in entries if isinstance(entry, Event)),
        errors=tuple(entry for entry in entries if isinstance(entry, RowError)),
    )


def iter_events(path: str | Path, tz: ZoneInfo) -> Iterator[Event | RowError]:
    """Events and row errors in file order, one row in memory at a time.

    Times without an offset are in `tz`, the rulebook's zone. The file is opened once and
    read once, so a pipe (`/dev/stdin`, `<(…)`) reads like a file.
    """
    path = Path(path)
    with _open(path) as handle:
        lines = _Lines(handle)
        first = lines.first()
        if path.suffix.lower() == ".rules":
            problem: str | None = "this is a rulebook, not events: give the rulebook first, then the events file"
        else:
            problem = _not_events(first) if first is not None else None
        if problem:
            yield RowError(1, problem)
            return
        for line, row in _csv_rows(lines) if _is_csv(path, first) else _json_rows(lines):
            try:
                entry = RowError(line, row) if isinstance(row, str) else _to_event(row, line, tz)
            except RecursionError:
                entry = RowError(line, "the row is nested too deeply to read")
            yield entry


# Each format yields (line, row) or (line, why the row is unreadable).
_Rows = Iterator[tuple[int, dict[str, Any] | str]]


class _Lines:
    """A file's physical lines with their numbers; lines taken may be put back to be read again."""

    def __init__(self, handle: TextIO) -> None:
        self._handle = handle
        self._back: list[str] = []
        self.number = 0  # of the last line taken
        self.taken: list[str] = []  # since the caller last cleared it

    def __iter__(self) -> "_Lines":
        return self

    def __next__(self) -> str:
        line = self._back.pop() if self._back else next(self._handle)
        self.number += 1
        self.taken.append(line)
        return line

    def first(self) -> str | None:
        """The first line that is not blank, left to be read again; None for an empty file."""
        for line in self:
            if line.strip():
                self.put_back(self.taken)
                self.taken = []
                return line
        self.put_back(self.taken)
        self.taken = []
        return None

    def put_back(self, lines: list[str]) -> None:
        self._back.extend(reversed(lines))
        self.number -= len(lines)

    def numbered(self) -> Iterator[tuple[int, str]]:
        """The lines left with their numbers, as fast as the file gives them: none is kept to be put back."""
        back, self._back = self._back[::-1], []
        return enumerate(chain(back, self._handle), start=self.number + 1)


def _not_events(first: str) -> str | None:
    """Why a whole file cannot hold events, judged from its first line, so that it is said once, not per line."""
    start = first.lstrip()
    if first.startswith("\x1f\udc8b"):  # not `start`: Python counts \x1f as white space
        return "the file is compressed with gzip: decompress it first (gunzip FILE)"
    if start.startswith(("\udcff\udcfe", "\udcfe\udcff")):
        return "the file is UTF-16 text: save it as UTF-8"
    if start.startswith("[") and _json_row(first.strip()) != "each line must be a JSON object (got a list)":
        return "the file is a JSON array, not JSON Lines: write one event object per line"
    if re.match(r"(?i)(program|currency|calendar|timezone|tier|earn|bonus|reward)\s", start):
        return "this looks like a rulebook, not events: give the rulebook first, then the events file"
    return None


def _is_csv(path: Path, first: str | None) -> bool:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return True
    if suffix in _JSON_SUFFIXES:
        return False
    return first is None or first.lstrip()[0] != "{"


def _open(path: Path) -> TextIO:
    """Text mode that drops a BOM and keeps undecodable bytes, so one bad line cannot stop the file.

    Line ends are left as they are, as the csv module needs them inside quoted cells.
    """
    return path.open(encoding="utf-8-sig", errors="surrogateescape", newline="")


def _json_rows(lines: _Lines) -> _Rows:
    for line, text in lines.numbered():
        if not text.strip():
            continue
        # A BOM at the start of a later line is where two exported files were joined.
        yield line, _json_row(text.rstrip().removeprefix("\ufeff"))


def _json_row(text: str) -> dict[str, Any] | str:
    if not _is_utf8(text):
        return "the line is not valid UTF-8 text"
    try:
        value = _loads(text)
    except json.JSONDecodeError as error:
        char = text[error.pos:error.pos + 1]
        if char and not char.isprintable():
            return f"not valid JSON (an invisible character U+{ord(char):04X} at column {error.colno}; delete it)"
        return f"not valid JSON ({error.msg} at column {error.colno})"
    except (ValueError, RecursionError) as error:
        return f"not valid JSON ({error})"
    return value if isinstance(value, dict) else f"each line must be a JSON object (got {_kind_of(value)})"


def _decimal(text: str) -> int | Decimal:
    return _exact(Decimal(text))


def _loads(text: str) -> Any:
    """JSON with exact numbers. An integer too long for Python's int (over 4,300 digits) makes the
    fast parse fail; the row is then parsed again with such integers as Decimals, so that
    validation can name the field that holds it."""
    try:
        # Only a line that spells `null` somewhere can hold one: the others skip a Python call per object.
        return (_decode_dropping_nulls if "null" in text else _decode)(text)
    except json.JSONDecodeError:
        raise
    except ValueError:
        return json.loads(text, parse_float=_decimal, parse_int=_integer, parse_constant=_refuse_constant,
                          object_hook=_without_nulls)


def _integer(text: str) -> int | Decimal:
    return int(text) if len(text) < _MAX_INT_DIGITS else Decimal(text)


def _without_nulls(obj: dict[str, Any]) -> dict[str, Any]:
    """A null is an absent key, like an empty CSV cell."""
    return {key: value for key, value in obj.items() if value is not None} if None in obj.values() else obj


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


# Made once: `json.loads` with options builds a new decoder for every line.
_decode = json.JSONDecoder(parse_float=_decimal, parse_constant=_refuse_constant).decode
_decode_dropping_nulls = json.JSONDecoder(parse_float=_decimal, parse_constant=_refuse_constant,
                                          object_hook=_without_nulls).decode


def _csv_rows(lines: _Lines) -> _Rows:
    reader = csv.reader(lines)
    columns: list[str] | None = None
    while True:
        lines.taken = []
        line = lines.number + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield line, f"not valid CSV ({error})"
            continue
        if columns is not None and _stray_quote(lines.taken, cells, len(columns)):
            yield line, ("a quote opened on this line is never closed, so the rows after it would be read as one "
                         "cell; close the quote or remove it")
            lines.put_back(lines.taken[1:])
            continue
        if not any(cell.strip() for cell in cells):
            continue
        if columns is None:
            columns = [cell.strip() for cell in cells]
            while not columns[-1]:  # trailing separators, as spreadsheets write them
                columns.pop()
            if problem := _header_problem(columns):
                yield line, problem
                return
        elif not all(_is_utf8(cell) for cell in cells):
            yield line, "the line is not valid UTF-8 text"
        elif any(cell.strip() for cell in cells[len(columns):]):
            yield line, f"the row has more cells than the {len(columns)} columns of the header"
        else:
            yield line, _csv_row(columns, cells)


def _stray_quote(record: list[str], cells: list[str], width: int) -> bool:
    """Whether a record spanning several lines is a quote left open rather than a cell holding line breaks.

    A cell may hold line breaks, but in a transaction export the line after an open quote is far more often
    the next row, cell for cell: read on its own, it has all the header's columns. A quote still open at the
    end of the file leaves the line break in its cell.
    """
    if len(record) < 2:
        return any(cell.endswith(("\n", "\r")) for cell in cells)
    follower = next(csv.reader([record[1]]), [])
    return len(follower) >= width and any(cell.strip() for cell in follower)


def _csv_row(columns: list[str], cells: list[str]) -> dict[str, Any]:
    """A CSV record as a JSON-like row; `attrs.NAME` columns become the member attributes of a signup."""
    row: dict[str, Any] = {}
    for name, cell in zip(columns, cells):
        if not (text := cell.strip()):
            continue
        if name.startswith(_ATTRS_PREFIX):
            row.setdefault("attrs", {})[name[len(_ATTRS_PREFIX):]] = _cell(name, text)
        else:
            row[name] = _cell(name, text)
    return row


def _header_problem(columns: list[str]) -> str | None:
    if not all(_is_utf8(name) for name in columns):
        return "the header is not valid UTF-8 text"
    if "" in columns:
        return f"column {columns.index('') + 1} of the header has no name"
    if repeated := sorted({name for name in columns if columns.count(name) > 1}):
        return f"the header repeats column {', '.join(repeated)}"
    if missing := [name for name in _ALWAYS_REQUIRED if name not in columns]:
        return f"the header needs columns id, member and at (missing: {', '.join(missing)})"
    return None


def _cell(column: str, text: str) -> Any:
    if column not in _TEXT_COLUMNS and (numeral := _numeral(text)) is not None:
        return _exact(Decimal(numeral))
    return text


def _numeral(text: str) -> str | None:
    """The number a text spells, in ASCII, or None. Iranian exports often write ۱۲۰٬۰۰۰ for 120000."""
    text = text.strip()
    if not text.isascii():
        text = ascii_digits(text)
    return text if _NUMBER.fullmatch(text) else None


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _text(value: Any) -> str:
    if isinstance(value, str):
        if not value.strip():
            raise PydanticCustomError("blank", "is blank")
        if "\x00" in value:  # PostgreSQL cannot store it, and no id or name of a real export holds one
            raise PydanticCustomError("nul", "holds an invisible character U+0000")
        return value
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return str(value)
    raise PydanticCustomError("not_text", "must be text")


def _number(value: Any) -> int | Decimal:
    if isinstance(value, str) and (numeral := _numeral(value)) is not None:
        return _bounded(_exact(Decimal(numeral)))
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return _bounded(value)
    raise PydanticCustomError("not_number", "must be a number")


def _bounded(number: int | Decimal) -> int | Decimal:
    if abs(number) >= MAX_QUANTITY:
        raise PydanticCustomError("too_large", "is too large (the limit is 10^18)")
    return number


def _money(value: Any) -> int | Decimal:
    number = _number(value)
    if number < 0:
        raise PydanticCustomError("negative", "must not be negative")
    return number


def _quantity(value: Any) -> int | Decimal:
    number = _number(value)
    if number <= 0:
        raise PydanticCustomError("not_positive", "must be more than zero")
    return number


def _timestamp(value: Any, info: ValidationInfo) -> datetime:
    return _instant(value, info.context["tz"])


def _instant(value: Any, tz: ZoneInfo) -> datetime:
    if not isinstance(value, str):
        raise PydanticCustomError("bad_timestamp", "{reason}", {"reason": f"expected text, got {_show(value)}"})
    try:
        at = parse_timestamp(value, tz)
    except ValueError as error:
        raise PydanticCustomError("bad_timestamp", "{reason}", {"reason": str(error)}) from None
    if not EARLIEST <= at < LATEST:
        reason = f"'{value}' is outside the years {EARLIEST.year} to {LATEST.year - 1}; check the clock that wrote it"
        raise PydanticCustomError("bad_timestamp", "{reason}", {"reason": reason})
    return at


_Text = Annotated[str, PlainValidator(_text)]
_Money = Annotated[int | Decimal, PlainValidator(_money)]
_Quantity = Annotated[int | Decimal, PlainValidator(_quantity)]
_Timestamp = Annotated[datetime, PlainValidator(_timestamp)]

# Unknown keys are kept: they are the `fields` rule conditions may read.
_OPEN = ConfigDict(extra="allow", frozen=True)


class _ItemRow(BaseModel):
    model_config = _OPEN
    sku: _Text | None = None
    category: _Text | None = None
    qty: _Quantity = 1
    price: _Money = 0


class _Row(BaseModel):
    model_config = _OPEN
    id: _Text
    member: _Text
    at: _Timestamp
    amount: _Money | None = None
    items: tuple[_ItemRow, ...] = ()
    attrs: dict[str, Any] = Field(default_factory=dict)
    of: _Text | None = None
    reward: _Text | None = None
    offer: _Text | None = None
    name: _Text | None = None


class _Purchase(_Row):
    type: Literal["purchase"]
    amount: _Money


class _Refund(_Row):
    type: Literal["refund"]
    of: _Text
    amount: _Money | None = None  # left out: all that is left of the purchase


class _Signup(_Row):
    type: Literal["signup"]


class _Redeem(_Row):
    type: Literal["redeem"]
    reward: _Text


class _Claim(_Row):
    type: Literal["claim"]
    offer: _Text


class _Custom(_Row):
    type: Literal["event"]
    name: _Text


class _Referral(_Row):
    type: Literal["referral"]


_KINDS = (_Purchase, _Refund, _Signup, _Redeem, _Claim, _Custom, _Referral)
_ROW: TypeAdapter[_Row] = TypeAdapter(Annotated[Union[_KINDS], Field(discriminator="type")])


def _to_event(raw: dict[str, Any], line: int, tz: ZoneInfo) -> Event | RowError:
    """Validate one row. Its fingerprint covers the validated content, extra keys included, so that the same
    event written another way (`Z` for `+00:00`, `"100000"` for `100000`, a default spelt out) is a plain repeat."""
    raw.setdefault("type", "purchase")
    content = _plain_content(raw, tz)
    if content is None:
        try:
            model = _ROW.validate_python(raw, context={"tz": tz})
        except ValidationError as error:
            return RowError(line, "; ".join(_describe(detail, raw["type"]) for detail in error.errors()))
        content = _content(model)
    if content["id"].endswith(REFERRAL_SUFFIX):
        return RowError(line, RESERVED_ID)
    return _event(content, line)


def _content(model: _Row) -> dict[str, Any]:
    """What `model.model_dump(exclude_none=True)` gives, gathered straight from the model at a fraction of the cost
    (tests/test_readers.py holds the two equal on every kind of row)."""
    content = _set_fields(model)
    content["items"] = [_set_fields(item) for item in model.items]
    return content


def _set_fields(model: BaseModel) -> dict[str, Any]:
    values = model.__dict__
    if extra := model.__pydantic_extra__:
        values = {**values, **extra}
    return {key: value for key, value in values.items() if value is not None}


# By event type, the keys its rows must have, as its model says.
_REQUIRED: dict[str, frozenset[str]] = {
    get_args(kind.model_fields["type"].annotation)[0]:
        frozenset(name for name, spec in kind.model_fields.items() if spec.is_required() and name != "type")
    for kind in _KINDS
}
_OPTIONAL_TEXT = ("of", "reward", "offer", "name")
_ITEM_TEXT = ("sku", "category")


def _plain_content(row: dict[str, Any], tz: ZoneInfo) -> dict[str, Any] | None:
    """The validated content of a row that is already what validation would make of it, or None.

    Nearly every row of an export is plain: text where text belongs, whole numbers in range, no key
    missing. Validating such a row is only a matter of looking, which costs a fraction of the
    validator's run; any row that is not plain in every respect (a numeric text, a fraction, a
    blank or missing value, a time out of range) is left to the validator, which decides it and
    explains what is wrong. tests/test_readers.py holds the two to the same events.
    """
    required = _REQUIRED.get(kind) if type(kind := row["type"]) is str else None
    if required is None or not row.keys() >= required:
        return None
    if not _is_text(row["id"]) or not _is_text(row["member"]):
        return None
    for key in _OPTIONAL_TEXT:
        if key in row and not _is_text(row[key]):
            return None
    if "amount" in row and not _is_whole(row["amount"], 0):
        return None
    try:
        at = _instant(row["at"], tz)
    except PydanticCustomError:
        return None
    given, items = row.get("items", []), []
    if type(given) is not list:
        return None
    for item in given:
        if type(item) is not dict:
            return None
        for key in _ITEM_TEXT:
            if key in item and not _is_text(item[key]):
                return None
        if not _is_whole(item.get("qty", 1), 1) or not _is_whole(item.get("price", 0), 0):
            return None
        items.append(item if "qty" in item and "price" in item else {"qty": 1, "price": 0, **item})
    attrs = row.get("attrs", {})
    if type(attrs) is not dict:
        return None
    return {**row, "at": at, "items": items, "attrs": attrs}


def _is_text(value: Any) -> bool:
    return type(value) is str and value != "" and not value.isspace() and "\x00" not in value


def _is_whole(value: Any, least: int) -> bool:
    return type(value) is int and least <= value < MAX_QUANTITY


_ROW_KEYS = frozenset(_Row.model_fields) | {"type"}
_ITEM_KEYS = frozenset(_ItemRow.model_fields)


def _event(content: dict[str, Any], line: int) -> Event:
    get = content.get
    items = tuple(Item(sku=i.get("sku"), category=i.get("category"), qty=i["qty"], price=i["price"],
                       fields=_extra(i, _ITEM_KEYS)) for i in content["items"])
    return Event(
        id=content["id"], type=content["type"], member=content["member"], at=content["at"], amount=get("amount"),
        items=items, fields=_extra(content, _ROW_KEYS), attrs=_freeze(content["attrs"]), of=get("of"),
        reward=get("reward"), offer=get("offer"), name=get("name"), line=line, fingerprint=_fingerprint(content),
    )


def _extra(values: dict[str, Any], known: frozenset[str]) -> Any:
    """The keys the rulebook's conditions may read as fields: all but the ones the event format defines."""
    if len(values) <= len(known) and values.keys() <= known:
        return EMPTY
    return _freeze({key: value for key, value in values.items() if key not in known})


def _describe(error: ErrorDetails, event_type: Any) -> str:
    """One validation error in the words of the spec, naming the field at fault."""
    kind, path, value = error["type"], error["loc"][1:], error["input"]
    if kind == "union_tag_invalid":
        return f"unknown event type {_show(event_type)} (expected one of {', '.join(EVENT_TYPES)})"
    if path[0] == "items" and len(path) < 3:
        culprit = f"item {path[1] + 1} is {_kind_of(value)}" if len(path) == 2 else f"got {_kind_of(value)}"
        return f"'items' must be a list of objects ({culprit})"
    field = str(path[-1])
    who = f"item {path[1] + 1}" if path[0] == "items" else {"event": "custom event"}.get(event_type, event_type)
    where = f"{who}: " if path[0] == "items" else ""
    if kind == "missing":
        who = "every event" if field in _ALWAYS_REQUIRED else who
        return f"{who} needs {'an' if field[0] in 'aeiou' else 'a'} '{field}'"
    if kind == "not_number":
        return f"{who} needs a numeric '{field}' (got {_show(value)})"
    if kind == "bad_timestamp":
        return f"'{field}': {error['ctx']['reason']}"
    if kind == "dict_type":
        return f"'{field}' must be an object (got {_kind_of(value)})"
    if kind == "nul":  # not shown: the value would carry the character into the report
        return f"{where}'{field}' {error['msg']}; remove it"
    if kind in ("blank", "not_text", "negative", "not_positive", "too_large"):
        return f"{where}'{field}' {error['msg']} (got {_show(value)})"
    return f"{where}'{field}': {error['msg']}"


def _exact(number: Decimal) -> int | Decimal:
    """Whole numbers as `int`, so 250000.0 and 250000 are the same amount and print alike."""
    if number == number.to_integral_value() and number.adjusted() < _MAX_INT_DIGITS:
        return int(number)
    return number


def _freeze(value: Any) -> Any:
    """A read-only copy all the way down, so an `Event` cannot be changed through its fields."""
    if isinstance(value, dict):
        return MappingProxyType({key: _freeze(item) for key, item in value.items()}) if value else EMPTY
    return tuple(_freeze(item) for item in value) if isinstance(value, list) else value


def _fingerprint(content: dict[str, Any]) -> str:
    """The SHA-256 of the canonical JSON of a row's validated content, with the time in UTC."""
    text = _canonical({**content, "at": content["at"].isoformat()})
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _canonical(value: Any) -> str:
    """JSON with sorted keys, no spaces and exact numbers: equal payloads give equal text."""
    return _CANONICAL.encode(value)


def _exact_text(value: Any) -> str:
    if isinstance(value, Decimal):  # tagged, so the number 1.5 and the text "1.5" stay different payloads
        exact = Context(prec=max(1, len(value.as_tuple().digits)), Emax=MAX_EMAX, Emin=MIN_EMIN)
        return f"\u0000decimal:{value.normalize(exact)}"
    raise TypeError(f"cannot fingerprint {type(value).__name__}")


# Rows come from parsed text, which cannot hold a cycle: the encoder need not look for one
_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=_exact_text,
                              check_circular=False)


def _show(value: Any) -> str:
    """A value as the row wrote it, cut short: the message must stay one readable line."""
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        text = str(value) if isinstance(value, Decimal) or abs(value) < 10**_SHOWN else f"{Decimal(value):.3E}"
    else:
        text = f"'{value}'" if isinstance(value, str) else _canonical(value)
    return text if len(text) <= _SHOWN else f"{text[:_SHOWN]}… ({len(text):,} characters)"


_SHOWN = 60


def _kind_of(value: Any) -> str:
    kinds = {dict: "an object", list: "a list", str: "text", bool: "true or false", type(None): "null"}
    return kinds.get(type(value), "a number")
