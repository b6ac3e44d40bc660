"""Which customer each order belongs to is learnt from a batch of OrderPlaced events with one
statement, however many orders the batch places: an order known already keeps its customer (a
redelivery, or an order a merge moved), and of an order placed twice in one batch the first counts.
The batches go through the subscriptions the component subscribes, run by the consumer as the bus
runs them."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import select

from isthmus.platform import config, hub
from isthmus.platform.db import async_engine
from isthmus.platform.events.consumer import Consumer, Delivery, queue_name
from isthmus.platform.events.metrics import EventMetrics
from isthmus.platform.events.testing import FAST, Statements, delivery
from isthmus.service_requests.bootstrap import SCHEMA, subscriptions
from isthmus.service_requests.consumers import ORDER_KEYS
from isthmus.service_requests.tables import order_customers
from isthmus_client.api.events.v1 import orders_pb2 as oev
from isthmus_client.api.orders.v1 import order_pb2

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def placed(order_id: str, customer_id: str) -> Delivery:
    message = oev.OrderPlaced(order=order_pb2.Order(order_id=order_id, customer_id=customer_id))
    return delivery(message, NOW, aggregate_id=order_id, producer="orders")


async def test_a_batch_of_orders_placed_is_remembered_with_one_statement(pg_database: str) -> None:
    settings = config.load({"ISTHMUS_DATABASE_URL": pg_database})
    await asyncio.to_thread(hub.migrate, settings, ["service-requests"])
    engine = async_engine(settings, SCHEMA)
    [subscription] = [s for s in subscriptions(lambda: NOW) if tuple(s.routing_keys) == ORDER_KEYS]
    consumer = Consumer(
        queue_name("service-requests", subscription.purpose), engine, subscription, FAST,
        EventMetrics(CollectorRegistry()),
    )  # fmt: skip

    def ids(n: int) -> list[str]:
        return [str(uuid.uuid4()) for _ in range(n)]

    async def owners(order_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        c = order_customers.c
        query = select(c.order_id, c.customer_id, c.placed_for).where(c.order_id.in_(list(order_ids)))
        async with engine.connect() as conn:
            return {r.order_id: (r.customer_id, r.placed_for) for r in await conn.execute(query)}

    try:
        anna, bert = str(uuid.uuid4()), str(uuid.uuid4())
        known = ids(1)[0]
        await consumer.process([placed(known, anna)])
        counts = []
        for n in (2, 7):
            orders = ids(n)
            batch = [placed(o, bert) for o in orders]
            # An order known already, and one placed twice in the batch: the first customer counts.
            batch += [placed(known, bert), placed(orders[0], anna)]
            with Statements(engine) as seen:
                await consumer.process(batch)
            counts.append(len(seen.naming("order_customers")))
            assert await owners([*orders, known]) == {
                **{o: (bert, bert) for o in orders},
                known: (anna, anna),
            }
        assert counts == [1, 1], counts
    finally:
        await engine.dispose()
