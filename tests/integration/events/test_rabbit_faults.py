"""Faults against the real broker: foreign bad messages, poison messages, a cut connection, a lost database.

Bad messages sent through the bus, raising handlers, double delivery and replay after success are
also in the contract suite (``test_contract.py``), which runs them on RabbitMQ too.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from urllib.parse import urlsplit, urlunsplit

import pika
import pytest

from isthmus.platform import db
from isthmus.platform.events import EXCHANGE, Subscription, queue_name
from isthmus.platform.events.rabbit import RabbitBus, dead_letter_queue
from isthmus_client.api.events.v1 import envelope_pb2, orders_pb2

pytestmark = [pytest.mark.rabbitmq, pytest.mark.postgres]

PAID = orders_pb2.OrderPaid


def _via(url: str, port: int) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host))


def _foreign_publish(amqp_url: str, messages: list[tuple[bytes, pika.BasicProperties]]) -> None:
    """What another team's client could send: plain pika, no envelope discipline."""
    with pika.BlockingConnection(pika.URLParameters(amqp_url)) as conn:
        channel = conn.channel()
        channel.confirm_delivery()
        for body, props in messages:
            channel.basic_publish(EXCHANGE, "orders.OrderPaid", body, props)


async def _wait_for(predicate, what: str, attempts: int = 500) -> None:  # type: ignore[no-untyped-def]
    for _ in range(attempts):
        if await predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"never happened: {what}")


async def test_foreign_bad_messages_are_dead_lettered_with_reasons_and_consuming_goes_on(
    rabbit_world,
) -> None:
    world = rabbit_world
    bus = world.bus()
    world.wire(bus, [Subscription("points", ["orders.OrderPaid"], world.recorder("points"))])
    await bus.start()
    await bus.drain()  # queues declared
    unknown = envelope_pb2.EventEnvelope(
        event_id="0b9c8a4e-5c55-4b9e-9f1f-3f2d55a0c001", type="orders.OrderPaid", payload_type="x.Unknown"
    ).SerializeToString()
    good_type = {"content_type": "application/x-protobuf", "type": "orders.OrderPaid"}
    await asyncio.to_thread(
        _foreign_publish,
        world.settings.amqp_url,
        [
            (b'{"order": 1}', pika.BasicProperties(content_type="application/json", type="orders.OrderPaid")),
            (b"\x00\x01garbage", pika.BasicProperties(**good_type)),
            (unknown, pika.BasicProperties()),  # no properties at all
            (unknown, pika.BasicProperties(**good_type)),
        ],
    )
    await world.record((PAID(payment_reference="still-flowing"), "order-1"))
    await bus.drain()
    reasons = sorted(d.reason.split(" ", 1)[0] for d in await world.dead_letters())
    assert reasons == ["missing", "undecodable", "unknown", "unsupported"]
    assert [r.note for r in await world.effects()] == ["still-flowing"]


def _nack_until_dead(amqp_url: str, queue: str, limit: int) -> int:
    """Play a consumer that crashes on the message every time: the broker's delivery limit ends it."""
    with pika.BlockingConnection(pika.URLParameters(amqp_url)) as conn:
        channel = conn.channel()
        for tries in range(limit + 5):
            # A quorum queue puts a nacked message back asynchronously: an empty get right after the
            # nack does not yet mean it was dead-lettered, so look again for a while before concluding.
            for _ in range(50):
                method, _props, _body = channel.basic_get(queue)
                if method is not None:
                    break
                conn.sleep(0.1)
            else:
                return tries
            channel.basic_nack(method.delivery_tag, requeue=True)
    raise AssertionError("the broker never dead-lettered the message")


async def test_message_over_the_broker_delivery_limit_lands_in_dead_letters(rabbit_world) -> None:
    world = rabbit_world
    world.options = replace(world.options, delivery_limit=2)
    subscription = Subscription("points", ["orders.OrderPaid"], world.recorder("points"))
    bus = world.bus()
    world.wire(bus, [subscription])
    await bus.start()
    await bus.drain()
    await bus.stop()  # the queue exists; nobody consumes it now
    producer_only = world.bus()
    producer_only.add_relay(world.producer, world.producer_engine)
    await producer_only.start()
    [event_id] = await world.record((PAID(payment_reference="poison"), "order-1"))
    await producer_only.drain()
    await producer_only.stop()

    queue = queue_name(world.consumer, "points")
    tries = await asyncio.to_thread(_nack_until_dead, world.settings.amqp_url, queue, 2)
    assert tries == 3  # the first delivery and two redeliveries

    bus = world.bus()
    world.wire(bus, [subscription])
    await bus.start()
    await bus.drain()
    [dead] = await world.dead_letters()
    assert dead.event_id == event_id
    assert "delivery_limit" in dead.reason
    assert await world.effects() == []
    assert dead_letter_queue(queue) == f"{queue}.dead"


async def test_connection_cut_mid_stream_of_1000_events_loses_and_doubles_none(
    rabbit_world, tcp_proxy
) -> None:
    world = rabbit_world
    proxy = await tcp_proxy("127.0.0.1", urlsplit(world.settings.amqp_url).port or 5672)
    bus = RabbitBus(_via(world.settings.amqp_url, proxy.port), world.options)
    world.buses.append(bus)
    world.wire(bus, [Subscription("points", ["orders.OrderPaid"], world.recorder("points"))])
    await bus.start()
    await bus.drain()

    batches = [
        [(PAID(payment_reference=str(b * 100 + i)), f"order-{i % 7}") for i in range(100)] for b in range(10)
    ]
    for batch in batches[:4]:
        await world.record(*batch)
    await _wait_for(lambda: _positive(world), "first events handled")
    proxy.cut()  # mid-stream: some handled, the rest in the queue, in flight or in the outbox
    handled_at_cut = await world.count()
    for batch in batches[4:]:
        await world.record(*batch)  # while the bus reconnects: the outbox keeps them
    await _wait_for(lambda: _at_least(world, 600), "more events handled after the cut")
    proxy.cut()
    await bus.drain(timeout=60)

    assert proxy.cuts == 2 and 0 < handled_at_cut < 1000
    rows = await world.effects()
    assert len(rows) == 1000
    assert len({r.event_id for r in rows}) == 1000
    assert sorted(int(r.note) for r in rows) == list(range(1000))


async def _positive(world) -> bool:  # type: ignore[no-untyped-def]
    return await world.count() > 0


async def _at_least(world, n: int) -> bool:  # type: ignore[no-untyped-def]
    return await world.count() >= n


async def test_database_down_while_consuming_leaves_the_message_unacked_until_it_is_back(
    rabbit_world, tcp_proxy
) -> None:
    world = rabbit_world
    pg = urlsplit(world.settings.database_url)
    proxy = await tcp_proxy(pg.hostname or "127.0.0.1", pg.port or 5432)
    through_proxy = replace(world.settings, database_url=_via(world.settings.database_url, proxy.port))
    consumer_engine = db.async_engine(through_proxy, world.consumer)
    try:
        bus = world.bus()
        bus.add_relay(world.producer, world.producer_engine)
        queue = bus.subscribe(
            world.consumer,
            consumer_engine,
            Subscription("points", ["orders.OrderPaid"], world.recorder("points")),
        )
        await bus.start()
        await bus.drain()

        proxy.blocked = True
        proxy.cut()
        [event_id] = await world.record((PAID(payment_reference="waits"), "order-1"))
        consumer = bus.bindings[queue].consumer
        await _wait_for(lambda: _true(consumer.in_flight == 1), "delivery taken while the database is down")
        await asyncio.sleep(0.5)  # several failed attempts to reach the database
        assert consumer.in_flight == 1  # still held, not acked, not dead-lettered
        assert await world.effects() == [] and await world.dead_letters() == []

        proxy.blocked = False
        await bus.drain(timeout=30)
        assert [r.event_id for r in await world.effects()] == [event_id]
        assert await world.dead_letters() == []
    finally:
        await consumer_engine.dispose()


async def _true(value: bool) -> bool:
    return value
