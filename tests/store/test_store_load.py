"""Appliers and redeemers in several processes at once, for a few seconds, lose and double nothing.

The short run of the harness in bench/load.py, whose docstring describes the
workload and whose checks are the proof; the 60-second run is documented in
docs/reliability.md ("Sustained concurrent load").
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import pytest

_PATH = Path(__file__).resolve().parents[2] / "bench" / "load.py"
_SPEC = importlib.util.spec_from_file_location("bench_load", _PATH)
assert _SPEC is not None and _SPEC.loader is not None
load = importlib.util.module_from_spec(_SPEC)
sys.modules[_SPEC.name] = load  # dataclasses look their module up while the file runs
_SPEC.loader.exec_module(load)

# Long enough for the redeemers to drain members the appliers are still funding; history that outlasts the run.
SHORT = load.Settings(seconds=2, appliers=2, redeemers=2, members=2_500, days=90, hot=8, resend=0.1)


def _raced(result: Any) -> bool:
    """Whether the races the checks are about happened: a stored repeat, and redemptions both paid and refused."""
    told = [outcome for report in result.role("redeemer") for outcome in report["told"].values()]
    repeats = sum(report["status"].get("duplicate", 0) for report in result.role("applier"))
    return "applied" in told and "insufficient_points" in told and repeats > 0


def test_appliers_and_redeemers_in_several_processes_lose_and_double_nothing(
        new_db_url: Callable[[], str], tmp_path: Path) -> None:
    # On a busy machine two seconds may pass before the races begin; a longer run is tried then (every run
    # must pass every check), so the test neither flakes nor passes without the races having happened.
    for attempt, seconds in enumerate((SHORT.seconds, 4 * SHORT.seconds, 12 * SHORT.seconds)):
        folder = tmp_path / f"run-{attempt}"
        folder.mkdir()
        result = load.run(new_db_url(), new_db_url(), replace(SHORT, seconds=seconds), folder)
        assert [f"{check.name}: {check.detail}" for check in result.checks if not check.ok] == []
        if _raced(result):
            return
    pytest.fail("in three runs of up to 24 s, the appliers and redeemers never raced: the load is too small")
