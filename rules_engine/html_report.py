"""One self-contained HTML page per simulation or comparison, for a browser with no network.

Charts are inline SVG drawn here, styles are inline, and there is no script, so
the file can be mailed, archived or opened offline and looks the same. Every
number shown is also in a table next to its chart, so nothing depends on
reading a picture.
"""

from __future__ import annotations

import re
from html import escape
from typing import Sequence

from rules_engine.compare import Comparison
from rules_engine.economics import Economics

PALETTE = ("#8c6d46", "#9aa5b1", "#d4a017", "#4b6584", "#6a994e", "#bc4749", "#7b2cbf", "#219ebc")
_A, _B = "#9aa5b1", "#bc4749"

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;color:#222;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2.2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.6rem 0}td,th{padding:.2rem .7rem;border-bottom:1px solid #eee}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}th{text-align:left;background:#f6f6f6}
.cards{display:flex;flex-wrap:wrap;gap:.8rem}.card{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem;min-width:10rem}
.card b{display:block;font-size:1.25rem}.pair{display:flex;gap:2rem;flex-wrap:wrap}.up{color:#2d6a4f}.down{color:#bc4749}
svg text{font:11px system-ui,sans-serif;fill:#444}.legend span{display:inline-block;margin-right:1rem}
.legend i{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:-1px}
code{background:#f6f6f6;padding:0 .25rem}
"""


def simulation_page(e: Economics) -> str:
    """The report of one simulation."""
    body = [f"<h1>{_isolated(e.program)}: simulation up to {escape(e.when)}</h1>", _cards(e)]
    body += _economics_sections(e)
    return _page(f"{e.program}: simulation", body)


def comparison_page(c: Comparison, name_a: str, name_b: str) -> str:
    """Two rulebooks over the same events: what changed in the rules, in the money, and for whom."""
    a, b = c.a, c.b
    body = [f"<h1>{_isolated(a.program)}: {escape(name_a)} (A) against {escape(name_b)} (B)</h1>",
            f"<p>Same {a.events:,} events, simulated up to {escape(a.when)}.</p>",
            "<h2>What changed in the rules</h2>", _rule_changes(c),
            "<h2>Economics side by side</h2>", _side_by_side(c),
            "<h2>Outstanding liability per month</h2>",
            _legend((f"A: {name_a}", _A), (f"B: {name_b}", _B)),
            _liability(a, b),
            "<h2>Points per rule</h2>", _rule_bars(a, b),
            "<h2>Tier distribution per month</h2>",
            "<div class=pair>" + f"<div><h3>A: {escape(name_a)}</h3>{_tier_chart(a)}</div>"
            + f"<div><h3>B: {escape(name_b)}</h3>{_tier_chart(b)}</div></div>",
            "<h2>Who moves between tiers</h2>", _tier_moves(c),
            "<h2>Members whose tier or balance changes most</h2>", _members(c)]
    return _page(f"{a.program}: {name_a} vs {name_b}", body)


# --- sections ------------------------------------------------------------------


def _cards(e: Economics) -> str:
    cur = escape(e.currency)
    cards = [("revenue", f"{e.revenue:,.0f} {cur}"), ("members", f"{e.members:,}"),
             ("points earned", f"{e.earned:,}"), ("taken back by refunds", f"{e.reversed:,}"),
             ("points issued (net)", f"{e.issued:,}"), ("redeemed", f"{e.redeemed:,}"),
             ("expired (breakage)", f"{e.expired:,} ({e.breakage_share:.1%})"),
             ("outstanding liability", f"{e.liability:,.0f} {cur}"),
             *((("owed by members", f"{e.debt:,} points"),) if e.debt else ()),
             ("program cost", f"{e.cost:,.0f} {cur}"), ("cost / revenue", f"{e.cost_share:.2%}")]
    return "<div class=cards>" + "".join(f"<div class=card>{escape(k)}<b>{v}</b></div>" for k, v in cards) + "</div>"


def _economics_sections(e: Economics) -> list[str]:
    labels = [m.label for m in e.months]
    flows = {"issued": [float(m.issued) for m in e.months], "redeemed": [float(m.redeemed) for m in e.months],
             "expired": [float(m.expired) for m in e.months]}
    colors = ("#4b6584", "#6a994e", "#bc4749")
    month_rows = [[m.label, f"{m.revenue:,.0f}", f"{m.purchases:,}", f"{m.issued:,}", f"{m.redeemed:,}",
                   f"{m.expired:,}", f"{m.outstanding:,}", f"{m.outstanding * e.point_value:,.0f}", f"{m.members:,}"]
                  for m in e.months]
    return [
        "<h2>Tier distribution per month</h2>", _tier_chart(e),
        "<h2>Points per month</h2>", _legend(*zip(flows, colors, strict=True)), _bars(labels, flows, colors),
        _table(["month", f"revenue ({e.currency})", "purchases", "issued", "redeemed", "expired", "outstanding",
                f"liability ({e.currency})", "members"], month_rows),
        "<h2>Rules that gave the most points</h2>", _rule_bars(e),
        "<h2>Redemptions</h2>",
        _table(["reward", "redeemed"], [[k, f"{v:,}"] for k, v in e.rewards.items()]),
        _table(["refused because", "times"], [[k, f"{v:,}"] for k, v in e.rejections.items()]) if e.rejections else "",
        "<h2>Members near the next tier</h2>", _near(e),
    ]


def _tier_chart(e: Economics) -> str:
    names = list(e.tiers)
    if not names:
        return "<p>The rulebook has no tiers.</p>"
    colors = tuple(PALETTE[k % len(PALETTE)] for k in range(len(names)))
    series = {name: [float(m.tiers.get(name, 0)) for m in e.months] for name in names}
    rows = [[m.label, *(f"{m.tiers.get(name, 0):,}" for name in names)] for m in e.months]
    return (_legend(*zip(names, colors, strict=True)) + _bars([m.label for m in e.months], series, colors, stacked=True)
            + _table(["month", *names], rows))


def _rule_bars(a: Economics, b: Economics | None = None) -> str:
    points = {r.label: [float(r.points), 0.0] for r in a.rules}
    for r in (b.rules if b else ()):
        points.setdefault(r.label, [0.0, 0.0])[1] = float(r.points)
    texts = {r.label: r.text for r in (*a.rules, *(b.rules if b else ()))}
    order = sorted(points, key=lambda label: -max(abs(v) for v in points[label]))
    if b is None:
        rows = [[label, texts[label], f"{points[label][0]:,.0f}"] for label in order]
        return _hbars([(label, [points[label][0]]) for label in order], ("#4b6584",)) + _table(
            ["rule", "statement", "points"], rows, code=1)
    rows = [[label, texts[label], f"{points[label][0]:,.0f}", f"{points[label][1]:,.0f}",
             _signed(points[label][1] - points[label][0])] for label in order]
    return (_legend(("A", _A), ("B", _B)) + _hbars([(label, points[label]) for label in order], (_A, _B))
            + _table(["rule", "statement", "A", "B", "change"], rows, code=1))


def _near(e: Economics) -> str:
    if not e.near:
        return "<p>Nobody is one purchase away from a higher tier.</p>"
    counts = ", ".join(f"{n:,} within one typical order of {escape(t)}" for t, n in e.near_counts.items())
    rows = [[n.id, n.tier, n.next_tier, "any order" if n.gap == 0 else f"{n.gap:,}", f"{n.typical_order:,}"]
            for n in e.near]
    return (f"<p>{counts or 'Nobody is within one typical order of a higher tier'}.</p>"
            + _table(["member", "tier", "next", f"one purchase of ({e.currency})", "typical order"], rows))


def _liability(a: Economics, b: Economics) -> str:
    months = sorted({m.label for m in a.months} | {m.label for m in b.months})
    owed = [{m.label: m.outstanding * e.point_value for m in e.months} for e in (a, b)]
    series = {side: [float(values.get(label, 0)) for label in months] for side, values in zip("AB", owed, strict=True)}
    rows = [[label, f"{owed[0].get(label, 0):,.0f}", f"{owed[1].get(label, 0):,.0f}"] for label in months]
    return _lines(months, series, (_A, _B)) + _table(["month", f"A ({a.currency})", f"B ({b.currency})"], rows)


def _side_by_side(c: Comparison) -> str:
    a, b = c.a, c.b
    rows = [[name.strip(), f"{x:,.0f}", f"{y:,.0f}", _signed(y - x)] for name, x, y in c.figures]
    rows.append(["cost / revenue", f"{a.cost_share:.2%}", f"{b.cost_share:.2%}",
                 f"{(b.cost_share - a.cost_share) * 100:+.2f} pt".replace("-", "−")])
    rows.append(["breakage / issued", f"{a.breakage_share:.1%}", f"{b.breakage_share:.1%}",
                 f"{(b.breakage_share - a.breakage_share) * 100:+.1f} pt".replace("-", "−")])
    return _table(["", "A", "B", "B − A"], rows)


def _rule_changes(c: Comparison) -> str:
    if not c.rule_changes:
        return "<p>The two rulebooks have the same statements.</p>"
    rows = [[r.label, r.kind, r.before or "(not in A)", r.after or "(not in B)"] for r in c.rule_changes]
    return _table(["rule", "kind", "A", "B"], rows, code=(2, 3))


def _tier_moves(c: Comparison) -> str:
    if not c.tier_moves:
        return "<p>Every member ends in the same tier under both rulebooks.</p>"
    rows = [[a or "-", b or "-", f"{n:,}"] for (a, b), n in c.tier_moves.items()]
    return _table(["tier under A", "tier under B", "members"], rows)


def _members(c: Comparison) -> str:
    if not c.members:
        return "<p>No member's tier or balance changes.</p>"
    rows = [[m.id, m.tier_a or "-", m.tier_b or "-", f"{m.balance_a:,}", f"{m.balance_b:,}",
             _signed(m.balance_change), "; ".join(m.reasons)] for m in c.members]
    return _table(["member", "tier A", "tier B", "balance A", "balance B", "change", "why"], rows)


# --- drawing ----------------------------------------------------------------------


def _page(title: str, body: list[str]) -> str:
    return (f"<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8><title>{escape(title)}</title>"
            f"<style>{_STYLE}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], code: int | tuple[int, ...] = ()) -> str:
    code = (code,) if isinstance(code, int) else code

    def cell(k: int, value: str, tag: str) -> str:
        numeric = tag == "td" and _NUMBER.fullmatch(value) is not None
        text = f"<code>{_isolated(value)}</code>" if k in code and tag == "td" else _isolated(value)
        return f"<{tag}{' class=n' if numeric else ''}>{text}</{tag}>"

    head = "<tr>" + "".join(cell(k, h, "th") for k, h in enumerate(header)) + "</tr>"
    body = "".join("<tr>" + "".join(cell(k, v, "td") for k, v in enumerate(row)) + "</tr>" for row in rows)
    return f"<table>{head}{body}</table>"


_NUMBER = re.compile(r"[+−-]?[\d,.]+( pt|%)?")  # a figure, right-aligned; not a month label or a reason
_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]+(?:[\\s\u200c]+[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]+)*")


def _isolated(text: str) -> str:
    """`text` escaped, with each run of Persian (or other right-to-left) words in a <bdi>, so that the figures
    and punctuation around a Persian label keep their places in an English sentence."""
    return _RTL.sub(lambda run: f"<bdi>{run.group()}</bdi>", escape(text))


def _legend(*items: tuple[str, str]) -> str:
    return "<p class=legend>" + "".join(f"<span><i style='background:{c}'></i>{escape(n)}</span>" for n, c in items) + "</p>"


def _signed(value: float) -> str:
    return f"{value:+,.0f}".replace("-", "−")


def _bars(labels: list[str], series: dict[str, list[float]], colors: Sequence[str], stacked: bool = False,
          width: int = 760, height: int = 240) -> str:
    """Vertical bars per label: stacked, or grouped side by side."""
    if not labels:
        return ""
    left, bottom = 70, 24
    plot_w, plot_h = width - left - 10, height - bottom - 10
    values = list(series.values())
    top = max((sum(v[k] for v in values) if stacked else max(v[k] for v in values)) for k in range(len(labels)))
    top = top or 1.0
    slot = plot_w / len(labels)
    parts = _axis(left, plot_h, plot_w, top)
    for k, label in enumerate(labels):
        x0 = left + k * slot
        base = 0.0
        for s, (name, v) in enumerate(series.items()):
            h = v[k] / top * plot_h
            if stacked:
                y, x, w = 10 + plot_h - (base + v[k]) / top * plot_h, x0 + slot * 0.15, slot * 0.7
                base += v[k]
            else:
                w = slot * 0.8 / len(series)
                x, y = x0 + slot * 0.1 + s * w, 10 + plot_h - h
            parts.append(f"<rect x='{x:.1f}' y='{y:.1f}' width='{w:.1f}' height='{max(h, 0):.1f}' "
                         f"fill='{colors[s]}'><title>{escape(label)} {escape(name)}: {v[k]:,.0f}</title></rect>")
        parts.append(f"<text x='{x0 + slot / 2:.1f}' y='{height - 8}' text-anchor='middle'>{escape(label)}</text>")
    return _svg(width, height, parts)


def _lines(labels: list[str], series: dict[str, list[float]], colors: Sequence[str],
           width: int = 760, height: int = 240) -> str:
    if not labels:
        return ""
    left, bottom = 90, 24
    plot_w, plot_h = width - left - 10, height - bottom - 10
    top = max((max(v) for v in series.values() if v), default=0.0) or 1.0
    step = plot_w / max(1, len(labels) - 1)
    parts = _axis(left, plot_h, plot_w, top)
    for s, (name, v) in enumerate(series.items()):
        points = " ".join(f"{left + k * step:.1f},{10 + plot_h - value / top * plot_h:.1f}" for k, value in enumerate(v))
        parts.append(f"<polyline points='{points}' fill='none' stroke='{colors[s]}' stroke-width='2.5'>"
                     f"<title>{escape(name)}</title></polyline>")
    for k, label in enumerate(labels):
        parts.append(f"<text x='{left + k * step:.1f}' y='{height - 8}' text-anchor='middle'>{escape(label)}</text>")
    return _svg(width, height, parts)


def _hbars(rows: list[tuple[str, list[float]]], colors: Sequence[str], width: int = 760) -> str:
    """Horizontal bars, one group per row; negative values (points a cap cut) go left of the zero line."""
    if not rows:
        return ""
    bar, gap, left = 14, 8, 150
    n = len(rows[0][1])
    height = len(rows) * (n * bar + gap) + 10
    low = min(0.0, *(v for _, vs in rows for v in vs))
    high = max(0.0, *(v for _, vs in rows for v in vs)) or 1.0
    scale = (width - left - 90) / (high - low)
    zero = left + (-low) * scale
    parts = [f"<line x1='{zero:.1f}' x2='{zero:.1f}' y1='0' y2='{height}' stroke='#999'/>"]
    for r, (label, values) in enumerate(rows):
        y0 = 5 + r * (n * bar + gap)
        parts.append(f"<text x='{left - 6}' y='{y0 + n * bar / 2 + 4:.1f}' text-anchor='end'>{escape(label)}</text>")
        for s, value in enumerate(values):
            x = zero + min(0.0, value) * scale
            parts.append(f"<rect x='{x:.1f}' y='{y0 + s * bar}' width='{abs(value) * scale:.1f}' height='{bar - 2}' "
                         f"fill='{colors[s]}'><title>{escape(label)}: {value:,.0f}</title></rect>")
            parts.append(f"<text x='{zero + max(0.0, value) * scale + 4:.1f}' y='{y0 + s * bar + bar - 4}'>"
                         f"{value:,.0f}</text>")
    return _svg(width, height, parts)


def _axis(left: float, plot_h: float, plot_w: float, top: float) -> list[str]:
    parts = []
    for k in range(5):
        value = top * k / 4
        y = 10 + plot_h - plot_h * k / 4
        parts.append(f"<line x1='{left}' x2='{left + plot_w}' y1='{y:.1f}' y2='{y:.1f}' stroke='#eee'/>")
        parts.append(f"<text x='{left - 6}' y='{y + 4:.1f}' text-anchor='end'>{_short(value)}</text>")
    return parts


def _short(value: float) -> str:
    for size, suffix in ((1e9, "b"), (1e6, "m"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.0f}"


def _svg(width: int, height: int, parts: list[str]) -> str:
    return (f"<svg width='{width}' height='{height}' "
            f"viewBox='0 0 {width} {height}' role='img'>" + "".join(parts) + "</svg>")
