"""Orders and loyalty on PostgreSQL and RabbitMQ, with a test programme and a movable clock.

Events flow for real: orders' outbox, the RabbitMQ exchange, loyalty's queues and inbox; ``settle``
waits until the bus is idle. ``deliver`` additionally hands a payload straight to loyalty's consumer
in its own transaction under a new event id, as a second copy that the inbox cannot recognise.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from google.protobuf.message import Message
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.loyalty import consumers, programme
from isthmus.loyalty.handlers import _no_outbox
from isthmus.loyalty.tables import accounts, ledger, lots
from isthmus.platform import config, hub
from isthmus.platform.db import async_engine, session_factory
from isthmus.platform.events import Event, Subscription, create_bus, routing_key
from isthmus.platform.events.testing import FAST, publish
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.events.v1 import orders_pb2 as orders_events
from isthmus_client.api.loyalty.v1 import loyalty_pb2, loyalty_pb2_grpc
from isthmus_client.api.orders.v1 import order_pb2, orders_pb2, orders_pb2_grpc

PROGRAMME = {
    "programme_id": "test",
    "name": "Test Rewards",
    "earning_rules": [
        {
            "rule_id": "base-eur",
            "currency_code": "EUR",
            "points_per_unit": "1",
            "category_multipliers": {"electronics": "2"},
            "minimum_order": "20.00",
        },
        {
            "rule_id": "march-double",
            "currency_code": "EUR",
            "points_per_unit": "0.5",
            "valid_from": "2026-03-01T00:00:00+00:00",
            "valid_until": "2026-04-01T00:00:00+00:00",
            "promotion": True,
        },
        {"rule_id": "base-kwd", "currency_code": "KWD", "points_per_unit": "3"},
    ],
    "tiers": [
        {"tier_id": "member", "name": "Member", "rank": 0},
        {
            "tier_id": "silver",
            "name": "Silver",
            "rank": 1,
            "min_qualifying_points": 1000,
            "earn_multiplier": "1.5",
        },
        {"tier_id": "gold", "name": "Gold", "rank": 2, "min_qualifying_points": 3000, "earn_multiplier": "2"},
    ],
    "expiry": {"months_after_earning": 12},
    "tier_policy": {"window_months": 12, "review_every_months": 12},
}


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Services:
    orders: orders_pb2_grpc.OrderServiceStub
    loyalty: loyalty_pb2_grpc.LoyaltyServiceStub
    hub: hub.Hub
    clock: FakeClock
    programme: programme.Programme
    seen: list[Event]  # loyalty's events, as a subscriber receives them

    def events_of(self, aggregate_id: str) -> list[Event]:
        return [e for e in self.seen if e.aggregate_id == aggregate_id]

    def balance_seen(self, account_id: str) -> tuple[int, int]:
        """(balance, debt) after the last ledger entry a subscriber saw for this account: what a
        projection of the events (the customer 360) shows, which must be the account's."""
        entries = [e.payload.entry for e in self.events_of(account_id) if hasattr(e.payload, "entry")]
        return entries[-1].balance_after, entries[-1].debt_after

    def sessions(self):  # type: ignore[no-untyped-def]
        return session_factory(self.hub.runtime.engine("loyalty"))

    async def place_and_pay(self, customer_id: str, lines: list[tuple[str, int, str, str]] | None = None):  # type: ignore[no-untyped-def]
        """Creates and pays an order through gRPC; returns the paid order and the OrderPaid it emits."""
        lines = lines or [("TV-1", 1, "400.00", "electronics"), ("SOCK", 4, "2.50", "apparel")]
        created = await self.orders.CreateOrder(
            orders_pb2.CreateOrderRequest(
                source_system="webshop",
                external_order_id=f"W-{uuid.uuid4().hex[:10]}",
                customer_id=customer_id,
                channel=order_pb2.ORDER_CHANNEL_WEB,
                currency_code="EUR",
                lines=[
                    order_pb2.OrderLine(
                        sku=sku,
                        quantity=q,
                        unit_price=common_pb2.Money(amount=price, currency_code="EUR"),
                        category=cat,
                    )
                    for sku, q, price, cat in lines
                ],
                adjustments=[
                    order_pb2.Adjustment(
                        kind=order_pb2.ADJUSTMENT_KIND_TAX,
                        amount=common_pb2.Money(amount="78.85", currency_code="EUR"),
                    )
                ],
            )
        )
        order = created.order
        paid = (
            await self.orders.PayOrder(
                orders_pb2.PayOrderRequest(
                    order_id=order.order_id, expected_version=1, amount=order.total, payment_reference="psp"
                )
            )
        ).order
        event = orders_events.OrderPaid(
            order=paid, amount=paid.total, payment_reference="psp", pay_time=paid.pay_time
        )
        return paid, event

    async def publish(self, message: Message, aggregate_id: str) -> str:
        """Publishes an event as its producing context would (here: the customer master's); returns its id."""
        return await publish(self.hub.runtime.bus, message, aggregate_id, self.clock())

    async def settle(self) -> None:
        """Every outbox published and every consumer caught up (RabbitMQ round trips included)."""
        await self.hub.runtime.bus.drain(timeout=30)

    async def deliver(self, *messages: Message) -> None:
        """Events handed to loyalty's consumer together, in one transaction, as the bus hands it a batch
        (the batch's prepare step, each handler, the batch's writes), each under a new event id that
        the inbox has not seen."""
        on_orders, on_customers, prepare_orders, prepare_customers = consumers.event_handlers(
            self.programme, self.clock, _no_outbox
        )
        orders = {type(m).__name__ in {"OrderPaid", "OrderReturned", "OrderCancelled"} for m in messages}
        assert len(orders) == 1, "one subscription's events at a time"
        handler, prepare = (on_orders, prepare_orders) if orders.pop() else (on_customers, prepare_customers)
        batch = [
            Event(str(uuid.uuid4()), routing_key(m), self.clock(), "", "", "", 1, "", "", m) for m in messages
        ]
        async with self.sessions()() as session, session.begin():
            finish = await prepare(session, batch)
            for event in batch:
                await handler(session, event)
            await finish()

    async def check_cache_equals_ledger(self) -> int:
        """Every cached balance is the sum of its ledger and of its lots; returns accounts checked."""
        async with self.sessions()() as session:
            balances = dict((await session.execute(select(accounts.c.account_id, accounts.c.balance))).all())
            for account_id, balance in balances.items():
                entries = (
                    await session.execute(select(ledger.c.doc).where(ledger.c.account_id == account_id))
                ).all()
                docs = [loyalty_pb2.LedgerEntry.FromString(d) for (d,) in entries]
                assert sum(e.points for e in docs) == balance, account_id
                if docs:
                    assert max(docs, key=lambda e: (e.occur_time.ToDatetime(), 0)).balance_after >= 0
                held = (
                    await session.execute(select(lots.c.remaining).where(lots.c.account_id == account_id))
                ).scalars()
                assert sum(held) == balance, account_id
            return len(balances)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 10, 12, 0, tzinfo=UTC))


@pytest.fixture
async def services(request: pytest.FixtureRequest, pg_url: str, clock: FakeClock) -> AsyncIterator[Services]:
    env = {
        "ISTHMUS_DATABASE_URL": pg_url,
        "ISTHMUS_AUTH_DISABLED": "true",
        "ISTHMUS_GRPC_PORT": "0",
        "ISTHMUS_METRICS_PORT": "0",
        "ISTHMUS_LOYALTY_PROGRAMME": json.dumps(PROGRAMME),
    }
    if importlib.util.find_spec("isthmus.platform.events.rabbit") is not None:
        env["ISTHMUS_AMQP_URL"] = request.getfixturevalue("amqp_url")
    settings = config.load(env)
    bus = create_bus(settings, FAST)
    # A probe consumer of loyalty's events, as any other service would subscribe (own queue, own inbox rows).
    seen: list[Event] = []

    async def probe(session: AsyncSession, event: Event) -> None:
        seen.append(event)

    await asyncio.to_thread(hub.migrate, settings, ["loyalty"])
    probe_engine = async_engine(settings, "loyalty")
    bus.subscribe("probe", probe_engine, Subscription(uuid.uuid4().hex[:8], ["loyalty.*"], probe))
    try:
        async with (
            hub.running(settings, ["orders", "loyalty"], clock=clock, bus=bus) as h,
            h.channel() as channel,
        ):
            yield Services(
                orders_pb2_grpc.OrderServiceStub(channel),
                loyalty_pb2_grpc.LoyaltyServiceStub(channel),
                h,
                clock,
                programme.parse(PROGRAMME, "test"),
                seen,
            )
    finally:
        await probe_engine.dispose()
