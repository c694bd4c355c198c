"""The HTML report: one offline file with charts, and the `simulate` options that write it."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path

from click.testing import CliRunner

from rules_engine.cli import main
from rules_engine.compare import compare
from rules_engine.economics import run
from rules_engine.events import Event
from rules_engine.html_report import comparison_page, simulation_page

ROOT = Path(__file__).resolve().parents[1]
RETAIL = ROOT / "rulebooks" / "online-retailer.rules"
SAMPLE = ROOT / "rulebooks" / "online-retailer.jsonl"

BOOK = """
program "Test <Club>"
currency toman
calendar gregorian
timezone "UTC"
point value 10 toman
tier bronze
tier silver when spend_365d >= 1000
base: earn 1 points per 10 toman
promo: bonus 2x during 2026-01-10..2026-01-20
"""


def buy(id_: str, member: str, day: str, amount: int) -> Event:
    at = datetime.fromisoformat(f"{day}T12:00:00").replace(tzinfo=timezone.utc)
    return Event(id=id_, type="purchase", member=member, at=at, amount=amount)


EVENTS = [buy("p1", "a", "2026-01-02", 800), buy("p2", "b", "2026-01-12", 300), buy("p3", "a", "2026-02-01", 400)]


class _Outline(HTMLParser):
    """Tags, links and text of a page, to check what it shows and what it would fetch."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.fetches: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.fetches += [value or "" for name, value in attrs if name in ("src", "href")]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def outline(page: str) -> _Outline:
    parser = _Outline()
    parser.feed(page)
    return parser


def test_the_page_fetches_nothing_and_runs_no_script(compile_text):
    (e,) = run([compile_text(BOOK)], EVENTS)
    page = outline(simulation_page(e))
    assert "script" not in page.tags and "link" not in page.tags
    assert page.fetches == []
    assert "svg" in page.tags and "rect" in page.tags


def test_the_page_shows_every_month_and_every_rule_with_names_escaped(compile_text):
    (e,) = run([compile_text(BOOK)], EVENTS)
    html = simulation_page(e)
    text = " ".join(outline(html).text)
    assert "Test <Club>" in text and "Test <Club>" not in html
    for word in ("2026-01", "2026-02", "base", "promo", "Members near the next tier"):
        assert word in text


def test_persian_names_are_isolated_so_the_figures_around_them_keep_their_place(compile_text):
    book = BOOK.replace('program "Test <Club>"', 'program "باشگاه کافه"').replace("promo:", "جشن:")
    (e,) = run([compile_text(book)], EVENTS)
    html = simulation_page(e)
    assert "<h1><bdi>باشگاه کافه</bdi>:" in html
    assert "<td><bdi>جشن</bdi></td>" in html


def test_the_comparison_page_shows_the_changed_rule_and_the_member_it_moved(compile_text):
    b = BOOK.replace("spend_365d >= 1000", "spend_365d >= 250")
    result = compare(compile_text(BOOK), compile_text(b), EVENTS)
    text = " ".join(outline(comparison_page(result, "now.rules", "next.rules")).text)
    assert "spend_365d >= 250" in text and "spend_365d >= 1000" in text
    assert "now.rules" in text and "next.rules" in text
    assert "qualified for silver" in text


def test_simulate_html_writes_the_report_and_prints_the_economics(tmp_path):
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["simulate", str(RETAIL), str(SAMPLE), "--html", str(out)])
    assert result.exit_code == 0, result.output
    assert "cost / revenue" in out.read_text(encoding="utf-8")
    assert "program cost" in result.output and "near the next tier" in result.output


def test_simulate_prints_redemptions_per_reward_and_refusals_per_reason():
    result = CliRunner().invoke(main, ["simulate", str(RETAIL), str(SAMPLE)])
    lines = [line.split() for line in result.output.splitlines()]
    assert ["coupon_50k", "115"] in lines and ["refused:", "insufficient_points", "5"] in lines


def test_simulate_compare_prints_both_sides_and_who_changes(tmp_path):
    other = tmp_path / "b.rules"
    other.write_text(RETAIL.read_text(encoding="utf-8").replace("nowruz: bonus 2x", "nowruz: bonus 3x"),
                     encoding="utf-8")
    out = tmp_path / "compare.html"
    result = CliRunner().invoke(main, ["simulate", str(RETAIL), str(SAMPLE), "--compare", str(other),
                                       "--html", str(out)])
    assert result.exit_code == 0, result.output
    assert "bonus 3x" in result.output and "points from nowruz" in result.output
    assert "Members whose tier or balance changes most" in out.read_text(encoding="utf-8")


def test_simulate_compare_sets_breakage_refusals_and_redemptions_side_by_side(tmp_path):
    other = tmp_path / "b.rules"
    other.write_text(RETAIL.read_text(encoding="utf-8").replace("points expire after 12 months",
                                                                "points expire after 6 months"), encoding="utf-8")
    result = CliRunner().invoke(main, ["simulate", str(RETAIL), str(SAMPLE), "--compare", str(other)])
    rows = {" ".join(line.split()[:-3]): line.split()[-3:] for line in result.output.splitlines() if line.strip()}
    assert rows["refused: insufficient_points"] == ["5", "5", "+0"]
    assert rows["redeemed: coupon_50k"] == ["115", "115", "+0"]
    breakage = next(line.split()[3:5] for line in result.output.splitlines() if "breakage / issued" in line)
    assert breakage[0] == "0.0%" and breakage[1] != "0.0%"


def test_simulate_json_is_unchanged_by_the_new_options():
    result = CliRunner().invoke(main, ["simulate", str(RETAIL), str(SAMPLE), "--format", "json"])
    data = json.loads(result.stdout)
    assert set(data) == {"as_of", "totals", "members"}


def test_json_with_html_or_compare_is_refused(tmp_path):
    result = CliRunner().invoke(main, ["simulate", str(RETAIL), str(SAMPLE), "--format", "json",
                                       "--html", str(tmp_path / "r.html")])
    assert result.exit_code == 2
    assert "--format json prints the plain simulation" in result.output


def test_the_comparison_page_sets_the_same_figures_side_by_side_as_the_terminal(tmp_path):
    other = tmp_path / "b.rules"
    other.write_text(RETAIL.read_text(encoding="utf-8").replace("points expire after 12 months",
                                                                "points expire after 6 months"), encoding="utf-8")
    out = tmp_path / "compare.html"
    result = CliRunner().invoke(main, ["simulate", str(RETAIL), str(SAMPLE), "--compare", str(other),
                                       "--html", str(out)])
    assert result.exit_code == 0, result.output
    page = outline(out.read_text(encoding="utf-8")).text
    for row in ("refused: insufficient_points", "redeemed: coupon_50k", "points earned", "taken back by refunds",
                "breakage / issued"):
        assert row in page, row
        assert row in result.output, row


def test_explain_gives_each_amount_with_its_currency():
    result = CliRunner().invoke(main, ["explain", str(RETAIL), str(SAMPLE), "m-0006"])
    assert result.exit_code == 0, result.output
    purchases = [line for line in result.output.splitlines() if " purchase " in line]
    assert purchases and all(line.endswith(" toman)") for line in purchases)
