"""Events and plugin data as JSON text in the store, exactly.

The store keeps every event it ran so the engine can be rebuilt by running them
again; that only works if an event read back is the event that was applied.
Amounts can be `Decimal`, which JSON numbers would turn into floats, so a decimal
is written as `{"$decimal": "12.50"}`. Times keep their offset.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring  # the C escaper `dump` itself uses
from datetime import date, datetime, timezone
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Mapping

from rules_engine.events import EMPTY, Event, Item

_DECIMAL = "$decimal"


def dump_event(event: Event) -> str:
    record: dict[str, Any] = {"id": event.id, "type": event.type, "member": event.member, "at": event.at.isoformat()}
    if event.amount is not None:
        record["amount"] = event.amount
    if event.items:
        # An item's fields are left out when it has none (most have none, and a mapping costs the encoder a call)
        record["items"] = [{"sku": i.sku, "category": i.category, "qty": i.qty, "price": i.price, "fields": i.fields}
                           if i.fields else {"sku": i.sku, "category": i.category, "qty": i.qty, "price": i.price}
                           for i in event.items]
    if event.fields:  # copied here: through the encoder's `default` a mapping costs a call back into Python
        record["fields"] = dict(event.fields)
    if event.attrs:
        record["attrs"] = dict(event.attrs)
    for name in ("of", "reward", "offer", "name"):
        if (value := getattr(event, name)) is not None:
            record[name] = value
    return dump(record)


def load_event(text: str, fingerprint: str) -> Event:
    """The event `dump_event` wrote, built straight from the parsed JSON.

    Every command starts by loading every stored event, so this is the replay's own
    cost: only the values an event keeps (fields, attrs, amounts) are frozen and
    decoded, not the record and item dicts that are read once and dropped.
    """
    record = _parse(text)
    get = record.get
    items = get("items")
    fields, attrs = get("fields"), get("attrs")
    return Event(id=record["id"], type=record["type"], member=record["member"], at=datetime.fromisoformat(record["at"]),
                 amount=_thaw(get("amount")),
                 items=tuple(Item(sku=i["sku"], category=i["category"], qty=_thaw(i["qty"]), price=_thaw(i["price"]),
                                  fields=_thaw(i.get("fields", EMPTY))) for i in items) if items else (),
                 fields=EMPTY if fields is None else _thaw(fields), attrs=EMPTY if attrs is None else _thaw(attrs),
                 of=get("of"), reward=get("reward"), offer=get("offer"), name=get("name"), fingerprint=fingerprint)


def as_utc(at: datetime | None) -> Any:
    """Times are stored in UTC; SQLite gives them back without a zone, so it is put back on reading."""
    if at is None:
        return None
    return at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at.astimezone(timezone.utc)


def dump(value: Any) -> str:
    return _encode(value)


def dump_texts(texts: tuple[str, ...]) -> str:
    """`dump` of a tuple of texts (an entry's reasons, one for nearly every event), without the encoder's machinery."""
    return "[" + ",".join(map(encode_basestring, texts)) + "]"


def load(text: str) -> Any:
    """The inverse of `dump`, read-only all the way down like the events the readers build."""
    return _thaw(_parse(text))


def _plain(value: Any) -> Any:
    kind = type(value)  # exact types first: this runs for every mapping in every event, and ABC checks are slow
    if kind is MappingProxyType:
        return value.copy()
    if kind is Decimal:
        return {_DECIMAL: str(value)}
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, date):  # a datetime too; a perk's or plugin's dates come back as their ISO text
        return value.isoformat()
    raise TypeError(f"cannot store a {type(value).__name__} in the ledger: {value!r}")


# Not looking for cycles saves a sixth of the encoding; data with one (only a broken plugin could make it) still
# fails, with a RecursionError instead of a ValueError
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_plain, check_circular=False).encode


_parse = json.JSONDecoder().decode  # one decoder for all: `json.loads` with a hook builds a new one per call


def _thaw(value: Any) -> Any:
    """What `dump` wrote, from its parsed JSON: decimals decoded, dicts and lists made read-only."""
    kind = type(value)
    if kind is dict:
        if len(value) == 1 and _DECIMAL in value:
            return Decimal(value[_DECIMAL])
        return MappingProxyType({key: _thaw(item) for key, item in value.items()})
    if kind is list:
        return tuple(_thaw(item) for item in value)
    return value
