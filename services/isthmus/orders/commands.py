"""Order commands: what a client asks of an order, validated by the API and handled by ``handlers``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from google.protobuf.message import Message

from isthmus.kernel.money import Money
from isthmus.orders.domain import (
    Actor,
    Adjustment,
    Line,
    ReturnLine,
)


@dataclass
class PlaceOrder:
    source_system: str
    external_order_id: str
    customer_id: str
    channel: int
    currency: str
    lines: list[Line]
    adjustments: list[Adjustment]
    coupon_codes: list[str] = field(default_factory=list)
    shipping_address: dict[str, object] | None = None
    billing_address: dict[str, object] | None = None
    placed_at: datetime | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    actor: Actor = field(default_factory=Actor)

    def fingerprint(self) -> dict[str, Any]:
        """The payload compared on a repeated create: everything the source sent except who sent it."""
        return {
            "customer_id": self.customer_id,
            "channel": self.channel,
            "currency_code": self.currency,
            "lines": [
                {
                    "line_id": x.line_id,
                    "sku": x.sku,
                    "description": x.description,
                    "quantity": x.quantity,
                    "unit_price": x.unit_price.text(),
                    "shipping_method": x.shipping_method,
                    "category": x.category,
                    # 0 or 1 is "at once" (and absent from fingerprints stored before flex-pay).
                    "instalments": x.instalments if x.instalments > 1 else 0,
                    "price_pending": x.price_pending,
                    # Not the promised dates: a source re-sends an order whose estimate moved, and the
                    # order keeps the promise made when it was taken (not a different order). Nor the
                    # payment method, which ChangePaymentMethod may have changed since.
                }
                for x in self.lines
            ],
            "adjustments": [
                {
                    "kind": int(a.kind),
                    "description": a.description,
                    "amount": a.amount.text(),
                    "line_id": a.line_id,
                    "tax_rate": a.tax_rate,
                    "tax_code": a.tax_code,
                }
                for a in self.adjustments
            ],
            "coupon_codes": self.coupon_codes,
            "shipping_address": self.shipping_address or {},
            "billing_address": self.billing_address or {},
            "placed_at": self.placed_at.isoformat() if self.placed_at else "",
            "attributes": self.attributes,
        }


@dataclass
class Transition:
    """Pay, ship, deliver or complete."""

    action: str
    order_id: str
    expected_version: int
    at: datetime | None = None
    actor: Actor = field(default_factory=Actor)
    amount: Money | None = None
    payment_reference: str = ""
    carrier: str = ""
    tracking_number: str = ""
    warehouse: str = ""
    manifest_number: str = ""
    # The request as sent, remembered under its request_id (isthmus.platform.requests).
    request: Message | None = None


@dataclass
class CancelOrder:
    order_id: str
    expected_version: int
    reason_code: str
    reason_text: str
    actor: Actor = field(default_factory=Actor)
    at: datetime | None = None


@dataclass
class ReturnLines:
    order_id: str
    expected_version: int
    lines: list[ReturnLine]
    exchange: bool
    actor: Actor = field(default_factory=Actor)
    at: datetime | None = None


@dataclass
class PayInstalment:
    order_id: str
    expected_version: int
    number: int
    amount: Money
    payment_reference: str
    at: datetime | None = None
    actor: Actor = field(default_factory=Actor)


@dataclass
class SetFinalPrices:
    order_id: str
    expected_version: int
    lines: list[tuple[str, Money]]
    reason: str = ""
    actor: Actor = field(default_factory=Actor)


@dataclass
class UpdateDeliveryEstimate:
    order_id: str
    expected_version: int
    lines: list[tuple[str, date | None, date | None]]  # line id, ship, delivery
    reason: str = ""
    actor: Actor = field(default_factory=Actor)


@dataclass
class ChangePaymentMethod:
    order_id: str
    expected_version: int
    line_ids: list[str]
    payment_method: str
    reason: str = ""
    actor: Actor = field(default_factory=Actor)


@dataclass
class ChangeBackorder:
    order_id: str
    expected_version: int
    release: bool
    lines: list[tuple[str, int]]
    expected_at: datetime | None = None
    reason: str = ""
    actor: Actor = field(default_factory=Actor)
