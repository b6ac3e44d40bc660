"""Flex-pay instalments paid after checkout, and lines paid another way."""

from __future__ import annotations

from isthmus.orders import codec
from isthmus.orders.commands import ChangePaymentMethod, PayInstalment
from isthmus.orders.domain import Order
from isthmus.orders.handlers import Uow, load, record_history
from isthmus_client.api.events.v1 import orders_pb2 as events
from isthmus_client.api.orders.v1 import order_pb2


async def pay_instalment(cmd: PayInstalment, uow: Uow) -> Order:
    order = await load(uow, cmd.order_id)
    order.check("pay an instalment of", cmd.expected_version)
    read_version, now = order.version, uow.clock()
    at = cmd.at or now
    paid = order.pay_instalment(cmd.number, cmd.amount, cmd.payment_reference, at, now)
    message = await uow.orders.save(order, read_version)
    await record_history(
        uow,
        order,
        order_pb2.ORDER_HISTORY_KIND_INSTALMENT_PAID,
        order.state,
        at,
        cmd.actor,
        reason_text=f"instalment {paid.number}, {cmd.payment_reference}",
        amount=cmd.amount,
    )
    event = events.OrderInstalmentPaid(
        order=message,
        number=paid.number,
        amount=codec.money(cmd.amount),
        payment_reference=cmd.payment_reference,
        pay_time=codec.ts(at),
    )
    await uow.emit(event, order)
    return order


async def change_payment_method(cmd: ChangePaymentMethod, uow: Uow) -> Order:
    order = await load(uow, cmd.order_id)
    order.check("change the payment method of", cmd.expected_version)
    read_version, now = order.version, uow.clock()
    before = {x.line_id: x.payment_method for x in order.lines}
    changed = order.change_payment_method(cmd.line_ids, cmd.payment_method, now)
    message = await uow.orders.save(order, read_version)
    was = ", ".join(sorted({before[x] or "none" for x in changed}))
    why = f"{was} -> {cmd.payment_method}" + (f": {cmd.reason}" if cmd.reason else "")
    await record_history(
        uow,
        order,
        order_pb2.ORDER_HISTORY_KIND_PAYMENT_METHOD_CHANGED,
        order.state,
        now,
        cmd.actor,
        reason_text=why,
        lines=[codec.line(x) for x in order.lines if x.line_id in set(changed)],
    )
    await uow.emit(
        events.OrderPaymentMethodChanged(order=message, line_ids=changed, payment_method=cmd.payment_method),
        order,
    )
    return order
