"""Driving the studio in tests: waiting for its workers, finding lines, readying screenshots."""

from __future__ import annotations

from textual.pilot import Pilot

from tui.app import StudioApp

SIZE = (140, 45)  # every test and snapshot runs at this terminal size


async def settle(pilot: Pilot) -> None:
    """Wait until every check and simulation the last action started has finished and been shown."""
    app = pilot.app
    for _ in range(20):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(not worker.is_finished for worker in app.workers):
            await pilot.pause()
            return
    raise AssertionError("the studio kept starting work")


def line_of(app: StudioApp, text: str) -> int:
    """The 0-based row of the editor line that is exactly `text`."""
    return app.editor.text.splitlines().index(text)


async def still(pilot: Pilot) -> None:
    """Ready for a screenshot: the cursor stops blinking and all work is done."""
    pilot.app.editor.cursor_blink = False
    await settle(pilot)
