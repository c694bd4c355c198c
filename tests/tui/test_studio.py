"""The studio driven as a designer drives it: keys in, messages and screen contents out."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.geometry import Region
from textual.message import Message
from textual.widget import Widget
from textual.widgets import DataTable, Input, Static

from pilot_helpers import SIZE, line_of, settle
from tui.app import StudioApp
from tui.files import recent_rulebooks
from tui.messages import RulebookChecked, SimulationFinished
from tui.screens.error import ErrorModal
from tui.screens.help import HELP, HelpScreen
from tui.widgets.comparison import ComparisonView
from tui.widgets.diagnostics import DiagnosticsPanel
from tui.widgets.overview import Catalogue, TierChart


class Recorder:
    """A message hook that keeps the messages a test cares about."""

    def __init__(self, *kinds: type[Message]) -> None:
        self.kinds = kinds
        self.seen: list[Message] = []

    def __call__(self, message: Message) -> None:
        if isinstance(message, self.kinds):
            self.seen.append(message)

    def last(self, kind: type[Message]) -> Message:
        return [m for m in self.seen if isinstance(m, kind)][-1]


def shown(widget: Widget) -> str:
    """What the widget puts on the screen, line by line, as the terminal would get it."""
    return "\n".join(strip.text for strip in widget.render_lines(Region(0, 0, *widget.size)))


def test_designer_opens_breaks_fixes_and_retunes_a_rulebook(studio: StudioApp) -> None:
    """The issue's scenario, start to finish, without leaving the app."""
    recorder = Recorder(RulebookChecked, SimulationFinished)

    async def scenario() -> None:
        async with studio.run_test(size=SIZE, message_hook=recorder) as pilot:
            await settle(pilot)
            first = recorder.last(SimulationFinished).simulation.economics.tiers
            panel = studio.query_one(DiagnosticsPanel)
            assert panel.option_count == 0

            row = line_of(studio, "base: earn 1 point per 10000 toman")
            studio.editor.move_cursor((row, len("base: earn")))
            await pilot.press("n")  # "earnn"
            await settle(pilot)
            assert recorder.last(RulebookChecked).checked.program is None
            assert panel.option_count == 1
            assert studio.editor.marked_lines == [row + 1]

            await pilot.press("backspace")
            await settle(pilot)
            assert recorder.last(RulebookChecked).checked.program is not None
            assert panel.option_count == 0
            assert studio.editor.marked_lines == []

            row = line_of(studio, "tier silver when count_90d >= 6")
            studio.editor.move_cursor((row, len("tier silver when count_90d >= 6")))
            await pilot.press("backspace", "3", "f5")
            await settle(pilot)
            after = recorder.last(SimulationFinished).simulation.economics.tiers
            assert after["silver"] > first["silver"]
            assert after["bronze"] < first["bronze"]
            chart = shown(studio.query_one(TierChart))
            assert f"{after['silver']:,}  {after['silver'] - first['silver']:+,}" in chart

    asyncio.run(scenario())


def test_running_a_simulation_fills_the_results(studio: StudioApp) -> None:
    async def scenario() -> None:
        async with studio.run_test(size=SIZE) as pilot:
            await settle(pilot)
            table = studio.query_one("#member-table", DataTable)
            assert table.row_count == studio.simulation.economics.members > 0
            assert "bronze" in shown(studio.query_one(TierChart))

    asyncio.run(scenario())


def test_a_persian_reward_title_renders_whole(studio: StudioApp) -> None:
    async def scenario() -> None:
        async with studio.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert "چای رایگان" in shown(studio.query_one(Catalogue))

    asyncio.run(scenario())


def test_choosing_a_problem_moves_the_cursor_to_its_line(studio: StudioApp) -> None:
    async def scenario() -> None:
        async with studio.run_test(size=SIZE) as pilot:
            await settle(pilot)
            row = line_of(studio, "tier gold   when spend_90d >= 8m")
            studio.editor.move_cursor((row, len("tier gold   when spend_90d >= 8m")))
            await pilot.press(*" or")
            await settle(pilot)
            studio.editor.move_cursor((0, 0))
            panel = studio.query_one(DiagnosticsPanel)
            panel.focus()
            panel.highlighted = 0
            await pilot.press("enter")
            await pilot.pause()
            assert studio.editor.cursor_location[0] == row
            assert studio.focused is studio.editor

    asyncio.run(scenario())


def test_simulation_runs_by_itself_after_a_quiet_pause(rulebook: Path, registry) -> None:
    app = StudioApp(rulebook, registry=registry, quiet_pause=0.01)
    recorder = Recorder(SimulationFinished)

    async def scenario() -> None:
        async with app.run_test(size=SIZE, message_hook=recorder) as pilot:
            await settle(pilot)
            runs = len(recorder.seen)
            app.editor.move_cursor((0, 0))
            await pilot.press(*"# x", "enter")
            for _ in range(100):
                await settle(pilot)
                if len(recorder.seen) > runs:
                    break
                await pilot.pause(0.02)
            assert recorder.last(SimulationFinished).simulation.text.startswith("# x\n")

    asyncio.run(scenario())


def test_member_search_keeps_matching_members(studio: StudioApp) -> None:
    async def scenario() -> None:
        async with studio.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.click("#results Tab#--content-tab-members")
            studio.query_one("#member-search", Input).value = "m-1"
            await pilot.pause()
            table = studio.query_one("#member-table", DataTable)
            ids = [table.get_row_at(i)[0] for i in range(table.row_count)]
            assert ids and all(member.startswith("m-1") for member in ids)

    asyncio.run(scenario())


def test_a_members_timeline_explains_each_entry(studio: StudioApp) -> None:
    async def scenario() -> None:
        async with studio.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.click("#results Tab#--content-tab-members")
            studio.query_one("#member-search", Input).value = "m-11"
            await pilot.pause()
            table = studio.query_one("#member-table", DataTable)
            table.focus()
            await pilot.press("enter")
            await settle(pilot)
            timeline = shown(studio.query_one("#timeline", Static))
            assert "signup s-11" in timeline
            assert "+50: welcome" in timeline
            assert 'redeemed free_tea "چای رایگان"' in timeline

    asyncio.run(scenario())


def test_comparison_lists_changed_statements_and_moved_members(studio: StudioApp) -> None:
    async def scenario() -> None:
        async with studio.run_test(size=SIZE) as pilot:
            await settle(pilot)
            row = line_of(studio, "tier gold   when spend_90d >= 8m")
            studio.editor.move_cursor((row, len("tier gold   when spend_90d >= ")))
            await pilot.press("delete", "2", "f5")
            await settle(pilot)
            comparison = studio.simulation.comparison
            assert [(c.before, c.after) for c in comparison.rule_changes] == [
                ("tier gold when spend_90d >= 8m", "tier gold when spend_90d >= 2m")]
            assert comparison.tier_moves and all(after == "gold" for _, after in comparison.tier_moves)
            await pilot.click("#results Tab#--content-tab-compare")
            await pilot.pause()
            assert "Who moved" in shown(studio.query_one(ComparisonView))

    asyncio.run(scenario())


def test_saving_keeps_the_previous_version_and_remembers_the_file(studio: StudioApp, rulebook: Path) -> None:
    original = rulebook.read_text(encoding="utf-8")

    async def scenario() -> None:
        async with studio.run_test(size=SIZE) as pilot:
            await settle(pilot)
            studio.editor.move_cursor((0, 0))
            await pilot.press(*"# edited", "enter", "ctrl+s")
            await settle(pilot)
            assert studio.simulation.comparison is None  # the saved version is now the edited one

    asyncio.run(scenario())
    assert rulebook.read_text(encoding="utf-8") == "# edited\n" + original
    assert rulebook.with_name("studio.rules.bak").read_text(encoding="utf-8") == original
    assert recent_rulebooks()[0] == rulebook.resolve()


def test_opening_a_missing_file_shows_an_error_modal(studio: StudioApp, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with studio.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("ctrl+o")
            studio.screen.query_one("#path-input", Input).value = str(tmp_path / "nowhere.rules")
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(studio.screen, ErrorModal)
            assert "nowhere.rules" in studio.screen.message

    asyncio.run(scenario())


def test_without_events_the_studio_simulates_a_generated_club(tmp_path: Path, registry) -> None:
    lonely = tmp_path / "lonely.rules"
    lonely.write_text((Path(__file__).parent / "data" / "studio.rules").read_text(encoding="utf-8"), encoding="utf-8")
    app = StudioApp(lonely, registry=registry, quiet_pause=3600)

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert app.simulation.events_label.startswith("generated")
            assert app.simulation.economics.members > 0

    asyncio.run(scenario())


def test_help_opens_over_the_editor_and_closes_with_escape(studio: StudioApp) -> None:
    async def scenario() -> None:
        async with studio.run_test(size=SIZE) as pilot:
            await pilot.press("f1")
            await pilot.pause()
            assert isinstance(studio.screen, HelpScreen)
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(studio.screen, HelpScreen)

    asyncio.run(scenario())


def test_help_shows_every_kind_of_statement() -> None:
    openers = ("program", "currency", "calendar", "timezone", "point value", "tier", "tiers downgrade", "earn",
               "bonus", "cap", "points expire", "reward", "perk", "offer")
    rows = [line.split("|")[1].strip() for line in HELP.splitlines() if line.startswith("| `")]
    for opener in openers:
        assert any(f"`{opener}" in row for row in rows), opener


def test_a_rulebook_that_does_not_exist_yet_is_created_on_save(tmp_path: Path, registry) -> None:
    path = tmp_path / "new.rules"
    app = StudioApp(path, registry=registry, quiet_pause=3600)

    async def scenario() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press(*"tier bronze", "ctrl+s")
            await settle(pilot)

    asyncio.run(scenario())
    assert path.read_text(encoding="utf-8") == "tier bronze"
    assert not path.with_name("new.rules.bak").exists()
