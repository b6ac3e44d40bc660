"""What the OrderService's requests say, checked: the commands and domain values they make, or
INVALID_ARGUMENT naming every bad field (api.py answers the calls with them)."""

from __future__ import annotations

from datetime import date
from typing import Any

from isthmus.kernel.errors import InvalidArgument
from isthmus.kernel.ids import is_uuid
from isthmus.kernel.money import Money, check_currency
from isthmus.kernel.timestamps import opt_date, opt_ts
from isthmus.kernel.violations import Violations
from isthmus.orders import codec, commands, handlers
from isthmus.orders.coupons import Coupon
from isthmus.orders.domain import MAX_INSTALMENTS, Adjustment, Kind, Line
from isthmus_client.api.orders.v1 import order_pb2, orders_pb2
from isthmus_client.errors import UNKNOWN_SOURCE_SYSTEM

SOURCE_SYSTEMS_SETTING = "ISTHMUS_ORDERS_SOURCE_SYSTEMS"
# Unset, the orders take what the customer master takes (ISTHMUS_CUSTOMERS_SOURCE_SYSTEMS), or these.
DEFAULT_SOURCE_SYSTEMS = frozenset({"erp", "webshop", "callcenter"})


def dates(
    message: Any, where: str, v: Violations, ship_field: str, delivery_field: str
) -> tuple[date | None, date | None]:
    """A line's ship and delivery dates (promised, or estimated), the delivery not before the shipment."""
    ship = v.guard(lambda: opt_date(message, ship_field, f"{where}.{ship_field}"))
    arrive = v.guard(lambda: opt_date(message, delivery_field, f"{where}.{delivery_field}"))
    if ship and arrive and arrive < ship:
        v.add(f"{where}.{delivery_field}", f"{arrive} is before {ship_field} {ship}")
    return ship, arrive


MAX_PAYMENT_METHOD = 64


def short_text(value: str, field: str, limit: int, v: Violations) -> str:
    """A short name as given, trimmed: at most ``limit`` characters (boundary.py refuses control
    characters in every string)."""
    text = value.strip()
    if len(text) > limit:
        v.add(field, f"at most {limit} characters, not {len(text)}")
    return text


MAX_SKU = 100


def sku(value: str, field: str, v: Violations) -> str:
    """An article number whose stock the hub may keep: required, at most 100 characters, as given
    (an order line names it exactly so)."""
    if not value.strip():
        v.add(field, "required")
    elif len(value) > MAX_SKU:
        v.add(field, f"at most {MAX_SKU} characters, not {len(value)}")
    return value


def payment_method(value: str, field: str, v: Violations) -> str:
    """A line's payment method: a short name, as the shop calls it."""
    return short_text(value, field, MAX_PAYMENT_METHOD, v)


def each_line(request: Any, v: Violations) -> list[tuple[str, Any]]:
    """(where, item) for each of a request's ``lines``, each naming its line once: the request's order
    id and at least one line required, a line id missing or named twice noted where it stands."""
    v.required(order_id=request.order_id)
    if not request.lines:
        v.add("lines", "at least one line")
    seen: set[str] = set()
    items = []
    for i, x in enumerate(request.lines):
        where = f"lines[{i}]"
        v.required(**{f"{where}.line_id": x.line_id})
        if x.line_id in seen:
            v.add(f"{where}.line_id", f"line {x.line_id!r} named twice")
        seen.add(x.line_id)
        items.append((where, x))
    return items


def parsed_money(message: Any, field: str, v: Violations) -> Money | None:
    """A Money field as given (its currency code required), or None with the violation noted."""
    return v.guard(lambda: Money.parse(message.amount, message.currency_code, field))


def money_in(message: Any, field: str, currency: str, v: Violations) -> Money | None:
    """A Money field in the order's currency (an empty currency code means the order's)."""
    code = message.currency_code or currency
    if code != currency:
        v.add(f"{field}.currency_code", f"must be the order currency {currency}, not {code}")
        return None
    return v.guard(lambda: Money.parse(message.amount, code, field))


def place_order(
    r: orders_pb2.CreateOrderRequest, source_systems: frozenset[str] = DEFAULT_SOURCE_SYSTEMS
) -> commands.PlaceOrder:
    if r.source_system and r.source_system not in source_systems:
        # The caller's configuration, not its order, is at fault: refused alone, with the setting.
        known = ", ".join(sorted(source_systems))
        raise InvalidArgument(
            "source_system",
            f"unknown source system {r.source_system[:80]!r}; configured: {known} "
            f"(add it to {SOURCE_SYSTEMS_SETTING})",
        ).because(UNKNOWN_SOURCE_SYSTEM, setting=SOURCE_SYSTEMS_SETTING, source_system=r.source_system[:80])
    v = Violations()
    v.required(
        source_system=r.source_system, external_order_id=r.external_order_id, customer_id=r.customer_id
    )
    if r.customer_id and not is_uuid(r.customer_id):
        v.add("customer_id", "must be a golden customer id (a UUID)")
    if r.channel == 0:
        v.add("channel", "required")
    elif r.channel not in order_pb2.OrderChannel.values():
        v.add("channel", f"unknown value {r.channel}")
    currency = v.guard(lambda: check_currency(r.currency_code, "currency_code")) or ""
    if not r.lines:
        v.add("lines", "at least one line")
    lines: list[Line] = []
    seen: set[str] = set()
    for i, x in enumerate(r.lines):
        line_id = x.line_id or str(i + 1)
        if line_id in seen:
            v.add(f"lines[{i}].line_id", f"duplicate line id {line_id!r}")
        seen.add(line_id)
        if not x.sku:
            v.add(f"lines[{i}].sku", "required")
        if x.quantity <= 0:
            v.add(f"lines[{i}].quantity", "must be positive")
        price = money_in(x.unit_price, f"lines[{i}].unit_price", currency, v) if currency else None
        ship, arrive = dates(x, f"lines[{i}]", v, "expected_ship_date", "expected_delivery_date")
        if not 0 <= x.instalments <= MAX_INSTALMENTS:
            v.add(
                f"lines[{i}].instalments",
                f"0 to {MAX_INSTALMENTS} (0 or 1: paid at once), not {x.instalments}",
            )
        method = payment_method(x.payment_method, f"lines[{i}].payment_method", v)
        supplier = short_text(x.drop_ship_supplier, f"lines[{i}].drop_ship_supplier", 128, v)
        if price is not None:
            line = Line(line_id, x.sku, x.description, x.quantity, price, x.shipping_method, x.category)
            line.expected_ship, line.expected_delivery = ship, arrive
            line.instalments, line.payment_method, line.drop_ship_supplier = x.instalments, method, supplier
            line.price_pending = x.price_pending
            lines.append(line)
    adjustments: list[Adjustment] = []
    for i, a in enumerate(r.adjustments):
        if a.kind not in (1, 2, 3, 4):
            v.add(f"adjustments[{i}].kind", "required: TAX, DISCOUNT, SHIPPING or FEE")
            continue
        if a.coupon_code:
            v.add(f"adjustments[{i}].coupon_code", "coupon discounts come from coupon_codes")
        amount = money_in(a.amount, f"adjustments[{i}].amount", currency, v) if currency else None
        if amount is not None:
            adjustments.append(
                Adjustment(Kind(a.kind), amount, a.description, a.line_id, "", a.tax_rate, a.tax_code)
            )
    for i, code in enumerate(r.coupon_codes):
        if not code.strip():
            v.add(f"coupon_codes[{i}]", "empty coupon code")
    v.raise_any()
    return commands.PlaceOrder(
        source_system=r.source_system,
        external_order_id=r.external_order_id,
        customer_id=r.customer_id,
        channel=int(r.channel),
        currency=currency,
        lines=lines,
        adjustments=adjustments,
        coupon_codes=[c.strip().upper() for c in r.coupon_codes],
        shipping_address=codec.from_address(r, "shipping_address"),
        billing_address=codec.from_address(r, "billing_address"),
        placed_at=opt_ts(r, "place_time"),
        attributes=dict(r.attributes),
        actor=codec.caller(r.actor),
    )


def coupon_in(c: order_pb2.Coupon) -> Coupon:
    v = Violations()
    code = c.code.strip().upper()
    if not code:
        v.add("coupon.code", "required")
    percent = amount = minimum = None
    if c.discount_kind == order_pb2.COUPON_DISCOUNT_KIND_PERCENT:
        percent = v.guard(lambda: handlers.percent(c.percent_off, "coupon.percent_off"))
    elif c.discount_kind == order_pb2.COUPON_DISCOUNT_KIND_FIXED_AMOUNT:
        if not c.HasField("amount_off"):
            v.add("coupon.amount_off", "required for FIXED_AMOUNT coupons")
        else:
            amount = v.guard(
                lambda: Money.parse(c.amount_off.amount, c.amount_off.currency_code, "coupon.amount_off")
            )
            if amount is not None and amount.is_zero():
                v.add("coupon.amount_off.amount", "must be positive")
    else:
        v.add("coupon.discount_kind", "required: PERCENT or FIXED_AMOUNT")
    if c.HasField("minimum_subtotal"):
        m = c.minimum_subtotal
        minimum = v.guard(lambda: Money.parse(m.amount, m.currency_code, "coupon.minimum_subtotal"))
        if minimum is not None and amount is not None and minimum.currency != amount.currency:
            v.add("coupon.minimum_subtotal.currency_code", f"must be the coupon's currency {amount.currency}")
    if c.max_redemptions < 0:
        v.add("coupon.max_redemptions", "must not be negative")
    valid_from, valid_until = opt_ts(c, "start_time"), opt_ts(c, "end_time")
    if valid_from and valid_until and valid_until <= valid_from:
        v.add("coupon.end_time", "must be after start_time")
    v.raise_any()
    return Coupon(
        code,
        c.description,
        percent,
        amount,
        minimum,
        valid_from,
        valid_until,
        c.max_redemptions,
        c.once_per_customer,
    )
