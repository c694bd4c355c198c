"""The built-in reward types, registered as an ordinary plugin.

Amounts are in the rulebook currency and arrive as int or Decimal (never float);
percentages are written `10%` and arrive as 10.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any, Mapping

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rules_engine.plugins.codes import CodeIssuer
from rules_engine.plugins.hookspecs import hookimpl
from rules_engine.plugins.registry import RedeemContext, RewardType


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProductParams(_Params):
    sku: str = Field(min_length=1, description="catalogue code of the product")
    qty: int = Field(default=1, ge=1, description="how many")


class _PercentOrAmount(_Params):
    percent: Decimal | None = Field(default=None, gt=0, le=100, description="share off, like 10%")
    amount: Decimal | None = Field(default=None, gt=0, description="money off, like 50k")
    max: Decimal | None = Field(default=None, gt=0, description="most money a percent takes off")

    @model_validator(mode="after")
    def _one_of(self) -> "_PercentOrAmount":
        if (self.percent is None) == (self.amount is None):
            raise ValueError("give exactly one of percent (like 10%) or amount (like 50k)")
        if self.max is not None and self.percent is None:
            raise ValueError("max limits a percent; an amount is already fixed, so drop max")
        return self


class DiscountParams(_PercentOrAmount):
    pass


class CouponParams(_PercentOrAmount):
    valid_days: int | None = Field(default=None, ge=1, description="days the code stays valid")


class CashbackParams(_Params):
    amount: Decimal = Field(gt=0, description="money paid into the member's wallet")


class NoParams(_Params):
    pass


def _dump(params: BaseModel) -> dict[str, Any]:
    return params.model_dump(exclude_none=True)


def _product(params: ProductParams, ctx: RedeemContext) -> Mapping[str, Any]:
    return _dump(params)


def _discount(params: DiscountParams, ctx: RedeemContext) -> Mapping[str, Any]:
    return _dump(params)


def _free_shipping(params: NoParams, ctx: RedeemContext) -> Mapping[str, Any]:
    return {}


def _cashback(params: CashbackParams, ctx: RedeemContext) -> Mapping[str, Any]:
    return {"amount": params.amount, "wallet": ctx.member}


def _coupon(issue: CodeIssuer):
    def redeem(params: CouponParams, ctx: RedeemContext) -> Mapping[str, Any]:
        data = {**_dump(params), "code": issue()}
        if params.valid_days is not None:
            data["valid_until"] = (ctx.at + timedelta(days=params.valid_days)).date().isoformat()
        return data

    return redeem


@hookimpl
def loyalty_reward_types() -> list[RewardType]:
    return [
        RewardType("product", ProductParams, _product, 'a product from the catalogue: product(sku: "COF-1")'),
        RewardType("discount", DiscountParams, _discount,
                   "a discount on the next order: discount(percent: 10%, max: 200k) or discount(amount: 50k)"),
        RewardType("free_shipping", NoParams, _free_shipping, "free delivery of the next order: free_shipping()"),
        RewardType("coupon", CouponParams, _coupon(CodeIssuer()),
                   "a unique, unguessable coupon code: coupon(amount: 50k, valid_days: 30)"),
        RewardType("cashback", CashbackParams, _cashback, "money back to the member's wallet: cashback(amount: 20k)"),
    ]
