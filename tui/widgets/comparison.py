"""The compare tab: how the edited rulebook differs from the saved one, in rules and in members."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from rules_engine.compare import Comparison


class ComparisonView(Static):
    def show(self, comparison: Comparison | None) -> None:
        self.update(describe(comparison))


def describe(comparison: Comparison | None) -> RenderableType:
    if comparison is None:
        return Text("The rulebook is the saved version: nothing to compare yet. Edit it and simulate.", style="dim")
    parts: list[RenderableType] = [Text("What changed", style="bold")]
    for change in comparison.rule_changes:
        if change.before:
            parts.append(Text(f"- {change.before}", style="red"))
        if change.after:
            parts.append(Text(f"+ {change.after}", style="green"))
    if not comparison.rule_changes:
        parts.append(Text("No rule changed (only comments, spacing or settings).", style="dim"))

    saved, edited = comparison.a, comparison.b
    figures = Table(box=None, header_style="bold")
    for column in ("", "saved", "edited", "change"):
        figures.add_column(column, justify="right" if column else "left")
    rows = [("points earned", saved.earned, edited.earned), ("redeemed", saved.redeemed, edited.redeemed),
            ("expired", saved.expired, edited.expired), ("still open", saved.outstanding, edited.outstanding),
            (f"cost ({edited.currency})", saved.cost, edited.cost)]
    rows += [(f"tier {name}", saved.tiers.get(name, 0), edited.tiers.get(name, 0))
             for name in dict.fromkeys([*saved.tiers, *edited.tiers])]
    for label, before, after in rows:
        figures.add_row(label, f"{before:,}", f"{after:,}", f"{after - before:+,}")
    parts += [Text(""), figures, Text("")]

    moved = sum(comparison.tier_moves.values())
    parts.append(Text(f"Who moved: {moved} member(s) changed tier", style="bold"))
    for (before, after), count in comparison.tier_moves.items():
        parts.append(Text(f"  {before or '-'} → {after or '-'}: {count:,}"))
    if comparison.members:
        parts += [Text(""), Text("Biggest changes", style="bold")]
        for change in comparison.members:
            parts.append(Text(f"{change.id}  {change.tier_a or '-'} → {change.tier_b or '-'}  "
                              f"balance {change.balance_a:,} → {change.balance_b:,}"))
            parts += [Text(f"    {reason}", style="dim") for reason in change.reasons]
    return Group(*parts)
