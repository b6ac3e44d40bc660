"""Order use cases: ``handler(command, uow)``. Each runs in the caller's transaction.

Every change writes the order, one history entry and its event (through the outbox) together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.kernel.errors import (
    DomainError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    key_reused,
)
from isthmus.kernel.idempotency import first_difference
from isthmus.kernel.ids import new_uuid
from isthmus.kernel.money import Money
from isthmus.kernel.timestamps import aware
from isthmus.orders import codec, inventory
from isthmus.orders.codec import history_entry
from isthmus.orders.commands import CancelOrder, PlaceOrder, Transition
from isthmus.orders.coupons import Coupon, CouponRejected, Rejection
from isthmus.orders.domain import Actor, Adjustment, Cancellation, Kind, Order, State, check_discounts
from isthmus.orders.stock_store import StockRepository
from isthmus.orders.store import CouponRepository, Found, OrderRepository, Record
from isthmus.platform import requests
from isthmus_client.api.events.v1 import orders_pb2 as events
from isthmus_client.api.orders.v1 import order_pb2


async def _no_outbox(session: AsyncSession, message: Message, aggregate_id: str) -> None:
    return None


class Uow:
    """One transaction's view of the orders schema, the clock and the outbox."""

    def __init__(
        self, session: AsyncSession, clock: Callable[[], datetime], record: Record = _no_outbox
    ) -> None:
        self.session = session
        self.orders = OrderRepository(session)
        self.coupons = CouponRepository(session)
        self.stock = StockRepository(session)
        self.clock = clock
        self._record = record

    async def emit(self, message: Message, order: Order) -> None:
        await self._record(self.session, message, order.order_id)


# --- history -----------------------------------------------------------------------------------------

_HISTORY_KIND = {
    "pay": order_pb2.ORDER_HISTORY_KIND_PAID,
    "ship": order_pb2.ORDER_HISTORY_KIND_SHIPPED,
    "deliver": order_pb2.ORDER_HISTORY_KIND_DELIVERED,
    "complete": order_pb2.ORDER_HISTORY_KIND_COMPLETED,
}


async def record_history(
    uow: Uow, order: Order, kind: int, from_state: State, at: datetime, actor: Actor, **details: Any
) -> None:
    await uow.orders.add_history(history_entry(order, kind, from_state, at, actor, **details))


async def load(uow: Uow, order_id: str) -> Order:
    order = await uow.orders.get(order_id, for_update=True)
    if order is None:
        raise NotFound(f"order {order_id} not found")
    return order


# --- creation ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Written:
    """An order as a create or a lifecycle change answers it; ``applied`` is False for a repeat (a
    create's retry or re-sync, a payment made before)."""

    message: order_pb2.Order
    applied: bool


def _repeat(cmd: PlaceOrder, given: dict[str, Any], found: Found) -> Written:
    """A create repeating an external key: the same order, or ALREADY_EXISTS naming the difference."""
    if cmd.customer_id == found.order.customer_id:
        given["customer_id"] = found.fingerprint["customer_id"]  # the customer was merged since
    # A line taken at an estimate is the same line at another estimate or at its final price: the
    # source re-sends the order as it knows it now (SetFinalPrices sets the price; decision 79).
    stored = found.fingerprint.get("lines", [])
    for was, now in zip(stored, given["lines"], strict=False):
        if was.get("price_pending"):
            now["unit_price"], now["price_pending"] = was["unit_price"], True
    diff = first_difference(found.fingerprint, given)
    if diff is not None:
        raise key_reused(
            f"order {cmd.source_system}/{cmd.external_order_id} exists as {found.order.order_id} "
            f"with a different {diff}",
            diff,
        )
    return Written(found.message, False)


def _place(cmd: PlaceOrder, now: datetime) -> Order:
    """The new order a command describes, before coupons (no I/O)."""
    line_ids = {x.line_id for x in cmd.lines}
    for i, adj in enumerate(cmd.adjustments):
        if adj.line_id and adj.line_id not in line_ids:
            raise InvalidArgument(f"adjustments[{i}].line_id", f"no line {adj.line_id!r} in this order")
    return Order(
        order_id=new_uuid(),
        source_system=cmd.source_system,
        external_order_id=cmd.external_order_id,
        customer_id=cmd.customer_id,
        channel=cmd.channel,
        currency=cmd.currency,
        lines=cmd.lines,
        adjustments=list(cmd.adjustments),
        placed_at=cmd.placed_at or now,
        create_time=now,
        coupon_codes=[],
        shipping_address=cmd.shipping_address,
        billing_address=cmd.billing_address,
        attributes=cmd.attributes,
        update_time=now,
    )


def _placed_history(order: Order, now: datetime, actor: Actor) -> order_pb2.OrderHistoryEntry:
    return history_entry(order, order_pb2.ORDER_HISTORY_KIND_PLACED, State.PLACED, now, actor)


async def create_order(cmd: PlaceOrder, uow: Uow) -> Written:
    given = cmd.fingerprint()
    found = await uow.orders.by_external(cmd.source_system, cmd.external_order_id)
    if found is not None:
        return _repeat(cmd, given, found)
    now = uow.clock()
    order = _place(cmd, now)
    order.customer_pending = not await uow.orders.known([cmd.customer_id])
    for i, raw in enumerate(cmd.coupon_codes):
        await _apply_coupon(uow, order, i, raw.upper(), now)
    check_discounts(order.currency, order.lines, order.adjustments)
    order.plan()
    allocation = await inventory.Allocation.begin(uow, [(order.customer_id, order.lines)])
    short, expect = allocation.take(order, now)
    await allocation.write(uow)
    message = await uow.orders.add(order, given)
    await uow.orders.add_history(_placed_history(order, now, cmd.actor))
    await uow.emit(events.OrderPlaced(order=message), order)
    if short:
        entry, event = inventory.backorder_record(
            order, short, inventory.OUT_OF_STOCK, expect, now, cmd.actor
        )
        await uow.orders.add_history(entry)
        await uow.emit(event, order)
    return Written(message, True)


def batchable_create(cmd: PlaceOrder) -> bool:
    """Whether the command can share a transaction with others: coupons are redeemed one order at a
    time (their redemption count is a row every such order updates), so orders with coupons run alone."""
    return not cmd.coupon_codes


async def _create_set(
    cmds: Sequence[PlaceOrder], uow: Uow, now: datetime, placed: list[order_pb2.OrderHistoryEntry]
) -> list[Written | BaseException]:
    """Creates several orders (see :func:`batchable_create`): one read of the external keys, one
    INSERT of the orders; their history entries go to ``placed``. A refused command fails alone; a key
    repeated within the batch is a retry of its first command."""
    if not cmds:
        return []
    found = await uow.orders.by_externals(list({(c.source_system, c.external_order_id) for c in cmds}))
    known = await uow.orders.known([c.customer_id for c in cmds])
    allocation = await inventory.Allocation.begin(uow, [(c.customer_id, c.lines) for c in cmds])
    outcomes: list[Written | BaseException] = []
    new: list[tuple[Order, dict[str, Any], order_pb2.Order]] = []
    for cmd in cmds:
        assert batchable_create(cmd), "orders with coupons are created alone"
        given = cmd.fingerprint()
        key = (cmd.source_system, cmd.external_order_id)
        try:
            if key in found:
                outcomes.append(_repeat(cmd, given, found[key]))
                continue
            order = _place(cmd, now)
            order.customer_pending = cmd.customer_id not in known
            check_discounts(order.currency, order.lines, order.adjustments)
            order.plan()
        except DomainError as exc:
            outcomes.append(exc)
            continue
        short, expect = allocation.take(order, now)
        message = codec.order(order)
        new.append((order, given, message))
        found[key] = Found(order, given, message)
        placed.append(_placed_history(order, now, cmd.actor))
        await uow.emit(events.OrderPlaced(order=message), order)
        if short:
            entry, event = inventory.backorder_record(
                order, short, inventory.OUT_OF_STOCK, expect, now, cmd.actor
            )
            placed.append(entry)
            await uow.emit(event, order)
        outcomes.append(Written(message, True))
    await allocation.write(uow)
    await uow.orders.add_many(new)
    return outcomes


async def _apply_coupon(uow: Uow, order: Order, index: int, code: str, now: datetime) -> None:
    coupon = await uow.coupons.get(code)
    if coupon is None:
        raise CouponRejected(index, Rejection.UNKNOWN, f"no coupon {code}")
    if code in order.coupon_codes:
        raise InvalidArgument(f"coupon_codes[{index}]", f"coupon {code} given twice")
    used = coupon.once_per_customer and await uow.coupons.used_by(code, order.customer_id)
    # Discounts already granted by earlier coupons reduce what the next one applies to.
    base = order.totals.subtotal - order.totals.discount
    outcome = coupon.evaluate(base, now, used)
    if isinstance(outcome, tuple):
        raise CouponRejected(index, *outcome)
    if not await uow.coupons.redeem(coupon, order.order_id, order.customer_id):
        raise CouponRejected(index, Rejection.EXHAUSTED, f"coupon {code} reached its redemption limit")
    order.coupon_codes.append(code)
    order.adjustments.append(
        Adjustment(Kind.DISCOUNT, outcome, coupon.description or f"coupon {code}", coupon_code=code)
    )


# --- lifecycle ---------------------------------------------------------------------------------------


@dataclass
class _Step:
    """What one transition did to an order in memory."""

    message: order_pb2.Order
    event: Message
    history: order_pb2.OrderHistoryEntry


def _step(cmd: Transition, order: Order, now: datetime, kept: inventory.OrderStock | None = None) -> _Step:
    """Applies a pay, ship, deliver or complete to ``order`` (no I/O); raises before changing it."""
    order.check(cmd.action, cmd.expected_version)
    before = order.state
    at = cmd.at or now
    event: Message
    if cmd.action == "pay":
        assert cmd.amount is not None
        order.pay(cmd.amount, cmd.payment_reference, at, now)
        message = codec.order(order)
        event = events.OrderPaid(
            order=message,
            amount=codec.money(cmd.amount),
            payment_reference=cmd.payment_reference,
            pay_time=codec.ts(at),
        )
    elif cmd.action == "ship":
        order.ship(cmd.carrier, cmd.tracking_number, at, now, cmd.warehouse, cmd.manifest_number)
        if kept is not None:
            kept.ship(order, now)
        message = codec.order(order)
        event = events.OrderShipped(
            order=message, carrier=cmd.carrier, tracking_number=cmd.tracking_number, ship_time=codec.ts(at)
        )
    elif cmd.action == "deliver":
        order.deliver(at, now)
        message = codec.order(order)
        event = events.OrderDelivered(order=message, deliver_time=codec.ts(at))
    else:
        order.complete(at, now)
        message = codec.order(order)
        event = events.OrderCompleted(order=message, complete_time=codec.ts(at))
    history = history_entry(order, _HISTORY_KIND[cmd.action], before, at, cmd.actor)
    return _Step(message, event, history)


async def transition(cmd: Transition, uow: Uow) -> Written:
    if cmd.request is not None:
        earlier = await requests.recall(uow.session, cmd.request, order_pb2.Order)
        if earlier is not None:
            return Written(earlier, False)
    kept = await inventory.OrderStock.lock(uow, [cmd.order_id]) if cmd.action == "ship" else None
    order = await load(uow, cmd.order_id)
    read_version = order.version
    if kept is not None:
        await kept.read_lines(uow, [cmd.order_id])
    step = _step(cmd, order, uow.clock(), kept)
    if kept is not None:
        await kept.write(uow)
    await uow.orders.save(order, read_version, message=step.message)
    await uow.orders.add_history(step.history)
    await uow.emit(step.event, order)
    if cmd.request is not None:
        await requests.remember(uow.session, cmd.request, step.message)
    return Written(step.message, True)


async def _transition_set(
    cmds: Sequence[Transition], uow: Uow, now: datetime, entries: list[order_pb2.OrderHistoryEntry]
) -> list[Written | BaseException]:
    """Several transitions: one locking read of their orders, one UPDATE; their history entries go to
    ``entries``. They apply in arrival order (two on one order see each other); a refused one fails
    alone."""
    if not cmds:
        return []
    # A request_id twice in one batch (a retry racing its first attempt): the second repeats the first.
    answers = await requests.BatchAnswers.read(uow.session, order_pb2.Order, [c.request for c in cmds])
    # The articles of the orders shipped are locked before the orders (stock_store.py).
    shipped = sorted(
        {c.order_id for i, c in enumerate(cmds) if c.action == "ship" and answers.earlier(i) is None}
    )
    kept = await inventory.OrderStock.lock(uow, shipped) if shipped else None
    loaded = await uow.orders.get_many(
        sorted({c.order_id for i, c in enumerate(cmds) if answers.earlier(i) is None})
    )
    if kept is not None:
        await kept.read_lines(uow, shipped)
    read_versions = {order_id: order.version for order_id, order in loaded.items()}
    changed: dict[str, tuple[Order, int, order_pb2.Order]] = {}
    outcomes: list[Written | BaseException] = []
    for i, cmd in enumerate(cmds):
        first = answers.earlier(i)
        if isinstance(first, DomainError):
            outcomes.append(first)
            continue
        if first is not None:
            outcomes.append(Written(first, False))
            continue
        order = loaded.get(cmd.order_id)
        try:
            if order is None:
                raise NotFound(f"order {cmd.order_id} not found")
            step = _step(cmd, order, now, kept)
        except DomainError as exc:
            outcomes.append(exc)
            continue
        changed[order.order_id] = (order, read_versions[order.order_id], step.message)
        entries.append(step.history)
        await uow.emit(step.event, order)
        answers.answered(i, step.message)
        outcomes.append(Written(step.message, True))
    if kept is not None:
        await kept.write(uow)
    await uow.orders.save_many(list(changed.values()))
    await answers.remember()
    return outcomes


Write = PlaceOrder | Transition


def batchable(cmd: Write) -> bool:
    """Whether the command can share a transaction with others (see :func:`write_orders`)."""
    return not isinstance(cmd, PlaceOrder) or batchable_create(cmd)


async def write_orders(cmds: Sequence[Write], uow: Uow) -> list[Written | BaseException]:
    """Creates and lifecycle changes of concurrent requests in one transaction: the creates first
    (see :func:`_create_set`), then the changes (:func:`_transition_set`), one INSERT of all their
    history, one commit. A change cannot depend on a create of the same batch: its caller holds the
    order only once the create has committed."""
    now = uow.clock()
    entries: list[order_pb2.OrderHistoryEntry] = []
    creates = [(i, c) for i, c in enumerate(cmds) if isinstance(c, PlaceOrder)]
    changes = [(i, c) for i, c in enumerate(cmds) if isinstance(c, Transition)]
    outcomes: list[Written | BaseException] = [AssertionError("unhandled")] * len(cmds)
    created = await _create_set([c for _, c in creates], uow, now, entries)
    changed = await _transition_set([c for _, c in changes], uow, now, entries)
    for (i, _), outcome in (*zip(creates, created, strict=True), *zip(changes, changed, strict=True)):
        outcomes[i] = outcome
    await uow.orders.add_history(*entries)
    return outcomes


async def cancel_order(cmd: CancelOrder, uow: Uow) -> Order:
    """Cancels the order; the units it had set aside are free again (``inventory.fill_orders`` then
    gives them to the orders waiting, in a transaction of its own)."""
    kept = await inventory.OrderStock.lock(uow, [cmd.order_id])
    order = await load(uow, cmd.order_id)
    order.check("cancel", cmd.expected_version)
    read_version, before, now = order.version, order.state, uow.clock()
    cancellation = Cancellation(cmd.reason_code, cmd.reason_text, cmd.actor, cmd.at or now)
    was_paid = order.cancel(cancellation, now)
    await kept.read_lines(uow, [cmd.order_id])
    kept.cancel(order, now, cmd.actor)
    await kept.write(uow)
    message = await uow.orders.save(order, read_version)
    await record_history(
        uow,
        order,
        order_pb2.ORDER_HISTORY_KIND_CANCELLED,
        before,
        cancellation.cancelled_at,
        cmd.actor,
        cancellation_reason=order_pb2.CancellationReason.Value(f"CANCELLATION_REASON_{cmd.reason_code}"),
        reason_text=cmd.reason_text,
    )
    message = codec.order(order)
    await uow.emit(
        events.OrderCancelled(order=message, cancellation=message.cancellation, was_paid=was_paid), order
    )
    return order


# --- coupons -----------------------------------------------------------------------------------------


def _coupon_terms(c: Coupon) -> dict[str, Any]:
    """What a coupon offers, by the proto's field names (compared when a code is created again)."""
    text = lambda m: None if m is None else f"{m.text()} {m.currency}"  # noqa: E731
    return {
        "description": c.description,
        "percent_off": None if c.percent_off is None else str(c.percent_off.normalize()),
        "amount_off": text(c.amount_off),
        "minimum_subtotal": text(c.minimum_subtotal),
        "start_time": aware(c.valid_from).timestamp() if c.valid_from else None,
        "end_time": aware(c.valid_until).timestamp() if c.valid_until else None,
        "max_redemptions": c.max_redemptions,
        "once_per_customer": c.once_per_customer,
    }


async def create_coupon(coupon: Coupon, uow: Uow) -> tuple[Coupon, bool]:
    """The coupon and True, or the coupon under the same code and False when it is the same one
    (``ALREADY_EXISTS`` naming the first difference when it is not)."""
    existing = await uow.coupons.get(coupon.code)
    if existing is not None:
        diff = first_difference(_coupon_terms(existing), _coupon_terms(coupon))
        if diff is not None:
            raise key_reused(f"coupon code {coupon.code} is taken by a coupon with a different {diff}", diff)
        return existing, False
    coupon.create_time = uow.clock()
    await uow.coupons.add(coupon)
    return coupon, True


async def get_coupon(code: str, uow: Uow) -> Coupon:
    coupon = await uow.coupons.get(code.upper())
    if coupon is None:
        raise NotFound(f"coupon {code.upper()} not found")
    return coupon


async def validate_coupon(
    code: str, customer_id: str, subtotal: Money, at: datetime | None, uow: Uow
) -> tuple[Coupon | None, tuple[Rejection, str] | Money]:
    coupon = await uow.coupons.get(code.upper())
    if coupon is None:
        return None, (Rejection.UNKNOWN, f"no coupon {code.upper()}")
    used = (
        bool(customer_id) and coupon.once_per_customer and await uow.coupons.used_by(coupon.code, customer_id)
    )
    return coupon, coupon.evaluate(subtotal, at or uow.clock(), used)


def percent(value: str, field: str) -> Decimal:
    try:
        number = Decimal(value)
    except ArithmeticError:
        raise InvalidArgument(field, f"not a decimal number: {value!r}") from None
    if not number.is_finite() or not 0 < number <= 100:
        raise InvalidArgument(field, "must be a percentage above 0 and at most 100")
    return number


def check_version(expected_version: int) -> int:
    if expected_version < 0:
        raise InvalidArgument("expected_version", "must be the version of the order as last read, or 0")
    return expected_version


def unchanged(order: Order) -> None:
    if order.state is State.CANCELLED:
        raise FailedPrecondition(f"order {order.order_id} is CANCELLED")
