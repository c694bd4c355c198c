"""A partner's plugin, installed as its own package, works in `check`, `simulate`, `explain` and `plugins`.

The package under examples/partner-plugin is pip-installed into the running
environment for this module and uninstalled afterwards (unless it was installed
before). One command runs as a separate process, as an operator would run it;
the others run in this process, which finds the new entry point the same way.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from rules_engine.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "partner-plugin"
CODE = r"FIT-([A-Z2-9]{4}-){3}[A-Z2-9]{4}"

RULEBOOK = """\
program "Fit Club"
timezone "Asia/Tehran"
tier bronze
tier silver when spend_90d >= 1m
earn 1 point per 10000 toman
reward month "یک ماه باشگاه" costs 300 points gives gym_pass(days: 30)
offer "fitland:gym-20" costs 100 points
offer "fitland:yoga-10" when tier >= silver
"""

EVENTS = [
    {"id": "p-1", "type": "purchase", "member": "m-1", "at": "2026-03-01T10:00:00+03:30", "amount": 5_000_000},
    {"id": "c-1", "type": "claim", "member": "m-1", "at": "2026-03-02T10:00:00+03:30", "offer": "fitland:gym-20"},
    {"id": "x-1", "type": "redeem", "member": "m-1", "at": "2026-03-03T10:00:00+03:30", "reward": "month"},
    {"id": "c-2", "type": "claim", "member": "m-1", "at": "2026-03-06T10:00:00+03:30", "offer": "fitland:yoga-10"},
    {"id": "c-3", "type": "claim", "member": "m-1", "at": "2026-03-07T10:00:00+03:30", "offer": "fitland:yoga-10"},
]

BAD_RULEBOOK = """\
reward a "A" costs 10 points gives gym_pas(days: 30)
reward b "B" costs 10 points gives gym_pass(days: "thirty")
reward c "C" costs 10 points gives gym_pass(weeks: 2)
reward d "D" costs 10 points gives gym_pass()
offer "fitland:gym-2"
"""


def pip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def fitland(tmp_path_factory: pytest.TempPathFactory):
    if pip("--version").returncode != 0:
        pytest.skip("SKIPPED LOUDLY: pip is not available, so examples/partner-plugin cannot be installed")
    was_installed = pip("show", "-q", "loyalty-fitland").returncode == 0
    source = tmp_path_factory.mktemp("fitland") / "partner-plugin"  # a copy: building writes into the tree
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    installed = pip("install", "--no-deps", "--no-build-isolation", "-q", str(source))
    if installed.returncode != 0:  # a setuptools too old to build wheels by itself: let pip fetch a newer one
        installed = pip("install", "--no-deps", "-q", str(source))
    assert installed.returncode == 0, installed.stderr
    importlib.invalidate_caches()
    yield source
    if not was_installed:
        pip("uninstall", "-y", "-q", "loyalty-fitland")
        sys.modules.pop("loyalty_fitland", None)
        importlib.invalidate_caches()


def loyalty(*args: str) -> Result:
    return CliRunner(env={"LOYALTY_OUTBOX": None, "LOYALTY_HOLIDAYS": None}).invoke(main, list(args))


@pytest.fixture
def files(tmp_path: Path) -> tuple[str, str]:
    book, events = tmp_path / "fit.rules", tmp_path / "events.jsonl"
    book.write_text(RULEBOOK, encoding="utf-8")
    events.write_text("".join(json.dumps(e) + "\n" for e in EVENTS), encoding="utf-8")
    return str(book), str(events)


def test_plugins_lists_the_partners_reward_type_and_offers(fitland) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("LOYALTY_OUTBOX", "LOYALTY_HOLIDAYS")}
    result = subprocess.run([sys.executable, "-c", "from rules_engine.cli import main; main()", "plugins"],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    listing = result.stdout[result.stdout.index("fitland  (loyalty-fitland 0.1.0)"):]
    assert listing.splitlines()[:5] == [
        "fitland  (loyalty-fitland 0.1.0)",
        "  reward type  gym_pass(days: int, branch: string = \"any\")",
        "               a Fitland gym pass with its entry code: gym_pass(days: 30)",
        '  offer        "fitland:gym-20"  ۲۰٪ تخفیف عضویت ماهانه باشگاه فیت‌لند',
        '  offer        "fitland:yoga-10"  ۱۰٪ تخفیف کلاس یوگا (به‌جز جمعه‌ها)',
    ]


def test_plugins_in_json_gives_the_gym_pass_parameters(fitland) -> None:
    result = loyalty("plugins", "--format", "json")
    fit = next(p for p in json.loads(result.stdout) if p["name"] == "fitland")
    assert fit["package"] == "loyalty-fitland 0.1.0"
    (gym_pass,) = fit["reward_types"]
    assert [(p["name"], p["type"], p["required"], p["default"]) for p in gym_pass["params"]] == [
        ("days", "int", True, None), ("branch", "string", False, "any")]
    assert [o["ref"] for o in fit["offers"]] == ["fitland:gym-20", "fitland:yoga-10"]


def test_check_accepts_a_rulebook_using_the_partners_offer_and_reward_type(fitland, files) -> None:
    result = loyalty("check", files[0])
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith("ok (1 earn, 0 bonus, 2 tiers, 1 rewards, 0 perks, 2 offers)\n")


def test_check_reports_unknown_kinds_and_bad_parameters_at_their_place(fitland, tmp_path: Path) -> None:
    book = tmp_path / "bad.rules"
    book.write_text(BAD_RULEBOOK, encoding="utf-8")
    result = loyalty("check", str(book), "--format", "json")
    assert result.exit_code == 1
    found = [(d["line"], d["column"], d["message"], d["hint"]) for d in json.loads(result.stdout)]
    assert [(line, column) for line, column, _, _ in found] == [(1, 36), (2, 45), (3, 45), (4, 36), (5, 7)]
    assert found[0][2:] == ("unknown reward type `gym_pas`", "did you mean `gym_pass`?")
    assert "days" in found[1][2]
    assert found[2][2] == "`gym_pass` has no parameter `weeks`"
    assert "days" in found[3][2]
    assert found[4][2:] == ('no installed partner plugin provides the offer "fitland:gym-2"',
                            "did you mean `fitland:gym-20`?")


def test_simulate_takes_the_cost_of_a_claim_from_the_balance(fitland, files) -> None:
    result = loyalty("simulate", *files, "--format", "json")
    assert result.exit_code == 0, result.output
    totals = json.loads(result.stdout)["totals"]
    # 500 earned; the gym-20 claim costs 100 and the gym pass 300; the yoga claim on a Friday is declined.
    assert (totals["earned"], totals["redeemed"], totals["balance"], totals["rejected"]) == (500, 400, 100, 1)


def test_explain_shows_the_codes_the_partner_issued(fitland, files) -> None:
    result = loyalty("explain", *files, "m-1")
    assert result.exit_code == 0, result.output
    effects = [line.strip() for line in result.stdout.splitlines() if line.strip().startswith("effect")]
    assert len(effects) == 3
    assert re.fullmatch(rf"effect   offer\(offer=fitland:gym-20, title=.*, percent=20, code={CODE}\)", effects[0])
    assert re.fullmatch(rf"effect   gym_pass\(title=.*, code={CODE}, days=30, branch=any, valid_until=2026-04-02\)",
                        effects[1])
    assert re.fullmatch(rf"effect   offer\(offer=fitland:yoga-10, .*code={CODE}\)", effects[2])
    assert "claim c-2: rejected: not_eligible: the partner fitland declined" in result.stdout
    codes = re.findall(CODE.replace("(", "(?:"), result.stdout)
    assert len(set(codes)) == 3


def test_the_partner_plugin_is_found_through_its_entry_point(fitland) -> None:
    from rules_engine.plugins.manager import default_registry

    registry = default_registry()
    assert registry.offers["fitland:gym-20"].plugin == "fitland"
    assert registry.reward_types["gym_pass"].plugin == "fitland"
