"""Loyalty's event consumers: order payments, returns and cancellations; customer merges and erasures.

Each handler gets the transaction the bus opened for one delivery (the inbox in the same transaction
makes a redelivery a no-op) and is idempotent on its own as well: an order earns once whatever the
event ids, and claw-backs are computed from running totals per order.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.kernel.money import Money
from isthmus.kernel.timestamps import from_ts
from isthmus.loyalty import handlers
from isthmus.loyalty.handlers import Record, Uow
from isthmus.loyalty.programme import Basket, Programme
from isthmus_client.api.events.v1 import customers_pb2, orders_pb2
from isthmus_client.api.orders.v1 import order_pb2

ORDER_EVENTS = ("orders.OrderPaid", "orders.OrderReturned", "orders.OrderCancelled")
CUSTOMER_EVENTS = ("customers.CustomersMerged", "customers.CustomerUnmerged", "customers.CustomerErased")

Handler = Callable[[AsyncSession, Any], Awaitable[None]]
Finish = Callable[[], Awaitable[None]]
Prepare = Callable[[AsyncSession, Sequence[Any]], Awaitable[Finish]]


def basket(order: order_pb2.Order) -> Basket:
    return Basket(
        currency=order.currency_code,
        lines=[(x.category, Decimal(x.line_total.amount)) for x in order.lines],
        subtotal=Decimal(order.subtotal.amount or "0"),
        discount=Decimal(order.discount_total.amount or "0"),
    )


def refundable(order: order_pb2.Order) -> Money:
    """What returns can refund: goods less discounts plus tax (shipping and fees stay)."""
    value = (
        Decimal(order.subtotal.amount)
        - Decimal(order.discount_total.amount)
        + Decimal(order.tax_total.amount)
    )
    return Money.of(value, order.currency_code)


async def on_order_event(uow: Uow, message: Any, event_id: str) -> None:
    order = message.order
    if isinstance(message, orders_pb2.OrderPaid):
        paid_at = from_ts(message.pay_time) if message.HasField("pay_time") else uow.clock()
        cmd = handlers.PaidOrder(
            order.order_id, order.customer_id, basket(order), refundable(order), paid_at, event_id
        )
        await handlers.award(cmd, uow)
    elif isinstance(message, orders_pb2.OrderReturned):
        refund = message.order_return.refund
        await handlers.order_returned(
            order.order_id,
            order.customer_id,
            Money.parse(refund.amount or "0", refund.currency_code or order.currency_code, "refund"),
            refundable(order),
            message.order_return.return_id,
            event_id,
            uow,
        )
    elif isinstance(message, orders_pb2.OrderCancelled):
        await handlers.order_cancelled(
            order.order_id, order.customer_id, order.currency_code, message.was_paid, event_id, uow
        )


async def on_customer_event(uow: Uow, message: Any) -> None:
    if isinstance(message, customers_pb2.CustomersMerged):
        await handlers.customers_merged(message.surviving_id, list(message.merged_ids), message.merge_id, uow)
    elif isinstance(message, customers_pb2.CustomerUnmerged):
        await handlers.customer_unmerged(message.from_id, list(message.restored_ids), uow)
    elif isinstance(message, customers_pb2.CustomerErased):
        await handlers.customer_erased(message.customer_id, uow)


def event_handlers(
    programme: Programme, clock: Callable[[], datetime], record: Record
) -> tuple[Handler, Handler, Prepare, Prepare]:
    """Bus handlers ``(session, event)`` for the order and the customer subscriptions, and the steps
    ``prepare(session, events)`` around each batch of them."""

    async def orders(session: AsyncSession, event: Any) -> None:
        await on_order_event(
            Uow(session, programme, clock, record, event.event_id), event.payload, event.event_id
        )

    async def customers(session: AsyncSession, event: Any) -> None:
        await on_customer_event(Uow(session, programme, clock, record, event.event_id), event.payload)

    async def prepare_orders(session: AsyncSession, batch: Sequence[Any]) -> Finish:
        # A batch's order records, accounts, lots and qualifying totals in four reads, before any handler.
        uow = Uow(session, programme, clock, record)
        paid = [e.payload.order for e in batch]
        await uow.repo.prefetch_orders(
            [o.order_id for o in paid], [o.customer_id for o in paid], handlers.window_start(uow)
        )
        return uow.repo.flush

    async def prepare_customers(session: AsyncSession, batch: Sequence[Any]) -> Finish:
        return Uow(session, programme, clock, record).repo.flush

    return orders, customers, prepare_orders, prepare_customers
