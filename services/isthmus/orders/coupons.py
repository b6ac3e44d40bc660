"""Coupons: what one discounts, when it may be used, and why it may not. No I/O."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from isthmus.kernel.errors import FailedPrecondition
from isthmus.kernel.money import Money
from isthmus_client import errors as reasons


class Rejection(enum.IntEnum):
    """Numbered as ``CouponRejection`` in the API."""

    UNKNOWN = 1
    NOT_YET_VALID = 2
    EXPIRED = 3
    ALREADY_USED = 4
    EXHAUSTED = 5
    WRONG_CURRENCY = 6
    BELOW_MINIMUM = 7


@dataclass
class Coupon:
    code: str
    description: str
    percent_off: Decimal | None
    amount_off: Money | None
    minimum_subtotal: Money | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    max_redemptions: int = 0
    once_per_customer: bool = False
    redemption_count: int = 0
    create_time: datetime | None = None

    @property
    def currency(self) -> str | None:
        """The only currency the coupon accepts, if it fixes one."""
        if self.amount_off is not None:
            return self.amount_off.currency
        if self.minimum_subtotal is not None:
            return self.minimum_subtotal.currency
        return None

    def evaluate(
        self, subtotal: Money, at: datetime, used_by_customer: bool
    ) -> tuple[Rejection, str] | Money:
        """The discount on ``subtotal``, or why the coupon cannot be used."""
        if self.valid_from is not None and at < self.valid_from:
            return Rejection.NOT_YET_VALID, f"coupon {self.code} is valid from {self.valid_from.isoformat()}"
        if self.valid_until is not None and at >= self.valid_until:
            return Rejection.EXPIRED, f"coupon {self.code} expired at {self.valid_until.isoformat()}"
        if self.currency is not None and self.currency != subtotal.currency:
            return (
                Rejection.WRONG_CURRENCY,
                f"coupon {self.code} is for {self.currency} orders, not {subtotal.currency}",
            )
        if self.once_per_customer and used_by_customer:
            return Rejection.ALREADY_USED, f"coupon {self.code} was already used by this customer"
        if self.max_redemptions and self.redemption_count >= self.max_redemptions:
            return Rejection.EXHAUSTED, f"coupon {self.code} reached its {self.max_redemptions} redemptions"
        if self.minimum_subtotal is not None and subtotal < self.minimum_subtotal:
            return (
                Rejection.BELOW_MINIMUM,
                f"coupon {self.code} needs a subtotal of at least {self.minimum_subtotal}",
            )
        if self.amount_off is not None:
            return min(self.amount_off, subtotal)
        assert self.percent_off is not None
        return subtotal.percent(self.percent_off)


class CouponRejected(FailedPrecondition):
    """An unusable coupon on an order; names the coupon's position and the rejection, in the message
    and in the ErrorInfo (``COUPON_REJECTED``, metadata ``field`` and ``rejection``: the
    ``CouponRejection`` value's name), so that a client branches on the rejection, not the text."""

    def __init__(self, index: int, rejection: Rejection, message: str) -> None:
        field = f"coupon_codes[{index}]"
        super().__init__(f"{field}: {rejection.name}: {message}")
        self.rejection = rejection
        self.because(reasons.COUPON_REJECTED, field=field, rejection=f"COUPON_REJECTION_{rejection.name}")
