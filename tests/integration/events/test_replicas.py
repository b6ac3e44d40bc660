"""Two replicas of a producer and of a consumer on RabbitMQ, as two pods of each Deployment run them:
the outbox is published once (one relay leads), and each event is handled once."""

from __future__ import annotations

import asyncio
from collections import Counter

import pika
import pytest
from sqlalchemy import text

from isthmus.platform import db
from isthmus.platform.events import Subscription, outbox
from isthmus_client.api.events.v1 import envelope_pb2, orders_pb2

from .conftest import World

pytestmark = [pytest.mark.postgres, pytest.mark.rabbitmq]

EVENTS = 300


def _tap(world: World) -> tuple[pika.BlockingConnection, str]:
    """A plain queue bound to the exchange beside the component's: it sees every message published."""
    connection = pika.BlockingConnection(pika.URLParameters(world.settings.amqp_url or ""))
    channel = connection.channel()
    channel.exchange_declare("isthmus.events", exchange_type="topic", durable=True)
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, "isthmus.events", routing_key="orders.#")
    return connection, queue


def _published(connection: pika.BlockingConnection, queue: str) -> Counter[str]:
    seen: Counter[str] = Counter()
    channel = connection.channel()
    while True:
        method, _props, body = channel.basic_get(queue, auto_ack=True)
        if method is None:
            return seen
        seen[envelope_pb2.EventEnvelope.FromString(body).event_id] += 1


async def test_two_replicas_publish_each_event_once_and_handle_it_once(rabbit_world: World) -> None:
    world = rabbit_world
    tap, tap_queue = await asyncio.to_thread(_tap, world)
    replicas = []
    for _ in range(2):  # each pod has its own pools, bus and relay
        producer = db.async_engine(world.settings, world.producer)
        consumer = db.async_engine(world.settings, world.consumer)
        bus = world.bus()
        bus.add_relay(world.producer, producer)
        bus.subscribe(
            world.consumer, consumer, Subscription("points", ["orders.OrderPaid"], world.recorder("points"))
        )
        replicas.append((bus, producer, consumer))
    try:
        for bus, _, _ in replicas:
            await bus.start()
        # Both replicas' request handlers write into the one outbox, in many transactions.
        ids: list[str] = []
        for n in range(0, EVENTS, 10):
            batch = [
                (orders_pb2.OrderPaid(payment_reference=f"p-{i}"), f"order-{i}") for i in range(n, n + 10)
            ]
            ids += await world.record(*batch)
        for _ in range(100):
            if await world.count() >= EVENTS:
                break
            await asyncio.sleep(0.2)
        for bus, _, _ in replicas:
            await bus.drain(timeout=30)

        handled = Counter(row.event_id for row in await world.effects("points"))
        assert sorted(handled) == sorted(ids)
        assert set(handled.values()) == {1}, "an event handled twice"
        published = await asyncio.to_thread(_published, tap, tap_queue)
        assert sorted(published) == sorted(ids)
        assert set(published.values()) == {1}, "an event published twice"
    finally:
        for bus, producer, consumer in replicas:
            await bus.stop()
            await producer.dispose()
            await consumer.dispose()
        await asyncio.to_thread(tap.close)


async def test_a_relay_that_stops_leading_gives_the_outbox_to_the_next_at_once(rabbit_world: World) -> None:
    """The lead is a session's advisory lock: a relay that stops must unlock before its connection goes
    back to the pool, or the pooled connection keeps the lead and no relay publishes any more."""
    world = rabbit_world
    key = outbox.lock_key(world.producer)
    held = text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = :k AND granted")
    first = world.bus()
    world.wire(first, [Subscription("points", ["orders.OrderPaid"], world.recorder("points"))])
    await first.start()
    await world.record((orders_pb2.OrderPaid(payment_reference="before"), "before"))
    await first.drain(timeout=30)
    async with world.consumer_engine.connect() as conn:
        assert (await conn.execute(held, {"k": key})).scalar() == 1
    await first.stop()  # the engine and its pool live on, as they do in a process whose relay restarts
    async with world.consumer_engine.connect() as conn:
        assert (await conn.execute(held, {"k": key})).scalar() == 0, "a pooled connection still leads"
    # A second relay on the same pool leads, whichever of its connections it gets.
    second = world.bus()
    world.wire(second, [Subscription("points", ["orders.OrderPaid"], world.recorder("points"))])
    await second.start()
    await world.record((orders_pb2.OrderPaid(payment_reference="after"), "after"))
    await second.drain(timeout=30)
    assert sorted(r.aggregate_id for r in await world.effects("points")) == ["after", "before"]
