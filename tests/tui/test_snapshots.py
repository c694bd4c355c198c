"""Pictures of the studio's main screens, on the fixed sample and a fixed terminal size.

Update them after a deliberate change of the screens with
`pytest tests/tui/test_snapshots.py --snapshot-update`, and look at the SVGs.
"""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from pilot_helpers import SIZE, line_of, settle, still
from tui.app import StudioApp


def test_overview_after_opening(snap_compare, studio: StudioApp) -> None:
    assert snap_compare(studio, terminal_size=SIZE, run_before=still)


def test_a_mistake_underlined_and_listed(snap_compare, studio: StudioApp) -> None:
    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        row = line_of(studio, "tier gold   when spend_90d >= 8m")
        studio.editor.move_cursor((row, len("tier gold   when spend_90d >= 8m")))
        await pilot.press(*" or spend")
        await still(pilot)

    assert snap_compare(studio, terminal_size=SIZE, run_before=run_before)


def test_compare_after_changing_a_threshold(snap_compare, studio: StudioApp) -> None:
    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        row = line_of(studio, "tier silver when count_90d >= 6")
        studio.editor.move_cursor((row, len("tier silver when count_90d >= 6")))
        await pilot.press("backspace", "3", "f5")
        await settle(pilot)
        await pilot.click("#results Tab#--content-tab-compare")
        await still(pilot)

    assert snap_compare(studio, terminal_size=SIZE, run_before=run_before)


def test_member_timeline(snap_compare, studio: StudioApp) -> None:
    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.click("#results Tab#--content-tab-members")
        studio.query_one("#member-search", Input).value = "m-07"
        await pilot.pause()
        studio.query_one("#member-table", DataTable).focus()
        await pilot.press("enter")
        await still(pilot)

    assert snap_compare(studio, terminal_size=SIZE, run_before=run_before)


def test_help_screen(snap_compare, studio: StudioApp) -> None:
    async def run_before(pilot: Pilot) -> None:
        await still(pilot)
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(studio, terminal_size=SIZE, run_before=run_before)
