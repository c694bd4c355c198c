"""The built-in reward types, registered as an ordinary plugin."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any, Mapping

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rules_engine.plugins.hookspecs import hookimpl
from rules_engine.plugins.registry import RedeemContext, RewardType

# 16 characters of a 32-letter alphabet without look-alikes: 80 bits, far beyond guessing.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 16


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProductParams(_Params):
    sku: str = Field(min_length=1)
    qty: int = Field(default=1, ge=1)


class _PercentOrAmount(_Params):
    percent: Decimal | None = Field(default=None, gt=0, le=100)
    amount: Decimal | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one_of(self) -> "_PercentOrAmount":
        if (self.percent is None) == (self.amount is None):
            raise ValueError("give exactly one of percent (like 10%) or amount (like 50k)")
        return self


class DiscountParams(_PercentOrAmount):
    max: Decimal | None = Field(default=None, gt=0)


class CouponParams(_PercentOrAmount):
    max: Decimal | None = Field(default=None, gt=0)
    valid_days: int | None = Field(default=None, ge=1)


class CashbackParams(_Params):
    amount: Decimal = Field(gt=0)


class NoParams(_Params):
    pass


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _dump(params: BaseModel) -> dict[str, Any]:
    return {k: v for k, v in params.model_dump().items() if v is not None}


def _product(params: ProductParams, ctx: RedeemContext) -> Mapping[str, Any]:
    return _dump(params)


def _discount(params: DiscountParams, ctx: RedeemContext) -> Mapping[str, Any]:
    return _dump(params)


def _coupon(params: CouponParams, ctx: RedeemContext) -> Mapping[str, Any]:
    return {**_dump(params), "code": new_code()}


def _cashback(params: CashbackParams, ctx: RedeemContext) -> Mapping[str, Any]:
    return _dump(params)


def _free_shipping(params: NoParams, ctx: RedeemContext) -> Mapping[str, Any]:
    return {}


@hookimpl
def loyalty_reward_types() -> list[RewardType]:
    return [
        RewardType("product", ProductParams, _product, "a product from the catalogue: product(sku: \"COF-1\")"),
        RewardType("discount", DiscountParams, _discount, "a discount on the next order: discount(percent: 10%, max: 200k)"),
        RewardType("free_shipping", NoParams, _free_shipping, "free delivery of the next order: free_shipping()"),
        RewardType("coupon", CouponParams, _coupon, "a unique, unguessable coupon code: coupon(amount: 50k)"),
        RewardType("cashback", CashbackParams, _cashback, "money back to the member's wallet: cashback(amount: 20k)"),
    ]
