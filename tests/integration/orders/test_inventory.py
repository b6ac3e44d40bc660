"""Stock the hub keeps: orders take units or wait on backorder, units coming in (deliveries, counts,
restocked returns, cancelled orders' units) fill the backorders best value tier first, a tier's held
units go to its customers, and every change is in the stock's audit trail. Through gRPC, with the
order events seen by a subscriber and the value tiers arriving as events.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from google.protobuf.message import Message
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.kernel.timestamps import aware, ts
from isthmus.orders import inventory
from isthmus.orders.handlers import Uow
from isthmus.orders.store import stock_items
from isthmus.platform import config, hub
from isthmus.platform.db import async_engine, session_factory
from isthmus.platform.events import Event, Subscription, create_bus
from isthmus.platform.events.testing import FAST, publish
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.events.v1 import orders_pb2 as order_events
from isthmus_client.api.events.v1 import value_pb2
from isthmus_client.api.orders.v1 import order_pb2, orders_pb2, orders_pb2_grpc

from .conftest import FakeClock, new_order

A, B, C = common_pb2.VALUE_TIER_A, common_pb2.VALUE_TIER_B, common_pb2.VALUE_TIER_C
M = orders_pb2


@dataclass
class Shop:
    h: hub.Hub
    orders: orders_pb2_grpc.OrderServiceStub
    told: list[Event]
    clock: FakeClock

    def sku(self, name: str) -> str:
        return f"{name}-{uuid.uuid4().hex[:8]}"

    async def count(self, sku: str, on_hand: int, **more: object) -> M.StockLevel:
        return (
            await self.orders.SetStockLevel(M.SetStockLevelRequest(sku=sku, on_hand=on_hand, **more))
        ).stock  # type: ignore[arg-type]

    async def receive(self, sku: str, quantity: int, reference: str) -> M.ReceiveStockResponse:
        return await self.orders.ReceiveStock(
            M.ReceiveStockRequest(sku=sku, quantity=quantity, reference=reference)
        )

    async def stock(self, sku: str, customer_id: str = "") -> M.StockLevel:
        return (await self.orders.GetStock(M.GetStockRequest(skus=[sku], customer_id=customer_id))).stock[0]

    async def order(self, sku: str, quantity: int, customer_id: str | None = None) -> order_pb2.Order:
        request = new_order(customer_id)
        request.lines[0].sku, request.lines[0].quantity = sku, quantity
        return (await self.orders.CreateOrder(request)).order

    async def get(self, order: order_pb2.Order) -> order_pb2.Order:
        return (await self.orders.GetOrder(M.GetOrderRequest(order_id=order.order_id))).order

    async def waits(self, order: order_pb2.Order) -> tuple[int, int]:
        """(allocated, backordered) of the order's first line, as stored now."""
        line = (await self.get(order)).lines[0]
        return line.allocated_quantity, line.backordered_quantity

    async def history(self, order: order_pb2.Order) -> list[order_pb2.OrderHistoryEntry]:
        found = await self.orders.ListOrderHistoryEntries(
            M.ListOrderHistoryEntriesRequest(order_id=order.order_id)
        )
        return list(found.order_history_entries)

    async def tier(self, customer_id: str, tier: int) -> None:
        """The value context moves a customer to a tier."""
        message = value_pb2.CustomerTierChanged(customer_id=customer_id, to_tier=tier, reason="scored")  # type: ignore[arg-type]
        await self.publish(message, customer_id)

    async def publish(self, message: Message, aggregate_id: str) -> None:
        await publish(self.h.runtime.bus, message, aggregate_id, self.clock())

    async def backorder_summary(self) -> tuple[int, datetime | None]:
        async with session_factory(self.h.runtime.engine("orders"))() as session:
            return await Uow(session, self.clock).stock.backorder_summary()

    async def settle(self) -> None:
        await self.h.runtime.bus.drain(timeout=20)

    def events(self, kind: type[Message], order: order_pb2.Order) -> list[Message]:
        return [
            e.payload
            for e in self.told
            if isinstance(e.payload, kind) and e.payload.order.order_id == order.order_id
        ]  # type: ignore[attr-defined]


async def refused(call, request, code: grpc.StatusCode) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.aio.AioRpcError) as error:
        await call(request)
    assert error.value.code() == code, error.value.details()
    return str(error.value.details())


@pytest.fixture(params=["postgres", "sqlite"])
async def shop(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Shop]:
    values = {"ISTHMUS_AUTH_DISABLED": "true", "ISTHMUS_GRPC_PORT": "0", "ISTHMUS_METRICS_PORT": "0"}
    if request.param == "postgres":
        request.applymarker(pytest.mark.postgres)
        values["ISTHMUS_DATABASE_URL"] = request.getfixturevalue("pg_database")
    else:
        values["ISTHMUS_DATA_DIR"] = str(tmp_path)
    settings = config.load(values)
    clock = FakeClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    bus = create_bus(settings, FAST)
    told: list[Event] = []

    async def probe(session: AsyncSession, event: Event) -> None:
        told.append(event)

    await asyncio.to_thread(hub.migrate, settings, ["orders"])
    probe_engine = async_engine(settings, "orders")
    bus.subscribe("probe", probe_engine, Subscription("stock-probe", ["orders.*"], probe))
    try:
        async with hub.running(settings, ["orders"], clock=clock, bus=bus) as h, h.channel() as channel:
            yield Shop(h, orders_pb2_grpc.OrderServiceStub(channel), told, clock)
    finally:
        await probe_engine.dispose()


async def test_an_order_takes_stock_waits_for_the_rest_and_a_delivery_fills_it(shop: Shop) -> None:
    tent, due = shop.sku("TENT"), datetime(2026, 3, 20, tzinfo=UTC)
    counted = await shop.count(tent, 3, expected_receipt_time=ts(due), description="Tent, 2 people")
    assert (counted.tracked, counted.on_hand, counted.available, counted.description) == (
        True,
        3,
        3,
        "Tent, 2 people",
    )

    first = await shop.order(tent, 2)
    assert (first.lines[0].allocated_quantity, first.lines[0].backordered_quantity) == (2, 0)
    assert (first.lines[1].allocated_quantity, first.lines[1].backordered_quantity) == (
        0,
        0,
    )  # socks: not kept
    second = await shop.order(tent, 2)
    assert (second.lines[0].allocated_quantity, second.lines[0].backordered_quantity) == (1, 1)
    level = await shop.stock(tent)
    assert (level.on_hand, level.allocated, level.available, level.backordered) == (3, 3, 0, 1)

    await shop.settle()
    [told] = shop.events(order_events.OrderBackordered, second)
    assert (told.reason, told.expect_time.ToDatetime(tzinfo=UTC)) == ("out of stock", due)  # type: ignore[attr-defined]
    assert [(x.sku, x.quantity) for x in told.backordered_lines] == [(tent, 1)]  # type: ignore[attr-defined]
    kinds = [e.kind for e in await shop.history(second)]
    assert kinds == [order_pb2.ORDER_HISTORY_KIND_PLACED, order_pb2.ORDER_HISTORY_KIND_BACKORDERED]

    delivered = await shop.receive(tent, 5, "DN-1")
    assert list(delivered.filled_order_ids) == [second.order_id]
    assert (delivered.stock.on_hand, delivered.stock.allocated, delivered.stock.available) == (8, 4, 4)
    assert await shop.waits(second) == (2, 0)
    again = await shop.receive(tent, 5, "DN-1")  # the same delivery note sent twice
    assert (again.outcome, again.stock.on_hand) == (common_pb2.WRITE_OUTCOME_REPLAYED, 8)
    await shop.settle()
    [released] = shop.events(order_events.OrderBackorderReleased, second)
    assert [(x.sku, x.quantity) for x in released.released_lines] == [(tent, 1)]  # type: ignore[attr-defined]

    paid = await shop.orders.PayOrder(
        M.PayOrderRequest(order_id=first.order_id, amount=first.total, payment_reference="p")
    )
    shipped = await shop.orders.ShipOrder(M.ShipOrderRequest(order_id=paid.order.order_id, carrier="DHL"))
    assert shipped.order.lines[0].allocated_quantity == 0
    await shop.orders.CancelOrder(
        M.CancelOrderRequest(
            order_id=second.order_id, reason_code=order_pb2.CANCELLATION_REASON_CUSTOMER_REQUEST
        )
    )
    level = await shop.stock(tent)
    assert (level.on_hand, level.allocated, level.available, level.backordered) == (6, 0, 6, 0)

    trail = (await shop.orders.ListStockMovements(M.ListStockMovementsRequest(sku=tent))).movements
    K = orders_pb2
    assert [(m.kind, m.quantity, m.on_hand, m.allocated) for m in trail] == [
        (K.STOCK_MOVEMENT_KIND_COUNTED, 3, 3, 0),
        (K.STOCK_MOVEMENT_KIND_ALLOCATED, 2, 3, 2),
        (K.STOCK_MOVEMENT_KIND_ALLOCATED, 1, 3, 3),
        (K.STOCK_MOVEMENT_KIND_RECEIVED, 5, 8, 3),
        (K.STOCK_MOVEMENT_KIND_ALLOCATED, 1, 8, 4),
        (K.STOCK_MOVEMENT_KIND_SHIPPED, 2, 6, 2),
        (K.STOCK_MOVEMENT_KIND_DEALLOCATED, 2, 6, 0),
    ]
    assert trail[3].reference == "DN-1" and trail[6].order_id == second.order_id
    paged = await shop.orders.ListStockMovements(M.ListStockMovementsRequest(sku=tent, page_size=4))
    rest = await shop.orders.ListStockMovements(
        M.ListStockMovementsRequest(sku=tent, page_size=4, page_token=paged.next_page_token)
    )
    assert [m.kind for m in (*paged.movements, *rest.movements)] == [
        m.kind for m in trail
    ] and not rest.next_page_token


async def test_backorders_are_filled_best_tier_first_and_held_units_go_to_their_tier(shop: Shop) -> None:
    mower = shop.sku("MOWER")
    gold, bronze, plain = (str(uuid.uuid4()) for _ in range(3))
    await shop.tier(gold, A)
    await shop.tier(bronze, C)
    await shop.settle()
    await shop.count(mower, 0)
    waiting = [await shop.order(mower, 1, c) for c in (plain, bronze, gold)]  # oldest first
    assert [await shop.waits(o) for o in waiting] == [(0, 1)] * 3

    served = []
    for n in range(3):
        served += list((await shop.receive(mower, 1, f"DN-{n}")).filled_order_ids)
    assert served == [waiting[2].order_id, waiting[1].order_id, waiting[0].order_id]  # gold, bronze, untiered

    await shop.receive(mower, 2, "DN-3")
    held = (
        await shop.orders.HoldStock(M.HoldStockRequest(sku=mower, tier=A, quantity=2, reason="gold launch"))
    ).stock
    assert (held.available, [(h.tier, h.quantity) for h in held.holds]) == (0, [(A, 2)])
    assert (await shop.stock(mower, gold)).available_to_customer == 2
    assert (await shop.stock(mower, bronze)).available_to_customer == 0
    late = await shop.order(mower, 1, bronze)  # the held units are not bronze's
    assert await shop.waits(late) == (0, 1)
    gold_again = await shop.order(mower, 1, gold)
    assert await shop.waits(gold_again) == (1, 0)
    assert [(h.tier, h.quantity) for h in (await shop.stock(mower)).holds] == [(A, 1)]
    await shop.orders.HoldStock(M.HoldStockRequest(sku=mower, tier=A, quantity=1))  # as it is: no movement

    too_many = M.HoldStockRequest(sku=mower, tier=B, quantity=5)
    assert "0 unit(s) free" in await refused(
        shop.orders.HoldStock, too_many, grpc.StatusCode.FAILED_PRECONDITION
    )
    unknown = M.HoldStockRequest(sku=shop.sku("NOPE"), tier=A, quantity=1)
    await refused(shop.orders.HoldStock, unknown, grpc.StatusCode.NOT_FOUND)
    await shop.orders.HoldStock(M.HoldStockRequest(sku=mower, tier=A, quantity=0))  # let go: bronze gets it
    assert await shop.waits(late) == (1, 0)
    trail = (await shop.orders.ListStockMovements(M.ListStockMovementsRequest(sku=mower))).movements
    holds = [(m.quantity, m.reference, m.reason) for m in trail if m.kind == M.STOCK_MOVEMENT_KIND_HELD]
    assert holds == [(2, "A", "gold launch"), (-1, "A", "")]


async def test_a_count_that_finds_fewer_units_puts_the_latest_orders_back_on_backorder(shop: Shop) -> None:
    stove = shop.sku("STOVE")
    await shop.count(stove, 3)
    older, newer = await shop.order(stove, 2), await shop.order(stove, 1)
    level = await shop.count(stove, 1, reason="stock take")
    assert (level.on_hand, level.allocated, level.available, level.backordered) == (1, 1, 0, 2)
    assert await shop.waits(newer) == (0, 1) and await shop.waits(older) == (1, 1)
    await shop.settle()
    assert len(shop.events(order_events.OrderBackordered, newer)) == 1
    assert len(shop.events(order_events.OrderBackordered, older)) == 1
    level = await shop.count(stove, 4)  # found more after all: both served again
    assert (level.allocated, level.available, level.backordered) == (3, 1, 0)
    assert await shop.waits(newer) == (1, 0) and await shop.waits(older) == (2, 0)


async def test_returned_goods_go_back_on_the_shelf_to_the_orders_waiting_unless_damaged(shop: Shop) -> None:
    boots = shop.sku("BOOTS")
    await shop.count(boots, 2)
    bought = await shop.order(boots, 2)
    waiting = await shop.order(boots, 1)
    paid = await shop.orders.PayOrder(
        M.PayOrderRequest(order_id=bought.order_id, amount=bought.total, payment_reference="p")
    )
    await shop.orders.ShipOrder(M.ShipOrderRequest(order_id=paid.order.order_id, carrier="DHL"))

    def back(reason: int) -> M.ReturnOrderLinesRequest:
        line = order_pb2.ReturnLine(line_id="1", quantity=1, reason_code=reason)  # type: ignore[arg-type]
        return M.ReturnOrderLinesRequest(order_id=bought.order_id, lines=[line])

    await shop.orders.ReturnOrderLines(back(order_pb2.RETURN_REASON_DAMAGED))
    assert await shop.waits(waiting) == (0, 1) and (await shop.stock(boots)).on_hand == 0
    await shop.orders.ReturnOrderLines(back(order_pb2.RETURN_REASON_SIZE_OR_FIT))
    assert await shop.waits(waiting) == (1, 0)
    level = await shop.stock(boots)
    assert (level.on_hand, level.allocated, level.available) == (1, 1, 0)
    trail = (await shop.orders.ListStockMovements(M.ListStockMovementsRequest(sku=boots))).movements
    [restocked] = [m for m in trail if m.kind == M.STOCK_MOVEMENT_KIND_RESTOCKED]
    assert (restocked.order_id, restocked.reason) == (bought.order_id, "returned: size or fit")


async def test_a_cancelled_orders_units_go_to_the_order_waiting_and_a_lost_fill_is_made_later(
    shop: Shop,
) -> None:
    lamp = shop.sku("LAMP")
    await shop.count(lamp, 1)
    first, second = await shop.order(lamp, 1), await shop.order(lamp, 1)
    assert await shop.waits(second) == (0, 1)
    await shop.orders.CancelOrder(
        M.CancelOrderRequest(
            order_id=first.order_id, reason_code=order_pb2.CANCELLATION_REASON_CUSTOMER_REQUEST
        )
    )
    assert await shop.waits(second) == (1, 0)
    [released] = [
        e for e in await shop.history(second) if e.kind == order_pb2.ORDER_HISTORY_KIND_BACKORDER_RELEASED
    ]
    assert (released.reason_text, released.actor.id) == ("an order was cancelled", "stock")

    # Units freed whose fill never ran (the process stopped after the change committed): the
    # periodic round finds them free while a line waits, and gives them out.
    third = await shop.order(lamp, 1)
    engine = shop.h.runtime.engine("orders")
    async with session_factory(engine)() as session, session.begin():
        await session.execute(update(stock_items).where(stock_items.c.sku == lamp).values(on_hand=2))
    assert await shop.waits(third) == (0, 1)
    async with session_factory(engine)() as session, session.begin():
        served = await inventory.give_out_unserved(Uow(session, shop.clock))
    assert served == [third.order_id] and await shop.waits(third) == (1, 0)


async def test_an_exchange_sends_its_replacement_from_stock_or_is_refused_naming_the_line(shop: Shop) -> None:
    boots, bigger = shop.sku("BOOTS-42"), shop.sku("BOOTS-43")
    await shop.count(boots, 2)
    await shop.count(bigger, 0)
    order = await shop.order(boots, 1)
    paid = await shop.orders.PayOrder(
        M.PayOrderRequest(order_id=order.order_id, amount=order.total, payment_reference="p")
    )
    await shop.orders.ShipOrder(M.ShipOrderRequest(order_id=paid.order.order_id, carrier="DHL"))

    def exchange(reason: int, replacement: str = "") -> M.ReturnOrderLinesRequest:
        line = order_pb2.ReturnLine(line_id="1", quantity=1, reason_code=reason, replacement_sku=replacement)  # type: ignore[arg-type]
        return M.ReturnOrderLinesRequest(order_id=order.order_id, lines=[line], exchange=True)

    larger = exchange(order_pb2.RETURN_REASON_SIZE_OR_FIT, bigger)
    details = await refused(shop.orders.ReturnOrderLines, larger, grpc.StatusCode.FAILED_PRECONDITION)
    assert details.startswith(f"lines[0].replacement_sku: 0 unit(s) of {bigger} available")
    assert (await shop.stock(boots)).on_hand == 1  # nothing changed: the shipped pair left, one is left
    await shop.orders.ReturnOrderLines(exchange(order_pb2.RETURN_REASON_DEFECTIVE))  # the same boots again
    level = await shop.stock(boots)
    assert (level.on_hand, level.allocated) == (0, 0)  # the new pair left; the defective one is not shelved
    trail = (await shop.orders.ListStockMovements(M.ListStockMovementsRequest(sku=boots))).movements
    assert (trail[-1].kind, trail[-1].reason, trail[-1].order_id) == (
        M.STOCK_MOVEMENT_KIND_SHIPPED,
        "sent in exchange",
        order.order_id,
    )


async def test_units_the_warehouse_cannot_pick_are_written_off_and_a_release_needs_stock(shop: Shop) -> None:
    lamp = shop.sku("LAMP")
    await shop.count(lamp, 2)
    order = await shop.order(lamp, 2)
    await shop.orders.BackorderLines(
        M.BackorderLinesRequest(
            order_id=order.order_id,
            lines=[M.BackorderLine(line_id="1", quantity=1)],
            reason="broken on the shelf",
        )
    )
    assert await shop.waits(order) == (1, 1)
    level = await shop.stock(lamp)
    assert (level.on_hand, level.allocated, level.backordered) == (1, 1, 1)
    release = M.ReleaseBackorderRequest(order_id=order.order_id)
    details = await refused(shop.orders.ReleaseBackorder, release, grpc.StatusCode.FAILED_PRECONDITION)
    assert details.startswith("lines[0].quantity: 0 unit(s) of " + lamp)
    assert await shop.waits(order) == (1, 1)  # nothing changed
    assert list((await shop.receive(lamp, 1, "DN-9")).filled_order_ids) == [order.order_id]
    assert await shop.waits(order) == (2, 0)


@pytest.mark.postgres
async def test_two_replicas_taking_orders_at_once_never_give_out_more_units_than_are_on_hand(
    pg_database: str,
) -> None:
    settings = config.load(
        {
            "ISTHMUS_DATABASE_URL": pg_database,
            "ISTHMUS_AUTH_DISABLED": "true",
            "ISTHMUS_GRPC_PORT": "0",
            "ISTHMUS_METRICS_PORT": "0",
        }
    )
    kettle = f"KETTLE-{uuid.uuid4().hex[:8]}"
    async with (
        hub.running(settings, ["orders"]) as one,
        hub.running(settings, ["orders"], migrate_first=False) as two,
        one.channel() as first,
        two.channel() as second,
    ):
        replicas = [orders_pb2_grpc.OrderServiceStub(c) for c in (first, second)]
        await replicas[0].SetStockLevel(M.SetStockLevelRequest(sku=kettle, on_hand=10))

        async def place(i: int) -> order_pb2.Order:
            request = new_order()
            request.lines[0].sku = kettle
            return (await replicas[i % 2].CreateOrder(request)).order

        # Each replica writes its orders in batches of its own: only the article's row lock keeps
        # the two from both giving out the same units.
        placed = await asyncio.gather(*(place(i) for i in range(40)))
        level = (await replicas[1].GetStock(M.GetStockRequest(skus=[kettle]))).stock[0]
    taken = sum(o.lines[0].allocated_quantity for o in placed)
    waiting = sum(o.lines[0].backordered_quantity for o in placed)
    assert (taken, waiting) == (10, 30)
    assert (level.on_hand, level.allocated, level.available, level.backordered) == (10, 10, 0, 30)


async def test_the_backorder_report_lists_the_articles_customers_wait_for(shop: Shop) -> None:
    tag = uuid.uuid4().hex[:6].upper()
    skus = [f"{tag}-{n}" for n in range(5)]
    for n, sku in enumerate(skus):
        await shop.count(sku, n)  # 0, 1, 2, 3, 4 units
    before, _ = await shop.backorder_summary()
    for sku in skus[:3]:
        await shop.order(sku, 2)  # the first three wait for 2, 1 and 0 units
    after, since = await shop.backorder_summary()  # what the gauges show
    assert after - before == 3 and since is not None and aware(since) <= shop.clock()
    pages, token = [], ""
    while True:
        page = await shop.orders.ListStockLevels(
            M.ListStockLevelsRequest(backordered_only=True, page_size=1, page_token=token)
        )
        pages.append([(s.sku, s.backordered) for s in page.stock])
        token = page.next_page_token
        if not token:
            break
    waiting = [x for p in pages for x in p if x[0].startswith(tag)]
    assert waiting == [(skus[0], 2), (skus[1], 1)]
    everything = await shop.orders.ListStockLevels(M.ListStockLevelsRequest(page_size=500))
    mine = [(s.sku, s.on_hand, s.allocated) for s in everything.stock if s.sku.startswith(tag)]
    assert mine == [(skus[0], 0, 0), (skus[1], 1, 1), (skus[2], 2, 2), (skus[3], 3, 0), (skus[4], 4, 0)]
    wrong = M.ListStockLevelsRequest(backordered_only=False, page_token=page.next_page_token or "x")
    await refused(shop.orders.ListStockLevels, wrong, grpc.StatusCode.INVALID_ARGUMENT)


async def test_stock_requests_that_cannot_be_right_name_their_field(shop: Shop) -> None:
    bad = [
        (shop.orders.SetStockLevel, M.SetStockLevelRequest(on_hand=1), "sku"),
        (shop.orders.SetStockLevel, M.SetStockLevelRequest(sku="X" * 101, on_hand=1), "sku"),
        (shop.orders.SetStockLevel, M.SetStockLevelRequest(sku="X", on_hand=-1), "on_hand"),
        (shop.orders.SetStockLevel, M.SetStockLevelRequest(sku="X", on_hand=2**63 - 1), "on_hand"),
        (shop.orders.SetStockLevel, M.SetStockLevelRequest(sku="X"), "on_hand"),
        (shop.orders.ReceiveStock, M.ReceiveStockRequest(sku="X", quantity=0, reference="r"), "quantity"),
        (
            shop.orders.ReceiveStock,
            M.ReceiveStockRequest(sku="X", quantity=2**63 - 1, reference="r"),
            "quantity",
        ),
        (shop.orders.ReceiveStock, M.ReceiveStockRequest(sku="X", quantity=1), "reference"),
        (shop.orders.HoldStock, M.HoldStockRequest(sku="X", quantity=1), "tier"),
        (shop.orders.HoldStock, M.HoldStockRequest(sku="X", tier=A, quantity=-1), "quantity"),
        (shop.orders.GetStock, M.GetStockRequest(), "skus"),
        (shop.orders.GetStock, M.GetStockRequest(skus=["X"] * 501), "skus"),
        (shop.orders.GetStock, M.GetStockRequest(skus=["A", ""]), "skus[1]"),
        (shop.orders.ListStockMovements, M.ListStockMovementsRequest(), "sku"),
    ]
    for call, request, field in bad:
        details = await refused(call, request, grpc.StatusCode.INVALID_ARGUMENT)
        assert details.startswith(f"{field}: "), (field, details)
    # Receipts that would take an article past what the hub keeps name the quantity, whatever is there.
    full = shop.sku("FULL")
    await shop.count(full, 10**12)
    details = await refused(
        shop.orders.ReceiveStock,
        M.ReceiveStockRequest(sku=full, quantity=1, reference="r"),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert details.startswith("quantity: ") and (await shop.stock(full)).on_hand == 10**12
    # Only the articles counted or received are kept; asking of another is an answer, not an error.
    [unknown] = (await shop.orders.GetStock(M.GetStockRequest(skus=[shop.sku("NEVER")]))).stock
    assert not unknown.tracked and unknown.available == 0
    one_day = ts(shop.clock() + timedelta(days=1))
    level = await shop.count(shop.sku("SOFA"), 0, expected_receipt_time=one_day)
    assert level.expected_receipt_time == one_day
