"""Fitland, a gym chain partnering with the loyalty club.

Two partner offers and one reward type. Codes come from the engine's
`CodeIssuer`: random (80 bits from `secrets`), never repeated within a run, and
prefixed so Fitland's front desk recognises them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from rules_engine import hookimpl
from rules_engine.plugins.codes import CodeIssuer
from rules_engine.plugins.registry import PartnerOffer, RedeemContext, RewardType

PARTNER = "fitland"
PREFIX = "FIT-"
TEHRAN = ZoneInfo("Asia/Tehran")
FRIDAY = 4


class GymPass(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    days: int = Field(ge=1, le=365, description="length of the pass in days")
    branch: str = Field(default="any", min_length=1, description="the branch it is valid at")


def _gym_pass(issue: CodeIssuer):
    def redeem(params: GymPass, ctx: RedeemContext) -> Mapping[str, Any]:
        return {"title": f"{params.days} روز باشگاه فیت‌لند", "code": issue(), "days": params.days,
                "branch": params.branch, "valid_until": (ctx.at + timedelta(days=params.days)).date().isoformat()}

    return redeem


def _voucher(issue: CodeIssuer, ref: str, title: str, percent: int):
    def redeem(ctx: RedeemContext) -> Mapping[str, Any]:
        return {"offer": ref, "title": title, "percent": percent, "code": issue()}

    return redeem


def _not_on_friday(ctx: RedeemContext) -> bool:
    """The yoga studios are closed on Fridays, so Fitland refuses claims made then."""
    return ctx.at.astimezone(TEHRAN).weekday() != FRIDAY


@hookimpl
def loyalty_reward_types() -> list[RewardType]:
    return [RewardType("gym_pass", GymPass, _gym_pass(CodeIssuer(PREFIX)),
                       "a Fitland gym pass with its entry code: gym_pass(days: 30)")]


@hookimpl
def loyalty_partner_offers() -> list[PartnerOffer]:
    issue = CodeIssuer(PREFIX)
    gym = "۲۰٪ تخفیف عضویت ماهانه باشگاه فیت‌لند"
    yoga = "۱۰٪ تخفیف کلاس یوگا (به‌جز جمعه‌ها)"
    return [
        PartnerOffer(PARTNER, "gym-20", gym, _voucher(issue, f"{PARTNER}:gym-20", gym, 20)),
        PartnerOffer(PARTNER, "yoga-10", yoga, _voucher(issue, f"{PARTNER}:yoga-10", yoga, 10), _not_on_friday),
    ]
