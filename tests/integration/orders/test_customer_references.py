"""The customers and source systems an order names: refused, stored pending, or resolved.

A malformed customer id and an unconfigured source system are refused. An order for a customer the
order service has not heard of is stored, visibly PENDING, and resolves when the customer master's
CustomerCreated arrives; one that never resolves is counted by a metric and listed by ListOrders.
The order service learns customers only from the customer master's events, on RabbitMQ here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import pytest
from prometheus_client import REGISTRY

from isthmus.orders import bootstrap
from isthmus.platform import config, hub
from isthmus.platform.events import create_bus
from isthmus.platform.events.testing import FAST
from isthmus_client.api.customers.v1 import customers_pb2, customers_pb2_grpc
from isthmus_client.api.customers.v1 import records_pb2 as pb
from isthmus_client.api.orders.v1 import order_pb2, orders_pb2, orders_pb2_grpc
from isthmus_client.errors import UNKNOWN_SOURCE_SYSTEM, error_info, field_violations

from .conftest import new_order

pytestmark = [pytest.mark.postgres, pytest.mark.rabbitmq]

NOBODY = "00000000-0000-0000-0000-000000000000"  # well-formed, and no customer will ever have it


def settings(database: str, amqp: str | None) -> config.Settings:
    values = {
        "ISTHMUS_DATABASE_URL": database,
        "ISTHMUS_AUTH_DISABLED": "true",
        "ISTHMUS_GRPC_PORT": "0",
        "ISTHMUS_METRICS_PORT": "0",
    }
    if amqp:
        values["ISTHMUS_AMQP_URL"] = amqp
    return config.load(values)


async def eventually(probe: Callable[[], Awaitable[Any]], seconds: float = 20) -> Any:
    async with asyncio.timeout(seconds):
        while not (found := await probe()):  # noqa: ASYNC110 (waits for an event to be consumed)
            await asyncio.sleep(0.05)
    return found


async def test_orders_name_configured_systems_and_customers_they_learn_from_the_master(
    pg_database: str, amqp_vhost: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bootstrap, "PENDING_REFRESH_SECONDS", 0.1)
    on_rabbit = settings(pg_database, amqp_vhost)
    await asyncio.to_thread(hub.migrate, on_rabbit, ["customers", "orders"])

    # The customer master creates Ida while no order service runs: CustomerCreated waits in the
    # order service's queue.
    async with hub.running(on_rabbit, ["customers"], bus=create_bus(on_rabbit, FAST)) as h:
        async with h.channel() as channel:
            master = customers_pb2_grpc.CustomerMasterServiceStub(channel)
            record = pb.SourceRecord(source_system="webshop", source_id="W-1")
            record.name.given_name, record.name.family_name = "Ida", "Reference"
            record.emails.add(address="ida@reference.example")
            ida = (
                await master.UpsertSourceRecord(customers_pb2.UpsertSourceRecordRequest(record=record))
            ).result.customer_id
        await h.runtime.bus.drain(timeout=20)

    # An order service that has not received the event yet (no broker): Ida's order is PENDING.
    async with hub.running(settings(pg_database, None), ["orders"]) as h, h.channel() as channel:
        orders = orders_pb2_grpc.OrderServiceStub(channel)
        for bad, field in (
            (new_order("nope"), "customer_id"),
            (new_order(source_system="newsletter"), "source_system"),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await orders.CreateOrder(bad)
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert [f for f, _ in field_violations(refused.value)] == [field]
        assert error_info(refused.value) == (
            UNKNOWN_SOURCE_SYSTEM,
            {"setting": "ISTHMUS_ORDERS_SOURCE_SYSTEMS", "source_system": "newsletter"},
        )
        early = (await orders.CreateOrder(new_order(ida))).order
        stray = (await orders.CreateOrder(new_order(NOBODY))).order
        assert early.customer_state == stray.customer_state == order_pb2.CUSTOMER_STATE_PENDING

    # With the broker, the waiting CustomerCreated arrives: Ida's order resolves, the stray one stays.
    async with (
        hub.running(on_rabbit, ["orders"], bus=create_bus(on_rabbit, FAST)) as h,
        h.channel() as channel,
    ):
        orders = orders_pb2_grpc.OrderServiceStub(channel)

        async def resolved() -> order_pb2.Order | None:
            found = (await orders.GetOrder(orders_pb2.GetOrderRequest(order_id=early.order_id))).order
            return found if found.customer_state == order_pb2.CUSTOMER_STATE_KNOWN else None

        assert (await eventually(resolved)).version == early.version + 1
        later = (await orders.CreateOrder(new_order(ida))).order
        assert later.customer_state == order_pb2.CUSTOMER_STATE_KNOWN

        pending = await orders.ListOrders(
            orders_pb2.ListOrdersRequest(customer_state=order_pb2.CUSTOMER_STATE_PENDING)
        )
        assert [o.order_id for o in pending.orders] == [stray.order_id]
        known_of_ida = await orders.ListOrders(
            orders_pb2.ListOrdersRequest(customer_id=ida, customer_state=order_pb2.CUSTOMER_STATE_KNOWN)
        )
        assert {o.order_id for o in known_of_ida.orders} == {early.order_id, later.order_id}

        async def counted() -> bool:
            return REGISTRY.get_sample_value("isthmus_orders_pending_customer") == 1

        await eventually(counted)
        assert (REGISTRY.get_sample_value("isthmus_orders_pending_customer_oldest_age_seconds") or 0) >= 0
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await orders.ListOrders(orders_pb2.ListOrdersRequest())
        assert [f for f, _ in field_violations(refused.value)] == ["customer_id"]
