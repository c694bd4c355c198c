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

from datetime import date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from fractions import Fraction
from math import floor
from types import MappingProxyType
from typing import Any, Callable, Iterable, Mapping, NamedTuple

from rules_engine import limits
from rules_engine.calendars import LocalDates, month_shifter
from rules_engine.events import EMPTY, REFERRAL_SUFFIX, RESERVED_ID, Event
from rules_engine.ledger import MAX_POINTS, Entry, Lot, Outcome, Reason, Status, TierChange
from rules_engine.member import Member
from rules_engine.plugins.registry import Effect, RedeemContext
from rules_engine.dsl.checker import Settings
from rules_engine.dsl.diagnostics import did_you_mean
from rules_engine.program import Duration, ExpiryRule, Program, Tier
from rules_engine.runtime import EvaluationError, TierConditionError
from rules_engine.templates import Template, literal
from rules_engine.windows import Cutoff, Record, Windows


Day = date  # a local date, named apart from `Context.date`, which hides the type inside the class


class Context:
    """What conditions read about the event being evaluated (`e` in compiled code).

    Built once per event; tier conditions read only its time fields, since the
    checker keeps event fields out of them. The local time is worked out on the
    first read of `weekday`, `hour` or `date`: converting to the rulebook's zone
    is one of the dearer steps of a simple event, and many rulebooks never ask.
    The local date alone, which is what a `during` and an expiry in months need,
    is cheaper still on a day no clock change is near (`calendars.LocalDates`).
    """

    __slots__ = ("amount", "fields", "items", "first_purchase", "at", "tz", "dates", "_local", "_date")

    def __init__(self, at: datetime, tz: tzinfo, event: Event | None = None, dates: LocalDates | None = None) -> None:
        self.amount = event.amount if event else None
        self.fields = event.fields if event else EMPTY
        self.items = event.items if event else ()
        self.first_purchase = False
        self.at = at
        self.tz = tz
        self.dates = dates
        self._local: datetime | None = None
        self._date: Day | None = None

    @property
    def local(self) -> datetime:
        """The wall-clock time of the event in the rulebook's zone."""
        local = self._local
        if local is None:
            local = self._local = self.at.astimezone(self.tz)
        return local

    @property
    def weekday(self) -> int:
        return self.local.weekday()

    @property
    def hour(self) -> int:
        return self.local.hour

    @property
    def date(self) -> date:
        steady = self.steady_date()
        return steady if steady is not None else self.local.date()

    def steady_date(self) -> Day | None:
        """The local date, if no clock change is near enough to make the wall time a repeated one; else None."""
        today = self._date
        if today is None and self.dates is not None:
            today = self._date = self.dates.steady(self.at)
        return today


class Purchase(Record):
    """What a refund needs to know about the purchase it refunds.

    A purchase is also its own entry in the member's spend windows (`value` is what refunds
    left of `amount`), so that each purchase keeps one object rather than two.
    """

    __slots__ = ("id", "member", "amount", "refunded", "earned", "reversed", "lot")

    def __init__(self, purchase_id: str, member: str, at: datetime, amount: int | Decimal) -> None:
        self.at, self.value, self.counts = at, amount, True  # as Record.__init__ would, without the call
        self.id = purchase_id
        self.member = member
        self.amount = amount
        self.refunded: int | Decimal = 0
        self.earned = 0
        self.reversed = 0
        self.lot: Lot | None = None


Handled = tuple[tuple[Effect, ...], Event | None]


class Recorded(NamedTuple):
    """What a redemption's or claim's plugin answered when the event was first applied, for a store's replay.

    Replaying its history, a store must not ask partners again: a booking would be made twice, a code minted and
    thrown away, and a partner that is down, or answers differently today, would stop the store from loading.
    """

    status: str  # the stored status: applied, rejected, …
    reason: str | None
    data: Mapping[str, Any] | None  # the effect's data, if the event was applied


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
        self._dates = LocalDates(self.tz)
        self.members: dict[str, Member] = {}
        self.purchases: dict[str, Purchase] = {}
        self.seen: dict[str, str] = {}
        # Each trigger's earning function, and whether it needs the local date. The program's values are plain
        # Python objects, whose fields compiled code reads through the generic attribute lookup: what every
        # event reads is kept here instead.
        self._plans = {kind: (plan.run, plan.dated) for (kind, name), plan in program.earning.items() if kind != "event"}
        self._named = {name: (plan.run, plan.dated) for (kind, name), plan in program.earning.items() if kind == "event"}
        self._tiers = program.tiers
        self._caps = program.caps
        self._ladder = program.ladder
        self._purchase_cutoffs = tuple(timedelta(days=d) for d in program.windows)
        self._cap_cutoffs = tuple(_cutoff(cap.window, self.settings) for cap in program.caps)
        self._capped = tuple(Template(_CAPPED, cap.source.label, "cap") for cap in program.caps)
        wording = [_wording(tier, program.grace) for tier in program.tiers]
        self._moved_up = tuple(up for up, _ in wording)
        self._moved_down = tuple(down for _, down in wording)
        perks = tuple((p.tier_rank, (p.kind.name, MappingProxyType(p.params.model_dump(exclude_none=True)), p.kind.plugin))
                      for p in program.perks)
        # by tier rank, the perks (kind, data, plugin) a member of that tier gets on each purchase
        self._perks_at = tuple(tuple(perk for least, perk in perks if rank >= least) for rank in range(len(program.tiers)))
        self._base_tier = 0 if program.tiers else None
        self._expires = _expiry(program.expiry, self.settings)
        self._grace_ends = _later(program.grace, self.settings) if program.grace is not None else None
        self._recorded: Recorded | None = None  # set while `replay` runs an event

    # --- entry point -------------------------------------------------------------

    def process(self, event: Event, failed_before: Mapping[str, str] = EMPTY) -> Outcome:
        """Apply one event. `failed_before` is for a replay of stored history: the ids of derived events (referrals)
        that failed when it was first run, with the reason, so that they are settled as failed again rather than
        tried again now that the rule or plugin may work."""
        if event.id.endswith(REFERRAL_SUFFIX):
            return Outcome(event, "invalid", f"reserved_id: {RESERVED_ID}")
        return self._once(event, failed_before)

    def replay(self, event: Event, failed_before: Mapping[str, str], recorded: Recorded) -> Outcome:
        """Apply a stored redemption or claim again, with its plugin's first answer rather than a new call."""
        self._recorded = recorded
        try:
            return self.process(event, failed_before)
        finally:
            self._recorded = None

    def process_derived(self, event: Event) -> Outcome:
        """Apply on its own an event the engine once derived (a referral, whose id is kept from arrivals).

        A store replaying one member's history has the referrals paid to them without the purchases of other
        members that caused them, and runs them this way.
        """
        return self._once(event, EMPTY)

    def _once(self, event: Event, failed_before: Mapping[str, str]) -> Outcome:
        """Apply an event whose id has not been applied before; a repeat is told apart from a conflict."""
        known = self.seen.get(event.id)
        if known is not None:
            if known and event.fingerprint and known != event.fingerprint:
                return Outcome(event, "conflict", f"event id {event.id} was already applied with different content")
            return Outcome(event, "duplicate", f"event id {event.id} was already applied")
        self.seen[event.id] = event.fingerprint
        outcome = self._process(event, failed_before)
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
            self._catch_up(member, as_of, Context(as_of, self.tz), entries, changes, notes)
            if entries or changes or notes:
                marker = Event(id=f"as-of:{as_of.isoformat()}:{member.id}", type="event", member=member.id, at=as_of,
                               name="as_of")
                outcomes.append(Outcome(marker, "applied", entries=tuple(entries), tier_changes=tuple(changes),
                                        notes=tuple(notes)))
        return outcomes

    def tier_at(self, member: Member, t: datetime) -> int | None:
        """The tier the catch-up (step 1) would leave `member` in at `t`, leaving the member as it is.

        A report of tiers at each month end needs this: a member whose downgrade fell due but who has not
        come back since still holds the old tier in the engine. Running the catch-up for real would add a tier
        evaluation (and so move the grace clock) that events alone would not make. Only the purchase windows
        move, to `t`, as the member's next event would move them anyway.
        """
        tiers = self.program.tiers
        if not tiers or member.tier is None:
            return member.tier
        member.advance(t)
        due = 0
        for lot in member.lots:  # earliest expiry first
            if lot.expires_at is None or lot.expires_at > t:
                break
            due += lot.remaining
        member.balance -= due  # the balance a tier condition reading `points` would see after the expiries
        try:
            qualified = self._ladder(Context(t, self.tz), member)
        except TierConditionError:
            return member.tier
        finally:
            member.balance += due
        grace = self._grace_ends
        if qualified >= member.tier or grace is None or t >= grace(member.qualified_at):
            return qualified
        return member.tier

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
            first = min(lot.expires_at for lot in due if lot.expires_at is not None).astimezone(self.tz)
            marker = Event(id=f"expiry-notice:{until.isoformat()}:{member.id}", type="event", member=member.id,
                           at=after, name="expiry_notice")
            data = MappingProxyType({"points": points, "expires_at": first.date().isoformat()})
            notices.append(Outcome(marker, "applied", effects=(Effect("expiry_soon", member.id, marker.id, data),)))
        return notices

    # --- one event -------------------------------------------------------------------

    def settle(self, event: Event, reason: str) -> Outcome:
        """Run again an attempt of `event` that failed: only what its arrival did before the failure.

        A failed event leaves its id unused so that it can be sent again once fixed, but its
        arrival still enrolled the member or caught them up (expiries, the tier) at its time.
        A store replaying its history runs such an attempt this way, so the replay comes out
        as stored even after the rule or plugin that failed has been fixed.
        """
        entries: list[Entry] = []
        changes: list[TierChange] = []
        notes: list[str] = []
        self._arrive(event, Context(event.at, self.tz, event, self._dates), entries, changes, notes)
        return Outcome(event, "failed", reason, tuple(entries), tier_changes=tuple(changes), notes=tuple(notes))

    def _process(self, event: Event, failed_before: Mapping[str, str]) -> Outcome:
        entries: list[Entry] = []
        changes: list[TierChange] = []
        notes: list[str] = []
        ctx = Context(event.at, self.tz, event, self._dates)
        member = self._arrive(event, ctx, entries, changes, notes)
        caught_up = len(entries)  # the expiries the catch-up found: all a refused event keeps
        try:
            effects, referral = self._handle(member, event, ctx, entries, notes)
        except Rejected as refusal:
            status: Status = "rejected" if event.type in ("redeem", "claim") else "invalid"
            reason = refusal.code + (f": {refusal.detail}" if refusal.detail else "")
            return Outcome(event, status, reason, tuple(entries[:caught_up]), tier_changes=tuple(changes),
                           notes=tuple(notes))
        except EvaluationError as err:
            return Outcome(event, "failed", str(err), tuple(entries[:caught_up]), tier_changes=tuple(changes),
                           notes=tuple(notes))
        self._tier_step(member, event.at, ctx, changes, notes)
        if referral is None:
            derived: tuple[Outcome, ...] = ()
        else:
            failed = failed_before.get(referral.id)
            derived = (self._once(referral, EMPTY) if failed is None else self.settle(referral, failed),)
        return Outcome(event, "applied", None, tuple(entries), effects, tuple(changes), tuple(notes), derived, ctx.amount)

    def _arrive(self, event: Event, ctx: Context, entries: list[Entry], changes: list[TierChange],
                notes: list[str]) -> Member:
        """Steps 1 and 2: the event's member, enrolled now or caught up to the event's time."""
        member = self.members.get(event.member)
        if member is None:
            return self._enroll(event)
        self._catch_up(member, event.at, ctx, entries, changes, notes)
        return member

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
        while lots:
            expires_at = lots[0].expires_at
            if expires_at is None or expires_at > t:
                break
            lot = lots.pop(0)
            if lot.remaining > 0:
                m.balance -= lot.remaining
                m.expired += lot.remaining
                rule = self.program.expiry.source.label if self.program.expiry else "expiry"
                entries.append(Entry(m.id, expires_at, "expire", -lot.remaining, lot.event, rule,
                                     [(_EXPIRED, lot.remaining, lot.points, lot.event)],
                                     ((lot.event, lot.remaining),)))
                lot.remaining = 0
        m.advance(t)
        self._tier_step(m, t, ctx, changes, notes)

    # --- handlers: each returns (effects, the referral event step 7 derives or None) ---------------

    def _handle(self, m: Member, event: Event, ctx: Context, entries: list[Entry], notes: list[str]) -> Handled:
        """Step 3 onwards for the event's type. Tested in turn rather than looked up: compiled, each branch is a
        direct call, where a table of methods goes through Python's calling convention."""
        kind = event.type
        if kind == "purchase":
            return self._on_purchase(m, event, ctx, entries, notes)
        if kind == "refund":
            return self._on_refund(m, event, ctx, entries, notes)
        if kind == "signup":
            return self._on_signup(m, event, ctx, entries, notes)
        if kind == "redeem":
            return self._on_redeem(m, event, ctx, entries, notes)
        if kind == "claim":
            return self._on_claim(m, event, ctx, entries, notes)
        if kind in ("event", "referral"):
            return self._on_event(m, event, ctx, entries, notes)
        raise AssertionError(f"no handler for events of type {kind}")  # EVENT_TYPES lists the types readers accept

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
            self._earn_points(m, event, ctx, entries, notes)
        except EvaluationError:
            m.attrs, m.referred_by = before
            raise
        m.signed_up = True
        return (), None

    def _on_event(self, m: Member, event: Event, ctx: Context, entries: list[Entry],
                   notes: list[str]) -> Handled:
        self._earn_points(m, event, ctx, entries, notes)
        return (), None

    def _on_purchase(self, m: Member, event: Event, ctx: Context, entries: list[Entry],
                   notes: list[str]) -> Handled:
        amount = event.amount or 0
        first = m.purchases_seen == 0
        purchase = Purchase(event.id, m.id, event.at, amount)
        m.purchases.add(purchase)
        m.spend_total += amount
        m.count_total += 1
        m.purchases_seen += 1
        ctx.amount, ctx.first_purchase = amount, first
        try:
            purchase.earned, purchase.lot = self._earn_points(m, event, ctx, entries, notes)
        except EvaluationError:
            m.purchases.remove(purchase)
            m.spend_total -= amount
            m.count_total -= 1
            m.purchases_seen -= 1
            m.advance(event.at)
            raise
        self.purchases[event.id] = purchase
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
        requested = left if event.amount is None else event.amount  # no amount: a refund in full
        cut = min(requested, left)
        if requested > left:
            notes.append(f"refund of {requested:,} is more than the {left:,} left of {purchase.id}; {left:,} refunded")
        purchase.refunded += cut
        ctx.amount = cut  # what the refund moved, for the outcome
        still_counts = purchase.amount - purchase.refunded > 0
        m.purchases.change(purchase, cut, still_counts)
        m.spend_total -= cut
        if not still_counts:
            m.count_total -= 1
        target = _share(purchase.earned, purchase.refunded, purchase.amount) if purchase.amount else 0
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
            raise Rejected("unknown_reward", _unknown("reward", event.reward or "", self.program.rewards))
        if reward.when is not None and not reward.when(ctx, m, None):
            raise Rejected("not_eligible", f"{reward.source.label}: {reward.source.text}")
        used = m.redemptions.get(reward.id, 0)
        if reward.limit is not None and used >= reward.limit:
            raise Rejected("limit_reached", f"{reward.id} may be redeemed {reward.limit} time(s) per member")
        if reward.per_period:
            hit = limits.reached(m.uses.get(id(reward), ()), None, reward.per_period, event.at, self.settings)
            if hit is not None:
                raise Rejected("limit_reached", f"{reward.id} may be redeemed {hit.describe(self.tz)}")
        if m.balance < reward.cost:
            raise Rejected("insufficient_points", f"{reward.id} costs {reward.cost:,} points; the balance is {m.balance:,}")
        redeem_ctx = RedeemContext(m.id, event.id, event.at.astimezone(self.tz), reward.id, event.fingerprint or event.id)
        effect = self._plugin_effect(reward.kind.plugin, reward.kind.name, m.id, event.id,
                                     lambda: reward.kind.redeem(reward.params, redeem_ctx))
        self._debit(m, event, reward.cost, reward.source.label, f"redeemed {reward.id} \"{reward.title}\"", entries)
        m.redemptions[reward.id] = used + 1
        if reward.per_period:
            limits.record(m.uses.setdefault(id(reward), []), event.at)
        return (effect,), None

    def _on_claim(self, m: Member, event: Event, ctx: Context, entries: list[Entry],
                   notes: list[str]) -> Handled:
        offer = self.program.offers.get(event.offer or "")
        if offer is None:
            raise Rejected("unknown_offer", _unknown("offer", event.offer or "", self.program.offers))
        redeem_ctx = RedeemContext(m.id, event.id, event.at.astimezone(self.tz), offer.offer.ref, event.fingerprint or event.id)
        if offer.when is not None and not offer.when(ctx, m, None):
            raise Rejected("not_eligible", f"{offer.source.label}: {offer.source.text}")
        recorded = self._recorded
        # Replayed, a claim reaching this check was declined here if it was stored as not eligible: the rulebook's
        # own condition, the other cause, is checked above.
        eligible = (not (recorded.status == "rejected" and (recorded.reason or "").startswith("not_eligible:"))
                    if recorded is not None else self._plugin_call(offer.offer.plugin, lambda: offer.offer.eligible(redeem_ctx)))
        if not eligible:
            raise Rejected("not_eligible", f"the partner {offer.offer.partner} declined")
        if m.balance < offer.cost:
            raise Rejected("insufficient_points", f"the offer costs {offer.cost:,} points; the balance is {m.balance:,}")
        effect = self._plugin_effect(offer.offer.plugin, "offer", m.id, event.id, lambda: offer.offer.issue(redeem_ctx))
        self._debit(m, event, offer.cost, offer.source.label, f"claimed {offer.offer.ref}", entries)
        return (effect,), None

    # --- earning ------------------------------------------------------------------------

    def _earn_points(self, m: Member, event: Event, ctx: Context, entries: list[Entry],
                     notes: list[str]) -> tuple[int, Lot | None]:
        """Step 3: matching earn rules within their limits, each rounded down, times the bonuses, rounded down,
        within the caps."""
        plan = self._named.get(event.name) if event.type == "event" else self._plans.get(event.type)
        if plan is None:
            return 0, None
        run, dated = plan
        total, labels, why, used = run(ctx, m, ctx.date if dated else None, notes)
        caps = self._caps
        if caps and total > 0:  # nothing earned is within every cap
            m.earnings.advance(event.at)
            for k, cap in enumerate(caps):
                room = max(0, cap.points - int(m.cap_sums[k]))  # points are whole
                if total > room:
                    why.append((self._capped[k], room, cap.source.label, m.cap_sums[k], cap.points, cap.window))
                    total = room
        if total <= 0:
            return 0, None
        if m.earned + total > MAX_POINTS:
            raise EvaluationError(f"{total:,} points would take the points {m.id} has earned past {MAX_POINTS:,}, "
                                  "more than a ledger keeps: check the rulebook's earn rates and bonuses")
        for rule in used:  # limited rules that gave points: each is a use once the event earns
            limits.record(m.uses.setdefault(id(rule), []), event.at)
        return total, self._credit(m, event, ctx, total, ", ".join(labels), why, entries)

    def _credit(self, m: Member, event: Event, ctx: Context, points: int, rule: str, why: list[Reason],
                entries: list[Entry]) -> Lot:
        expires_at = self._expires(ctx) if self._expires is not None else None
        debt = -m.balance if m.balance < 0 else 0
        if debt:
            why.append((_REPAID, min(debt, points)))
        lot = Lot(event.id, event.at, expires_at, points, max(0, points - debt))
        if lot.remaining:
            _insert_lot(m.lots, lot)
        m.balance += points
        m.earned += points
        if self._caps:  # only caps read the earnings windows
            m.earnings.add(lot)
        entries.append(Entry(m.id, event.at, "earn", points, event.id, rule, why))
        return lot

    def _referral(self, m: Member, purchase: Event) -> Event:
        """Step 7: a member's first purchase gives the member who referred them a referral event."""
        return Event(id=purchase.id + REFERRAL_SUFFIX, type="referral", member=m.referred_by or "", at=purchase.at,
                     fields=MappingProxyType({"referred": m.id, "purchase": purchase.id}))

    def _perks(self, m: Member, event: Event) -> tuple[Effect, ...]:
        perks = self._perks_at[m.tier] if m.tier is not None else ()
        return tuple(Effect(kind, m.id, event.id, data, plugin) for kind, data, plugin in perks) if perks else ()

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
        tiers = self._tiers
        if not tiers or m.tier is None:
            return
        try:
            qualified = self._ladder(ctx, m)
        except TierConditionError as err:
            notes.append(f"tier left at {tiers[m.tier].name}, as the condition of {err.tier} failed: {err}")
            return
        current = m.tier
        if qualified >= current:
            m.qualified_at = t
            if qualified > current:
                m.tier = qualified
                changes.append(TierChange(m.id, t, tiers[current].name, tiers[qualified].name,
                                          _figures(self._moved_up[qualified], (), m, tiers[qualified]), True))
            return
        grace = self._grace_ends
        if grace is None or t >= grace(m.qualified_at):
            since = () if grace is None else (m.qualified_at,)
            m.tier = qualified
            m.qualified_at = t
            changes.append(TierChange(m.id, t, tiers[current].name, tiers[qualified].name,
                                      _figures(self._moved_down[current], since, m, tiers[current]), False))

    # --- plugins ------------------------------------------------------------------------

    def _plugin_call(self, plugin: str, call: Any) -> Any:
        try:
            return call()
        except Exception as err:  # a plugin's failure refuses this event only
            raise EvaluationError(f"plugin {plugin} failed: {err!r}") from err

    def _plugin_effect(self, plugin: str, kind: str, member: str, event_id: str, call: Any) -> Effect:
        recorded = self._recorded
        if recorded is not None:  # never a new call while replaying: without stored data the replay already differs
            return Effect(kind, member, event_id, recorded.data or EMPTY, plugin)
        data = self._plugin_call(plugin, call)
        if not isinstance(data, Mapping):
            raise EvaluationError(f"plugin {plugin} returned {type(data).__name__} for {kind}, not a mapping")
        if (where := _unkeepable(data)) is not None:
            raise EvaluationError(f"plugin {plugin} returned data for {kind} that a ledger cannot keep ({where}): "
                                  "effect data holds text, numbers, true/false, dates, lists and mappings")
        return Effect(kind, member, event_id, MappingProxyType(dict(data)), plugin)


def _span(duration: Duration) -> timedelta | None:
    """Days and weeks as the fixed span they are; None for months and years, which follow the calendar."""
    if duration.unit in ("days", "weeks"):
        return timedelta(days=duration.count * (7 if duration.unit == "weeks" else 1))
    return None


def _cutoff(window: Duration, settings: Settings) -> Cutoff:
    """Where a window starts for an instant t: a fixed span for days and weeks, the calendar for months."""
    span = _span(window)
    return span if span is not None else lambda t: window.before(t, settings)


def _later(duration: Duration, settings: Settings) -> Callable[[datetime], datetime]:
    """`Duration.after` as a function made once: a fixed span for days and weeks, the calendar for months."""
    span = _span(duration)
    if span is not None:
        return lambda at: at.astimezone(timezone.utc) + span
    return lambda at: duration.after(at, settings)


def _expiry(expiry: ExpiryRule | None, settings: Settings) -> Callable[[Context], datetime] | None:
    """When the points an event earns expire, as a function made once (what `Duration.after` works out per call).

    Days and weeks are a fixed span after the event. Months and years keep the wall-clock time on the
    rulebook calendar, so they start from the event's local time, which the rules may already have asked for.
    """
    if expiry is None:
        return None
    after = expiry.after
    span = _span(after)
    if span is not None:
        return lambda ctx: ctx.at.astimezone(timezone.utc) + span
    shift = month_shifter(after.count * (12 if after.unit == "years" else 1), settings.calendar, settings.tz)

    def expires(ctx: Context) -> datetime:
        today = ctx.steady_date()
        moved = shift.steady(today, ctx.at) if today is not None else None
        return moved if moved is not None else shift(ctx.local, ctx.at)

    return expires


# Reasons, as templates of the figures an entry keeps (ledger.Reason):
_CAPPED = "capped at {:,} by {} ({:,} of {:,} already earned in {})"  # room, cap, earned in its window, cap, window
_REPAID = "{:,} repay the negative balance"  # points
_EXPIRED = "{:,} of the {:,} points earned by {} expired"  # points left, points earned, the earning event


def _unknown(what: str, name: str, known: Iterable[str]) -> str:
    """Why a redemption or claim names nothing the rulebook has, with the likely typo or the names there are."""
    names = sorted(known)
    hint = did_you_mean(name, names) or (f"the rulebook's {what}s are {', '.join(f'`{n}`' for n in names)}" if names
                                         else f"the rulebook has no {what}s")
    return f"the rulebook has no {what} `{name}`; {hint}"


_KEEPABLE = (str, int, float, Decimal, bool, date, type(None))  # date covers datetime


def _unkeepable(value: Any, where: str = "") -> str | None:
    """Where in a plugin's effect data a value is that a store could not write, or None: found here, the event
    fails in a simulation as it would in `loyalty apply`, instead of a batch crashing at the write."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"the key {key!r}{where and ' in ' + where}"
            if (found := _unkeepable(item, f"{where}.{key}" if where else key)) is not None:
                return found
        return None
    if isinstance(value, (list, tuple)):
        for k, item in enumerate(value):
            if (found := _unkeepable(item, f"{where}[{k}]")) is not None:
                return found
        return None
    return None if isinstance(value, _KEEPABLE) else f"a {type(value).__name__} at `{where}`"


def _wording(tier: Tier, grace: Duration | None) -> tuple[str, str]:
    """The templates of the reasons for a move up to `tier` and for a move down from it.

    Both end with what the figures of the tier's condition stood at (`spend_90d 2,150,000`), and a move down
    after a grace period starts with the day the member last qualified: the figures `_figures` gives.
    """
    standing = f" ({', '.join(literal(name) + ' {:,}' for name, _, _ in tier.figures)})" if tier.figures else ""
    name = literal(tier.name)
    since = "no longer qualifies" if grace is None else f"has not qualified since {{:%Y-%m-%d}} ({literal(str(grace))} grace)"
    return f"qualified for {name}: {literal(tier.source.text)}{standing}", f"{since} for {name}{standing}"


def _figures(template: str, first: tuple[Any, ...], m: Member, tier: Tier) -> Reason:
    """A tier change's reason: its template, `first`, then the figures of the tier's condition as they stand."""
    reason: list[Any] = [template, *first]
    for _, attribute, index in tier.figures:
        reason.append(getattr(m, attribute) if index is None else getattr(m, attribute)[index])
    return tuple(reason)



def _share(points: int, part: int | Decimal, whole: int | Decimal) -> int:
    """floor(points × part / whole), exactly: in whole numbers when the amounts are whole, through Fraction if not."""
    if isinstance(part, int) and isinstance(whole, int):
        return points * part // whole
    return floor(Fraction(points) * Fraction(part) / Fraction(whole))


def _insert_lot(lots: list[Lot], lot: Lot) -> None:
    key = lot.expires_at
    if not lots or key is None or (lots[-1].expires_at is not None and lots[-1].expires_at <= key):
        lots.append(lot)
        return
    index = next(i for i, other in enumerate(lots) if other.expires_at is None or other.expires_at > key)
    lots.insert(index, lot)
