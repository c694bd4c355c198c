"""Reading event files (spec §6): JSON Lines and CSV, bad rows reported by line (spec §7)."""

import gzip
import hashlib
import json
import os
import threading
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules_engine.events import EVENT_TYPES, Event
from rules_engine.readers import ReadResult, RowError, iter_events, read_events

TEHRAN = ZoneInfo("Asia/Tehran")
AT = "2026-03-21T10:15:00+03:30"
PURCHASE: dict[str, Any] = {"id": "p-1", "type": "purchase", "member": "m-42", "at": AT, "amount": 250000}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def jsonl(tmp_path: Path, *rows: dict[str, Any] | str) -> Path:
    """A .jsonl file with one line per row; a str row is written as is."""
    lines = (row if isinstance(row, str) else json.dumps(row, ensure_ascii=False) for row in rows)
    return write(tmp_path, "events.jsonl", "\n".join(lines) + "\n")


def read_jsonl(tmp_path: Path, *rows: dict[str, Any] | str) -> ReadResult:
    return read_events(jsonl(tmp_path, *rows), TEHRAN)


def only_event(tmp_path: Path, row: dict[str, Any] | str) -> Event:
    result = read_jsonl(tmp_path, row)
    assert result.errors == ()
    (event,) = result.events
    return event


def only_error(tmp_path: Path, row: dict[str, Any] | str) -> str:
    result = read_jsonl(tmp_path, row)
    assert result.events == ()
    (error,) = result.errors
    assert error.line == 1
    return error.message


def purchase(**changes: Any) -> dict[str, Any]:
    """The reference purchase with some keys changed; a key set to None is left out."""
    row = {**PURCHASE, **changes}
    return {key: value for key, value in row.items() if value is not None}


# --- the spec's example rows --------------------------------------------------

SPEC_EXAMPLE = """\
{"id": "p-1", "type": "purchase", "member": "m-42", "at": "2026-03-21T10:15:00+03:30", "amount": 250000, "channel": "app", "store": "tehran-1", "items": [{"sku": "COF-1", "category": "coffee", "qty": 2, "price": 90000}]}
{"id": "r-1", "type": "refund", "member": "m-42", "at": "2026-03-22T09:00:00+03:30", "of": "p-1", "amount": 90000}
{"id": "s-1", "type": "signup", "member": "m-43", "at": "2026-03-22T09:00:00+03:30", "attrs": {"city": "Shiraz", "referred_by": "m-42"}}
{"id": "x-1", "type": "redeem", "member": "m-42", "at": "2026-04-01T12:00:00+03:30", "reward": "free_coffee"}
{"id": "c-1", "type": "claim", "member": "m-42", "at": "2026-04-01T12:00:00+03:30", "offer": "fitland:gym-20"}
{"id": "e-1", "type": "event", "name": "survey_completed", "member": "m-42", "at": "2026-04-02T08:00:00+03:30"}
"""


def test_the_spec_example_reads_without_errors_in_file_order(tmp_path: Path) -> None:
    result = read_events(write(tmp_path, "events.jsonl", SPEC_EXAMPLE), TEHRAN)
    assert result.errors == ()
    assert [(e.id, e.type, e.line) for e in result.events] == [
        ("p-1", "purchase", 1), ("r-1", "refund", 2), ("s-1", "signup", 3),
        ("x-1", "redeem", 4), ("c-1", "claim", 5), ("e-1", "event", 6),
    ]


def test_a_purchase_carries_its_amount_items_and_fields(tmp_path: Path) -> None:
    p1 = read_events(write(tmp_path, "events.jsonl", SPEC_EXAMPLE), TEHRAN).events[0]
    assert (p1.member, p1.amount, p1.at) == ("m-42", 250000, datetime(2026, 3, 21, 6, 45, tzinfo=timezone.utc))
    assert dict(p1.fields) == {"channel": "app", "store": "tehran-1"}
    (item,) = p1.items
    assert (item.sku, item.category, item.qty, item.price) == ("COF-1", "coffee", 2, 90000)


def test_each_event_type_keeps_its_own_key(tmp_path: Path) -> None:
    events = read_events(write(tmp_path, "events.jsonl", SPEC_EXAMPLE), TEHRAN).events
    refund, signup, redeem, claim, custom = events[1:]
    assert (refund.of, refund.amount) == ("p-1", 90000)
    assert dict(signup.attrs) == {"city": "Shiraz", "referred_by": "m-42"}
    assert (redeem.reward, claim.offer, custom.name) == ("free_coffee", "fitland:gym-20", "survey_completed")


def test_every_event_type_can_be_read(tmp_path: Path) -> None:
    needs = {"purchase": {"amount": 1}, "refund": {"of": "p-1", "amount": 1}, "redeem": {"reward": "r"},
             "claim": {"offer": "o"}, "event": {"name": "n"}}
    rows = [{"id": t, "type": t, "member": "m", "at": AT, **needs.get(t, {})} for t in EVENT_TYPES]
    assert [e.type for e in read_jsonl(tmp_path, *rows).events] == list(EVENT_TYPES)


# --- values --------------------------------------------------------------------


def test_type_defaults_to_purchase(tmp_path: Path) -> None:
    assert only_event(tmp_path, purchase(type=None)).type == "purchase"


def test_a_whole_amount_written_with_a_fraction_is_an_int(tmp_path: Path) -> None:
    amount = only_event(tmp_path, json.dumps(purchase()).replace("250000", "250000.0")).amount
    assert amount == 250000 and type(amount) is int


def test_a_fractional_amount_is_an_exact_decimal_never_a_float(tmp_path: Path) -> None:
    amount = only_event(tmp_path, json.dumps(purchase()).replace("250000", "0.1")).amount
    assert amount == Decimal("0.1") and type(amount) is Decimal


def test_a_numeric_text_amount_is_read_as_a_number(tmp_path: Path) -> None:
    assert only_event(tmp_path, purchase(amount="250000")).amount == 250000


def test_an_amount_in_persian_digits_with_their_separator_is_a_number(tmp_path: Path) -> None:
    assert only_event(tmp_path, purchase(amount="۲۵۰٬۰۰۰")).amount == 250000


def test_an_amount_in_arabic_indic_digits_is_a_number(tmp_path: Path) -> None:
    assert only_event(tmp_path, purchase(amount="٢٥٠٠٠٠")).amount == 250000


def test_numeric_id_and_member_become_text(tmp_path: Path) -> None:
    event = only_event(tmp_path, purchase(id=17, member=42))
    assert (event.id, event.member) == ("17", "42")


def test_extra_keys_become_read_only_fields_and_known_keys_do_not(tmp_path: Path) -> None:
    event = only_event(tmp_path, purchase(channel="app", payment={"kind": "card"}, of="x", name="n"))
    assert dict(event.fields) == {"channel": "app", "payment": {"kind": "card"}}
    with pytest.raises(TypeError):
        event.fields["channel"] = "web"  # type: ignore[index]
    with pytest.raises(TypeError):
        event.fields["payment"]["kind"] = "cash"


def test_extra_keys_of_an_item_become_item_fields(tmp_path: Path) -> None:
    (item,) = only_event(tmp_path, purchase(items=[{"sku": "COF-1", "size": "L"}])).items
    assert dict(item.fields) == {"size": "L"}


def test_an_item_defaults_to_one_unit_at_price_zero(tmp_path: Path) -> None:
    (item,) = only_event(tmp_path, purchase(items=[{"sku": "COF-1"}])).items
    assert (item.qty, item.price) == (1, 0)


def test_null_is_the_same_as_leaving_the_key_out(tmp_path: Path) -> None:
    event = only_event(tmp_path, {**purchase(), "channel": None, "of": None})
    assert (dict(event.fields), event.of) == ({}, None)


def test_attrs_are_read_only(tmp_path: Path) -> None:
    signup = only_event(tmp_path, {"id": "s-1", "type": "signup", "member": "m", "at": AT, "attrs": {"city": "Shiraz"}})
    with pytest.raises(TypeError):
        signup.attrs["city"] = "Tabriz"  # type: ignore[index]


def test_a_time_without_offset_is_in_the_rulebook_zone(tmp_path: Path) -> None:
    event = only_event(tmp_path, purchase(at="2026-03-21 10:15:00"))
    assert event.at == datetime(2026, 3, 21, 10, 15, tzinfo=TEHRAN)


# --- one bad row never stops the file -------------------------------------------


def test_a_bad_row_in_the_middle_does_not_lose_the_rows_around_it(tmp_path: Path) -> None:
    result = read_jsonl(tmp_path, purchase(id="p-1"), "{not json", purchase(id="p-3"))
    assert [e.id for e in result.events] == ["p-1", "p-3"]
    assert [e.line for e in result.errors] == [2]


def test_blank_lines_are_skipped_but_still_counted(tmp_path: Path) -> None:
    result = read_jsonl(tmp_path, purchase(id="p-1"), "", "   ", purchase(id="p-4"))
    assert [e.line for e in result.events] == [1, 4]


def test_an_id_kept_for_derived_referrals_is_refused_with_its_line(tmp_path: Path) -> None:
    result = read_jsonl(tmp_path, purchase(id="p-0:referral"), purchase(id="p-2"))
    assert [(e.line, e.message.split(";")[0]) for e in result.errors] == [
        (1, "ids ending in `:referral` are kept for the referral events the engine derives from a member's first purchase")]
    assert [e.id for e in result.events] == ["p-2"]


def test_a_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(purchase()).encode())
    assert [e.id for e in read_events(path, TEHRAN).events] == ["p-1"]


def test_a_line_that_is_not_utf8_is_an_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_bytes(b'{"id": "\xff"}\n' + json.dumps(purchase()).encode())
    result = read_events(path, TEHRAN)
    assert result.errors == (RowError(1, "the line is not valid UTF-8 text"),)
    assert [e.id for e in result.events] == ["p-1"]


def test_a_row_nested_too_deeply_is_an_error_not_a_crash(tmp_path: Path) -> None:
    deep = json.dumps(purchase()).replace("}", ', "x": %s}' % ("[" * 5000 + "]" * 5000))
    result = read_jsonl(tmp_path, deep, purchase(id="p-2"))
    assert [e.line for e in result.errors] == [1]
    assert [e.id for e in result.events] == ["p-2"]


def test_iter_events_streams_events_and_errors_in_file_order(tmp_path: Path) -> None:
    entries = iter_events(jsonl(tmp_path, purchase(id="p-1"), "[]", purchase(id="p-3")), TEHRAN)
    assert next(entries).id == "p-1"  # type: ignore[union-attr]
    assert next(entries) == RowError(2, "each line must be a JSON object (got a list)")
    assert next(entries).id == "p-3"  # type: ignore[union-attr]


# --- rejection reasons ------------------------------------------------------------


def test_invalid_json_is_refused(tmp_path: Path) -> None:
    assert only_error(tmp_path, '{"id": ').startswith("not valid JSON")


def test_nan_is_not_a_number(tmp_path: Path) -> None:
    assert only_error(tmp_path, json.dumps(purchase()).replace("250000", "NaN")) == "not valid JSON (NaN is not a number)"


def test_a_row_that_is_not_an_object_is_refused(tmp_path: Path) -> None:
    assert only_error(tmp_path, '"p-1"') == "each line must be a JSON object (got text)"


def test_a_missing_id_is_refused(tmp_path: Path) -> None:
    assert only_error(tmp_path, purchase(id=None)) == "every event needs an 'id'"


def test_a_blank_id_is_refused(tmp_path: Path) -> None:
    assert only_error(tmp_path, purchase(id="  ")) == "'id' is blank (got '  ')"


def test_a_missing_member_is_refused(tmp_path: Path) -> None:
    assert only_error(tmp_path, purchase(member=None)) == "every event needs a 'member'"


def test_a_blank_member_is_refused(tmp_path: Path) -> None:
    assert only_error(tmp_path, purchase(member="")) == "'member' is blank (got '')"


def test_a_missing_timestamp_is_refused(tmp_path: Path) -> None:
    assert only_error(tmp_path, purchase(at=None)) == "every event needs an 'at'"


def test_a_bad_timestamp_is_refused(tmp_path: Path) -> None:
    assert only_error(tmp_path, purchase(at="yesterday")).startswith("'at': 'yesterday' is not a timestamp")


def test_a_numeric_timestamp_is_refused(tmp_path: Path) -> None:
    assert only_error(tmp_path, purchase(at=1774073100)) == "'at': expected text, got 1774073100"


def test_an_unknown_type_is_refused(tmp_path: Path) -> None:
    assert only_error(tmp_path, purchase(type="sale")) == (
        "unknown event type 'sale' (expected one of purchase, refund, signup, redeem, claim, event, referral)"
    )


def test_a_negative_amount_is_refused(tmp_path: Path) -> None:
    assert only_error(tmp_path, purchase(amount=-5)) == "'amount' must not be negative (got -5)"


def test_an_amount_of_ten_to_the_eighteen_is_refused_and_one_less_is_not(tmp_path: Path) -> None:
    assert only_error(tmp_path, purchase(amount=10**18)).startswith("'amount' is too large")
    assert only_event(tmp_path, purchase(amount=10**18 - 1)).amount == 10**18 - 1


def test_an_item_quantity_of_ten_to_the_eighteen_is_refused(tmp_path: Path) -> None:
    row = purchase(items=[{"sku": "A", "qty": 10**18, "price": 1}])
    assert only_error(tmp_path, row).startswith("item 1: 'qty' is too large")


def test_a_non_numeric_amount_is_refused(tmp_path: Path) -> None:
    assert only_error(tmp_path, purchase(amount="abc")) == "purchase needs a numeric 'amount' (got 'abc')"


def test_true_is_not_an_amount(tmp_path: Path) -> None:
    assert only_error(tmp_path, purchase(amount=True)) == "purchase needs a numeric 'amount' (got true)"


def test_a_purchase_without_amount_is_refused(tmp_path: Path) -> None:
    assert only_error(tmp_path, purchase(amount=None)) == "purchase needs an 'amount'"


def test_a_refund_without_of_is_refused(tmp_path: Path) -> None:
    assert only_error(tmp_path, purchase(type="refund")) == "refund needs an 'of'"


def test_a_refund_without_amount_is_read_as_a_refund_in_full(tmp_path: Path) -> None:
    event = only_event(tmp_path, purchase(type="refund", of="p-0", amount=None))
    assert (event.type, event.of, event.amount) == ("refund", "p-0", None)


def test_a_redeem_without_reward_is_refused(tmp_path: Path) -> None:
    assert only_error(tmp_path, purchase(type="redeem")) == "redeem needs a 'reward'"


def test_a_claim_without_offer_is_refused(tmp_path: Path) -> None:
    assert only_error(tmp_path, purchase(type="claim")) == "claim needs an 'offer'"


def test_a_custom_event_without_name_is_refused(tmp_path: Path) -> None:
    assert only_error(tmp_path, purchase(type="event")) == "custom event needs a 'name'"


def test_items_that_are_not_a_list_are_refused(tmp_path: Path) -> None:
    assert only_error(tmp_path, purchase(items={"sku": "COF-1"})) == "'items' must be a list of objects (got an object)"


def test_an_item_that_is_not_an_object_is_refused(tmp_path: Path) -> None:
    message = only_error(tmp_path, purchase(items=[{"sku": "COF-1"}, "COF-2"]))
    assert message == "'items' must be a list of objects (item 2 is text)"


def test_an_item_quantity_of_zero_is_refused(tmp_path: Path) -> None:
    assert only_error(tmp_path, purchase(items=[{"qty": 0}])) == "item 1: 'qty' must be more than zero (got 0)"


def test_a_negative_item_price_is_refused(tmp_path: Path) -> None:
    assert only_error(tmp_path, purchase(items=[{"price": -1}])) == "item 1: 'price' must not be negative (got -1)"


def test_attrs_that_are_not_an_object_are_refused(tmp_path: Path) -> None:
    assert only_error(tmp_path, purchase(attrs=["Shiraz"])) == "'attrs' must be an object (got a list)"


def test_all_problems_of_a_row_are_reported_together(tmp_path: Path) -> None:
    assert only_error(tmp_path, purchase(member=None, amount=-1)) == (
        "every event needs a 'member'; 'amount' must not be negative (got -1)"
    )


# --- fingerprints ---------------------------------------------------------------


def test_the_same_payload_has_the_same_fingerprint(tmp_path: Path) -> None:
    same = '{"amount": 250000.0, "at": "%s", "member": "m-42", "id": "p-1"}' % AT
    first, second = read_jsonl(tmp_path, purchase(), same).events
    assert first.fingerprint == second.fingerprint


def test_the_same_id_with_a_different_payload_has_a_different_fingerprint(tmp_path: Path) -> None:
    first, second = read_jsonl(tmp_path, purchase(), purchase(amount=250001)).events
    assert first.fingerprint != second.fingerprint


def test_a_fingerprint_is_a_sha256_hex_digest(tmp_path: Path) -> None:
    fingerprint = only_event(tmp_path, purchase()).fingerprint
    assert len(fingerprint) == 64 and set(fingerprint) <= set("0123456789abcdef")


# A row with every kind of content a fingerprint covers: extra keys (nested, with a fraction), attributes,
# items with defaults and extra keys of their own, and a time written with an offset.
FULL_ROW: dict[str, Any] = {
    "id": "p-9", "type": "purchase", "member": "m-7", "at": AT, "amount": "1250.50", "channel": "app",
    "basket": {"coupons": ["A", "B"], "weight": 1.5}, "attrs": {"city": "Tabriz"},
    "items": [{"sku": "s1", "category": "tea", "price": 500}, {"price": "750.5", "qty": 2, "gift": True}],
}


def test_a_fingerprint_stays_what_stored_ledgers_hold(tmp_path: Path) -> None:
    # The SHA-256 of the canonical JSON of the validated row, as every ledger written so far stores it.
    assert only_event(tmp_path, FULL_ROW).fingerprint == "bc7c204b2c90c163e2db8c504d24dc8c0a4f8d8d038d9da1a6ffc7df09195df8"
    assert only_event(tmp_path, purchase()).fingerprint == "31e48e55426536d8b9706297dc242705f07c602f0e432a4af8d5a8d75013fc78"


@pytest.mark.parametrize("row", [FULL_ROW, PURCHASE, {"id": "s", "type": "signup", "member": "m", "at": AT},
                                 {"id": "e", "type": "event", "name": "survey", "member": "m", "at": AT, "score": 3}])
def test_a_fingerprint_covers_the_validated_content_as_dumped(row: dict[str, Any]) -> None:
    from rules_engine.readers import _ROW, _canonical, _content, _fingerprint

    model = _ROW.validate_python(dict(row), context={"tz": TEHRAN})
    content = model.model_dump(exclude_none=True)
    content["at"] = model.at.astimezone(timezone.utc).isoformat()
    assert _fingerprint(_content(model)) == hashlib.sha256(_canonical(content).encode()).hexdigest()


# --- plain rows -------------------------------------------------------------------
# Rows already in their validated form skip the validator (readers._plain_content); every row must read
# the same either way, down to the fingerprint, and every error must still come from the validator.

_PLAIN = {"text": st.sampled_from(["m-1", "۱۲", "a b"]), "whole": st.sampled_from([0, 1, 250000, 10**18 - 1]),
          "time": st.sampled_from([AT, "2026-03-21T10:15:00Z", "2026-03-21", "2026-03-21 10:15"])}
_ODD = st.sampled_from(["", "  ", "\t", 7, -3, True, 1.5, [], {}, 10**18, "120", "۱۲۰٬۰۰۰", "x", Decimal("1.50"),
                        Decimal("2"), "1899-12-31T23:00:00+00:00", "2200-01-01", "yesterday", 20260321])
_ITEM_KINDS = {"sku": "text", "category": "text", "qty": "whole", "price": "whole", "gift": "text"}
_ROW_KINDS = {"id": "text", "member": "text", "at": "time", "amount": "whole", "of": "text", "reward": "text",
              "offer": "text", "name": "text", "channel": "text"}
_NEEDS = {"purchase": ["amount"], "refund": ["of", "amount"], "redeem": ["reward"], "claim": ["offer"], "event": ["name"]}


@st.composite
def _rows(draw: st.DrawFn) -> dict[str, Any]:
    """A plain row of any type, then up to two of its values (or one item's) spoilt or left out."""
    kind = draw(st.sampled_from(EVENT_TYPES))
    keys = ["id", "member", "at", *_NEEDS.get(kind, []), *draw(st.lists(st.sampled_from(list(_ROW_KINDS)), max_size=3))]
    row: dict[str, Any] = {"type": kind, **{key: draw(_PLAIN[_ROW_KINDS[key]]) for key in keys}}
    if draw(st.booleans()):
        row["items"] = [{key: draw(_PLAIN[_ITEM_KINDS[key]]) for key in draw(st.sets(st.sampled_from(list(_ITEM_KINDS))))}
                        for _ in range(draw(st.integers(0, 3)))]
    if draw(st.booleans()):
        row["attrs"] = {"city": draw(_PLAIN["text"])}
    for key in draw(st.lists(st.sampled_from([*row, "items", "attrs", "type"]), max_size=2)):
        spoilt = draw(st.sampled_from(["odd", "gone", "item"]))
        if spoilt == "gone":
            row.pop(key, None)
        elif spoilt == "item" and isinstance(row.get("items"), list) and row["items"] and isinstance(row["items"][0], dict):
            row["items"][0][draw(st.sampled_from(list(_ITEM_KINDS)))] = draw(_ODD)
        else:
            row[key] = draw(st.one_of(_ODD, st.sampled_from(["bogus", [1]]) if key == "type" else _ODD))
    return row


def _read(row: dict[str, Any], validator_only: bool = False) -> Event | RowError:
    from rules_engine import readers

    with pytest.MonkeyPatch.context() as patch:
        if validator_only:
            patch.setattr(readers, "_plain_content", lambda row, tz: None)
        return readers._to_event(dict(row), 3, TEHRAN)


@settings(max_examples=500, deadline=None)
@given(row=_rows())
def test_a_row_reads_the_same_with_or_without_the_validator(row: dict[str, Any]) -> None:
    plain, validated = _read(row), _read(row, validator_only=True)
    assert plain == validated
    if isinstance(plain, Event):
        assert isinstance(validated, Event)
        assert (plain.fingerprint, plain.line, dict(plain.fields), [dict(i.fields) for i in plain.items]) == (
            validated.fingerprint, validated.line, dict(validated.fields), [dict(i.fields) for i in validated.items])


def test_a_plain_purchase_takes_the_plain_path() -> None:
    from rules_engine.readers import _plain_content

    row = {**PURCHASE, "items": [{"sku": "COF-1", "category": "coffee", "qty": 2, "price": 90000}]}
    assert _plain_content(row, TEHRAN) is not None


# --- format detection --------------------------------------------------------------


def test_ndjson_files_are_json_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "events.ndjson", json.dumps(purchase()))
    assert [e.id for e in read_events(path, TEHRAN).events] == ["p-1"]


def test_a_file_of_unknown_extension_starting_with_a_brace_is_json_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "events.txt", "\n  " + json.dumps(purchase()))
    assert [e.id for e in read_events(path, TEHRAN).events] == ["p-1"]


def test_a_file_of_unknown_extension_otherwise_is_csv(tmp_path: Path) -> None:
    path = write(tmp_path, "events.txt", f"id,member,at,amount\np-1,m-42,{AT},250000\n")
    assert [e.id for e in read_events(path, TEHRAN).events] == ["p-1"]


# --- CSV ----------------------------------------------------------------------------


def read_csv(tmp_path: Path, text: str) -> ReadResult:
    return read_events(write(tmp_path, "events.csv", text), TEHRAN)


def test_a_csv_row_is_a_purchase_by_default(tmp_path: Path) -> None:
    (event,) = read_csv(tmp_path, "id,member,at,amount\np-1,m-42,2026-03-21 10:15,250000\n").events
    assert (event.type, event.amount, event.at) == ("purchase", 250000, datetime(2026, 3, 21, 10, 15, tzinfo=TEHRAN))


def test_csv_cells_that_look_like_numbers_become_numbers(tmp_path: Path) -> None:
    (event,) = read_csv(tmp_path, f"id,member,at,amount,table,tip\np-1,m-42,{AT},250000.0,-7,1.5\n").events
    assert (event.amount, dict(event.fields)) == (250000, {"table": -7, "tip": Decimal("1.5")})


def test_csv_cells_in_persian_digits_become_numbers(tmp_path: Path) -> None:
    (event,) = read_csv(tmp_path, f"id,member,at,amount,guests\np-1,m-42,{AT},۱۲۰٬۰۰۰,۴\n").events
    assert (event.amount, dict(event.fields)) == (120000, {"guests": 4})


def test_csv_channel_and_store_stay_text_even_when_they_look_like_numbers(tmp_path: Path) -> None:
    (event,) = read_csv(tmp_path, f"id,member,at,amount,channel,store\np-1,m-42,{AT},1,2,012\n").events
    assert dict(event.fields) == {"channel": "2", "store": "012"}


def test_csv_names_keep_their_leading_zeros(tmp_path: Path) -> None:
    (event,) = read_csv(tmp_path, f"id,member,at,amount\n007,0042,{AT},1\n").events
    assert (event.id, event.member) == ("007", "0042")


def test_other_csv_columns_become_fields_and_empty_cells_are_left_out(tmp_path: Path) -> None:
    (event,) = read_csv(tmp_path, f"id,member,at,amount,channel,store\np-1,m-42,{AT},1,app,\n").events
    assert dict(event.fields) == {"channel": "app"}


def test_csv_maps_type_and_the_type_specific_columns(tmp_path: Path) -> None:
    text = f"id,type,member,at,amount,of,reward\nr-1,refund,m-42,{AT},90000,p-1,\nx-1,redeem,m-42,{AT},,,free_coffee\n"
    refund, redeem = read_csv(tmp_path, text).events
    assert (refund.type, refund.of, refund.amount) == ("refund", "p-1", 90000)
    assert (redeem.type, redeem.reward, redeem.amount) == ("redeem", "free_coffee", None)


def test_a_csv_purchase_without_amount_is_refused(tmp_path: Path) -> None:
    result = read_csv(tmp_path, f"id,type,member,at\ns-1,signup,m-43,{AT}\np-1,purchase,m-42,{AT}\n")
    assert [e.id for e in result.events] == ["s-1"]
    assert result.errors == (RowError(3, "purchase needs an 'amount'"),)


def test_a_csv_header_without_required_columns_is_refused_on_line_1(tmp_path: Path) -> None:
    result = read_csv(tmp_path, "id,amount\np-1,250000\n")
    assert result.errors == (RowError(1, "the header needs columns id, member and at (missing: member, at)"),)


def test_a_csv_header_may_not_repeat_a_column(tmp_path: Path) -> None:
    assert read_csv(tmp_path, "id,member,at,amount,amount\n").errors == (
        RowError(1, "the header repeats column amount"),
    )


def test_a_csv_row_with_more_cells_than_the_header_is_refused(tmp_path: Path) -> None:
    result = read_csv(tmp_path, f"id,member,at,amount\np-1,m-42,{AT},1,extra\n")
    assert result.errors == (RowError(2, "the row has more cells than the 4 columns of the header"),)


def test_csv_trailing_empty_cells_are_ignored(tmp_path: Path) -> None:
    assert len(read_csv(tmp_path, f"id,member,at,amount,\np-1,m-42,{AT},1,,\n").events) == 1


def test_csv_line_numbers_are_physical_lines(tmp_path: Path) -> None:
    text = f'id,member,at,amount,note\n\np-1,m-42,{AT},1,"two\nlines"\np-2,m-42,{AT},abc,\n'
    result = read_csv(tmp_path, text)
    assert [e.line for e in result.events] == [3]
    assert result.errors == (RowError(5, "purchase needs a numeric 'amount' (got 'abc')"),)


def test_a_csv_file_with_a_bom_reads_its_first_column(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_bytes(b"\xef\xbb\xbf" + f"id,member,at,amount\np-1,m-42,{AT},1\n".encode())
    assert [e.id for e in read_events(path, TEHRAN).events] == ["p-1"]


def test_the_same_row_in_csv_and_json_has_the_same_fingerprint(tmp_path: Path) -> None:
    (from_csv,) = read_csv(tmp_path, f"id,member,at,amount,channel\np-1,m-42,{AT},250000,app\n").events
    from_json = only_event(tmp_path, purchase(channel="app"))
    assert from_csv.fingerprint == from_json.fingerprint


def test_csv_attrs_columns_become_member_attributes(tmp_path: Path) -> None:
    path = tmp_path / "signups.csv"
    path.write_text("id,type,member,at,attrs.city,attrs.referred_by\ns1,signup,m2,2026-01-01T10:00:00Z,Shiraz,m1\n", encoding="utf-8")
    (event,) = read_events(path, ZoneInfo("UTC")).events
    assert dict(event.attrs) == {"city": "Shiraz", "referred_by": "m1"}
    assert "attrs.city" not in event.fields


# --- whole files that are not events, and how a file is read ---------------------------


def test_a_quote_left_open_costs_its_line_and_the_rows_after_it_are_read(tmp_path: Path) -> None:
    result = read_csv(tmp_path, "id,member,at,amount\np-1,m-1,2026-03-21 10:15,1\n\"p-2,m-1,2026-03-21 10:16,1\n"
                                "p-3,m-1,2026-03-21 10:17,1\np-4,m-1,2026-03-21 10:18,1\n")
    assert [(e.line, e.message.split(",")[0]) for e in result.errors] == [(3, "a quote opened on this line is never closed")]
    assert [(e.id, e.line) for e in result.events] == [("p-1", 2), ("p-3", 4), ("p-4", 5)]


def test_a_quote_left_open_on_the_last_line_is_named(tmp_path: Path) -> None:
    result = read_csv(tmp_path, "id,member,at,amount\np-1,m-1,2026-03-21 10:15,1\n\"p-2,m-1,2026-03-21 10:16,1\n")
    assert [(e.line, e.message.split(",")[0]) for e in result.errors] == [(3, "a quote opened on this line is never closed")]


def test_a_quoted_cell_may_hold_a_line_break(tmp_path: Path) -> None:
    result = read_csv(tmp_path, "id,member,at,amount,note\np-1,m-1,2026-03-21 10:15,1,\"two\nlines\"\n"
                                "p-2,m-1,2026-03-21 10:16,1,x\n")
    assert result.errors == ()
    assert [(e.id, e.line, e.fields["note"]) for e in result.events] == [("p-1", 2, "two\nlines"), ("p-2", 4, "x")]


@pytest.mark.parametrize("name, content, reason", [
    ("events.jsonl", b'[\n{"id": "p-1"},\n{"id": "p-2"}\n]\n', "the file is a JSON array, not JSON Lines"),
    ("events.jsonl.gz", gzip.compress(b'{"id": "p-1"}\n'), "the file is compressed with gzip"),
    ("events.jsonl", '{"id": "p-1"}\n{"id": "p-2"}\n'.encode("utf-16"), "the file is UTF-16 text"),
    ("club.rules", b"# a club\nearn 1 point per 1000 toman\n", "this is a rulebook, not events"),
    ("events.txt", b"currency toman\nearn 1 point per 1000 toman\n", "this looks like a rulebook, not events"),
])
def test_a_file_that_holds_no_events_is_said_once(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = read_events(path, TEHRAN)
    assert (result.events, [(e.line, e.message.split(":")[0]) for e in result.errors]) == ((), [(1, reason)])


def test_a_pipe_is_read_once_like_a_file(tmp_path: Path) -> None:
    fifo = tmp_path / "events"
    os.mkfifo(fifo)
    rows = "\n".join(json.dumps(purchase(id=f"p-{n}")) for n in range(3)) + "\n"
    writer = threading.Thread(target=fifo.write_text, args=(rows,))
    writer.start()
    result = read_events(fifo, TEHRAN)
    writer.join()
    assert [e.id for e in result.events] == ["p-0", "p-1", "p-2"]


def test_a_timestamp_in_persian_digits_is_read(tmp_path: Path) -> None:
    event = only_event(tmp_path, purchase(at="۲۰۲۶-۰۳-۲۱T۱۰:۱۵:۰۰+۰۳:۳۰"))
    assert event.at == datetime(2026, 3, 21, 6, 45, tzinfo=timezone.utc)
