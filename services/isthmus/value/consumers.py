"""The value context's event consumers: orders, service requests and customers.

Each handler gets the transaction the bus opened for a batch of deliveries (the inbox in the same
transaction makes a redelivery a no-op) and is idempotent on its own as well. The batch's handlers
share its rows: read together before the first, written together after the last (batch_store.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.kernel.timestamps import from_ts
from isthmus.value import handlers
from isthmus.value.batch_store import BatchRepository
from isthmus.value.config import ValueConfig
from isthmus.value.handlers import CurrentModel, PaidOrder, Record, Uow
from isthmus_client.api.events.v1 import customers_pb2, orders_pb2, service_requests_pb2
from isthmus_client.api.orders.v1 import order_pb2
from isthmus_client.api.service_requests.v1 import service_request_pb2

ORDER_EVENTS = (
    "orders.OrderPlaced",
    "orders.OrderPaid",
    "orders.OrderInstalmentPaid",
    "orders.OrderRepriced",
    "orders.OrderReturned",
    "orders.OrderCancelled",
)
CASE_EVENTS = ("service_requests.ServiceRequestOpened",)
CUSTOMER_EVENTS = ("customers.CustomersMerged", "customers.CustomerUnmerged", "customers.CustomerErased")

Handler = Callable[[AsyncSession, Any], Awaitable[None]]
Finish = Callable[[], Awaitable[None]]
Prepare = Callable[[AsyncSession, Sequence[Any]], Awaitable[Finish]]


def _amount(money: Any) -> Decimal:
    return Decimal(money.amount or "0")


def paid_order(order: order_pb2.Order, config: ValueConfig, fallback: datetime) -> PaidOrder:
    refundable = _amount(order.subtotal) - _amount(order.discount_total) + _amount(order.tax_total)
    if order.HasField("place_time"):
        placed = from_ts(order.place_time)
    elif order.HasField("pay_time"):
        placed = from_ts(order.pay_time)
    else:
        placed = fallback
    next_due = next(
        (i.due_date for i in order.instalments if not i.HasField("pay_time") and _amount(i.amount) > 0), None
    )
    return PaidOrder(
        order_id=order.order_id,
        customer_id=order.customer_id,
        currency=order.currency_code,
        placed_at=placed,
        total=_amount(order.total),
        tax=_amount(order.tax_total),
        refundable=refundable,
        cost=handlers.cost_of(dict(order.attributes), config, order.order_id),
        # An order from before flex-pay does not say what is still owed.
        balance=_amount(order.balance_due) if order.HasField("balance_due") else None,
        next_due=date(next_due.year, next_due.month, next_due.day) if next_due is not None else None,
    )


def kind_name(kind: int) -> str:
    """SERVICE_REQUEST_KIND_COMPLAINT -> "complaint"."""
    name = service_request_pb2.ServiceRequestKind.Name(kind)
    return name.removeprefix("SERVICE_REQUEST_KIND_").lower()


async def on_event(uow: Uow, message: Any) -> None:
    config = uow.config
    if isinstance(message, orders_pb2.OrderPlaced):
        await handlers.order_placed(paid_order(message.order, config, uow.clock()), uow)
    elif isinstance(message, orders_pb2.OrderPaid):
        paid_at = from_ts(message.pay_time) if message.HasField("pay_time") else uow.clock()
        await handlers.order_paid(paid_order(message.order, config, uow.clock()), paid_at, uow)
    elif isinstance(message, orders_pb2.OrderRepriced):
        await handlers.order_repriced(paid_order(message.order, config, uow.clock()), uow)
    elif isinstance(message, orders_pb2.OrderInstalmentPaid):
        paid_at = from_ts(message.pay_time) if message.HasField("pay_time") else uow.clock()
        await handlers.instalment_paid(paid_order(message.order, config, uow.clock()), paid_at, uow)
    elif isinstance(message, orders_pb2.OrderReturned):
        r = message.order_return
        await handlers.order_returned(
            paid_order(message.order, config, uow.clock()), r.return_id, _amount(r.refund), r.exchange, uow
        )
    elif isinstance(message, orders_pb2.OrderCancelled):
        c = message.order.cancellation
        failed = c.reason_code == order_pb2.CANCELLATION_REASON_PAYMENT_FAILED
        at = from_ts(c.cancel_time) if c.HasField("cancel_time") else uow.clock()
        await handlers.order_cancelled(message.order.order_id, message.was_paid, failed, at, uow)
    elif isinstance(message, service_requests_pb2.ServiceRequestOpened):
        sr = message.service_request
        opened = from_ts(sr.open_time) if sr.HasField("open_time") else uow.clock()
        await handlers.case_opened(sr.service_request_id, sr.customer_id, kind_name(sr.kind), opened, uow)
    elif isinstance(message, customers_pb2.CustomersMerged):
        await handlers.customers_merged(message.surviving_id, list(message.merged_ids), uow)
    elif isinstance(message, customers_pb2.CustomerUnmerged):
        await handlers.customer_unmerged(message.from_id, list(message.restored_ids), uow)
    elif isinstance(message, customers_pb2.CustomerErased):
        await handlers.customer_erased(message.customer_id, uow)


def named(messages: Sequence[Any]) -> tuple[list[str], list[str], list[str]]:
    """The order ids, customer ids and case ids that these events' handlers look up."""
    order_ids: list[str] = []
    customer_ids: list[str] = []
    case_ids: list[str] = []
    for message in messages:
        if isinstance(
            message,
            orders_pb2.OrderPlaced
            | orders_pb2.OrderPaid
            | orders_pb2.OrderInstalmentPaid
            | orders_pb2.OrderRepriced
            | orders_pb2.OrderReturned
            | orders_pb2.OrderCancelled,
        ):
            order_ids.append(message.order.order_id)
            if isinstance(message, orders_pb2.OrderPlaced | orders_pb2.OrderPaid):
                customer_ids.append(message.order.customer_id)
        elif isinstance(message, service_requests_pb2.ServiceRequestOpened):
            case_ids.append(message.service_request.service_request_id)
            customer_ids.append(message.service_request.customer_id)
        elif isinstance(message, customers_pb2.CustomersMerged):
            customer_ids += [message.surviving_id, *message.merged_ids]
        elif isinstance(message, customers_pb2.CustomerUnmerged):
            customer_ids += [message.from_id, *message.restored_ids]
        elif isinstance(message, customers_pb2.CustomerErased):
            customer_ids.append(message.customer_id)
    return order_ids, customer_ids, case_ids


def event_handlers(
    config: ValueConfig, clock: Callable[[], datetime], record: Record, current: CurrentModel
) -> tuple[Handler, Prepare]:
    """The bus handler ``(session, event)`` shared by the subscriptions, and the step before a batch:
    it reads the model in force and what the batch's events name (batch_store.py), and returns the
    step after the batch's last handler, which writes what they changed."""

    async def handle(session: AsyncSession, event: Any) -> None:
        await on_event(Uow(session, config, clock, record, current, event.event_id), event.payload)

    async def prepare(session: AsyncSession, batch: Sequence[Any]) -> Finish:
        await current.refresh(session)
        repo = BatchRepository.begin(session)
        order_ids, customer_ids, case_ids = named([event.payload for event in batch])
        await repo.prefetch(order_ids, customer_ids, case_ids)
        return repo.flush

    return handle, prepare
