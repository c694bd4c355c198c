"""The fraud-review list (`loyalty suspicious`): which members each pattern puts on it, and why not others."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import events

from rules_engine.cli import main
from rules_engine.fraud import Findings, Ring, Thresholds, review

RULEBOOK = """
    program "Test Club"
    base: earn 1 point per 1000 toman
    friend: earn 200 points on referral
    reward r "R" costs 250 points gives product(sku: "X")
"""
LATER = {"id": "end", "member": "zz", "at": "2026-06-01T10:00:00Z", "amount": 1000}  # moves as_of months on


def buy(id_: str, member: str, day: int, amount: int = 100000) -> dict:
    return {"id": id_, "member": member, "at": f"2026-01-{day:02d}T10:00:00Z", "amount": amount}


def refund(id_: str, member: str, of: str, day: int, amount: int = 100000) -> dict:
    return {"id": id_, "type": "refund", "member": member, "at": f"2026-01-{day:02d}T12:00:00Z", "of": of,
            "amount": amount}


def signup(member: str, referred_by: str, day: int = 1) -> dict:
    return {"id": f"s-{member}", "type": "signup", "member": member, "at": f"2026-01-{day:02d}T09:00:00Z",
            "attrs": {"referred_by": referred_by}}


def refunds_of(member: str, count: int, refunded: int) -> list[dict]:
    """`count` purchases of 100 points each, the first `refunded` of them refunded in full."""
    rows = [buy(f"{member}-p{n}", member, n + 1) for n in range(count)]
    return rows + [refund(f"{member}-r{n}", member, f"{member}-p{n}", 20) for n in range(refunded)]


@pytest.fixture
def findings(compile_text):
    def run(*rows: dict, thresholds: Thresholds = Thresholds()) -> Findings:
        return review(compile_text(RULEBOOK), events(*rows), thresholds=thresholds)[1]

    return run


# --- refunds after earning -----------------------------------------------------------------------------


def test_a_member_with_many_refunds_after_earning_is_listed_with_the_share_taken_back(findings) -> None:
    (listed,) = findings(*refunds_of("m1", 4, 3)).refunders
    assert (listed.member, listed.purchases, listed.refunded, listed.earned, listed.reversed) == ("m1", 4, 3, 400, 300)
    assert listed.reversed_share == 0.75


@pytest.mark.parametrize("count, refunded", [(2, 2), (10, 3)], ids=["too few refunds", "too small a share"])
def test_a_member_under_either_refund_threshold_is_not_listed(findings, count: int, refunded: int) -> None:
    assert findings(*refunds_of("m1", count, refunded)).refunders == ()


def test_refunds_of_purchases_that_earned_nothing_do_not_count(findings) -> None:
    rows = [buy(f"p{n}", "m1", n + 1, amount=500) for n in range(3)]  # 500 toman earn no point
    rows += [refund(f"r{n}", "m1", f"p{n}", 20, amount=500) for n in range(3)]
    assert findings(*rows).refunders == ()


def test_a_listed_member_shows_the_debt_left_by_points_spent_before_the_refunds(findings) -> None:
    rows = refunds_of("m1", 3, 3)
    rows.insert(3, {"id": "x1", "type": "redeem", "member": "m1", "at": "2026-01-10T10:00:00Z", "reward": "r"})
    (listed,) = findings(*rows).refunders
    assert listed.balance == -250


def test_the_refund_thresholds_are_the_operators(findings) -> None:
    strict = Thresholds(min_refunds=2, min_reversed_percent=20)
    assert [r.member for r in findings(*refunds_of("m1", 10, 2), thresholds=strict).refunders] == ["m1"]


# --- referral rings -----------------------------------------------------------------------------------


def test_members_who_referred_each_other_in_a_cycle_are_one_ring(findings) -> None:
    found = findings(signup("a", "b"), signup("b", "c"), signup("c", "a"))
    assert found.rings == (Ring(("a", "c", "b")),)  # a referred c, c referred b, b referred a


def test_a_chain_of_referrals_is_no_ring(findings) -> None:
    assert findings(signup("b", "a"), signup("c", "b"), signup("d", "c")).rings == ()


def test_a_member_referred_into_a_ring_is_not_part_of_it(findings) -> None:
    found = findings(signup("a", "b"), signup("b", "a"), signup("x", "a"))
    assert found.rings == (Ring(("a", "b")),)


# --- referrers whose referred members bought once -------------------------------------------------------


def referred(referrer: str, *members: str, day: int = 2) -> list[dict]:
    return [row for m in members for row in (signup(m, referrer), buy(f"{m}-p1", m, day, 10000))]


def test_a_referrer_whose_referred_members_bought_once_then_never_again_is_listed(findings) -> None:
    (listed,) = findings(*referred("r", "n1", "n2", "n3"), LATER).referrers
    assert (listed.member, listed.referred, listed.one_time, listed.refunded) == ("r", 3, ("n1", "n2", "n3"), 0)


def test_referred_members_who_bought_again_keep_their_referrer_off_the_list(findings) -> None:
    rows = referred("r", "n1", "n2", "n3") + [buy("n1-p2", "n1", 20, 10000), buy("n2-p2", "n2", 21, 10000)]
    assert findings(*rows, LATER).referrers == ()


def test_referred_members_who_bought_too_recently_to_tell_are_not_judged(findings) -> None:
    assert findings(*referred("r", "n1", "n2", "n3", day=25)).referrers == ()


def test_the_one_time_purchases_refunded_in_full_are_counted(findings) -> None:
    rows = referred("r", "n1", "n2", "n3") + [refund("n1-r1", "n1", "n1-p1", 3, 10000),
                                              refund("n2-r1", "n2", "n2-p1", 3, 4000)]
    (listed,) = findings(*rows, LATER).referrers
    assert listed.refunded == 1


# --- the command --------------------------------------------------------------------------------------------


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    rulebook = tmp_path / "club.rules"
    rulebook.write_text(RULEBOOK, encoding="utf-8")
    rows = refunds_of("m1", 3, 3) + [signup("a", "b"), signup("b", "a")]
    history = tmp_path / "events.jsonl"
    history.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return rulebook, history


def test_suspicious_prints_the_findings_and_the_thresholds_used_as_json(files: tuple[Path, Path]) -> None:
    result = CliRunner().invoke(main, ["suspicious", *map(str, files), "--format", "json", "--min-refunds", "2"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["thresholds"]["min_refunds"], [r["member"] for r in data["refunds"]], data["rings"]) == (
        2, ["m1"], [["a", "b"]])
    assert (data["refunds"][0]["reversed_share"], data["referrers"]) == (1.0, [])


def test_suspicious_table_lists_each_pattern_and_says_none_where_nothing_was_found(files: tuple[Path, Path]) -> None:
    lines = CliRunner().invoke(main, ["suspicious", *map(str, files)]).stdout.splitlines()
    assert lines[0] == "Test Club — suspicious patterns up to 2026-01-20T12:00:00+00:00"
    assert "  m1                       3         3       300       300   100%         0" in lines
    assert "  a → b → a" in lines
    assert lines[-1] == "  none"
