"""Member by member: a simulation run history by history gives exactly what time order gives."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from rules_engine import economics, grouping, simulation
from rules_engine import hookimpl
from rules_engine.dsl.compiler import compile_rulebook
from rules_engine.engine import Engine
from rules_engine.events import Event
from rules_engine.generate import Plan, write_events
from rules_engine.ledger import Outcome
from rules_engine.plugins.registry import PartnerOffer
from rules_engine.program import Program
from rules_engine.readers import read_events
from rules_engine.simulation import Report, simulate
from tests.helpers import events
from tests.plugins.gift_shop import GiftShop
from tests.plugins.harness import registry_with

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted((ROOT / "rulebooks").glob("*.rules"))
ACCEPTANCE = sorted((ROOT.parent / "shared" / "acceptance").glob("*/rulebook.rules"))

MIXED = """
currency toman
tier bronze
tier silver when spend_30d >= 100000
base: earn 1 point per 1000 toman
referral: earn 50 points on referral
welcome: earn 10 points on signup
cap 400 points per 30 days
points expire after 40 days
reward mug "Mug" costs 60 points gives product(sku: "MUG")
"""

# Members that touch, each with an event before the member they touch, so that running them apart would differ:
# m1 (whose own signup is not in the file) referred m2, who referred m3; m4 sends m5's event id twice (conflicts);
# m6 refunds m7's purchase; m8's signup comes after its purchases.
TOUCHING = events(
    '{"id":"p0","member":"m1","at":"2025-12-30T10:00:00Z","amount":300000}',
    '{"id":"p40","member":"m4","at":"2025-12-31T10:00:00Z","amount":20000}',
    '{"id":"s2","type":"signup","member":"m2","at":"2026-01-01T09:00:00Z","attrs":{"referred_by":"m1"}}',
    '{"id":"p5","member":"m5","at":"2026-01-01T10:00:00Z","amount":90000}',
    '{"id":"p7","member":"m7","at":"2026-01-01T11:00:00Z","amount":120000}',
    '{"id":"p8","member":"m8","at":"2026-01-02T08:00:00Z","amount":50000}',
    '{"id":"s3","type":"signup","member":"m3","at":"2026-01-02T09:00:00Z","attrs":{"referred_by":"m2"}}',
    '{"id":"p2","member":"m2","at":"2026-01-03T10:00:00Z","amount":150000}',
    '{"id":"p5","member":"m4","at":"2026-01-03T11:00:00Z","amount":90000}',
    '{"id":"r6","type":"refund","member":"m6","at":"2026-01-04T10:00:00Z","of":"p7","amount":1000}',
    '{"id":"p3","member":"m3","at":"2026-01-05T10:00:00Z","amount":80000}',
    '{"id":"p5","member":"m4","at":"2026-01-06T10:00:00Z","amount":10}',
    '{"id":"x1","type":"redeem","member":"m2","at":"2026-01-07T10:00:00Z","reward":"mug"}',
    '{"id":"s8","type":"signup","member":"m8","at":"2026-01-08T10:00:00Z"}',
    '{"id":"p9","member":"m1","at":"2026-02-20T10:00:00Z","amount":400000}',
    '{"id":"p4","member":"m4","at":"2026-03-01T10:00:00Z","amount":700000}',
)


@pytest.fixture
def in_time_order(monkeypatch: pytest.MonkeyPatch):
    """Run `call` as a simulation would with histories kept in time order (the order before grouping)."""

    def run(call, *args, **kwargs):
        with monkeypatch.context() as patch:
            patch.setattr(simulation, "independent", lambda *args: False)
            patch.setattr(economics, "independent", lambda *args: False)
            return call(*args, **kwargs)

    return run


def generated_club(members: int = 300, days: int = 200) -> list[Event]:
    out = io.StringIO()
    write_events(Plan(members=members, days=days, seed=11), out)
    return events(*(json.loads(line) for line in out.getvalue().splitlines()))


def ids(histories: list[list[Event]]) -> list[list[str]]:
    return [[event.id for event in history] for history in histories]


def outcome_facts(outcome: Outcome) -> tuple:
    """What an outcome says, without the codes a reward plugin draws at random on every run."""
    return (outcome.event.id, outcome.status, outcome.reason, outcome.entries, outcome.tier_changes, outcome.notes,
            tuple(outcome_facts(derived) for derived in outcome.derived))


def report_facts(report: Report) -> tuple:
    return (report.as_of, report.events, report.status, report.members, report.tiers, report.liability,
            [outcome_facts(o) for o in report.problems],
            {member: [outcome_facts(o) for o in outcomes] for member, outcomes in report.followed.items()})


def compiled(path: Path) -> Program:
    return compile_rulebook(path.read_text(encoding="utf-8"), str(path), registry_with())


@pytest.mark.parametrize("rulebook", SAMPLES + ACCEPTANCE, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_simulation_member_by_member_gives_what_time_order_gives(rulebook: Path, in_time_order) -> None:
    program = compiled(rulebook)
    data = rulebook.with_suffix(".jsonl") if rulebook.parent.name == "rulebooks" else rulebook.parent / "events.jsonl"
    history = read_events(str(data), program.settings.tz).events
    follow = sorted({e.member for e in history})[:5]
    grouped = simulate(program, history, follow=follow)
    timed = in_time_order(simulate, program, history, follow=follow)
    assert report_facts(grouped) == report_facts(timed)


def test_members_that_touch_run_together_and_come_out_as_in_time_order(compile_text, in_time_order) -> None:
    program = compile_text(MIXED)
    follow = ["m1", "m2", "m3", "m4", "m5", "m6", "m8"]
    grouped = simulate(program, TOUCHING, follow=follow)
    timed = in_time_order(simulate, program, TOUCHING, follow=follow)
    assert report_facts(grouped) == report_facts(timed)
    assert [m.id for m in grouped.members] == ["m1", "m4", "m2", "m5", "m7", "m8", "m3", "m6"]  # as they enrolled
    assert grouped.status["conflict"] == 2  # m4 sent m5's id twice
    assert grouped.status["invalid"] == 1  # m6 cannot refund m7's purchase


def test_a_generated_year_gives_the_same_economics_member_by_member(in_time_order) -> None:
    program = compiled(ROOT / "rulebooks" / "online-retailer.rules")
    club = generated_club()
    assert any(e.type == "signup" and "referred_by" in e.attrs for e in club)
    grouped, = economics.run([program], club, details=True)
    timed, = in_time_order(economics.run, [program], club, details=True)
    assert grouped == timed
    assert report_facts(simulate(program, club)) == report_facts(in_time_order(simulate, program, club))


def test_a_comparison_gives_the_same_economics_member_by_member(in_time_order) -> None:
    retail = compiled(ROOT / "rulebooks" / "online-retailer.rules")
    stricter = compile_rulebook((ROOT / "rulebooks" / "online-retailer.rules").read_text(encoding="utf-8")
                                .replace("spend_90d >= 50m", "spend_90d >= 80m"), "b.rules", registry_with())
    club = generated_club(members=200, days=120)
    assert economics.run([retail, stricter], club, details=True) == \
        in_time_order(economics.run, [retail, stricter], club, details=True)


def test_a_referral_joins_the_referred_member_and_the_referrer() -> None:
    history = events(
        '{"id":"s1","type":"signup","member":"a","at":"2026-01-01T10:00:00Z","attrs":{"referred_by":"b"}}',
        '{"id":"p1","member":"c","at":"2026-01-02T10:00:00Z","amount":10}',
        '{"id":"p2","member":"b","at":"2026-01-03T10:00:00Z","amount":10}',
        '{"id":"p3","member":"a","at":"2026-01-04T10:00:00Z","amount":10}',
    )
    assert ids(grouping.histories(history, apart=True)) == [["s1", "p2", "p3"], ["p1"]]


def test_an_event_id_used_by_two_members_joins_them() -> None:
    history = events(
        '{"id":"p1","member":"a","at":"2026-01-01T10:00:00Z","amount":10}',
        '{"id":"p2","member":"c","at":"2026-01-02T10:00:00Z","amount":10}',
        '{"id":"p1","member":"b","at":"2026-01-03T10:00:00Z","amount":10}',
    )
    assert ids(grouping.histories(history, apart=True)) == [["p1", "p1"], ["p2"]]


def test_members_that_never_touch_each_run_alone_in_time_order() -> None:
    history = events(*({"id": f"p{n}", "member": f"m{n % 3}", "at": f"2026-01-{n + 1:02d}T10:00:00Z", "amount": 10}
                       for n in range(7)))
    assert ids(grouping.histories(history, apart=True)) == [["p0", "p3", "p6"], ["p1", "p4"], ["p2", "p5"]]
    assert grouping.histories(history, apart=False) == [history]


def test_a_program_that_calls_a_plugin_of_its_own_runs_in_time_order() -> None:
    own = compile_rulebook("currency toman\nearn 1 point per 1000 toman\nbonus 2x when is_weekend(date)\n",
                           "own.rules", registry_with(GiftShop()))
    assert own.plugins == {"GiftShop"}
    assert not grouping.independent([own])
    assert grouping.independent([compiled(path) for path in SAMPLES])
    assert not grouping.independent([compiled(SAMPLES[0]), own])


FAILING = """
currency toman
base: earn 1 point per 1000 toman
odd: earn 1 point when 100 / (amount - 5) > 0
referral: earn 10 points on referral when 100 / count_total > 1
reward mug "Mug" costs 100 points gives product(sku: "MUG")
"""


def problems_in_time_order(program: Program, stream: list[Event]) -> list[tuple[str, str]]:
    """The problems a plain loop in time order meets, each outcome's derived ones right after it."""
    engine = Engine(program)
    found = []
    for event in sorted(stream, key=lambda e: e.at):
        outcome = engine.process(event)
        found += [(o.event.id, o.status) for o in (outcome, *outcome.derived)
                  if o.status in ("invalid", "conflict", "failed")]
    return found


def test_problems_are_listed_in_the_order_their_events_came(compile_text) -> None:
    program = compile_text(FAILING)
    bad = events('{"id":"p5","member":"m5","at":"2026-01-04T10:00:00Z","amount":5}')[0]  # fails: 100 / 0
    stream = events(
        '{"id":"s2","type":"signup","member":"m2","at":"2026-01-01T09:00:00Z","attrs":{"referred_by":"m1"}}',
        '{"id":"p2","member":"m2","at":"2026-01-02T10:00:00Z","amount":1000}',  # m1's referral fails: 100 / 0
        '{"id":"r9","type":"refund","member":"m3","at":"2026-01-03T10:00:00Z","of":"nope"}',
    )
    stream += [bad, *events('{"id":"r8","type":"refund","member":"m4","at":"2026-01-04T10:00:00Z","of":"nope"}'),
               bad]  # the same failing event sent twice, another member's refund at the same instant between
    expected = problems_in_time_order(program, stream)
    assert expected == [("p2:referral", "failed"), ("r9", "invalid"), ("p5", "failed"), ("r8", "invalid"),
                        ("p5", "failed")]
    assert [(o.event.id, o.status) for o in simulate(program, stream).problems] == \
        [problem for problem in expected if ":" not in problem[0]]  # a simulation lists the events it was given
    economics_problems, = economics.run([program], stream)
    assert [(o.event.id, o.status) for o in economics_problems.problems] == expected


def test_an_engine_that_already_holds_members_runs_the_events_in_time_order(compile_text) -> None:
    """m2 signed up, referred by m1, before the run: the events alone do not show that the two touch."""
    program = compile_text(FAILING.replace("earn 10 points on referral when 100 / count_total > 1",
                                           "earn 100 points on referral"))
    engine = Engine(program)
    engine.process(events('{"id":"s2","type":"signup","member":"m2","at":"2025-12-01T00:00:00Z",'
                          '"attrs":{"referred_by":"m1"}}')[0])
    report = simulate(program, events(
        '{"id":"p1","member":"m1","at":"2026-01-01T10:00:00Z","amount":1000}',
        '{"id":"p2","member":"m2","at":"2026-01-02T10:00:00Z","amount":1000}',  # pays m1 100 points
        '{"id":"x1","type":"redeem","member":"m1","at":"2026-01-03T10:00:00Z","reward":"mug"}',
    ), engine=engine)
    assert not grouping.independent([program], [engine])
    assert report.status == {"applied": 3}
    m1 = next(m for m in report.members if m.id == "m1")
    assert (m1.earned, m1.redeemed) == (102, 100)  # the referral came before the mug, in time order
    assert [m.id for m in report.members] == ["m2", "m1"]


class _Stock:
    """A partner with two gifts in stock, shared by every rulebook that offers them."""

    def __init__(self) -> None:
        self.left = 2

    def _in_stock(self, ctx: object) -> bool:
        return self.left > 0

    def _issue(self, ctx: object) -> dict[str, int]:
        self.left -= 1
        return {"left": self.left}

    @hookimpl
    def loyalty_partner_offers(self) -> list[PartnerOffer]:
        return [PartnerOffer("shop", "gift", "a gift", self._issue, self._in_stock)]


def test_books_that_call_a_plugin_of_their_own_take_each_event_in_turn() -> None:
    """As live data would reach two clubs: the stock goes to whoever claims first in time, in each book."""
    registry = registry_with(_Stock())
    text = "currency toman\nbase: earn 1 point per 1000 toman\noffer \"shop:gift\"\n"
    a, b = (compile_rulebook(text, name, registry) for name in ("a.rules", "b.rules"))
    claims = events('{"id":"c1","type":"claim","member":"m1","at":"2026-01-01T10:00:00Z","offer":"shop:gift"}',
                    '{"id":"c2","type":"claim","member":"m2","at":"2026-01-02T10:00:00Z","offer":"shop:gift"}')
    first, second = economics.run([a, b], claims)
    assert first.status == second.status == {"applied": 1, "rejected": 1}


def test_outcomes_are_counted_by_status_in_one_order(compile_text) -> None:
    report = simulate(compile_text(MIXED), TOUCHING)
    order = list(simulation.STATUSES)
    assert list(report.status) == sorted(report.status, key=order.index)
