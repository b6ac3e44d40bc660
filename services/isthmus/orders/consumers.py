"""Orders follow the customer master: the customers it announces, merges, unmerges and erasures
(``customers.*`` events).

Each function runs inside the transaction the event bus opens for a batch of deliveries; the bus'
inbox makes a redelivered event a no-op, and each function is also safe to run twice on its own.
The customers a batch announces are learnt, and their pending orders read, for the whole batch at
once (:func:`announce`) before its events are handled one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from isthmus.orders.domain import Actor, Order
from isthmus.orders.handlers import Uow, record_history
from isthmus_client.api.orders.v1 import order_pb2

SYSTEM = Actor(kind=4, id="orders")  # ACTOR_KIND_SYSTEM: the service itself, on an event


async def _move(uow: Uow, order: Order, to_id: str, now: datetime) -> None:
    read_version = order.version
    order.customer_id = to_id
    order.version += 1
    order.update_time = now
    await uow.orders.save(order, read_version)
    await uow.orders.rewrite_history(order.order_id, to_id, scrub=False)
    await record_history(uow, order, order_pb2.ORDER_HISTORY_KIND_CUSTOMER_CHANGED, order.state, now, SYSTEM)


async def customers_known(customer_ids: list[str], uow: Uow) -> int:
    """The customer master announced these customers: remember them, and their orders that were
    waiting for them are no longer pending. Returns how many orders that resolved."""
    now, resolved = uow.clock(), 0
    await uow.orders.learn(customer_ids, now)
    for customer_id in dict.fromkeys(customer_ids):
        resolved += await _resolve(await uow.orders.pending_ids(customer_id), uow, now)
    return resolved


@dataclass
class Announced:
    """The customers a batch of events announces, learnt at once, and the orders that waited for
    them, read at once: what :func:`customer_announced` works from for each event of the batch."""

    customer_ids: set[str]
    pending: dict[str, list[str]]


async def announce(customer_ids: Sequence[str], uow: Uow) -> Announced:
    """Before a batch's handlers: remember its customers and read their pending orders (three
    statements whatever the batch's size)."""
    await uow.orders.learn(customer_ids, uow.clock())
    return Announced(set(customer_ids), await uow.orders.pending_of(customer_ids))


async def customer_announced(customer_id: str, batch: Announced | None, uow: Uow) -> int:
    """One event's customer: its orders waiting for it are no longer pending (learnt and read with
    the batch when ``batch`` holds it)."""
    if batch is None or customer_id not in batch.customer_ids:
        return await customers_known([customer_id], uow)
    return await _resolve(batch.pending.pop(customer_id, []), uow, uow.clock())


async def _resolve(order_ids: Sequence[str], uow: Uow, now: datetime) -> int:
    resolved = 0
    for order_id in order_ids:
        order = await uow.orders.get(order_id, for_update=True)
        if order is None or not order.customer_pending:
            continue
        read_version = order.version
        order.customer_pending = False
        order.version += 1
        order.update_time = now
        await uow.orders.save(order, read_version)
        resolved += 1
    return resolved


async def resolve_known(uow: Uow) -> int:
    """Pending orders whose customer is known after all (an order and its customer's event that
    crossed in flight): resolved now. Runs with the pending-orders metric."""
    resolved = 0
    for customer_id in await uow.orders.pending_but_known():
        resolved += await customers_known([customer_id], uow)
    return resolved


async def customers_merged(surviving_id: str, merged_ids: list[str], merge_id: str, uow: Uow) -> int:
    """Every order of a merged customer moves to the survivor; returns how many moved."""
    await customers_known([surviving_id, *merged_ids], uow)
    now, moved = uow.clock(), 0
    for merged_id in merged_ids:
        if merged_id == surviving_id:
            continue
        for order_id in await uow.orders.ids_for_customer(merged_id):
            order = await uow.orders.get(order_id, for_update=True)
            if order is None or order.customer_id != merged_id:
                continue
            await _move(uow, order, surviving_id, now)
            await uow.orders.record_move(merge_id, order_id, merged_id, surviving_id)
            moved += 1
        await uow.coupons.reassign(merged_id, surviving_id)
    return moved


async def customer_unmerged(
    from_id: str, restored_ids: list[str], merge_id: str, merged_at: datetime | None, uow: Uow
) -> int:
    """Orders that the undone merge moved go back; orders placed for ``from_id`` since stay."""
    now, moved = uow.clock(), 0
    back: list[tuple[str, str]] = await uow.orders.moves_of(merge_id, restored_ids) if merge_id else []
    fallback = not back
    if fallback:
        # The merge predates this service (or its id is unknown): fall back to who placed each order.
        for order_id in await uow.orders.ids_for_customer(from_id):
            original = (await uow.orders.fingerprint_of(order_id)).get("customer_id", "")
            if original in restored_ids:
                back.append((order_id, original))
    for order_id, to_id in back:
        order = await uow.orders.get(order_id, for_update=True)
        if order is None or order.customer_id != from_id:
            continue
        if fallback and merged_at is not None and order.create_time > merged_at:
            continue
        await _move(uow, order, to_id, now)
        moved += 1
    if merge_id:
        await uow.orders.forget_moves(merge_id)
    return moved


async def customer_erased(customer_id: str, uow: Uow) -> int:
    """Personal data leaves the orders; the financial record (lines, money, states) stays, anonymised."""
    now, erased = uow.clock(), 0
    for order_id in await uow.orders.ids_for_customer(customer_id):
        order = await uow.orders.get(order_id, for_update=True)
        if order is None:
            continue
        read_version = order.version
        order.shipping_address = None
        order.billing_address = None
        order.attributes = {}
        order.version += 1
        order.update_time = now
        await uow.orders.save(order, read_version, erased=True)
        fingerprint = await uow.orders.fingerprint_of(order_id)
        fingerprint.update(shipping_address={}, billing_address={}, attributes={})
        await uow.orders.fingerprint_scrub(order_id, fingerprint)
        await uow.orders.rewrite_history(order_id, customer_id, scrub=True)
        erased += 1
    return erased
