"""Every worked case under shared/acceptance must come out exactly as its expected.json says."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from rules_engine.cli import main

ACCEPTANCE = Path(os.environ.get("LOYALTY_ACCEPTANCE_DIR", Path(__file__).resolve().parents[2] / "shared" / "acceptance"))
CASES = sorted(p for p in ACCEPTANCE.glob("*/") if (p / "expected.json").exists())


def test_acceptance_cases_are_present() -> None:
    assert CASES, f"no acceptance cases found under {ACCEPTANCE}; set LOYALTY_ACCEPTANCE_DIR"


@pytest.mark.parametrize("case", CASES, ids=[p.name for p in CASES])
def test_acceptance_case(case: Path) -> None:
    result = CliRunner().invoke(
        main, ["simulate", str(case / "rulebook.rules"), str(case / "events.jsonl"), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    for key, value in expected["totals"].items():
        assert got["totals"][key] == value, f"totals.{key}"
    members = {m["id"]: m for m in got["members"]}
    for member in expected["members"]:
        for key, value in member.items():
            assert members[member["id"]][key] == value, f"{member['id']}.{key}"
