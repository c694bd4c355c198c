"""Events and reasons as the store writes them: read back exactly, in every shape the ledger has held."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from types import MappingProxyType

import pytest

from rules_engine.events import Event, Item
from rules_engine.store import codec

AT = datetime(2026, 3, 21, 6, 45, tzinfo=timezone.utc)


def test_an_event_reads_back_as_it_was_written() -> None:
    event = Event(id="p1", type="purchase", member="m1", at=AT, amount=Decimal("1250.5"),
                  items=(Item(sku="s1", category="tea", qty=2, price=500),
                         Item(price=Decimal("0.5"), fields=MappingProxyType({"gift": True}))),
                  fields=MappingProxyType({"channel": "app", "basket": MappingProxyType({"coupons": ("A", "B")})}),
                  fingerprint="f")
    assert codec.load_event(codec.dump_event(event), "f") == event


def test_items_without_fields_are_written_without_them() -> None:
    event = Event(id="p1", type="purchase", member="m1", at=AT, amount=500, items=(Item(price=500),))
    assert '"fields"' not in codec.dump_event(event)


def test_a_payload_written_with_empty_item_fields_still_reads() -> None:
    # as ledgers written before items without fields were left out hold it
    stored = ('{"id":"p1","type":"purchase","member":"m1","at":"2026-03-21T06:45:00+00:00","amount":500,'
              '"items":[{"sku":null,"category":"tea","qty":1,"price":500,"fields":{}}]}')
    (item,) = codec.load_event(stored, "").items
    assert (item.category, item.price, dict(item.fields)) == ("tea", 500, {})


@pytest.mark.parametrize("why", [(), ("+10: welcome",), ('a "quoted" {rule}', "قانون طلایی\t×1.5", "\u0001 \\ end")])
def test_reasons_are_written_as_dump_writes_them(why: tuple[str, ...]) -> None:
    assert codec.dump_texts(why) == codec.dump(why)
    assert codec.load(codec.dump_texts(why)) == why
