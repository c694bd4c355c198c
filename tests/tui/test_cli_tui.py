"""`loyalty tui` is a command of the main CLI."""

from __future__ import annotations

from click.testing import CliRunner

from rules_engine.cli import main


def test_the_tui_command_takes_a_rulebook_and_an_events_file() -> None:
    result = CliRunner().invoke(main, ["tui", "--help"])
    assert result.exit_code == 0
    assert "[RULEBOOK]" in result.output and "--events FILE" in result.output


def test_a_missing_events_file_is_refused_before_the_studio_starts(tmp_path) -> None:
    result = CliRunner().invoke(main, ["tui", "--events", str(tmp_path / "none.jsonl")])
    assert result.exit_code == 2
    assert "none.jsonl" in result.output
