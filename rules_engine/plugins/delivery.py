"""Handing the engine's outcomes to the effect sinks.

The engine is pure; whoever runs it (a simulation, the live applier) calls
`deliver` with each batch of outcomes. One sink's failure must not cost the
others their messages, so each failure is collected with the sink's and the
plugin's names and the rest go on; the caller decides how to report them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rules_engine.ledger import Outcome
from rules_engine.plugins.registry import EffectSink


@dataclass(frozen=True, slots=True)
class SinkFailure:
    sink: str
    plugin: str
    error: str

    def __str__(self) -> str:
        return f"effect sink {self.sink} of plugin {self.plugin} failed: {self.error}"


def flatten(outcomes: Iterable[Outcome]) -> tuple[Outcome, ...]:
    """The outcomes with the ones the engine derived from them (referrals) right after each."""
    found: list[Outcome] = []
    for outcome in outcomes:
        found.append(outcome)
        found.extend(flatten(outcome.derived))
    return tuple(found)


def deliver(outcomes: Iterable[Outcome], sinks: Iterable[EffectSink]) -> tuple[SinkFailure, ...]:
    batch = flatten(outcomes)
    if not batch:
        return ()
    failures: list[SinkFailure] = []
    for sink in sinks:
        try:
            sink.send(batch)
        except Exception as err:  # a sink's bug or outage must not silence the other sinks
            failures.append(SinkFailure(sink.name, sink.plugin or "?", repr(err)))
    return tuple(failures)
