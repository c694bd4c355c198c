"""The engine: one event at a time, in memory, no I/O.

`Engine.process(event)` runs the evaluation steps of the language reference
(docs/language.md, "How an event is evaluated") and returns an `Outcome` with the
ledger entries, effects and tier changes it produced. An event is all or nothing:
when a rule or a plugin fails, the event is refused with the reason and the
member's points are untouched (only the catch-up that was due anyway stays).
Steps 6 and 7 come after the event's own effects are settled: a tier condition
that cannot be evaluated leaves the tier as it was (with a note), and a derived
referral is an event of its own, whose failure is the referrer's alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from math import floor
from types import MappingProxyType
from typing import Any, Callable, Iterable, Mapping

from rules_engine.events import EMPTY, EVENT_TYPES, Event
from rules_engine.ledger import Entry, Lot, Outcome, TierChange
from rules_engine.member import Member
from rules_engine.plugins.registry import Effect, RedeemContext
from rules_engine.dsl.checker import Settings
from rules_engine.program import Duration, EarnRule, Program
from rules_engine.runtime import EvaluationError
from rules_engine.windows import Record, Windows


class Context:
    """What conditions read about the event being evaluated (`e` in compiled code).

    Built once per event; tier conditions read only its time fields, since the
    checker keeps event fields out of them.
    """

    __slots__ = ("amount", "fields", "items", "first_purchase", "weekday", "hour", "date")

    def __init__(self, local: datetime, event: Event | None = None) -> None:
        self.amount = event.amount if event else None
        self.fields = event.fields if event else EMPTY
        self.items = event.items if event else ()
        self.first_purchase = False
        self.weekday = local.weekday()
        self.hour = local.hour
        self.date = local.date()


@dataclass
class Purchase:
    """What a refund needs to know about the purchase it refunds."""

    id: str
    member: str
    amount: int | Decimal
    refunded: int | Decimal
    earned: int
    reversed: int
    lot: Lot | None
    record: Record


Handled = tuple[tuple[Effect, ...], Event | None]


class Rejected(Exception):
    """An event the engine refuses, with a reason code and words for a person."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


class Engine:
    """The members, purchases and event ids of one program's run, changed only by `process` and `finish`."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.settings = program.settings
        self.tz = program.settings.tz
        self.members: dict[str, Member] = {}
        self.purchases: dict[str, Purchase] = {}
        self.seen: dict[str, str] = {}
        self._earn = _by_trigger(_Earning(rule) for rule in program.earn)
        self._bonus = _by_trigger(program.bonuses)
        self._handlers = {kind: getattr(self, f"_on_{kind}") for kind in EVENT_TYPES}
        spans = tuple(timedelta(days=d) for d in program.windows)
        self._purchase_cutoffs = tuple((lambda t, s=s: t - s) for s in spans)
        self._cap_cutoffs = tuple(_cutoff(cap.window, self.settings) for cap in program.caps)
        self._perk_effects = tuple((p.tier_rank, p.kind.name, MappingProxyType(p.params.model_dump(exclude_none=True)),
                                    p.kind.plugin) for p in program.perks)
        self._base_tier = 0 if program.tiers else None

    # --- entry point -------------------------------------------------------------

    def process(self, event: Event) -> Outcome:
        known = self.seen.get(event.id)
        if known is not None:
            if known and event.fingerprint and known != event.fingerprint:
                return Outcome(event, "conflict", f"event id {event.id} was already applied with different content")
            return Outcome(event, "duplicate", f"event id {event.id} was already applied")
        self.seen[event.id] = event.fingerprint
        outcome = self._process(event)
        if outcome.status == "failed":  # nothing was applied: the same event may be sent again once fixed
            del self.seen[event.id]
        return outcome

    def finish(self, as_of: datetime) -> list[Outcome]:
        """The end of a run (or a nightly job): expiry and tier catch-up for every member at `as_of`."""
        outcomes = []
        for member in self.members.values():
            entries: list[Entry] = []
            changes: list[TierChange] = []
            notes: list[str] = []
            self._catch_up(member, as_of, Context(as_of.astimezone(self.tz)), entries, changes, notes)
            if entries or changes or notes:
                marker = Event(id=f"as-of:{as_of.isoformat()}:{member.id}", type="event", member=member.id, at=as_of,
                               name="as_of")
                outcomes.append(Outcome(marker, "applied", entries=tuple(entries), tier_changes=tuple(changes),
                                        notes=tuple(notes)))
        return outcomes

    def expiry_notices(self, after: datetime, until: datetime) -> list[Outcome]:
        """Points that will expire in (after, until], per member, as `expiry_soon` effects for sinks to announce.

        Nothing in the ledger changes: a nightly job sends these so that members can
        still spend the points. Run daily with a window one day wide, each lot is
        announced exactly once.
        """
        notices = []
        for member in self.members.values():
            due = [lot for lot in member.lots if lot.expires_at is not None and after < lot.expires_at <= until]
            if not due or member.balance <= 0:
                continue
            points = min(member.balance, sum(lot.remaining for lot in due))
            first = min(lot.expires_at for lot in due).astimezone(self.tz)  # type: ignore[type-var]
            marker = Event(id=f"expiry-notice:{until.isoformat()}:{member.id}", type="event", member=member.id,
                           at=after, name="expiry_notice")
            data = MappingProxyType({"points": points, "expires_at": first.date().isoformat()})
            notices.append(Outcome(marker, "applied", effects=(Effect("expiry_soon", member.id, marker.id, data),)))
        return notices

    # --- one event -------------------------------------------------------------------

    def _process(self, event: Event) -> Outcome:
        entries: list[Entry] = []
        changes: list[TierChange] = []
        notes: list[str] = []
        ctx = Context(event.at.astimezone(self.tz), event)
        member = self.members.get(event.member)
        if member is None:
            member = self._enroll(event)
        else:
            self._catch_up(member, event.at, ctx, entries, changes, notes)
        caught_up = tuple(entries)
        try:
            effects, referral = self._handlers[event.type](member, event, ctx, entries, notes)
        except Rejected as refusal:
            status = "rejected" if event.type in ("redeem", "claim") else "invalid"
            reason = refusal.code + (f": {refusal.detail}" if refusal.detail else "")
            return Outcome(event, status, reason, caught_up, tier_changes=tuple(changes), notes=tuple(notes))
        except EvaluationError as err:
            return Outcome(event, "failed", str(err), caught_up, tier_changes=tuple(changes), notes=tuple(notes))
        self._tier_step(member, event.at, ctx, changes, notes)
        derived = (self.process(referral),) if referral is not None else ()
        return Outcome(event, "applied", None, tuple(entries), tuple(effects), tuple(changes), tuple(notes), derived)

    def _enroll(self, event: Event) -> Member:
        """Step 2: an unknown member joins at the event's time, in the base tier, with nothing."""
        member = Member(event.member, event.at, Windows(self._purchase_cutoffs), Windows(self._cap_cutoffs), self._base_tier)
        member.advance(event.at)
        self.members[event.member] = member
        return member

    def _catch_up(self, m: Member, t: datetime, ctx: Context, entries: list[Entry], changes: list[TierChange],
                  notes: list[str]) -> None:
        """What a nightly job would have done by t: expire due lots, then re-evaluate the tier."""
        lots = m.lots
        while lots and lots[0].expires_at is not None and lots[0].expires_at <= t:
            lot = lots.pop(0)
            if lot.remaining > 0:
                m.balance -= lot.remaining
                m.expired += lot.remaining
                rule = self.program.expiry.source.label if self.program.expiry else "expiry"
                entries.append(Entry(m.id, lot.expires_at, "expire", -lot.remaining, lot.event, rule,
                                     (f"{lot.remaining:,} of the {lot.points:,} points earned by {lot.event} expired",),
                                     ((lot.event, lot.remaining),)))
                lot.remaining = 0
        m.advance(t)
        self._tier_step(m, t, ctx, changes, notes)

    # --- handlers: each returns (effects, the referral event step 7 derives or None) ---------------

    def _on_signup(self, m: Member, event: Event, ctx: Context, entries: list[Entry],
                   notes: list[str]) -> Handled:
        before = m.attrs, m.referred_by
        m.attrs = MappingProxyType({**m.attrs, **event.attrs})  # signup rules may read the attributes given here
        referrer = event.attrs.get("referred_by")
        if referrer is not None and m.referred_by is None and str(referrer) != m.id:
            m.referred_by = str(referrer)
        if m.signed_up:
            notes.append("already signed up: attributes updated, signup rules not applied again")
            return (), None
        try:
            self._earn_points(m, event, ctx, entries)
        except EvaluationError:
            m.attrs, m.referred_by = before
            raise
        m.signed_up = True
        return (), None

    def _on_event(self, m: Member, event: Event, ctx: Context, entries: list[Entry],
                   notes: list[str]) -> Handled:
        self._earn_points(m, event, ctx, entries)
        return (), None

    _on_referral = _on_event

    def _on_purchase(self, m: Member, event: Event, ctx: Context, entries: list[Entry],
                   notes: list[str]) -> Handled:
        amount = event.amount or 0
        first = m.purchases_seen == 0
        record = Record(event.at, amount)
        m.purchases.add(record)
        m.spend_total += amount
        m.count_total += 1
        m.purchases_seen += 1
        m.advance(event.at)
        ctx.amount, ctx.first_purchase = amount, first
        try:
            earned, lot = self._earn_points(m, event, ctx, entries)
        except EvaluationError:
            m.purchases.remove(record)
            m.spend_total -= amount
            m.count_total -= 1
            m.purchases_seen -= 1
            m.advance(event.at)
            raise
        self.purchases[event.id] = Purchase(event.id, m.id, amount, 0, earned, 0, lot, record)
        referral = self._referral(m, event) if first and m.referred_by is not None else None
        return self._perks(m, event), referral

    def _on_refund(self, m: Member, event: Event, ctx: Context, entries: list[Entry],
                   notes: list[str]) -> Handled:
        purchase = self.purchases.get(event.of or "")
        if purchase is None or purchase.member != m.id:
            raise Rejected("unknown_purchase", f"no purchase {event.of} of member {m.id} to refund")
        left = purchase.amount - purchase.refunded
        if left <= 0:
            raise Rejected("already_refunded", f"purchase {purchase.id} is already refunded in full")
        requested = event.amount or 0
        cut = min(requested, left)
        if requested > left:
            notes.append(f"refund of {requested:,} is more than the {left:,} left of {purchase.id}; {left:,} refunded")
        purchase.refunded += cut
        still_counts = purchase.amount - purchase.refunded > 0
        m.purchases.change(purchase.record, cut, still_counts)
        m.spend_total -= cut
        if not still_counts:
            m.count_total -= 1
        target = floor(Fraction(purchase.earned) * Fraction(purchase.refunded) / Fraction(purchase.amount)) if purchase.amount else 0
        owed = target - purchase.reversed
        if owed > 0:
            purchase.reversed = target
            taken = self._take(m, owed, first=purchase.lot)
            m.balance -= owed
            m.reversed += owed
            why = (f"refund of {cut:,} of {purchase.id} ({purchase.refunded:,} of {purchase.amount:,} refunded): "
                   f"{target:,} of the {purchase.earned:,} points it earned are taken back",)
            entries.append(Entry(m.id, event.at, "reverse", -owed, event.id, "refund", why, taken))
        return (), None

    def _on_redeem(self, m: Member, event: Event, ctx: Context, entries: list[Entry],
                   notes: list[str]) -> Handled:
        reward = self.program.rewards.get(event.reward or "")
        if reward is None:
            raise Rejected("unknown_reward", f"the rulebook has no reward `{event.reward}`")
        if reward.when is not None and not reward.when(ctx, m, None):
            raise Rejected("not_eligible", f"{reward.source.label}: {reward.source.text}")
        used = m.redemptions.get(reward.id, 0)
        if reward.limit is not None and used >= reward.limit:
            raise Rejected("limit_reached", f"{reward.id} may be redeemed {reward.limit} time(s) per member")
        if m.balance < reward.cost:
            raise Rejected("insufficient_points", f"{reward.id} costs {reward.cost:,} points; the balance is {m.balance:,}")
        redeem_ctx = RedeemContext(m.id, event.id, event.at.astimezone(self.tz), reward.id, event.fingerprint or event.id)
        effect = self._plugin_effect(reward.kind.plugin, reward.kind.name, m.id, event.id,
                                     lambda: reward.kind.redeem(reward.params, redeem_ctx))
        self._debit(m, event, reward.cost, reward.source.label, f"redeemed {reward.id} \"{reward.title}\"", entries)
        m.redemptions[reward.id] = used + 1
        return (effect,), None

    def _on_claim(self, m: Member, event: Event, ctx: Context, entries: list[Entry],
                   notes: list[str]) -> Handled:
        offer = self.program.offers.get(event.offer or "")
        if offer is None:
            raise Rejected("unknown_offer", f"the rulebook lists no offer \"{event.offer}\"")
        redeem_ctx = RedeemContext(m.id, event.id, event.at.astimezone(self.tz), offer.offer.ref, event.fingerprint or event.id)
        if offer.when is not None and not offer.when(ctx, m, None):
            raise Rejected("not_eligible", f"{offer.source.label}: {offer.source.text}")
        if not self._plugin_call(offer.offer.plugin, lambda: offer.offer.eligible(redeem_ctx)):
            raise Rejected("not_eligible", f"the partner {offer.offer.partner} declined")
        if m.balance < offer.cost:
            raise Rejected("insufficient_points", f"the offer costs {offer.cost:,} points; the balance is {m.balance:,}")
        effect = self._plugin_effect(offer.offer.plugin, "offer", m.id, event.id, lambda: offer.offer.issue(redeem_ctx))
        self._debit(m, event, offer.cost, offer.source.label, f"claimed {offer.offer.ref}", entries)
        return (effect,), None

    # --- earning ------------------------------------------------------------------------

    def _earn_points(self, m: Member, event: Event, ctx: Context, entries: list[Entry]) -> tuple[int, Lot | None]:
        """Step 3: matching earn rules, each rounded down, times the bonuses, rounded down, within the caps."""
        key = (event.type, event.name if event.type == "event" else None)
        day = ctx.date
        total = 0
        why: list[str] = []
        labels: list[str] = []
        for rule in self._earn.get(key, ()):
            if rule.during is not None and day not in rule.during:
                continue
            if rule.when is not None and not rule.when(ctx, m, None):
                continue
            points, detail = rule.points_of(ctx, m)
            if points:
                total += points
                labels.append(rule.label)
                why.append(f"+{points:,}: {rule.label}, {detail}")
        num = den = 1  # the product of the matching bonus factors, as a fraction in whole numbers
        for bonus in self._bonus.get(key, ()):
            if bonus.during is not None and day not in bonus.during:
                continue
            if bonus.when is not None and not bonus.when(ctx, m, None):
                continue
            num *= bonus.factor.numerator
            den *= bonus.factor.denominator
            why.append(f"×{_show(bonus.factor)}: {bonus.source.label}")
        if num != den and total:
            total = total * num // den
        for k, cap in enumerate(self.program.caps):
            room = max(0, cap.points - m.cap_sums[k])
            if total > room:
                why.append(f"capped at {room:,} by {cap.source.label} ({m.cap_sums[k]:,} of {cap.points:,} "
                           f"already earned in {cap.window})")
                total = room
        if total <= 0:
            return 0, None
        return total, self._credit(m, event, total, ", ".join(labels), why, entries)

    def _credit(self, m: Member, event: Event, points: int, rule: str, why: list[str], entries: list[Entry]) -> Lot:
        expiry = self.program.expiry
        expires_at = expiry.after.after(event.at, self.settings) if expiry else None
        debt = -m.balance if m.balance < 0 else 0
        if debt:
            why.append(f"{min(debt, points):,} repay the negative balance")
        lot = Lot(event.id, event.at, expires_at, points, max(0, points - debt))
        if lot.remaining:
            _insert_lot(m.lots, lot)
        m.balance += points
        m.earned += points
        m.earnings.add(Record(event.at, points))
        m.earnings.advance(event.at)
        entries.append(Entry(m.id, event.at, "earn", points, event.id, rule, tuple(why)))
        return lot

    def _referral(self, m: Member, purchase: Event) -> Event:
        """Step 7: a member's first purchase gives the member who referred them a referral event."""
        return Event(id=f"{purchase.id}:referral", type="referral", member=m.referred_by or "", at=purchase.at,
                     fields=MappingProxyType({"referred": m.id, "purchase": purchase.id}))

    def _perks(self, m: Member, event: Event) -> tuple[Effect, ...]:
        if m.tier is None or not self._perk_effects:
            return ()
        return tuple(Effect(kind, m.id, event.id, data, plugin)
                     for rank, kind, data, plugin in self._perk_effects if m.tier >= rank)

    # --- debits -------------------------------------------------------------------------

    def _debit(self, m: Member, event: Event, points: int, rule: str, why: str, entries: list[Entry]) -> None:
        """A redemption or claim: a free one writes no entry, since a ledger entry always moves points."""
        if not points:
            return
        taken = self._take(m, points)
        m.balance -= points
        m.redeemed += points
        entries.append(Entry(m.id, event.at, "redeem", -points, event.id, rule, (why,), taken))

    def _take(self, m: Member, points: int, first: Lot | None = None) -> tuple[tuple[str, int], ...]:
        """Consume lots: `first` (a refunded purchase's own lot), then earliest expiry first."""
        taken: list[tuple[str, int]] = []
        order: Iterable[Lot] = ([first] if first is not None and first.remaining else []) + [l for l in m.lots if l is not first]
        for lot in order:
            if points <= 0:
                break
            use = min(points, lot.remaining)
            lot.remaining -= use
            points -= use
            taken.append((lot.event, use))
        m.lots[:] = [lot for lot in m.lots if lot.remaining > 0]
        return tuple(taken)

    # --- tiers ----------------------------------------------------------------------------

    def _tier_step(self, m: Member, t: datetime, ctx: Context, changes: list[TierChange], notes: list[str]) -> None:
        """Step 6: upgrade at once; downgrade at once or after the grace period since the member last qualified.

        Tier conditions read only member figures and the time, never the event. One that cannot be
        evaluated (a division by zero, a failing plugin function) leaves the tier and its grace clock
        as they were: the step runs between events too, so there is no event to refuse instead.
        """
        tiers = self.program.tiers
        if not tiers or m.tier is None:
            return
        qualified = 0
        for tier in reversed(tiers[1:]):
            try:
                holds = tier.condition(ctx, m, None)
            except EvaluationError as err:
                notes.append(f"tier left at {tiers[m.tier].name}, as the condition of {tier.name} failed: {err}")
                return
            if holds:
                qualified = tier.rank
                break
        current = m.tier
        if qualified >= current:
            m.qualified_at = t
            if qualified > current:
                m.tier = qualified
                changes.append(TierChange(m.id, t, tiers[current].name, tiers[qualified].name,
                                          f"qualified for {tiers[qualified].name}: {tiers[qualified].source.text}"))
            return
        grace = self.program.grace
        if grace is None or t >= grace.after(m.qualified_at, self.settings):
            why = "no longer qualifies" if grace is None else f"has not qualified since {m.qualified_at:%Y-%m-%d} ({grace} grace)"
            m.tier = qualified
            m.qualified_at = t
            changes.append(TierChange(m.id, t, tiers[current].name, tiers[qualified].name,
                                      f"{why} for {tiers[current].name}"))

    # --- plugins ------------------------------------------------------------------------

    def _plugin_call(self, plugin: str, call: Any) -> Any:
        try:
            return call()
        except Exception as err:  # a plugin's failure refuses this event only
            raise EvaluationError(f"plugin {plugin} failed: {err!r}") from err

    def _plugin_effect(self, plugin: str, kind: str, member: str, event_id: str, call: Any) -> Effect:
        data = self._plugin_call(plugin, call)
        if not isinstance(data, Mapping):
            raise EvaluationError(f"plugin {plugin} returned {type(data).__name__} for {kind}, not a mapping")
        return Effect(kind, member, event_id, MappingProxyType(dict(data)), plugin)


def _cutoff(window: Duration, settings: Settings) -> Callable[[datetime], datetime]:
    """Where a window starts for an instant t: a fixed span for days and weeks, the calendar for months."""
    if window.unit in ("days", "weeks"):
        span = timedelta(days=window.count * (7 if window.unit == "weeks" else 1))
        return lambda t: t - span
    return lambda t: window.before(t, settings)


def _by_trigger(rules: Iterable[Any]) -> dict[tuple[str, str | None], tuple[Any, ...]]:
    grouped: dict[tuple[str, str | None], list[Any]] = {}
    for rule in rules:
        grouped.setdefault((rule.trigger.kind, rule.trigger.name), []).append(rule)
    return {key: tuple(value) for key, value in grouped.items()}


class _Earning:
    """An earn rule made ready for the hot path: its rate as two integers, its text written once."""

    __slots__ = ("rule", "label", "during", "when", "trigger", "per", "items", "per_item",
                 "num", "den", "flat", "rate")

    def __init__(self, rule: EarnRule) -> None:
        self.rule, self.label, self.trigger = rule, rule.source.label, rule.trigger
        self.during, self.when, self.per, self.items, self.per_item = rule.during, rule.when, rule.per, rule.items, rule.per_item
        per = Fraction(rule.per) if rule.per is not None else Fraction(1)
        # points × base / per, rounded down, is (base × num) // den in whole numbers
        self.num = rule.points.numerator * per.denominator
        self.den = rule.points.denominator * per.numerator
        self.flat = floor(rule.points)
        self.rate = _show(rule.points)

    def points_of(self, ctx: Context, m: Member) -> tuple[int, str]:
        if self.per is not None:
            if self.items is None:
                base, what = ctx.amount or 0, "the purchase"
            else:
                base = sum((item.total for item in ctx.items if self.items(ctx, m, item)), 0)
                what = "matching items"
            return _scaled(base, self.num, self.den), f"{self.rate} per {self.per:,} on {base:,} of {what}"
        if self.per_item is not None:
            units = sum((item.qty for item in ctx.items if self.per_item(ctx, m, item)), 0)
            return _scaled(units, self.num, self.den), f"{self.rate} per item × {units:,} items"
        return self.flat, self.rule.source.text


def _scaled(base: int | Decimal, num: int, den: int) -> int:
    """floor(base × num / den), exactly, whether base is whole or a Decimal."""
    if isinstance(base, int):
        return base * num // den
    return floor(Fraction(base) * num / den)


def _insert_lot(lots: list[Lot], lot: Lot) -> None:
    key = lot.expires_at
    if not lots or key is None or (lots[-1].expires_at is not None and lots[-1].expires_at <= key):
        lots.append(lot)
        return
    index = next(i for i, other in enumerate(lots) if other.expires_at is None or other.expires_at > key)
    lots.insert(index, lot)


def _show(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{float(value):g}"
