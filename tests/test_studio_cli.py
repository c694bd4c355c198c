"""The studio commands (`generate`, `import`, `simulate --html`, `suspicious`) refuse bad options with a usage
error before doing any work, and never write over one of their own inputs."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from rules_engine.cli import main

RULEBOOK = Path(__file__).resolve().parents[1] / "rulebooks" / "online-retailer.rules"
EXPORT = "cust,day,total\nc1,20260321,100\n"
MAP = ["--map", "member=cust,at=day,amount=total"]


def run(*args: str) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def refused(result: Result, option: str, complaint: str) -> None:
    """A usage error (exit 2) naming the option and the problem, and no traceback."""
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert option in result.output and complaint in result.output, result.output


@pytest.fixture
def export(tmp_path: Path) -> Path:
    path = tmp_path / "sales.csv"
    path.write_text(EXPORT, encoding="utf-8")
    return path


@pytest.fixture
def events(tmp_path: Path) -> Path:
    path = tmp_path / "events.jsonl"
    assert run("generate", "--members", 20, "--days", 30, "-o", path).exit_code == 0
    return path


@pytest.mark.parametrize("delimiter", [";;", ""])
def test_import_refuses_a_delimiter_that_is_not_one_character(export, delimiter):
    refused(run("import", export, *MAP, "--delimiter", delimiter), "--delimiter", "is not a cell separator")


@pytest.mark.parametrize("scale", ["Infinity", "NaN", "1e999999", "-1"])
def test_import_refuses_a_scale_that_is_not_a_finite_positive_number(export, scale):
    refused(run("import", export, *MAP, "--scale", scale), "--scale", "cannot scale amounts")


def test_import_refuses_an_unknown_event_type(export):
    refused(run("import", export, *MAP, "--type", "bogus"), "--type", "'bogus' is not one of")


def test_import_refuses_an_output_in_a_folder_that_does_not_exist(export, tmp_path):
    refused(run("import", export, *MAP, "-o", tmp_path / "nodir" / "x.jsonl"), "--output", "does not exist")


def test_import_refuses_to_write_over_its_export(export):
    refused(run("import", export, *MAP, "-o", export), "--output", "is also an input")
    assert export.read_text(encoding="utf-8") == EXPORT


def test_import_with_a_map_that_does_not_fit_leaves_an_earlier_output_alone(export, tmp_path):
    earlier = tmp_path / "earlier.jsonl"
    earlier.write_text("kept\n", encoding="utf-8")
    refused(run("import", export, "--map", "member=nope,at=day", "-o", earlier), "--map", "no column 'nope'")
    assert earlier.read_text(encoding="utf-8") == "kept\n"


def test_import_reads_a_tab_separated_export(tmp_path):
    path = tmp_path / "sales.tsv"
    path.write_text(EXPORT.replace(",", "\t"), encoding="utf-8")
    result = run("import", path, *MAP, "--delimiter", "tab")
    assert result.exit_code == 0, result.output
    assert '"amount":100' in result.stdout


def test_generate_refuses_an_output_in_a_folder_that_does_not_exist(tmp_path):
    refused(run("generate", "--members", 2, "--days", 2, "-o", tmp_path / "nodir" / "x.jsonl"),
            "--output", "does not exist")


def test_generate_refuses_to_write_over_its_rulebook(tmp_path):
    book = tmp_path / "club.rules"
    book.write_text(RULEBOOK.read_text(encoding="utf-8"), encoding="utf-8")
    refused(run("generate", "--members", 2, "--days", 2, "--rulebook", book, "-o", book), "--output",
            "is also an input")
    assert book.read_text(encoding="utf-8") == RULEBOOK.read_text(encoding="utf-8")


@pytest.mark.parametrize("start", ["9999-12-01", "1800-01-01"])
def test_generate_refuses_a_start_whose_days_leave_the_years_events_may_have(start):
    refused(run("generate", "--members", 2, "--days", 30, "--start", start), "--start", "go outside the dates")


@pytest.mark.parametrize("option, value", [("--members", "99999999999999999999"), ("--days", "100000")])
def test_generate_refuses_more_members_or_days_than_it_is_built_for(option, value):
    args = {"--members": "2", "--days": "2", option: value}
    refused(run("generate", *(part for item in args.items() for part in item)), option, "is not in the range")


def test_simulate_refuses_an_html_report_in_a_missing_folder_before_simulating(events, tmp_path):
    result = run("simulate", RULEBOOK, events, "--html", tmp_path / "nodir" / "r.html")
    refused(result, "--html", "does not exist")
    assert "simulated" not in result.output


def test_simulate_refuses_an_html_report_over_its_events(events):
    before = events.read_bytes()
    refused(run("simulate", RULEBOOK, events, "--html", events), "--html", "is also an input")
    assert events.read_bytes() == before


def test_suspicious_refuses_quiet_days_beyond_a_century(events):
    refused(run("suspicious", RULEBOOK, events, "--quiet-days", "99999999999"), "--quiet-days", "is not in the range")
