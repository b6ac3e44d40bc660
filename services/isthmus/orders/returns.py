"""Returns and backorders: lines coming back, and lines waiting for stock."""

from __future__ import annotations

from google.protobuf.message import Message

from isthmus.kernel.ids import new_uuid
from isthmus.orders import codec, inventory
from isthmus.orders.commands import ChangeBackorder, ReturnLines
from isthmus.orders.domain import (
    Order,
    OrderReturn,
)
from isthmus.orders.handlers import Uow, load, record_history
from isthmus_client.api.events.v1 import orders_pb2 as events
from isthmus_client.api.orders.v1 import order_pb2


async def return_lines(cmd: ReturnLines, uow: Uow) -> tuple[Order, OrderReturn]:
    """The order and its new return (named by the hub). Returned units of kept articles go back on
    the shelf unless damaged or defective (``inventory.fill_orders`` then gives them to the orders
    waiting, in a transaction of its own); an exchange's replacements of kept articles leave stock."""
    replacements: set[str] = set()
    if cmd.exchange:  # the articles sent in exchange, locked with the order's own before the order
        seen = await uow.orders.get(cmd.order_id)
        skus = {x.line_id: x.sku for x in seen.lines} if seen is not None else {}
        replacements = {x.replacement_sku or skus.get(x.line_id, "") for x in cmd.lines} - {""}
    kept = await inventory.OrderStock.lock(uow, [cmd.order_id], replacements)
    order = await load(uow, cmd.order_id)
    order.check("return", cmd.expected_version)
    read_version, before, now = order.version, order.state, uow.clock()
    at = cmd.at or now
    order_return = order.return_lines(new_uuid(), cmd.lines, cmd.exchange, cmd.actor, at, now)
    await kept.read_lines(uow, [cmd.order_id])
    kept.restock(order, [(x.line_id, x.quantity, x.reason_code) for x in cmd.lines], now, cmd.actor)
    if cmd.exchange and kept.changes.items:
        kept.exchange(order, cmd.lines, await uow.stock.tier_of(order.customer_id), now, cmd.actor)
    await kept.write(uow)
    await uow.orders.save(order, read_version)
    returned = codec.quantities(order, [(x.line_id, x.quantity) for x in cmd.lines])
    await record_history(
        uow,
        order,
        order_pb2.ORDER_HISTORY_KIND_EXCHANGED if cmd.exchange else order_pb2.ORDER_HISTORY_KIND_RETURNED,
        before,
        at,
        cmd.actor,
        return_reasons=[
            order_pb2.ReturnReason.Value(f"RETURN_REASON_{r}")
            for r in dict.fromkeys(x.reason_code for x in cmd.lines)
        ],
        reason_text="; ".join(x.reason_text for x in cmd.lines if x.reason_text),
        lines=returned,
        amount=order_return.refund,
    )
    await uow.emit(
        events.OrderReturned(
            order=codec.order(order), order_return=codec.order_return(order_return), returned_lines=returned
        ),
        order,
    )
    return order, order_return


async def change_backorder(cmd: ChangeBackorder, uow: Uow) -> Order:
    """Units put on backorder or released by hand. Of a kept article, units put on backorder that
    were set aside are written off (the warehouse could not pick them), and released ones take stock
    (FAILED_PRECONDITION when there is not enough)."""
    kept = await inventory.OrderStock.lock(uow, [cmd.order_id])
    order = await load(uow, cmd.order_id)
    order.check("release" if cmd.release else "backorder", cmd.expected_version)
    read_version, now = order.version, uow.clock()
    await kept.read_lines(uow, [cmd.order_id])
    entry: order_pb2.OrderHistoryEntry
    event: Message
    if cmd.release:
        units = order.release(cmd.lines, now)
        if kept.changes.items:
            kept.release(order, units, await uow.stock.tier_of(order.customer_id), now, cmd.actor)
        entry, event = inventory.released_record(order, units, cmd.reason, now, cmd.actor)
    else:
        order.backorder(cmd.lines, now)
        kept.write_off(order, cmd.lines, cmd.reason, now, cmd.actor)
        entry, event = inventory.backorder_record(
            order, cmd.lines, cmd.reason, cmd.expected_at, now, cmd.actor
        )
    await kept.write(uow)
    await uow.orders.save(order, read_version, message=event.order)
    await uow.orders.add_history(entry)
    await uow.emit(event, order)
    return order
