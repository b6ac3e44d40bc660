"""New estimates of when lines ship and arrive, kept beside the promise made when the order was taken."""

from __future__ import annotations

from isthmus.orders import codec
from isthmus.orders.commands import UpdateDeliveryEstimate
from isthmus.orders.domain import Order
from isthmus.orders.handlers import Uow, load, record_history
from isthmus_client.api.events.v1 import orders_pb2 as events
from isthmus_client.api.orders.v1 import order_pb2


async def update_delivery_estimate(cmd: UpdateDeliveryEstimate, uow: Uow) -> Order:
    """The order with the new estimates; unchanged (no version, history or event) when none moved."""
    order = await load(uow, cmd.order_id)
    order.check("update the delivery estimate of", cmd.expected_version)
    read_version, now = order.version, uow.clock()
    moved = order.estimate(cmd.lines, now)
    if not moved:
        return order
    message = await uow.orders.save(order, read_version)
    lines = [codec.line(x) for x in moved]
    await record_history(
        uow,
        order,
        order_pb2.ORDER_HISTORY_KIND_DELIVERY_ESTIMATE_CHANGED,
        order.state,
        now,
        cmd.actor,
        reason_text=cmd.reason,
        lines=lines,
    )
    await uow.emit(events.OrderDeliveryEstimateChanged(order=message, lines=lines, reason=cmd.reason), order)
    return order
