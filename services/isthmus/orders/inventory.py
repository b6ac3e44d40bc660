"""Stock use cases: an order takes units of a kept article when it is placed and waits on backorder for
the rest; units that come in (a delivery, a count, returned goods, a cancelled order's) go to the
waiting orders, the best value tier first (docs/inventory.md). Each runs in the caller's transaction.
Counts, deliveries and holds themselves are the stock desk's (``stocktaking``).

Every transaction here locks the articles' rows before any order's (stock_store.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from isthmus.kernel.errors import FailedPrecondition
from isthmus.orders import codec, stock
from isthmus.orders.domain import Actor, Line, Order, ReturnLine, State
from isthmus.orders.stock_store import LineStock
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.events.v1 import orders_pb2 as events
from isthmus_client.api.orders.v1 import order_pb2, orders_pb2

if TYPE_CHECKING:
    from isthmus.orders.handlers import Uow

SYSTEM = Actor(common_pb2.ACTOR_KIND_SYSTEM, "stock", "stock")
OUT_OF_STOCK = "out of stock"


def movement(
    item: stock.Item,
    kind: stock.Movement,
    quantity: int,
    at: datetime,
    actor: Actor = SYSTEM,
    *,
    order_id: str = "",
    line_id: str = "",
    reference: str = "",
    reason: str = "",
) -> orders_pb2.StockMovement:
    return orders_pb2.StockMovement(
        sku=item.sku,
        kind=int(kind),  # type: ignore[arg-type]
        quantity=quantity,
        order_id=order_id,
        line_id=line_id,
        reference=reference,
        reason=reason,
        on_hand=item.on_hand,
        allocated=item.allocated,
        occur_time=codec.ts(at),
        actor=codec.actor(actor),
    )


@dataclass
class Changes:
    """What a transaction did to stock, written at its end (``write``)."""

    items: dict[str, stock.Item] = field(default_factory=dict)
    lines: dict[tuple[str, str], LineStock] = field(default_factory=dict)
    moves: list[orders_pb2.StockMovement] = field(default_factory=list)
    touched: set[str] = field(default_factory=set)

    def move(
        self, item: stock.Item, kind: stock.Movement, quantity: int, at: datetime, **how: object
    ) -> None:
        self.touched.add(item.sku)
        item.update_time = at
        self.moves.append(movement(item, kind, quantity, at, **how))  # type: ignore[arg-type]

    async def write(self, uow: Uow) -> None:
        """Nothing when no kept article is concerned (an order of articles nobody counted)."""
        if not self.items:
            return
        await uow.stock.save(self.items[s] for s in sorted(self.touched))
        await uow.stock.save_lines(x for x in self.lines.values())
        await uow.stock.add_movements(self.moves)
        self.touched.clear()
        self.moves = []


def backorder_record(
    order: Order,
    short: Sequence[tuple[str, int]],
    reason: str,
    expect: datetime | None,
    at: datetime,
    actor: Actor,
) -> tuple[order_pb2.OrderHistoryEntry, events.OrderBackordered]:
    """The history entry and event of units gone on backorder for want of stock."""
    lines = codec.quantities(order, list(short))
    entry = codec.history_entry(
        order,
        order_pb2.ORDER_HISTORY_KIND_BACKORDERED,
        order.state,
        at,
        actor,
        reason_text=reason,
        lines=lines,
    )
    event = events.OrderBackordered(
        order=codec.order(order), backordered_lines=lines, reason=reason, expect_time=codec.ts(expect)
    )
    return entry, event


def released_record(
    order: Order, released: Sequence[tuple[str, int]], reason: str, at: datetime, actor: Actor
) -> tuple[order_pb2.OrderHistoryEntry, events.OrderBackorderReleased]:
    """The history entry and event of units released from backorder."""
    lines = codec.quantities(order, list(released))
    entry = codec.history_entry(
        order,
        order_pb2.ORDER_HISTORY_KIND_BACKORDER_RELEASED,
        order.state,
        at,
        actor,
        reason_text=reason,
        lines=lines,
    )
    return entry, events.OrderBackorderReleased(order=codec.order(order), released_lines=lines)


# --- new orders ----------------------------------------------------------------------------------------


class Allocation:
    """New orders taking units: the kept articles their lines name, locked once for a batch."""

    def __init__(self, items: dict[str, stock.Item], tiers: dict[str, int]) -> None:
        self.changes = Changes(items)
        self._tiers = tiers

    @classmethod
    async def begin(cls, uow: Uow, orders: Iterable[tuple[str, Sequence[Line]]]) -> Allocation:
        """``orders``: (customer id, lines) of the orders to come."""
        wanted = list(orders)
        skus = {x.sku for _, lines in wanted for x in lines if not x.drop_ship_supplier}
        items = await uow.stock.items(skus, for_update=True)
        held = any(any(i.holds.values()) for i in items.values())
        tiers = await uow.stock.tiers_of(c for c, _ in wanted) if held else {}
        return cls(items, tiers)

    def take(self, order: Order, now: datetime) -> tuple[list[tuple[str, int]], datetime | None]:
        """Sets units aside for the order's lines of kept articles and puts the rest on backorder;
        returns the (line id, units) backordered and when stock is next expected for them."""
        items = self.changes.items
        if not items:
            return [], None
        tier = self._tiers.get(order.customer_id, stock.UNTIERED)
        short: list[tuple[str, int]] = []
        expect: datetime | None = None
        for x in order.lines:
            item = items.get(x.sku)
            if item is None or x.drop_ship_supplier:
                continue
            got = item.take(x.quantity, tier)
            x.allocated = got
            if got:
                self.changes.move(
                    item, stock.Movement.ALLOCATED, got, now, order_id=order.order_id, line_id=x.line_id
                )
            rest = x.quantity - got
            x.backordered_quantity = rest  # set, not added: a batch that failed runs its orders again
            if rest:
                short.append((x.line_id, rest))
                if item.expected_at is not None and (expect is None or item.expected_at > expect):
                    expect = item.expected_at
            self.changes.lines[(order.order_id, x.line_id)] = LineStock(
                order.order_id, x.line_id, x.sku, got, rest, now, stored=False
            )
        return short, expect

    async def write(self, uow: Uow) -> None:
        await self.changes.write(uow)


# --- changes to orders that hold units ------------------------------------------------------------------


class OrderStock:
    """The kept articles of some orders, locked before the orders are (``lock``), and their lines'
    units read once the orders are locked too (``read_lines``)."""

    def __init__(self, changes: Changes) -> None:
        self.changes = changes

    @classmethod
    async def lock(cls, uow: Uow, order_ids: Sequence[str], also: Iterable[str] = ()) -> OrderStock:
        """``also``: other articles the change may take units of (an exchange's replacements)."""
        skus = await uow.stock.skus_of(order_ids)
        return cls(Changes(await uow.stock.items([*skus, *also], for_update=True)))

    async def read_lines(self, uow: Uow, order_ids: Sequence[str]) -> None:
        if self.changes.items:
            self.changes.lines.update(await uow.stock.lines_of(order_ids))

    def _kept(self, order: Order) -> list[tuple[Line, LineStock, stock.Item]]:
        found = []
        for x in order.lines:
            held = self.changes.lines.get((order.order_id, x.line_id))
            if held is not None and held.sku in self.changes.items:
                found.append((x, held, self.changes.items[held.sku]))
        return found

    def ship(self, order: Order, now: datetime) -> None:
        """The order's set-aside units left (its backordered ones stay waiting)."""
        for x, held, item in self._kept(order):
            if held.allocated:
                item.ship(held.allocated)
                self.changes.move(
                    item,
                    stock.Movement.SHIPPED,
                    held.allocated,
                    now,
                    order_id=order.order_id,
                    line_id=x.line_id,
                )
                held.allocated = x.allocated = 0

    def cancel(self, order: Order, now: datetime, actor: Actor) -> None:
        """A cancelled order gives its set-aside units back and waits for none."""
        for x, held, item in self._kept(order):
            if held.allocated:
                item.give_back(held.allocated)
                self.changes.move(
                    item,
                    stock.Movement.DEALLOCATED,
                    held.allocated,
                    now,
                    actor=actor,
                    order_id=order.order_id,
                    line_id=x.line_id,
                    reason="order cancelled",
                )
            held.allocated = held.waiting = x.allocated = 0

    def restock(
        self, order: Order, returned: Iterable[tuple[str, int, str]], now: datetime, actor: Actor
    ) -> None:
        """Returned units of kept articles go back on the shelf, unless damaged or defective:
        ``returned`` is (line id, units, reason code)."""
        for line_id, units, reason in returned:
            held = self.changes.lines.get((order.order_id, line_id))
            item = self.changes.items.get(held.sku) if held is not None else None
            if item is not None and reason in stock.RESTOCKS:
                item.receive(units)
                self.changes.move(
                    item,
                    stock.Movement.RESTOCKED,
                    units,
                    now,
                    actor=actor,
                    order_id=order.order_id,
                    line_id=line_id,
                    reason=f"returned: {reason.lower().replace('_', ' ')}",
                )

    def exchange(
        self, order: Order, lines: Sequence[ReturnLine], tier: int, now: datetime, actor: Actor
    ) -> None:
        """An exchange sends the customer a replacement (``replacement_sku``, else the same article):
        of a kept article, the units leave stock at once; refused, naming the line, when there are not
        enough for this customer (a return and a new order, which may wait on backorder, remain)."""
        for i, rl in enumerate(lines):
            sku = rl.replacement_sku or order.line(rl.line_id, f"lines[{i}].line_id").sku
            item = self.changes.items.get(sku)
            if item is None:
                continue
            got = item.take(rl.quantity, tier)
            if got < rl.quantity:
                item.give_back(got)
                raise FailedPrecondition(
                    f"lines[{i}].replacement_sku: {got} unit(s) of {sku} available to send in exchange,"
                    f" not {rl.quantity}; ReturnOrderLines without exchange, and a new order, instead"
                )
            item.ship(got)
            self.changes.move(
                item,
                stock.Movement.SHIPPED,
                got,
                now,
                actor=actor,
                order_id=order.order_id,
                line_id=rl.line_id,
                reason="sent in exchange",
            )

    def write_off(
        self, order: Order, units: Sequence[tuple[str, int]], reason: str, now: datetime, actor: Actor
    ) -> None:
        """Units put on backorder by hand: set-aside ones could not be picked, and left on hand; the
        line waits for new ones."""
        for line_id, quantity in units:
            held = self.changes.lines.get((order.order_id, line_id))
            if held is None or held.sku not in self.changes.items:
                continue
            item, line = self.changes.items[held.sku], order.line(line_id, "lines")
            lost = min(quantity, held.allocated)
            if lost:
                item.ship(lost)
                self.changes.move(
                    item,
                    stock.Movement.WRITTEN_OFF,
                    lost,
                    now,
                    actor=actor,
                    order_id=order.order_id,
                    line_id=line_id,
                    reason=reason or "could not be picked",
                )
            held.allocated -= lost
            line.allocated -= lost
            held.waiting += quantity

    def release(
        self, order: Order, units: Sequence[tuple[str, int]], tier: int, now: datetime, actor: Actor
    ) -> None:
        """Units released from backorder by hand take stock: refused, naming the line, when there is
        not enough for this customer. A shipped order's released units leave at once."""
        for i, (line_id, quantity) in enumerate(units):
            held = self.changes.lines.get((order.order_id, line_id))
            if held is None or held.sku not in self.changes.items:
                continue
            item, line = self.changes.items[held.sku], order.line(line_id, "lines")
            got = item.take(quantity, tier)
            if got < quantity:
                item.give_back(got)
                raise FailedPrecondition(
                    f"lines[{i}].quantity: {got} unit(s) of {held.sku} available for order"
                    f" {order.order_id}, not {quantity}; ReceiveStock or SetStockLevel first"
                )
            self.take_units(order, line, held, item, got, now, actor)

    def take_units(
        self,
        order: Order,
        line: Line,
        held: LineStock,
        item: stock.Item,
        got: int,
        now: datetime,
        actor: Actor,
    ) -> None:
        """``got`` units ``item`` set aside go to a line waiting for them: they stay set aside for
        it, or, the order having left already, follow it at once."""
        self.changes.move(
            item,
            stock.Movement.ALLOCATED,
            got,
            now,
            actor=actor,
            order_id=order.order_id,
            line_id=line.line_id,
        )
        held.waiting -= got
        if order.state is State.SHIPPED:  # the order left already: these units follow it now
            item.ship(got)
            self.changes.move(
                item,
                stock.Movement.SHIPPED,
                got,
                now,
                actor=actor,
                order_id=order.order_id,
                line_id=line.line_id,
            )
        else:
            held.allocated += got
            line.allocated += got

    async def write(self, uow: Uow) -> None:
        await self.changes.write(uow)


# --- units coming in --------------------------------------------------------------------------------------


async def fill(uow: Uow, changes: Changes, reason: str, now: datetime) -> list[str]:
    """Gives the free (and held) units of the locked articles of ``changes`` to the orders waiting for
    them, the best tier first, then the oldest; returns the orders served, in that order. Writes the
    orders, their history and events; the caller writes ``changes``."""
    plan: dict[str, list[tuple[stock.Item, stock.Waiting, int, int]]] = {}
    for sku, item in sorted(changes.items.items()):
        if item.free <= 0 and not any(item.holds.values()):
            continue
        for w, got, held in stock.fill(item, await uow.stock.waiting(sku)):
            plan.setdefault(w.order_id, []).append((item, w, got, held))
    if not plan:
        return []
    orders = await uow.orders.get_many(sorted(plan))
    changes.lines.update(await uow.stock.lines_of(sorted(plan)))
    taking = OrderStock(changes)
    saved, entries, served = [], [], []
    for order_id, takes in plan.items():
        order = orders.get(order_id)
        if order is None or order.state not in stock.TAKES_UNITS:  # it moved on since it was queued
            for item, w, got, from_hold in takes:
                item.give_back(got, w.tier, from_hold)
            continue
        read_version, released = order.version, []
        for item, w, got, _ in takes:
            line, kept = order.line(w.line_id, "lines"), changes.lines[(order_id, w.line_id)]
            line.backordered_quantity -= got
            taking.take_units(order, line, kept, item, got, now, SYSTEM)
            released.append((w.line_id, got))
        order.touch(now)
        entry, event = released_record(order, released, reason, now, SYSTEM)
        saved.append((order, read_version, event.order))
        entries.append(entry)
        await uow.emit(event, order)
        served.append(order_id)
    await uow.orders.save_many(saved)
    await uow.orders.add_history(*entries)
    return served


async def shortfall(
    uow: Uow, item: stock.Item, short: int, changes: Changes, actor: Actor, now: datetime
) -> None:
    """A count found fewer units than are set aside: the latest orders' units go back on backorder."""
    plan: dict[str, list[tuple[str, int]]] = {}
    for order_id, line_id, units in await uow.stock.holding(item.sku):
        if short <= 0:
            break
        take = min(units, short)
        plan.setdefault(order_id, []).append((line_id, take))
        short -= take
    orders = await uow.orders.get_many(sorted(plan))
    changes.lines.update(await uow.stock.lines_of(sorted(plan)))
    saved, entries = [], []
    for order_id, takes in plan.items():
        order = orders[order_id]
        read_version = order.version
        for line_id, units in takes:
            line, held = order.line(line_id, "lines"), changes.lines[(order_id, line_id)]
            item.give_back(units)
            changes.move(
                item,
                stock.Movement.DEALLOCATED,
                units,
                now,
                actor=actor,
                order_id=order_id,
                line_id=line_id,
                reason="a count found fewer units",
            )
            held.allocated -= units
            held.waiting += units
            line.allocated -= units
            line.backordered_quantity += units
        order.touch(now)
        entry, event = backorder_record(order, takes, OUT_OF_STOCK, item.expected_at, now, SYSTEM)
        saved.append((order, read_version, event.order))
        entries.append(entry)
        await uow.emit(event, order)
    await uow.orders.save_many(saved)
    await uow.orders.add_history(*entries)


async def fill_orders(uow: Uow, order_ids: Sequence[str], reason: str) -> list[str]:
    """After a change that freed units of these orders' articles (a cancellation, a restocking
    return), in a transaction of its own: the waiting orders get them."""
    skus = await uow.stock.skus_of(order_ids)
    return await fill_skus(uow, skus, reason)


async def give_out_unserved(uow: Uow) -> list[str]:
    """Units on hand and free while lines wait for them: a change freed them and its fill did not run
    (the process stopped between the two). The periodic round gives them out."""
    return await fill_skus(uow, await uow.stock.unserved(), "stock free for waiting orders")


async def fill_skus(uow: Uow, skus: Sequence[str], reason: str) -> list[str]:
    items = await uow.stock.items(skus, for_update=True)
    if not items:
        return []
    changes = Changes(items)
    served = await fill(uow, changes, reason, uow.clock())
    await changes.write(uow)
    return served
