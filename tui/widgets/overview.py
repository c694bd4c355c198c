"""The overview tab: totals and economics, the tier distribution, points by rule, and the rewards."""

from __future__ import annotations

from decimal import Decimal

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from tui.workbench import Simulation

BAR_WIDTH = 24


def amount(value: int | Decimal) -> str:
    return f"{value:,}"


def share(value: float) -> str:
    return f"{value * 100:.1f}%"


def _grid(columns: int) -> Table:
    grid = Table.grid(padding=(0, 2))
    for index in range(columns):
        grid.add_column(justify="left" if index % 2 == 0 else "right")
    return grid


class TotalsView(Static):
    def show(self, simulation: Simulation) -> None:
        econ = simulation.economics
        currency = econ.currency
        counts = _grid(4)
        for row in (
            ("events", econ.events, "points earned", econ.earned),
            ("members", econ.members, "redeemed", econ.redeemed),
            ("purchases", econ.purchases, "expired", econ.expired),
            ("refused", sum(econ.rejections.values()), "taken back", econ.reversed),
            ("skipped rows", simulation.skipped_rows, "still open", econ.outstanding),
        ):
            counts.add_row(row[0], amount(row[1]), row[2], amount(row[3]))
        money = _grid(2)
        for label, value in (
            ("revenue", f"{amount(econ.revenue)} {currency}"),
            ("cost of points", f"{amount(econ.cost)} {currency}"),
            ("give-back rate", share(econ.cost_share)),
            ("liability (open points)", f"{amount(econ.liability)} {currency}"),
            ("breakage (expired)", share(econ.breakage_share)),
        ):
            money.add_row(label, value)
        as_of = f" up to {econ.as_of:%Y-%m-%d %H:%M}" if econ.as_of else ""
        title = Text(f"{econ.program}: {simulation.events_label}{as_of}", style="bold")
        self.update(Group(title, counts, Text(""), money))


class TierChart(Static):
    """One bar per tier, lowest first; after an edit, each count is followed by its change from the saved rulebook."""

    def show(self, simulation: Simulation) -> None:
        before = simulation.comparison.a.tiers if simulation.comparison else {}
        self.update(tier_bars(simulation.economics.tiers, before))


def tier_bars(tiers: dict[str, int], before: dict[str, int]) -> Text:
    if not tiers:
        return Text("This rulebook has no tiers.", style="dim")
    widest = max(tiers.values()) or 1
    name_width = max(len(name) for name in tiers)
    text = Text()
    for name, count in tiers.items():
        filled = round(BAR_WIDTH * count / widest)
        text.append(f"{name:<{name_width}} ", style="bold")
        text.append("█" * filled, style="#5fafff")
        text.append("·" * (BAR_WIDTH - filled), style="#444444")
        text.append(f" {count:>5,}")
        delta = count - before.get(name, count)
        if delta:
            text.append(f"  {delta:+,}", style="green" if delta > 0 else "red")
        text.append("\n")
    text.rstrip()
    return text


class RulePointsView(Static):
    """Which rules the points came from: earn rules, the extra from bonuses, and what caps held back."""

    def show(self, simulation: Simulation) -> None:
        rules = simulation.economics.rules
        if not rules:
            self.update(Text("No points were earned.", style="dim"))
            return
        table = Table(box=None, pad_edge=False, header_style="bold")
        for column, justify in (("rule", "left"), ("kind", "left"), ("points", "right"), ("entries", "right")):
            table.add_column(column, justify=justify)
        for rule in rules:
            table.add_row(rule.label, rule.kind, amount(rule.points), amount(rule.entries))
        self.update(table)


class Catalogue(Static):
    """The rewards members can redeem, titles as customers see them, and how often each was taken."""

    def show(self, simulation: Simulation) -> None:
        rewards = simulation.program.rewards
        if not rewards:
            self.update(Text("This rulebook has no rewards.", style="dim"))
            return
        taken = simulation.economics.rewards
        table = Table(box=None, pad_edge=False, header_style="bold")
        for column, justify in (("reward", "left"), ("title", "left"), ("costs", "right"), ("taken", "right")):
            table.add_column(column, justify=justify)
        for reward in rewards.values():
            table.add_row(reward.id, reward.title, amount(reward.cost), amount(taken.get(reward.id, 0)))
        self.update(table)
