"""The studio's work without its screen: checking, choosing events, simulating and comparing."""

from __future__ import annotations

from pathlib import Path

from tui.workbench import Workbench

DATA = Path(__file__).parent / "data"
TEXT = (DATA / "studio.rules").read_text(encoding="utf-8")


def test_checking_reports_diagnostics_in_line_order(registry) -> None:
    bench = Workbench(registry, None, None)
    checked = bench.check(TEXT.replace("tier bronze", "tier").replace("costs 400", "costs"))
    assert checked.program is None
    lines = [d.line for d in checked.diagnostics]
    assert lines == sorted(lines)
    assert {11, 22} <= set(lines)
    assert checked.errors == len(lines)


def test_events_given_on_the_command_line_win_over_the_sample(registry, rulebook: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.jsonl"
    other.write_text((DATA / "studio.jsonl").read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    program = Workbench(registry, rulebook, None).check(TEXT).program
    assert Workbench(registry, rulebook, other).events(program)[0] == "other.jsonl"
    assert Workbench(registry, rulebook, None).events(program)[0] == "studio.jsonl"


def test_a_rulebook_without_events_gets_the_same_generated_club_every_time(registry, tmp_path: Path) -> None:
    program = Workbench(registry, None, None).check(TEXT).program
    first = Workbench(registry, tmp_path / "new.rules", None).events(program)
    again = Workbench(registry, tmp_path / "new.rules", None).events(program)
    assert first[0].startswith("generated")
    assert first[1] == again[1] and len(first[1]) > 0


def test_the_saved_text_is_not_compared_with_itself(registry, rulebook: Path) -> None:
    bench = Workbench(registry, rulebook, None)
    program = bench.check(TEXT).program
    assert bench.simulate(program, TEXT, TEXT).comparison is None


def test_an_edit_is_compared_with_the_saved_text(registry, rulebook: Path) -> None:
    bench = Workbench(registry, rulebook, None)
    edited = TEXT.replace("count_90d >= 6", "count_90d >= 3")
    simulation = bench.simulate(bench.check(edited).program, edited, TEXT)
    assert simulation.comparison.a.tiers["silver"] < simulation.comparison.b.tiers["silver"]
    assert simulation.economics == simulation.comparison.b


def test_a_members_timeline_explains_every_entry(registry, rulebook: Path) -> None:
    bench = Workbench(registry, rulebook, None)
    outcomes = bench.timeline(bench.check(TEXT).program, "m-11")
    assert outcomes[0].event.type == "signup"
    assert all(entry.why or entry.rule for outcome in outcomes for entry in outcome.entries)
