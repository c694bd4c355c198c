"""Golden tests: the exact text a designer sees from `loyalty check` on broken rulebooks (spec §7).

Each `tests/golden/NAME.rules` is checked with `loyalty check NAME.rules` (run from
the golden directory, so paths in the output are short) and what it prints to
stderr must equal `tests/golden/NAME.txt` byte for byte. `three-mistakes.rules` is
also checked with `--format json`, whose stdout must equal
`tests/golden/three-mistakes.json.txt`.

After an intended change of wording, rewrite the golden files and review the diff:

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_diagnostics.py -p no:cacheprovider
    git diff tests/golden/
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from rules_engine.cli import main
from rules_engine.dsl.diagnostics import Diagnostic

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
CASES = sorted(p.stem for p in GOLDEN.glob("*.rules"))


@pytest.fixture
def check(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(GOLDEN)

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, ["check", *args], catch_exceptions=False)

    return run


def assert_golden(actual: str, name: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"{name} is missing: run with UPDATE_GOLDEN=1 to create it"
    assert actual == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", CASES)
def test_check_output_matches_golden(check, case: str) -> None:
    result = check(f"{case}.rules")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert_golden(result.stderr, f"{case}.txt")


def test_json_output_matches_golden(check) -> None:
    result = check("three-mistakes.rules", "--format", "json")
    assert result.exit_code == 1
    assert result.stderr == ""
    assert_golden(result.stdout, "three-mistakes.json.txt")


def test_three_mistakes_are_located_and_suggested_in_one_run(check) -> None:
    diagnostics = json.loads(check("three-mistakes.rules", "--format", "json").stdout)
    assert [(d["line"], d["column"], d["hint"].split("?")[0] + "?") for d in diagnostics] == [
        (8, 18, "did you mean `spend_90d`?"),
        (12, 54, "did you mean `channel`?"),
        (13, 6, "did you mean `gold`?"),
    ]
    assert {d["path"] for d in diagnostics} == {"three-mistakes.rules"}


def test_every_text_diagnostic_shows_location_line_and_caret(check) -> None:
    stderr = check("three-mistakes.rules").stderr
    blocks = stderr.split("\n\n")[:-1]
    assert len(blocks) == 3
    for block in blocks:
        header, source, caret, hint = block.split("\n")
        assert header.startswith("three-mistakes.rules:") and ": error: " in header
        assert source.split(" | ", 1)[1] in (GOLDEN / "three-mistakes.rules").read_text(encoding="utf-8")
        assert caret.strip() and set(caret.strip()) == {"^"}
        assert hint.startswith("     = hint: ")


def test_summary_counts_the_errors(check) -> None:
    assert check("three-mistakes.rules").stderr.endswith("\nthree-mistakes.rules: 3 error(s)\n")


def test_clean_rulebook_says_ok_on_stdout(check, tmp_path: Path) -> None:
    rulebook = tmp_path / "ok.rules"
    rulebook.write_text("tier bronze\ntier gold when spend_90d >= 5m\nearn 1 point per 10000 toman\n", encoding="utf-8")
    result = check(str(rulebook))
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == f"{rulebook}: ok (1 earn, 0 bonus, 2 tiers, 0 rewards, 0 perks, 0 offers)\n"


def test_clean_rulebook_gives_an_empty_json_list(check, tmp_path: Path) -> None:
    rulebook = tmp_path / "ok.rules"
    rulebook.write_text("earn 1 point\n", encoding="utf-8")
    result = check(str(rulebook), "--format", "json")
    assert (result.exit_code, json.loads(result.stdout)) == (0, [])


def test_a_rulebook_that_is_not_utf8_is_located_like_any_error(check, tmp_path: Path) -> None:
    rulebook = tmp_path / "latin1.rules"
    rulebook.write_bytes('currency toman\nearn 1 point when store == "José"\n'.encode("latin-1"))
    result = check(str(rulebook))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{rulebook}:2:32: error: the file is not UTF-8 text (byte 0xE9 cannot be read)\n")
    assert "save the rulebook as UTF-8" in result.stderr


def test_a_utf16_rulebook_is_named_as_such(check, tmp_path: Path) -> None:
    rulebook = tmp_path / "utf16.rules"
    rulebook.write_bytes("earn 1 point\n".encode("utf-16"))
    [problem] = json.loads(check(str(rulebook), "--format", "json").stdout)
    assert (problem["line"], problem["message"], problem["source_line"]) == (
        1, "the file is UTF-16 text, not UTF-8", "earn 1 point")


def test_a_very_long_line_is_shown_around_its_problem() -> None:
    line = " or ".join(["amount > 1"] * 200) + " or amunt > 1 or " + " or ".join(["amount > 1"] * 50)
    column = line.index("amunt") + 1
    _, shown, caret = Diagnostic("x.rules", 1, column, column + 5, "unknown name `amunt`", line).format().split("\n")
    assert len(shown) < 200 and shown.startswith("   1 | …") and shown.endswith("…")
    assert shown[caret.index("^"):caret.rindex("^") + 1] == "amunt"
