"""Acks against the real broker: a batch is acknowledged in one frame (``rabbit.Acks``), and a
delivery held for a retry is never acknowledged with it."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pika
import pytest

from isthmus.platform.events import Subscription, queue_name
from isthmus_client.api.events.v1 import orders_pb2

pytestmark = [pytest.mark.rabbitmq, pytest.mark.postgres]


def _ready(amqp_url: str, queue: str) -> int:
    with pika.BlockingConnection(pika.URLParameters(amqp_url)) as conn:
        return int(conn.channel().queue_declare(queue, passive=True).method.message_count)


async def test_a_batch_is_acked_but_the_delivery_held_for_a_retry_goes_back_to_the_queue(
    rabbit_world,
) -> None:
    world = rabbit_world
    # The failing event's retry waits far longer than the test: its delivery stays held, unacked.
    world.options = replace(world.options, first_retry_delay=60.0, max_retry_delay=60.0)
    world.failures["held"] = 1
    bus = world.bus()
    world.wire(bus, [Subscription("points", ["orders.OrderPaid"], world.recorder("points"))])
    await bus.start()
    await bus.drain()  # queue declared and bound
    aggregates = [f"order-{i}" for i in range(4)] + ["held"] + [f"order-{i}" for i in range(4, 9)]
    await world.record(*((orders_pb2.OrderPaid(payment_reference=a), a) for a in aggregates))
    for _ in range(500):
        if len(await world.effects("points")) == 9:
            break
        await asyncio.sleep(0.02)
    assert sorted(e.aggregate_id for e in await world.effects("points")) == sorted(
        a for a in aggregates if a != "held"
    )
    await asyncio.sleep(0.2)  # the acks leave the socket
    await bus.stop()  # the held delivery is given back

    # The nine handled ones were acknowledged (none comes back); the held one was not (it does).
    queue = queue_name(world.consumer, "points")
    assert _ready(world.settings.amqp_url, queue) == 1
