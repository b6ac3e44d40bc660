"""Orders <-> their API messages. One mapping, used by the servicer, the event payloads and the store.

The store keeps each order as its serialized ``Order`` message beside the columns it queries on, so
the message format (with its compatibility rules) is also the storage format of an order's detail.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from google.protobuf import json_format

from isthmus.kernel.ids import new_uuid
from isthmus.kernel.money import Money
from isthmus.kernel.timestamps import from_ts, opt_date, opt_ts, to_date, ts
from isthmus.orders.coupons import Coupon
from isthmus.orders.domain import (
    Actor,
    Adjustment,
    Cancellation,
    Instalment,
    Kind,
    Line,
    Order,
    OrderReturn,
    ReturnLine,
    State,
)
from isthmus.platform import auth
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.orders.v1 import order_pb2


def money(value: Money) -> common_pb2.Money:
    return common_pb2.Money(amount=value.text(), currency_code=value.currency)


def from_money(message: common_pb2.Money) -> Money:
    return Money.stored(message.amount, message.currency_code)


def actor(value: Actor) -> common_pb2.Actor:
    return common_pb2.Actor(
        kind=value.kind,  # type: ignore[arg-type]
        id=value.id,
        display_name=value.display_name,
        principal=value.principal,
    )


def from_actor(message: common_pb2.Actor) -> Actor:
    return Actor(int(message.kind), message.id, message.display_name, message.principal)


def caller(message: common_pb2.Actor) -> Actor:
    """The actor a request names, with the authenticated client that sent it beside it."""
    return Actor(int(message.kind), message.id, message.display_name, auth.principal.get())


def address(value: dict[str, object] | None) -> common_pb2.PostalAddress | None:
    return None if value is None else json_format.ParseDict(value, common_pb2.PostalAddress())


def from_address(message: object, name: str) -> dict[str, object] | None:
    if not message.HasField(name):  # type: ignore[attr-defined]
        return None
    return json_format.MessageToDict(getattr(message, name), preserving_proto_field_name=True)


def cancellation_reason(name: str) -> int:
    return order_pb2.CancellationReason.Value(f"CANCELLATION_REASON_{name}")


def return_reason(name: str) -> int:
    return order_pb2.ReturnReason.Value(f"RETURN_REASON_{name}")


def line(value: Line, quantity: int | None = None) -> order_pb2.OrderLine:
    """``quantity`` overrides the ordered quantity (event payloads list the units of one change)."""
    units = value.quantity if quantity is None else quantity
    return order_pb2.OrderLine(
        line_id=value.line_id,
        sku=value.sku,
        description=value.description,
        quantity=units,
        unit_price=money(value.unit_price),
        shipping_method=value.shipping_method,
        category=value.category,
        line_total=money(value.unit_price.times(units)),
        returned_quantity=value.returned_quantity,
        backordered_quantity=value.backordered_quantity,
        expected_ship_date=to_date(value.expected_ship),
        expected_delivery_date=to_date(value.expected_delivery),
        instalments=value.instalments,
        payment_method=value.payment_method,
        estimated_ship_date=to_date(value.estimated_ship),
        estimated_delivery_date=to_date(value.estimated_delivery),
        drop_ship_supplier=value.drop_ship_supplier,
        price_pending=value.price_pending,
        allocated_quantity=value.allocated,
    )


def adjustment(value: Adjustment) -> order_pb2.Adjustment:
    return order_pb2.Adjustment(
        kind=int(value.kind),  # type: ignore[arg-type]
        description=value.description,
        amount=money(value.amount),
        line_id=value.line_id,
        coupon_code=value.coupon_code,
        tax_rate=value.tax_rate,
        tax_code=value.tax_code,
    )


def order_return(value: OrderReturn) -> order_pb2.OrderReturn:
    return order_pb2.OrderReturn(
        return_id=value.return_id,
        lines=[
            order_pb2.ReturnLine(
                line_id=rl.line_id,
                quantity=rl.quantity,
                reason_code=return_reason(rl.reason_code),  # type: ignore[arg-type]
                reason_text=rl.reason_text,
                replacement_sku=rl.replacement_sku,
            )
            for rl in value.lines
        ],
        exchange=value.exchange,
        refund=money(value.refund),
        actor=actor(value.actor),
        return_time=ts(value.returned_at),
        instalments_reduced=money(value.instalments_reduced) if value.instalments_reduced else None,
    )


def instalment(value: Instalment, currency: str) -> order_pb2.OrderInstalment:
    return order_pb2.OrderInstalment(
        number=value.number,
        due_date=to_date(value.due),
        amount=money(value.amount(currency)),
        parts=[order_pb2.InstalmentPart(line_id=k, amount=money(v)) for k, v in value.parts.items()],
        pay_time=ts(value.paid_at),
        payment_reference=value.reference,
    )


def from_instalment(m: order_pb2.OrderInstalment) -> Instalment:
    due = opt_date(m, "due_date", "due_date")
    assert due is not None, "a stored instalment has its due date"
    parts = {p.line_id: from_money(p.amount) for p in m.parts}
    return Instalment(m.number, due, parts, opt_ts(m, "pay_time"), m.payment_reference)


def order(value: Order) -> order_pb2.Order:
    totals = value.totals
    due_now, paid, owed = value.payment_figures(totals.total)
    message = order_pb2.Order(
        order_id=value.order_id,
        source_system=value.source_system,
        external_order_id=value.external_order_id,
        customer_id=value.customer_id,
        channel=value.channel,  # type: ignore[arg-type]
        state=int(value.state),  # type: ignore[arg-type]
        currency_code=value.currency,
        lines=[line(x) for x in value.lines],
        adjustments=[adjustment(a) for a in value.adjustments],
        coupon_codes=value.coupon_codes,
        shipping_address=address(value.shipping_address),
        billing_address=address(value.billing_address),
        subtotal=money(totals.subtotal),
        discount_total=money(totals.discount),
        tax_total=money(totals.tax),
        shipping_total=money(totals.shipping),
        total=money(totals.total),
        refunded_total=money(value.refunded_total),
        returns=[order_return(r) for r in value.returns],
        payment_reference=value.payment_reference,
        carrier=value.carrier,
        warehouse=value.warehouse,
        manifest_number=value.manifest_number,
        tracking_number=value.tracking_number,
        place_time=ts(value.placed_at),
        pay_time=ts(value.paid_at),
        ship_time=ts(value.shipped_at),
        deliver_time=ts(value.delivered_at),
        complete_time=ts(value.completed_at),
        create_time=ts(value.create_time),
        update_time=ts(value.update_time),
        version=value.version,
        attributes=value.attributes,
        customer_state=order_pb2.CUSTOMER_STATE_PENDING
        if value.customer_pending
        else order_pb2.CUSTOMER_STATE_KNOWN,
        instalments=[instalment(i, value.currency) for i in value.instalments],
        due_at_checkout=money(due_now),
        paid_total=money(paid),
        balance_due=money(owed),
    )
    if value.cancellation is not None:
        c = value.cancellation
        message.cancellation.CopyFrom(
            order_pb2.Cancellation(
                reason_code=cancellation_reason(c.reason_code),  # type: ignore[arg-type]
                reason_text=c.reason_text,
                actor=actor(c.actor),
                cancel_time=ts(c.cancelled_at),
            )
        )
    return message


def _reason_name(enum: object, number: int, prefix: str) -> str:
    return enum.Name(number).removeprefix(prefix)  # type: ignore[attr-defined]


def from_order(m: order_pb2.Order) -> Order:
    result = Order(
        order_id=m.order_id,
        source_system=m.source_system,
        external_order_id=m.external_order_id,
        customer_id=m.customer_id,
        channel=int(m.channel),
        currency=m.currency_code,
        lines=[
            Line(
                x.line_id,
                x.sku,
                x.description,
                x.quantity,
                from_money(x.unit_price),
                x.shipping_method,
                x.category,
                x.returned_quantity,
                x.backordered_quantity,
                opt_date(x, "expected_ship_date", "expected_ship_date"),
                opt_date(x, "expected_delivery_date", "expected_delivery_date"),
                x.instalments,
                x.payment_method,
                opt_date(x, "estimated_ship_date", "estimated_ship_date"),
                opt_date(x, "estimated_delivery_date", "estimated_delivery_date"),
                x.drop_ship_supplier,
                x.price_pending,
                x.allocated_quantity,
            )
            for x in m.lines
        ],
        adjustments=[
            Adjustment(
                Kind(a.kind),
                from_money(a.amount),
                a.description,
                a.line_id,
                a.coupon_code,
                a.tax_rate,
                a.tax_code,
            )
            for a in m.adjustments
        ],
        placed_at=from_ts(m.place_time),
        create_time=from_ts(m.create_time),
        state=State(m.state),
        coupon_codes=list(m.coupon_codes),
        shipping_address=from_address(m, "shipping_address"),
        billing_address=from_address(m, "billing_address"),
        attributes=dict(m.attributes),
        customer_pending=m.customer_state == order_pb2.CUSTOMER_STATE_PENDING,
        payment_reference=m.payment_reference,
        carrier=m.carrier,
        warehouse=m.warehouse,
        manifest_number=m.manifest_number,
        tracking_number=m.tracking_number,
        paid_at=opt_ts(m, "pay_time"),
        shipped_at=opt_ts(m, "ship_time"),
        delivered_at=opt_ts(m, "deliver_time"),
        completed_at=opt_ts(m, "complete_time"),
        update_time=opt_ts(m, "update_time"),
        returns=[
            OrderReturn(
                r.return_id,
                tuple(
                    ReturnLine(
                        rl.line_id,
                        rl.quantity,
                        _reason_name(order_pb2.ReturnReason, rl.reason_code, "RETURN_REASON_"),
                        rl.reason_text,
                        rl.replacement_sku,
                    )
                    for rl in r.lines
                ),
                r.exchange,
                from_money(r.refund),
                from_actor(r.actor),
                from_ts(r.return_time),
                from_money(r.instalments_reduced) if r.HasField("instalments_reduced") else None,
            )
            for r in m.returns
        ],
        version=m.version,
        instalments=[from_instalment(i) for i in m.instalments],
    )
    if m.HasField("cancellation"):
        c = m.cancellation
        result.cancellation = Cancellation(
            _reason_name(order_pb2.CancellationReason, c.reason_code, "CANCELLATION_REASON_"),
            c.reason_text,
            from_actor(c.actor),
            from_ts(c.cancel_time),
        )
    return result


def coupon(value: Coupon) -> order_pb2.Coupon:
    kind = (
        order_pb2.COUPON_DISCOUNT_KIND_FIXED_AMOUNT
        if value.amount_off
        else order_pb2.COUPON_DISCOUNT_KIND_PERCENT
    )
    return order_pb2.Coupon(
        code=value.code,
        description=value.description,
        discount_kind=kind,
        percent_off="" if value.percent_off is None else str(value.percent_off),
        amount_off=None if value.amount_off is None else money(value.amount_off),
        minimum_subtotal=None if value.minimum_subtotal is None else money(value.minimum_subtotal),
        start_time=ts(value.valid_from),
        end_time=ts(value.valid_until),
        max_redemptions=value.max_redemptions,
        once_per_customer=value.once_per_customer,
        redemption_count=value.redemption_count,
        create_time=ts(value.create_time),
    )


def from_coupon(m: order_pb2.Coupon) -> Coupon:
    return Coupon(
        code=m.code,
        description=m.description,
        percent_off=Decimal(m.percent_off) if m.percent_off else None,
        amount_off=from_money(m.amount_off) if m.HasField("amount_off") else None,
        minimum_subtotal=from_money(m.minimum_subtotal) if m.HasField("minimum_subtotal") else None,
        valid_from=opt_ts(m, "start_time"),
        valid_until=opt_ts(m, "end_time"),
        max_redemptions=m.max_redemptions,
        once_per_customer=m.once_per_customer,
        redemption_count=m.redemption_count,
        create_time=opt_ts(m, "create_time"),
    )


def history_entry(
    order: Order,
    kind: int,
    from_state: State,
    at: datetime,
    by: Actor,
    *,
    cancellation_reason: int = 0,
    return_reasons: list[int] | None = None,
    reason_text: str = "",
    lines: list[order_pb2.OrderLine] | None = None,
    amount: Money | None = None,
) -> order_pb2.OrderHistoryEntry:
    return order_pb2.OrderHistoryEntry(
        entry_id=new_uuid(),
        order_id=order.order_id,
        customer_id=order.customer_id,
        kind=kind,  # type: ignore[arg-type]
        from_state=int(from_state),  # type: ignore[arg-type]
        to_state=int(order.state),  # type: ignore[arg-type]
        occur_time=ts(at),
        actor=actor(by),
        cancellation_reason=cancellation_reason,  # type: ignore[arg-type]
        return_reasons=return_reasons or [],  # type: ignore[arg-type]
        reason_text=reason_text,
        lines=lines or [],
        amount=None if amount is None else money(amount),
        version=order.version,
    )


def quantities(order: Order, changes: list[tuple[str, int]]) -> list[order_pb2.OrderLine]:
    """The order's lines a change touched, each with the units it changed (summed per line)."""
    summed: dict[str, int] = {}
    for line_id, quantity in changes:
        summed[line_id] = summed.get(line_id, 0) + quantity
    return [line(x, summed[x.line_id]) for x in order.lines if x.line_id in summed]
