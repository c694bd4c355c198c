"""A what-if: the same events under rulebook A and rulebook B, and who comes out differently and why.

Both engines run over the same events, read once (`economics.run`). A member's
"why" is told in rule terms: which rules gave them more or fewer points under B,
and the reason the engine gave for their last tier change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from rules_engine.economics import Economics, MemberDetail, run
from rules_engine.events import Amount, Event
from rules_engine.program import Program, Source


@dataclass(frozen=True)
class RuleChange:
    label: str
    kind: str  # earn, bonus, cap, tier, reward, perk, offer, expiry, setting
    before: str | None  # the statement in A, None when B added it
    after: str | None  # the statement in B, None when B removed it


@dataclass(frozen=True)
class MemberChange:
    id: str
    tier_a: str | None
    tier_b: str | None
    balance_a: int
    balance_b: int
    reasons: tuple[str, ...]

    @property
    def balance_change(self) -> int:
        return self.balance_b - self.balance_a


@dataclass(frozen=True)
class Comparison:
    a: Economics
    b: Economics
    rule_changes: tuple[RuleChange, ...]
    members: tuple[MemberChange, ...]  # the biggest changes first
    tier_moves: dict[tuple[str | None, str | None], int]  # (tier in A, tier in B) → members, for those who moved

    @property
    def figures(self) -> list[tuple[str, Amount, Amount]]:
        """The economics of A and B, row by row: what the terminal table and the HTML page both set side by side."""
        a, b = self.a, self.b
        rows: list[tuple[str, Amount, Amount]] = [
            ("revenue", a.revenue, b.revenue), ("points earned", a.earned, b.earned),
            ("taken back by refunds", a.reversed, b.reversed), ("points issued (net)", a.issued, b.issued),
            ("redeemed", a.redeemed, b.redeemed), ("expired (breakage)", a.expired, b.expired),
            ("outstanding", a.outstanding, b.outstanding),
            (f"liability ({a.currency})", a.liability, b.liability), (f"program cost ({a.currency})", a.cost, b.cost),
            ("redemptions refused", a.status.get("rejected", 0), b.status.get("rejected", 0))]
        rows += [(f"  refused: {why}", a.rejections.get(why, 0), b.rejections.get(why, 0))
                 for why in dict.fromkeys([*a.rejections, *b.rejections])]
        rows += [(f"redeemed: {reward}", a.rewards.get(reward, 0), b.rewards.get(reward, 0))
                 for reward in dict.fromkeys([*a.rewards, *b.rewards])]
        rows += [(f"members in {t}", a.tiers.get(t, 0), b.tiers.get(t, 0)) for t in dict.fromkeys([*a.tiers, *b.tiers])]
        return rows


def compare(a: Program, b: Program, events: Iterable[Event], as_of: datetime | None = None,
            top: int = 25) -> Comparison:
    econ_a, econ_b = run([a, b], events, as_of, details=True)
    ranks = {t.name: t.rank for t in b.tiers} | {t.name: t.rank for t in a.tiers}
    expiry = _squeeze(b.expiry.source.text) if b.expiry else "no expiry"
    named = _unlabelled_rules(a) | _unlabelled_rules(b)
    changes = [_member_change(member, econ_a.details.get(member), econ_b.details.get(member), expiry, named)
               for member in econ_a.details.keys() | econ_b.details.keys()]
    moved = [c for c in changes if c.tier_a != c.tier_b or c.balance_a != c.balance_b]

    def weight(change: MemberChange) -> tuple[int, int, str]:
        steps = abs(ranks.get(change.tier_b or "", 0) - ranks.get(change.tier_a or "", 0))
        return (-steps, -abs(change.balance_change), change.id)

    moved.sort(key=weight)
    moves: dict[tuple[str | None, str | None], int] = {}
    for change in moved:
        if change.tier_a != change.tier_b:
            moves[(change.tier_a, change.tier_b)] = moves.get((change.tier_a, change.tier_b), 0) + 1
    return Comparison(econ_a, econ_b, rule_changes(a, b), tuple(moved[:top]),
                      dict(sorted(moves.items(), key=lambda kv: -kv[1])))


def rule_changes(a: Program, b: Program) -> tuple[RuleChange, ...]:
    """Statements that differ between the two books, matched by label (a rule's name or its kind)."""
    before, after = _statements(a), _statements(b)
    found = []
    for label in list(before) + [label for label in after if label not in before]:
        old, new = before.get(label), after.get(label)
        if old is None or new is None or old[1] != new[1]:
            kind = (old or new)[0]  # type: ignore[index]
            found.append(RuleChange(label, kind, _squeeze(old[1]) if old else None, _squeeze(new[1]) if new else None))
    return tuple(found)


def _statements(program: Program) -> dict[str, tuple[str, str]]:
    """Each statement by what identifies it across two books: its label, else what it is about.

    A rule without a label is named after its line, and lines move when a comment is added, so such a rule
    is matched by its own text (changed, it shows as one statement gone and one new); rewards by their id,
    offers by their partner's name, perks by their tier and kind.
    """
    s = program.settings
    found = {name: ("setting", f"{name} {value}") for name, value in (
        ("program", f'"{s.program}"' if s.program else "-"), ("currency", s.currency), ("calendar", s.calendar),
        ("timezone", f'"{s.tz}"'), ("point value", f"{s.point_value} {s.currency}"))}
    groups = (("earn", program.earn), ("bonus", program.bonuses), ("cap", program.caps))
    for kind, rules in groups:
        for rule in rules:
            key = _squeeze(rule.source.text) if _unlabelled(rule.source) else rule.source.label
            found[key] = (kind, rule.source.text)
    for tier in program.tiers:
        found[f"tier {tier.name}"] = ("tier", tier.source.text)
    for reward in program.rewards.values():
        found[f"reward {reward.id}"] = ("reward", reward.source.text)
    for perk in program.perks:
        found[f"perk {program.tiers[perk.tier_rank].name} {perk.kind.name}"] = ("perk", perk.source.text)
    for offer in program.offers.values():
        found[f"offer {offer.offer.ref}"] = ("offer", offer.source.text)
    if program.expiry:
        found["expiry"] = ("expiry", program.expiry.source.text)
    if program.grace:
        found["tier grace"] = ("tier", f"tiers downgrade after {program.grace}")
    return found


def _unlabelled(source: Source) -> bool:
    return source.label == f"line {source.line}"


def _unlabelled_rules(program: Program) -> dict[str, str]:
    """How to name in words a rule without a label, which ledger entries name after its line."""
    return {rule.source.label: f"`{_squeeze(rule.source.text)}` ({rule.source.label})"
            for rule in (*program.earn, *program.bonuses, *program.caps) if _unlabelled(rule.source)}


def _member_change(member: str, a: MemberDetail | None, b: MemberDetail | None, expiry: str,
                   named: dict[str, str]) -> MemberChange:
    a = a or MemberDetail(0, None, 0, 0, 0, 0, {}, None)
    b = b or MemberDetail(0, None, 0, 0, 0, 0, {}, None)
    reasons = []
    if a.tier != b.tier:
        why = f" ({_squeeze(b.tier_why)})" if b.tier_why else ""
        reasons.append(f"tier {a.tier or '-'} → {b.tier or '-'}{why}")
    deltas = {label: b.rules.get(label, 0) - a.rules.get(label, 0) for label in a.rules.keys() | b.rules.keys()}
    # Every figure is signed as it moves the balance from A to B, so that they add up to the change.
    for label, delta in sorted(deltas.items(), key=lambda kv: (-abs(kv[1]), kv[0])):
        if delta:
            reasons.append(f"{delta:+,} points from {named.get(label, label)}")
    for figure, words in (("expired", f"by expiry (B: {expiry})"), ("redeemed", "spent on rewards"),
                          ("reversed", "taken back by refunds")):
        delta = getattr(b, figure) - getattr(a, figure)
        if delta:
            reasons.append(f"{-delta:+,} points {words}")
    return MemberChange(member, a.tier, b.tier, a.balance, b.balance, tuple(reasons))


def _squeeze(text: str) -> str:
    """Rulebook text with its alignment spaces collapsed, for one-line display."""
    return " ".join(text.split())
