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

from isthmus.orders import codec
from isthmus.orders.domain import Actor, Order
from isthmus.orders.handlers import Uow, history_entry
from isthmus_client.api.orders.v1 import order_pb2

SYSTEM = Actor(kind=4, id="orders")  # ACTOR_KIND_SYSTEM: the service itself, on an event


def _changed(order: Order, now: datetime) -> tuple[Order, int, order_pb2.Order]:
    """An order the caller has just changed, as ``save_many`` writes it: with the version it was read
    at, then the next version, changed at ``now``."""
    read_version = order.version
    order.touch(now)
    return order, read_version, codec.order(order)


async def _move(uow: Uow, moves: Sequence[tuple[Order, str]], now: datetime) -> None:
    """Orders to other customers (order, to whom), with their history following them and an entry
    of the change each: a few statements for all of them."""
    if not moves:
        return
    changed = []
    for order, to_id in moves:
        order.customer_id = to_id
        changed.append(_changed(order, now))
    await uow.orders.save_many(changed)
    await uow.orders.rewrite_history({order.order_id: to_id for order, to_id in moves}, scrub=False)
    kind = order_pb2.ORDER_HISTORY_KIND_CUSTOMER_CHANGED
    await uow.orders.add_history(*(history_entry(o, kind, o.state, now, SYSTEM) for o, _ in moves))


async def customers_known(customer_ids: list[str], uow: Uow) -> int:
    """The customer master announced these customers: remember them, and their orders that were
    waiting for them are no longer pending. Returns how many orders that resolved."""
    now = uow.clock()
    await uow.orders.learn(customer_ids, now)
    pending = await uow.orders.pending_of(customer_ids)
    return await _resolve([o for c in dict.fromkeys(customer_ids) for o in pending.get(c, [])], uow, now)


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
    if not order_ids:
        return 0
    found = await uow.orders.get_many(order_ids)
    changed = []
    for order_id in dict.fromkeys(order_ids):
        order = found.get(order_id)
        if order is None or not order.customer_pending:
            continue
        order.customer_pending = False
        changed.append(_changed(order, now))
    await uow.orders.save_many(changed)
    return len(changed)


async def resolve_known(uow: Uow) -> int:
    """Pending orders whose customer is known after all (an order and its customer's event that
    crossed in flight): resolved now. Runs with the pending-orders metric."""
    known = await uow.orders.pending_but_known()
    return await customers_known(known, uow) if known else 0


async def customers_merged(surviving_id: str, merged_ids: list[str], merge_id: str, uow: Uow) -> int:
    """Every order of a merged customer moves to the survivor; returns how many moved."""
    await customers_known([surviving_id, *merged_ids], uow)
    merged = [m for m in dict.fromkeys(merged_ids) if m != surviving_id]
    if not merged:
        return 0
    found = await uow.orders.get_many(await uow.orders.ids_of(merged))
    rank = {m: n for n, m in enumerate(merged)}
    moving = sorted(
        (o for o in found.values() if o.customer_id in rank), key=lambda o: (rank[o.customer_id], o.order_id)
    )
    moves = [(o.order_id, o.customer_id, surviving_id) for o in moving]
    await _move(uow, [(o, surviving_id) for o in moving], uow.clock())
    await uow.orders.record_moves(merge_id, moves)
    for merged_id in merged:
        await uow.coupons.reassign(merged_id, surviving_id)
    return len(moves)


async def customer_unmerged(
    from_id: str, restored_ids: list[str], merge_id: str, merged_at: datetime | None, uow: Uow
) -> int:
    """Orders that the undone merge moved go back; orders placed for ``from_id`` since stay."""
    back: list[tuple[str, str]] = await uow.orders.moves_of(merge_id, restored_ids) if merge_id else []
    fallback = not back
    if fallback:
        # The merge predates this service (or its id is unknown): fall back to who placed each order.
        placed = await uow.orders.fingerprints_of(await uow.orders.ids_of([from_id]))
        back = [(o, f.get("customer_id", "")) for o, f in sorted(placed.items())]
        back = [(o, original) for o, original in back if original in restored_ids]
    found = await uow.orders.get_many([o for o, _ in back]) if back else {}
    moves: list[tuple[Order, str]] = []
    for order_id, to_id in back:
        order = found.get(order_id)
        if order is None or order.customer_id != from_id or order_id in {o.order_id for o, _ in moves}:
            continue  # gone, moved since, or moving already (to the first customer named)
        if fallback and merged_at is not None and order.create_time > merged_at:
            continue
        moves.append((order, to_id))
    await _move(uow, moves, uow.clock())
    if merge_id:
        await uow.orders.forget_moves(merge_id)
    return len(moves)


async def customer_erased(customer_id: str, uow: Uow) -> int:
    """Personal data leaves the orders; the financial record (lines, money, states) stays, anonymised."""
    now = uow.clock()
    await uow.stock.forget_tier(customer_id)
    ids = await uow.orders.ids_of([customer_id])
    if not ids:
        return 0
    found = await uow.orders.get_many(ids)
    changed = []
    for order in found.values():
        order.shipping_address = None
        order.billing_address = None
        order.attributes = {}
        changed.append(_changed(order, now))
    await uow.orders.save_many(changed, erased=True)
    fingerprints = await uow.orders.fingerprints_of(list(found))
    for fingerprint in fingerprints.values():
        fingerprint.update(shipping_address={}, billing_address={}, attributes={})
    await uow.orders.set_fingerprints(fingerprints)
    await uow.orders.rewrite_history({order_id: customer_id for order_id in found}, scrub=True)
    return len(changed)
