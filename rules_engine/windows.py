"""Rolling sums over a member's history, kept incrementally.

`spend_90d`, `count_30d` and the earning caps ask the same question at every
event: the total of entries in (t − window, t]. Rescanning history would make each
event cost as much as the member's past; instead each window keeps a running sum
and a start pointer that only moves forward, so an event costs amortised O(1).
Entries arriving out of time order (late live data) are rare: they trigger one
rebuild of the window from its sorted log. The log keeps every entry, even those
all windows have left: late data can move the windows back to where they are
needed again (a purchase's entry is held by the engine for refunds anyway).
"""

from __future__ import annotations

from bisect import bisect_right, insort
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Callable

# Where a window starts for an instant t: entries at or before it have left. A fixed span back from t
# (days, weeks) is given as the span itself, which is cheaper to apply than a call; a calendar one as t -> instant.
Cutoff = timedelta | Callable[[datetime], datetime]


class Record:
    """One entry in a window: when it happened, what it is worth now, and whether it still counts."""

    __slots__ = ("at", "value", "counts")

    def __init__(self, at: datetime, value: int | Decimal) -> None:
        self.at = at
        self.value = value
        self.counts = True

    def __lt__(self, other: "Record") -> bool:
        return self.at < other.at


class Windows:
    """Sums and counts of one log over several windows at once, all read at the same instant `t`."""

    __slots__ = ("cutoffs", "spans", "log", "starts", "leaves", "end", "sums", "counts", "t", "quiet", "_dirty")

    def __init__(self, cutoffs: tuple[Cutoff, ...]) -> None:
        self.cutoffs = cutoffs
        self.spans = tuple(c if isinstance(c, timedelta) else None for c in cutoffs)
        self.log: list[Record] = []
        self.starts = [0] * len(cutoffs)
        # For a window of fixed span, when its oldest record leaves it (None: not worked out since the start last
        # moved), so that advancing by less than that costs one comparison rather than a subtraction and a lookup.
        self.leaves: list[datetime | None] = [None] * len(cutoffs)
        self.end = 0
        self.sums: list[int | Decimal] = [0] * len(cutoffs)
        self.counts = [0] * len(cutoffs)
        self.t: datetime | None = None
        # Before this instant no record joins or leaves any window, so advancing only moves `t` (None: unknown).
        # A member comes back sooner than their oldest purchase leaves a window, mostly: one comparison instead
        # of reading every window's state, which a member not seen for a while no longer has in the caches.
        self.quiet: datetime | None = None
        self._dirty = False

    def add(self, record: Record) -> None:
        """One more entry. Windows that already reach its time count it at once, so no `advance` is needed after."""
        if not self.cutoffs:  # nothing reads this log
            return
        log = self.log
        if record.at == self.t and self.end == len(log) and not self._dirty:
            # The windows already end at this instant: the record joins every one of them now.
            log.append(record)
            self.end += 1
            sums, counts, value, counted = self.sums, self.counts, record.value, record.counts
            for k in range(len(sums)):
                sums[k] += value
                counts[k] += counted
            quiet = self.quiet
            if quiet is not None:  # windows that were empty now have an oldest record, which leaves one day
                starts, spans, end = self.starts, self.spans, self.end - 1
                for k in range(len(starts)):
                    span = spans[k]
                    if starts[k] == end and span is not None and record.at + span < quiet:
                        quiet = record.at + span
                self.quiet = quiet
            return
        self.quiet = None
        if not log or record.at >= log[-1].at:
            log.append(record)
        else:
            insort(log, record)
            self._dirty = True
        if self.t is not None and record.at <= self.t:  # late: it belongs in the windows as they stand
            self.advance(self.t)

    def advance(self, t: datetime) -> None:
        """Make `sums` and `counts` describe the windows ending at `t`."""
        if not self.cutoffs:
            return
        quiet = self.quiet
        if quiet is not None and t < quiet and self.t is not None and t >= self.t:
            self.t = t
            return
        if self._dirty or self.t is None or t < self.t:
            if self.t is None and not self.log:  # a new member: every window is still the empty one it began as
                self.t = t
            else:
                self._rebuild(t)
            return
        log, end = self.log, self.end
        size = len(log)
        if t == self.t and end == size:  # nothing has moved
            return
        sums, counts, starts = self.sums, self.counts, self.starts
        while end < size and log[end].at <= t:
            record = log[end]
            for k in range(len(sums)):
                sums[k] += record.value
                counts[k] += record.counts
            end += 1
        self.end = end
        spans, leaves = self.spans, self.leaves
        for k in range(len(starts)):
            start = starts[k]
            if start == end:  # an empty window has nothing to let go
                continue
            span = spans[k]
            if span is not None:
                leave = leaves[k]
                if leave is None:
                    leave = leaves[k] = log[start].at + span
                if t < leave:
                    continue
                limit = t - span
            else:
                limit = _limit(self.cutoffs[k], t)
            while start < end and log[start].at <= limit:
                record = log[start]
                sums[k] -= record.value
                counts[k] -= record.counts
                start += 1
            if start != starts[k]:
                starts[k] = start
                leaves[k] = None
        self.t = t
        self.quiet = self._quiet_until()

    def _quiet_until(self) -> datetime | None:
        """When a record next joins or leaves a window, as far as the state after an advance tells."""
        log, end, starts, spans, leaves = self.log, self.end, self.starts, self.spans, self.leaves
        quiet = log[end].at if end < len(log) else _NEVER
        for k in range(len(starts)):
            span = spans[k]
            if span is None:  # a calendar window: its start moves by the calendar
                return None
            start = starts[k]
            if start == end:
                continue
            leave = leaves[k]
            if leave is None:
                leave = leaves[k] = log[start].at + span
            if leave < quiet:
                quiet = leave
        return quiet

    def change(self, record: Record, delta: int | Decimal, still_counts: bool) -> None:
        """A record's value drops by `delta` (a refund); windows holding it follow."""
        record.value -= delta
        counted_before = record.counts
        record.counts = still_counts
        if self.t is None:
            return
        for k, cutoff in enumerate(self.cutoffs):
            if _limit(cutoff, self.t) < record.at <= self.t:
                self.sums[k] -= delta
                self.counts[k] += int(still_counts) - int(counted_before)

    def remove(self, record: Record) -> None:
        """Take back a record added for an event that then failed."""
        if not self.cutoffs:
            return
        self.log.remove(record)
        self._dirty = True
        self.quiet = None

    def _rebuild(self, t: datetime) -> None:
        log = self.log
        self.end = bisect_right([r.at for r in log], t)
        for k, cutoff in enumerate(self.cutoffs):
            limit = _limit(cutoff, t)
            start = bisect_right([r.at for r in log[: self.end]], limit)
            self.starts[k] = start
            self.leaves[k] = None
            self.sums[k] = sum((r.value for r in log[start:self.end]), 0)
            self.counts[k] = sum(r.counts for r in log[start:self.end])
        self.t = t
        self.quiet = None
        self._dirty = False


_NEVER = datetime.max.replace(tzinfo=timezone.utc)


def _limit(cutoff: Cutoff, t: datetime) -> datetime:
    return t - cutoff if isinstance(cutoff, timedelta) else cutoff(t)
