"""`isthmus migrate` declares every component's queues, so no event is lost before a consumer first runs.

On a fresh install the orders pod may be serving before the loyalty pod has started: an OrderPaid
published then must wait in loyalty's queue, not be dropped by an exchange with nothing bound.
"""

from __future__ import annotations

import asyncio
import uuid

import pika
import pytest

from isthmus.platform import component, config, hub
from isthmus.platform.events import create_bus
from isthmus.platform.events.consumer import queue_name
from isthmus.platform.events.testing import FAST
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.loyalty.v1 import loyalty_pb2, loyalty_pb2_grpc
from isthmus_client.api.orders.v1 import order_pb2, orders_pb2, orders_pb2_grpc


def _settings(**env: str) -> config.Settings:
    return config.load(
        {"ISTHMUS_AUTH_DISABLED": "true", "ISTHMUS_GRPC_PORT": "0", "ISTHMUS_METRICS_PORT": "0", **env}
    )


def _waiting(amqp_url: str, queue: str) -> int:
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    try:
        return connection.channel().queue_declare(queue, passive=True).method.message_count
    finally:
        connection.close()


@pytest.mark.postgres
@pytest.mark.rabbitmq
async def test_an_order_paid_before_loyalty_ever_ran_earns_points_when_it_starts(pg_url, amqp_vhost):
    settings = _settings(ISTHMUS_DATABASE_URL=pg_url, ISTHMUS_AMQP_URL=amqp_vhost)
    await asyncio.to_thread(hub.migrate, settings, ["orders", "loyalty"])
    customer = str(uuid.uuid4())

    async with hub.running(settings, ["orders"], bus=create_bus(settings, FAST)) as h, h.channel() as ch:
        orders = orders_pb2_grpc.OrderServiceStub(ch)
        placed = await orders.CreateOrder(
            orders_pb2.CreateOrderRequest(
                source_system="webshop",
                external_order_id=f"W-{customer}",
                customer_id=customer,
                channel=order_pb2.ORDER_CHANNEL_WEB,
                currency_code="EUR",
                lines=[order_pb2.OrderLine(sku="A", quantity=2, unit_price=common_pb2.Money(amount="50.00"))],
            )
        )
        await orders.PayOrder(
            orders_pb2.PayOrderRequest(
                order_id=placed.order.order_id,
                expected_version=1,
                amount=placed.order.total,
                payment_reference="psp-1",
            )
        )
        await h.runtime.bus.drain(timeout=20)

    assert _waiting(amqp_vhost, queue_name("loyalty", "points")) == 1  # OrderPaid, held for loyalty

    async with hub.running(settings, ["loyalty"], bus=create_bus(settings, FAST)) as h, h.channel() as ch:
        await h.runtime.bus.drain(timeout=20)
        account = (
            await loyalty_pb2_grpc.LoyaltyServiceStub(ch).GetAccount(
                loyalty_pb2.GetAccountRequest(customer_id=customer)
            )
        ).account
    assert account.balance > 0


@pytest.mark.parametrize("name", sorted(component.REGISTRY))
async def test_declared_queues_are_exactly_what_each_component_subscribes(name, tmp_path):
    declared = component.load(name).consumes
    settings = _settings(ISTHMUS_DATA_DIR=str(tmp_path))
    async with hub.running(settings, [name], bus=create_bus(settings, FAST)) as h:
        subscribed = {q: tuple(b.subscription.routing_keys) for q, b in h.runtime.bus.bindings.items()}
    # Connectors subscribe for write-back only when a configured connector writes back; none does here.
    assert subscribed == {queue_name(name, purpose): keys for purpose, keys in declared}
