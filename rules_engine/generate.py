"""Synthetic but plausible customer-club events, for trying a rulebook before it has real data.

The generator is a small discrete-event simulation: every member has a next
moment at which something may happen (sign up, buy, refund, redeem, answer a
survey), all of them wait in one priority queue, and the earliest is handled
next. Events therefore come out in time order, one at a time, and memory grows
with the number of members (each has habits and a place in the queue from the
start) and pending refunds, never with the number of events written.

Purchases follow a time-varying rate (thinning a Poisson process): quiet nights,
busy Thursday and Friday evenings, and the shopping peaks before Nowruz, around
Yalda night and on Black Friday. One `random.Random(seed)` drives everything,
so the same arguments always give the same file.

Redemptions depend on a member's balance, which the generator cannot know
without running a rulebook. It keeps an estimate instead: each purchase is
assumed to earn `earn_rate` of its amount back in points (1 % by default, the
usual give-back of a retail club), at `point_value` per point. When a rulebook
is given, its rewards (ids and costs) and point value are used; otherwise a
small default catalogue. Redeeming more than the real balance is fine: the
engine rejects it with `insufficient_points`, as it would in real life.
"""

from __future__ import annotations

import heapq
import json
import math
import random
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING, Any, Iterator, TextIO
from zoneinfo import ZoneInfo

from rules_engine.readers import EARLIEST, LATEST

if TYPE_CHECKING:
    from rules_engine.program import Program

DAY = 86_400.0

# Every member is held for the whole run, about 0.4 KB each: ten million need about 4 GB.
MAX_MEMBERS = 10_000_000
# Ten years. Prices rise 30 % a year, so this also keeps amounts plausible (at most about 14 times today's).
MAX_DAYS = 3_660
# The days a plan may cover: a day inside the years the event reader accepts, whatever the time zone.
FIRST_DAY = date(EARLIEST.year, 1, 2)
LAST_DAY = date(LATEST.year - 1, 12, 31)

# (category, median unit price in toman, spread of the log price)
CATEGORIES: tuple[tuple[str, int, float], ...] = (
    ("electronics", 5_000_000, 0.7),
    ("fashion", 1_200_000, 0.6),
    ("grocery", 450_000, 0.5),
    ("home", 1_800_000, 0.7),
    ("beauty", 600_000, 0.5),
    ("books", 250_000, 0.4),
    ("toys", 700_000, 0.5),
)

# Shoppers differ most in what they buy: weights over CATEGORIES per persona.
PERSONAS: tuple[tuple[int, ...], ...] = (
    (1, 2, 12, 2, 2, 1, 1),  # weekly grocery basket
    (2, 10, 2, 2, 5, 1, 1),  # fashion and beauty
    (5, 2, 3, 3, 1, 2, 1),  # gadgets
    (2, 3, 4, 4, 2, 2, 3),  # a bit of everything, with children
)

CHANNELS: tuple[str, ...] = ("app", "web", "store")
STORES: tuple[str, ...] = ("tehran-1", "tehran-2", "shiraz-1", "isfahan-1", "mashhad-1", "tabriz-1")
CITIES: tuple[str, ...] = ("Tehran", "Tehran", "Tehran", "Mashhad", "Isfahan", "Shiraz", "Tabriz", "Karaj", "Yazd", "Rasht")

# Python weekday (Monday = 0): the Iranian weekend is Friday, Thursday evening is the busiest.
WEEKDAY_FACTOR: tuple[float, ...] = (0.95, 0.95, 1.0, 1.3, 1.2, 1.05, 1.0)
HOUR_FACTOR: tuple[float, ...] = (
    0.3, 0.15, 0.08, 0.05, 0.05, 0.08, 0.2, 0.45, 0.75, 0.95, 1.1, 1.2,
    1.2, 1.15, 1.1, 1.1, 1.2, 1.35, 1.5, 1.6, 1.7, 1.6, 1.2, 0.7,
)

# (month, day, extra demand at the peak, spread in days): shopping builds up before the day.
PEAKS: tuple[tuple[int, int, float, float], ...] = (
    (3, 14, 1.4, 7.0),   # Nowruz shopping (the new year starts on 20/21 March)
    (12, 19, 0.8, 3.0),  # Yalda night, 21 December: nuts, fruit and gifts
    (11, 28, 0.6, 1.5),  # Black Friday
)

DEFAULT_REWARDS: tuple[tuple[str, int], ...] = (
    ("cashback_20k", 250), ("free_ship", 300), ("coupon_50k", 600), ("grocery_15", 900), ("ten_off", 1800),
)


PER_TOMAN = {"toman": 1, "rial": 10}  # how many of each currency make one toman


@dataclass(frozen=True)
class Plan:
    """What to generate. Amounts and `point_value` (money per point) are in `currency`: a rial club's
    prices are written ten times a toman club's, for the same goods."""

    members: int
    days: int
    seed: int = 1
    start: date = date(2025, 3, 21)  # 1 Farvardin 1404
    tz: ZoneInfo = ZoneInfo("Asia/Tehran")
    rewards: tuple[tuple[str, int], ...] = DEFAULT_REWARDS
    point_value: float = 100
    earn_rate: float = 0.01
    orders_per_month: float = 1.3
    refund_rate: float = 0.03
    referral_rate: float = 0.12
    survey_rate: float = 0.3  # share of members who answer a survey now and then
    currency: str = "toman"

    def __post_init__(self) -> None:
        if not 1 <= self.members <= MAX_MEMBERS:
            raise ValueError(f"members must be from 1 to {MAX_MEMBERS:,}")
        if not 1 <= self.days <= MAX_DAYS:
            raise ValueError(f"days must be from 1 to {MAX_DAYS:,}")
        if not FIRST_DAY <= self.start or self.start.toordinal() + self.days > LAST_DAY.toordinal():
            raise ValueError(f"{self.days:,} days from {self.start} go outside the dates events may have "
                             f"({FIRST_DAY} to {LAST_DAY}); move the start or give fewer days")
        if self.currency not in PER_TOMAN:
            raise ValueError(f"currency must be one of {', '.join(PER_TOMAN)}")
        if not self.rewards or any(cost <= 0 for _, cost in self.rewards):
            raise ValueError("rewards must be a non-empty list of (id, cost) with costs above zero")


def shaped_by(plan: Plan, program: Program) -> Plan:
    """`plan` with a rulebook's time zone, point value and rewards (those with a cost), where it has them."""
    rewards = tuple((r.id, r.cost) for r in program.rewards.values() if r.cost > 0) or plan.rewards
    currency, value = program.settings.currency, program.settings.point_value
    point_value = float(value) if value else plan.point_value * PER_TOMAN[currency] / PER_TOMAN[plan.currency]
    return replace(plan, tz=program.settings.tz, rewards=rewards, point_value=point_value, currency=currency)


@dataclass(slots=True)
class _Shopper:
    """What the generator knows of one member: habits, and an estimate of the balance. The member's id is
    made from its position when an event needs it, which keeps the record small for a large club."""

    rate: float  # orders per day on an ordinary day
    basket: float  # multiplies every price
    persona: int
    channel: int
    store: str
    points: float = 0.0


# What a queue entry will do when its time comes.
_SIGNUP, _PURCHASE, _REFUND, _REDEEM, _SURVEY, _REVIEW = range(6)


class _Generator:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.rng = random.Random(plan.seed)
        self.origin = datetime.combine(plan.start, time(), plan.tz).astimezone(timezone.utc)
        self.end = plan.days * DAY
        self.unit = PER_TOMAN[plan.currency]  # the prices below are in toman, so many of the plan's currency each
        busiest = max(self._day_factor(plan.start + timedelta(days=d)) for d in range(-1, plan.days + 2))
        self.peak = busiest * max(HOUR_FACTOR)  # the thinning bound: no hour is busier than this
        self.today = -1
        self.hourly: list[float] = []  # the demand of each hour of `today`, read on the local clock
        self.queue: list[tuple[float, int, int, int, Any]] = []
        self.seq = 0
        self.counters = [0] * 6
        self.joined: list[int] = []  # members who signed up so far, as referrers
        self.width = len(str(plan.members))
        self.shoppers = [self._shopper() for _ in range(plan.members)]
        self.cheapest = min(cost for _, cost in plan.rewards)

    def events(self) -> Iterator[dict[str, Any]]:
        for index in range(self.plan.members):
            self._push(self._signup_offset(), _SIGNUP, index)
        while self.queue:
            at, _, kind, index, payload = heapq.heappop(self.queue)
            if at > self.end:
                break
            yield from self._handle(at, kind, self.shoppers[index], index, payload)

    # --- the queue ------------------------------------------------------------------

    def _push(self, at: float, kind: int, index: int, payload: Any = None) -> None:
        if at <= self.end:
            self.seq += 1
            heapq.heappush(self.queue, (at, self.seq, kind, index, payload))

    def _next_id(self, kind: int, prefix: str) -> str:
        self.counters[kind] += 1
        return f"{prefix}-{self.counters[kind]:07d}"

    def _member(self, index: int) -> str:
        return f"m-{index + 1:0{self.width}d}"

    def _stamp(self, at: float) -> str:
        return (self.origin + timedelta(seconds=int(at))).astimezone(self.plan.tz).isoformat()

    # --- what happens -------------------------------------------------------------------

    def _handle(self, at: float, kind: int, s: _Shopper, index: int, payload: Any) -> Iterator[dict[str, Any]]:
        rng = self.rng
        member = self._member(index)
        if kind == _SIGNUP:
            yield self._signup(at, member)
            self.joined.append(index)
            self._push(at + rng.expovariate(s.rate * self.peak) * DAY, _PURCHASE, index)
            if rng.random() < self.plan.survey_rate:
                self._push(at + rng.expovariate(1 / 90) * DAY, _SURVEY, index)
        elif kind == _PURCHASE:
            self._push(at + rng.expovariate(s.rate * self.peak) * DAY, _PURCHASE, index)
            if rng.random() * self.peak <= self._intensity(at):
                yield self._purchase(at, s, index, member)
        elif kind == _REFUND:
            of, amount = payload
            yield {"id": self._next_id(_REFUND, "r"), "type": "refund", "member": member, "at": self._stamp(at),
                   "of": of, "amount": amount}
        elif kind == _REDEEM:
            yield {"id": self._next_id(_REDEEM, "x"), "type": "redeem", "member": member, "at": self._stamp(at),
                   "reward": payload}
        elif kind == _SURVEY:
            yield {"id": self._next_id(_SURVEY, "e"), "type": "event", "name": "survey_completed", "member": member,
                   "at": self._stamp(at)}
            self._push(at + (60 + rng.expovariate(1 / 60)) * DAY, _SURVEY, index)
        else:
            yield {"id": self._next_id(_REVIEW, "v"), "type": "event", "name": "review_posted", "member": member,
                   "at": self._stamp(at), "sku": payload}

    def _signup(self, at: float, member: str) -> dict[str, Any]:
        attrs: dict[str, Any] = {"city": self.rng.choice(CITIES)}
        if self.joined and self.rng.random() < self.plan.referral_rate:
            attrs["referred_by"] = self._member(self.rng.choice(self.joined))
        return {"id": self._next_id(_SIGNUP, "s"), "type": "signup", "member": member, "at": self._stamp(at),
                "attrs": attrs}

    def _purchase(self, at: float, s: _Shopper, index: int, member: str) -> dict[str, Any]:
        rng = self.rng
        channel = CHANNELS[s.channel] if rng.random() < 0.8 else rng.choice(CHANNELS)
        growth = 1.3 ** (at / (365 * DAY))  # prices rise about 30 % a year
        items = [self._item(s, growth) for _ in range(min(1 + int(rng.expovariate(0.9)), 6))]
        goods = sum(item["price"] * item["qty"] for item in items)
        event: dict[str, Any] = {"id": self._next_id(_PURCHASE, "p"), "type": "purchase", "member": member,
                                 "at": self._stamp(at), "amount": goods, "channel": channel}
        if channel == "store":
            event["store"] = s.store
        elif goods < 1_000_000 * self.unit:
            event["shipping_fee"] = 45_000 * self.unit
            event["amount"] = goods + 45_000 * self.unit
        event["items"] = items
        s.points += event["amount"] * self.plan.earn_rate / self.plan.point_value
        if rng.random() < self.plan.refund_rate:
            full = rng.random() < 0.6 or len(items) == 1 and items[0]["qty"] == 1
            amount = event["amount"] if full else items[-1]["price"]
            self._push(at + rng.uniform(1, 14) * DAY, _REFUND, index, (event["id"], amount))
            s.points -= amount * self.plan.earn_rate / self.plan.point_value
        elif rng.random() < 0.05:
            self._push(at + rng.uniform(3, 20) * DAY, _REVIEW, index, items[0]["sku"])
        self._maybe_redeem(at, s, index)
        return event

    def _item(self, s: _Shopper, growth: float) -> dict[str, Any]:
        rng = self.rng
        category, median, spread = rng.choices(CATEGORIES, weights=PERSONAS[s.persona])[0]
        price = median * s.basket * math.exp(rng.gauss(0, spread)) * growth
        qty = 1 if category != "grocery" else 1 + int(rng.expovariate(0.8))
        sku = f"{category[:3].upper()}-{rng.randrange(1, 400):03d}"
        return {"sku": sku, "category": category, "qty": qty, "price": max(10_000, int(round(price, -4))) * self.unit}

    def _maybe_redeem(self, at: float, s: _Shopper, index: int) -> None:
        """Richer members redeem more often: the chance grows with the estimated balance."""
        if s.points < self.cheapest:
            return
        if self.rng.random() < min(0.3, 0.02 * s.points / self.cheapest):
            affordable = [(rid, cost) for rid, cost in self.plan.rewards if cost <= s.points]
            reward, cost = self.rng.choice(affordable)
            s.points -= cost
            self._push(at + self.rng.uniform(0.01, 3) * DAY, _REDEEM, index, reward)

    # --- habits and seasons -----------------------------------------------------------

    def _shopper(self) -> _Shopper:
        rng = self.rng
        rate = self.plan.orders_per_month / 30 * rng.lognormvariate(-0.5, 1.0)
        return _Shopper(rate, rng.lognormvariate(0, 0.35), rng.randrange(len(PERSONAS)),
                        rng.choices(range(len(CHANNELS)), weights=(6, 3, 2))[0], rng.choice(STORES))

    def _signup_offset(self) -> float:
        """A third of the club joins in the opening week; the rest through the period."""
        span = min(7.0, self.plan.days) if self.rng.random() < 0.35 else self.plan.days
        return self.rng.uniform(0, span) * DAY

    def _intensity(self, at: float) -> float:
        """Relative demand at `at`; one day's hours are worked out at a time, as the queue reaches it."""
        day, second = divmod(int(at), int(DAY))
        if day != self.today:
            self.today = day
            midnight = self.origin + timedelta(days=day)
            self.hourly = []
            for hour in range(24):
                local = (midnight + timedelta(hours=hour)).astimezone(self.plan.tz)
                self.hourly.append(self._day_factor(local.date()) * HOUR_FACTOR[local.hour])
        return self.hourly[second // 3600]

    @staticmethod
    def _day_factor(day: date) -> float:
        factor = WEEKDAY_FACTOR[day.weekday()]
        extra = 0.0
        for month, dom, height, spread in PEAKS:
            distance = min(abs((day - date(year, month, dom)).days) for year in (day.year - 1, day.year, day.year + 1))
            extra += height * math.exp(-0.5 * (distance / spread) ** 2)
        return factor * (1 + extra)


def generate(plan: Plan) -> Iterator[dict[str, Any]]:
    """The events of `plan` in time order, as JSON-ready dicts in the format `loyalty simulate` reads."""
    return _Generator(plan).events()


def write_events(plan: Plan, out: TextIO) -> int:
    """Write `plan`'s events to `out` as JSON Lines, one at a time; returns how many were written."""
    count = 0
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    for event in generate(plan):
        out.write(encode(event))
        out.write("\n")
        count += 1
    return count
