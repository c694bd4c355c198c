"""Pausing Python's cyclic garbage collector around the engine's long loops.

The engine makes no reference cycles (tests/test_collector.py checks it on every
sample rulebook, refusals and failures included), so everything an event leaves
behind is freed by reference counting the moment it is dropped. The collector
still walks young objects every few hundred allocations and, as the engine's state
grows, rescans all of it in full collections: a quarter of a simulation's time and
about 15 % of `apply`'s, for nothing. Paused, a run pays none of that; whatever
cyclic garbage a plugin might make waits until the collector is back on.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def collector_paused() -> Iterator[None]:
    """The collector off for the `with` block, and back on afterwards only if this call switched it off.

    A program that keeps the collector disabled keeps it so, and when blocks run in
    several threads it is back on as soon as the block that paused it ends.
    """
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()
