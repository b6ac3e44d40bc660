"""The customers a batch of the master's events announces are learnt, and the orders that waited for
them resolved, with a few statements for the whole batch; an event the orders cannot take (a customer
id longer than any the master makes) is dead-lettered alone, with its reason, and the rest of its
batch is applied. PostgreSQL, the in-process bus: the shape of ``isthmus up``."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from isthmus.platform import config, hub
from isthmus.platform.db import session_factory
from isthmus.platform.events import create_bus, record_event
from isthmus.platform.events.tables import dead_letters
from isthmus.platform.events.testing import FAST, Statements
from isthmus_client.api.customers.v1 import records_pb2 as pb
from isthmus_client.api.events.v1 import customers_pb2 as ev
from isthmus_client.api.events.v1 import envelope_pb2
from isthmus_client.api.orders.v1 import order_pb2, orders_pb2, orders_pb2_grpc

from .conftest import new_order

pytestmark = pytest.mark.postgres

QUEUE = "isthmus.orders.customers"


def settings(database: str) -> config.Settings:
    return config.load(
        {
            "ISTHMUS_DATABASE_URL": database,
            "ISTHMUS_AUTH_DISABLED": "true",
            "ISTHMUS_GRPC_PORT": "0",
            "ISTHMUS_METRICS_PORT": "0",
        }
    )


async def announce(h: hub.Hub, customer_ids: list[str]) -> None:
    """The master creates these customers in one transaction: their events go out together."""
    sessions = session_factory(h.runtime.engine("customers"))
    async with sessions() as session, session.begin():
        for customer_id in customer_ids:
            message = ev.CustomerCreated(customer=pb.Customer(customer_id=customer_id))
            await record_event(session, message, aggregate_id=customer_id)


async def states(orders: orders_pb2_grpc.OrderServiceStub, order_ids: list[str]) -> list[int]:
    found = []
    for order_id in order_ids:
        got = await orders.GetOrder(orders_pb2.GetOrderRequest(order_id=order_id))
        found.append(got.order.customer_state)
    return found


async def test_a_batch_of_new_customers_is_learnt_and_resolved_in_a_few_statements(pg_database: str) -> None:
    on_pg = settings(pg_database)
    customers = [str(uuid.uuid4()) for _ in range(60)]
    async with (
        hub.running(on_pg, ["customers", "orders"], bus=create_bus(on_pg, FAST)) as h,
        h.channel() as channel,
    ):
        orders = orders_pb2_grpc.OrderServiceStub(channel)
        waiting = [(await orders.CreateOrder(new_order(c))).order.order_id for c in customers[:3]]
        assert await states(orders, waiting) == [order_pb2.CUSTOMER_STATE_PENDING] * 3
        await h.runtime.bus.drain(timeout=20)
        with Statements(h.runtime.engine("orders")) as seen:
            await announce(h, customers)
            await h.runtime.bus.drain(timeout=30)
        assert await states(orders, waiting) == [order_pb2.CUSTOMER_STATE_KNOWN] * 3
    # Event by event this took two statements on known_customers and one for the pending orders per
    # customer (180); a batch takes three, whatever its size.
    reads = seen.naming("known_customers") + seen.naming("customer_pending", "SELECT")
    assert len(reads) <= 3 * 3, reads


async def test_an_event_the_orders_cannot_take_is_dead_lettered_alone_and_the_rest_applied(
    pg_database: str,
) -> None:
    on_pg = settings(pg_database)
    good = [str(uuid.uuid4()) for _ in range(5)]
    bad = "x" * 100  # longer than any customer id: known_customers.customer_id holds 64
    async with hub.running(on_pg, ["customers", "orders"], bus=create_bus(on_pg, FAST)) as h:
        async with h.channel() as channel:
            orders = orders_pb2_grpc.OrderServiceStub(channel)
            waiting = [(await orders.CreateOrder(new_order(c))).order.order_id for c in (good[0], good[4])]
            await h.runtime.bus.drain(timeout=20)
            await announce(h, [*good[:2], bad, *good[2:]])
            await h.runtime.bus.drain(timeout=30)
            assert await states(orders, waiting) == [order_pb2.CUSTOMER_STATE_KNOWN] * 2
            later = (await orders.CreateOrder(new_order(good[3]))).order
            assert later.customer_state == order_pb2.CUSTOMER_STATE_KNOWN, "learnt with its batch"
        async with h.runtime.engine("orders").connect() as conn:
            [dead] = (await conn.execute(select(dead_letters))).all()
    assert dead.consumer == QUEUE
    assert dead.attempts == FAST.max_attempts
    assert "value too long" in dead.reason
    payload = envelope_pb2.EventEnvelope.FromString(dead.body).payload
    assert ev.CustomerCreated.FromString(payload).customer.customer_id == bad
