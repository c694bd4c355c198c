"""`loyalty suspicious`: the fraud-review list of a history (analysis in rules_engine/fraud.py)."""

from __future__ import annotations

import json

import click

from rules_engine.cli.design import load_program, read_file, report_problems, time_option
from rules_engine.fraud import Findings, Thresholds, findings_json, review
from rules_engine.program import Program

_DEFAULT = Thresholds()
# A century. The end of the run minus more than that can leave the dates Python has; no review needs it.
_MAX_QUIET_DAYS = 36_500


@click.command()
@click.argument("rulebook", type=click.Path(exists=True, dir_okay=False))
@click.argument("events", type=click.Path(exists=True, dir_okay=False))
@click.option("--as-of", help="End of the simulation (default: the last event's time).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--min-refunds", type=click.IntRange(min=1), default=_DEFAULT.min_refunds, show_default=True,
              help="Refunded purchases that had earned points, for a member to be listed.")
@click.option("--min-reversed", type=click.IntRange(0, 100), default=_DEFAULT.min_reversed_percent, show_default=True,
              metavar="PERCENT", help="Share of the points a member's purchases earned that refunds took back.")
@click.option("--min-referrals", type=click.IntRange(min=1), default=_DEFAULT.min_referrals, show_default=True,
              help="Referred members who first bought at least --quiet-days ago, for a referrer to be listed.")
@click.option("--min-one-time", type=click.IntRange(0, 100), default=_DEFAULT.min_one_time_percent,
              show_default=True, metavar="PERCENT", help="Share of those referred members who never bought again.")
@click.option("--quiet-days", type=click.IntRange(0, _MAX_QUIET_DAYS), default=_DEFAULT.quiet_days, show_default=True,
              help="Days without a purchase after which a referred member counts as never buying again.")
def suspicious(rulebook: str, events: str, as_of: str | None, fmt: str, min_refunds: int, min_reversed: int,
               min_referrals: int, min_one_time: int, quiet_days: int) -> None:
    """List members of EVENTS worth a fraud review under RULEBOOK: many refunds after earning, referral rings,
    and referrers whose referred members bought once, then never again."""
    program = load_program(rulebook)
    thresholds = Thresholds(min_refunds, min_reversed, min_referrals, min_one_time, quiet_days)
    report, findings = review(program, read_file(events, program), time_option(as_of, program), thresholds)
    report_problems(report.problems, events)
    if fmt == "json":
        click.echo(json.dumps(findings_json(findings), ensure_ascii=False, indent=1))
    else:
        click.echo(_table(program, findings))


def _table(program: Program, findings: Findings) -> str:
    t = findings.thresholds
    as_of = findings.as_of.isoformat() if findings.as_of else "-"
    lines = [f"{program.settings.program or 'Program'} — suspicious patterns up to {as_of}", "",
             f"Refunds after earning: {t.min_refunds}+ refunded purchases that earned points, "
             f"{t.min_reversed_percent}%+ of their points taken back"]
    if findings.refunders:
        lines.append(f"  {'member':<16}{'purchases':>10}{'refunded':>10}{'earned':>10}{'reversed':>10}"
                     f"{'share':>7}{'balance':>10}")
        lines += [f"  {r.member:<16}{r.purchases:>10,}{r.refunded:>10,}{r.earned:>10,}{r.reversed:>10,}"
                  f"{float(r.reversed_share):>7.0%}{r.balance:>10,}" for r in findings.refunders]
    else:
        lines.append("  none")
    lines += ["", "Referral rings: members who referred each other in a cycle (each referred the next)"]
    lines += [f"  {' → '.join(ring.members + ring.members[:1])}" for ring in findings.rings] or ["  none"]
    lines += ["", f"One-time referrals: {t.min_referrals}+ referred members who first bought {t.quiet_days}+ days ago, "
                  f"{t.min_one_time_percent}%+ of them never again"]
    if findings.referrers:
        lines.append(f"  {'referrer':<16}{'referred':>10}{'one-time':>10}{'refunded':>10}  one-time buyers")
        lines += [f"  {r.member:<16}{r.referred:>10,}{len(r.one_time):>10,}{r.refunded:>10,}  {', '.join(r.one_time)}"
                  for r in findings.referrers]
    else:
        lines.append("  none")
    return "\n".join(lines)
