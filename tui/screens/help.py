"""The help screen: the statements of the rule language and the studio's keys, on one page."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# The rule language

One statement per line; `#` starts a comment; any statement may start with a
label (`coffee: earn …`) that names it in explanations. `[…]` is optional.

| statement | what it does |
|---|---|
| `program "NAME"` · `currency toman` · `calendar jalali` · `timezone "Asia/Tehran"` | settings of the whole rulebook |
| `point value 100 toman` | what one point costs; used for the liability |
| `tier NAME [when COND]` | a tier; lowest first, the first has no condition |
| `tiers downgrade after 90 days` | how long a member keeps a tier after no longer qualifying |
| `earn N points [per MONEY [of items where COND]]` | points for purchases, in proportion to the bill or to some lines of it |
| `earn N points per item where COND` | points per unit of matching items |
| `earn N points on signup` · `on referral` · `on event "NAME"` | flat points for other events |
| `bonus 2x [when COND] [during DATE..DATE]` | multiplies what an event earned |
| `cap N points per 30 days` | the most a member may earn in any such window |
| `points expire after 6 months` | each earning lapses this long after it was earned |
| `reward ID "TITLE" costs N points gives TYPE(ARGS) [when COND] [limit N per member] [limit N per 7 days]` | something to redeem, at most N times ever or per period |
| `perk TIER gives TYPE(ARGS)` | a standing benefit of a tier and those above it |
| `offer "PARTNER:OFFER" [costs N points] [when COND]` | a partner's offer, claimed with a `claim` event |

Earn rules and bonuses also take `when COND` and `during DATE..DATE`; earn rules take
`limit N per 30 days` too (e.g. referral bonuses). Conditions use
`== != < <= > >= in not in and or not`, names such as `amount`, `channel`, `weekday`,
`hour`, `tier`, `spend_90d`, `count_30d`, and money like `250k` or `2m`.

# Keys

| key | does |
|---|---|
| `F5` or `Ctrl+R` | simulate now (it also runs by itself a moment after you stop typing) |
| `Ctrl+S` | save (the previous version is kept as `NAME.rules.bak`) |
| `Ctrl+O` | open a rulebook, or one of the recent ones |
| `Enter` on a problem | jump to its line |
| `Enter` on a member | show the member's timeline |
| `F1` | this help; `Escape` closes it |
| `Ctrl+Q` | quit |
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Markdown(HELP)
