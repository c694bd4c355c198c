"""Applying a history in one run, in chunks, or simulating it gives the same ledger and the same figures."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable

import pytest

from ledger_support import RETAIL, RETAIL_EVENTS, apply_file, compile_file, loyalty, snapshot, write_stream
from rules_engine.readers import read_events
from rules_engine.simulation import report_json, simulate
from rules_engine.store import queries
from rules_engine.store.database import open_database
from rules_engine.store.writer import Ledger


def _close_and_report(url: str, as_of, rulebook: Path = RETAIL) -> dict:  # type: ignore[no-untyped-def]
    program = compile_file(rulebook)
    db = open_database(url)
    try:
        ledger = Ledger(db, program, rulebook.read_text(encoding="utf-8"), str(rulebook))
        ledger.load()
        ledger.close(as_of)
        return report_json(queries.report(db, program))
    finally:
        db.dispose()


def _split(path: Path, parts: int) -> list[Path]:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    size = -(-len(lines) // parts)
    chunks = []
    for k in range(parts):
        chunk = path.with_name(f"{path.stem}-part{k}.jsonl")
        chunk.write_text("".join(lines[k * size:(k + 1) * size]), encoding="utf-8")
        chunks.append(chunk)
    return chunks


def test_one_run_chunks_and_simulate_agree_on_every_entry_and_figure(new_db_url: Callable[[], str], tmp_path: Path) -> None:
    stream = tmp_path / "club.jsonl"
    write_stream(stream, members=250, days=200)
    whole, chunked = new_db_url(), new_db_url()
    apply_file(whole, RETAIL, stream)
    for part in _split(stream, 5):
        apply_file(chunked, RETAIL, part, batch=137)
    program = compile_file(RETAIL)
    events = read_events(stream, program.settings.tz).events
    simulated = report_json(simulate(program, events))
    as_of = max(e.at for e in events)

    from_whole, from_chunks = _close_and_report(whole, as_of), _close_and_report(chunked, as_of)

    assert snapshot(whole) == snapshot(chunked)
    assert from_whole == simulated
    assert from_chunks == simulated
    assert simulated["totals"]["duplicates"] > 0 and simulated["totals"]["redeemed"] > 0


def test_report_from_the_store_prints_what_simulate_prints_for_the_bundled_sample(db_url: str) -> None:
    program = compile_file(RETAIL)
    apply_file(db_url, RETAIL, RETAIL_EVENTS)
    _close_and_report(db_url, max(e.at for e in read_events(RETAIL_EVENTS, program.settings.tz).events))

    reported = loyalty("report", "--db", db_url, "--format", "json").stdout
    simulated = loyalty("simulate", str(RETAIL), str(RETAIL_EVENTS), "--format", "json").stdout

    assert json.loads(reported) == json.loads(simulated)


ACCEPTANCE = Path(os.environ.get("LOYALTY_ACCEPTANCE_DIR", Path(__file__).resolve().parents[3] / "shared" / "acceptance"))
CASES = sorted(p for p in ACCEPTANCE.glob("*/") if (p / "expected.json").exists())


@pytest.mark.parametrize("case", CASES, ids=[p.name for p in CASES])
def test_every_acceptance_case_applied_live_reports_what_simulate_reports(db_url: str, case: Path) -> None:
    rulebook, events = case / "rulebook.rules", case / "events.jsonl"
    program = compile_file(rulebook)
    read = read_events(events, program.settings.tz).events
    if [e.at for e in read] != sorted(e.at for e in read):
        pytest.skip("the file is not in time order: a live store applies it in arrival order, a simulation in time order")
    apply_file(db_url, rulebook, events)
    reported = _close_and_report(db_url, max(e.at for e in read), rulebook)
    assert reported == report_json(simulate(program, read))
