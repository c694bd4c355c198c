"""The members tab: a searchable table of members and, for the chosen one, the timeline of what happened."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Input, Static

from rules_engine.ledger import Outcome
from rules_engine.economics import MemberDetail
from tui.messages import MemberChosen

COLUMNS = ("member", "tier", "balance", "earned", "redeemed", "expired")


class MembersView(Vertical):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.members: dict[str, MemberDetail] = {}

    def compose(self) -> ComposeResult:
        yield Input(placeholder="Search by member id or tier", id="member-search")
        yield DataTable(id="member-table", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="timeline-scroll"):
            yield Static("Choose a member to see what the program did to them.", id="timeline")

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(*COLUMNS)

    def show(self, members: dict[str, MemberDetail]) -> None:
        self.members = dict(sorted(members.items()))
        self._fill()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._fill()

    def _fill(self) -> None:
        query = self.query_one(Input).value.strip().lower()
        table = self.query_one(DataTable)
        table.clear()
        for member, m in self.members.items():
            if query and query not in member.lower() and query != (m.tier or "").lower():
                continue
            table.add_row(member, m.tier or "-", f"{m.balance:,}", f"{m.earned:,}", f"{m.redeemed:,}",
                          f"{m.expired:,}", key=member)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(MemberChosen(event.row_key.value))

    def show_timeline(self, member: str, outcomes: tuple[Outcome, ...], tz: ZoneInfo) -> None:
        self.query_one("#timeline", Static).update(timeline(member, outcomes, tz))
        self.query_one("#timeline-scroll").scroll_home(animate=False)


def timeline(member: str, outcomes: tuple[Outcome, ...], tz: ZoneInfo) -> Text:
    """Each event of a member, and under it every ledger entry with its explanation and the running balance."""
    text = Text(f"{member}\n", style="bold")
    if not outcomes:
        text.append("No events for this member.", style="dim")
        return text
    balance = 0
    for outcome in outcomes:
        event = outcome.event
        heading = f"{event.at.astimezone(tz):%Y-%m-%d %H:%M}  {event.type} {event.id}"
        if event.amount is not None:
            heading += f" ({event.amount:,})"
        text.append(heading, style="bold")
        if not outcome.applied:
            text.append(f"  {outcome.status}: {outcome.reason}", style="red")
        text.append("\n")
        for entry in outcome.entries:
            balance += entry.points
            text.append(f"  {entry.kind:<8}", style="cyan")
            text.append(f"{entry.points:+,} [{entry.rule}] → balance {balance:,}\n")
            for reason in entry.why:
                text.append(f"          {reason}\n", style="dim")
        for change in outcome.tier_changes:
            text.append("  tier    ", style="magenta")
            text.append(f"{change.before or '-'} → {change.after}: {change.why}\n")
        for effect in outcome.effects:
            text.append("  effect  ", style="green")
            text.append(f"{effect.describe()}\n")
        for note in outcome.notes:
            text.append(f"  note    {note}\n", style="dim")
    text.rstrip()
    return text
