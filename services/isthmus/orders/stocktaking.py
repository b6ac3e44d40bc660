"""The stock desk's use cases: counts, deliveries, holds for a value tier, and what the stock is
(docs/inventory.md). Each runs in the caller's transaction; what units coming in do to the orders
waiting is ``inventory``'s."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from isthmus.kernel.errors import InvalidArgument, NotFound
from isthmus.orders import codec, stock
from isthmus.orders.domain import Actor
from isthmus.orders.inventory import Changes, fill, shortfall
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.orders.v1 import orders_pb2

if TYPE_CHECKING:
    from isthmus.orders.handlers import Uow


def level(
    item: stock.Item | None, sku: str, backordered: int, tier: int | None = None
) -> orders_pb2.StockLevel:
    if item is None:
        return orders_pb2.StockLevel(sku=sku, tracked=False)
    return orders_pb2.StockLevel(
        sku=item.sku,
        tracked=True,
        description=item.description,
        on_hand=item.on_hand,
        allocated=item.allocated,
        available=max(item.free, 0),
        holds=[orders_pb2.StockHold(tier=t, quantity=q) for t, q in sorted(item.holds.items()) if q],  # type: ignore[arg-type]
        backordered=backordered,
        expected_receipt_time=codec.ts(item.expected_at),
        available_to_customer=max(item.available_to(tier), 0) if tier is not None else 0,
        version=item.version,
        update_time=codec.ts(item.update_time),
    )


async def _item(uow: Uow, sku: str, *, create: bool) -> stock.Item:
    items = await uow.stock.items([sku], for_update=True)
    if sku in items:
        return items[sku]
    if not create:
        raise NotFound(
            f"the hub keeps no stock of {sku}: count it (SetStockLevel with on_hand) or ReceiveStock"
        )
    return stock.Item(sku)


@dataclass(frozen=True)
class Count:
    sku: str
    on_hand: int | None
    expected_at: datetime | None
    clear_expected: bool
    description: str
    reason: str
    actor: Actor


async def set_level(cmd: Count, uow: Uow) -> orders_pb2.StockLevel:
    now = uow.clock()
    item = await _item(uow, cmd.sku, create=cmd.on_hand is not None)
    changes = Changes({item.sku: item})
    changes.touched.add(item.sku)
    item.update_time = now
    if cmd.description:
        item.description = cmd.description
    if cmd.expected_at is not None or cmd.clear_expected:
        item.expected_at = cmd.expected_at
    if cmd.on_hand is not None:
        before = item.on_hand
        short = item.count(cmd.on_hand)
        changes.move(
            item, stock.Movement.COUNTED, cmd.on_hand - before, now, actor=cmd.actor, reason=cmd.reason
        )
        if short:
            await shortfall(uow, item, short, changes, cmd.actor, now)
        else:
            await fill(uow, changes, "stock counted", now)
    await changes.write(uow)
    return (await levels(uow, [cmd.sku], items={item.sku: item}))[0]


@dataclass(frozen=True)
class Receipt:
    sku: str
    quantity: int
    reference: str
    at: datetime | None
    actor: Actor


async def receive(cmd: Receipt, uow: Uow) -> tuple[orders_pb2.StockLevel, list[str], bool]:
    """The stock after it, the orders it filled, and whether it was new (not a repeated reference)."""
    now = uow.clock()
    item = await _item(uow, cmd.sku, create=True)
    if item.version and await uow.stock.received(cmd.sku, cmd.reference):
        return (await levels(uow, [cmd.sku]))[0], [], False
    if item.on_hand + cmd.quantity > stock.MAX_UNITS:
        raise InvalidArgument(
            "quantity",
            f"{cmd.sku} would have {item.on_hand + cmd.quantity} units on hand, above {stock.MAX_UNITS}",
        )
    changes = Changes({item.sku: item})
    item.receive(cmd.quantity)
    changes.move(
        item, stock.Movement.RECEIVED, cmd.quantity, cmd.at or now, actor=cmd.actor, reference=cmd.reference
    )
    served = await fill(uow, changes, f"stock received ({cmd.reference})", now)
    await changes.write(uow)
    return (await levels(uow, [cmd.sku], items={item.sku: item}))[0], served, True


async def hold(
    sku: str, tier: int, quantity: int, reason: str, actor: Actor, uow: Uow
) -> orders_pb2.StockLevel:
    now = uow.clock()
    item = await _item(uow, sku, create=False)
    changes = Changes({item.sku: item})
    change = item.hold(tier, quantity)
    if not change:  # the hold it has already
        return (await levels(uow, [sku], items={item.sku: item}))[0]
    changes.move(
        item,
        stock.Movement.HELD,
        change,
        now,
        actor=actor,
        reference=common_pb2.ValueTier.Name(tier)[len("VALUE_TIER_") :],
        reason=reason,
    )
    if change < 0:
        await fill(uow, changes, "held stock let go", now)
    await changes.write(uow)
    return (await levels(uow, [sku], items={item.sku: item}))[0]


async def levels(
    uow: Uow, skus: Sequence[str], customer_id: str = "", items: dict[str, stock.Item] | None = None
) -> list[orders_pb2.StockLevel]:
    found = dict(items or {})
    missing = [s for s in skus if s not in found]
    if missing:
        found.update(await uow.stock.items(missing))
    waiting = await uow.stock.backordered([s for s in skus if s in found])
    tier = await uow.stock.tier_of(customer_id) if customer_id else None
    return [level(found.get(s), s, waiting.get(s, 0), tier) for s in skus]
