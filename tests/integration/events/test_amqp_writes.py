"""Frames pika buffered are sent joined (isthmus.platform.events.amqp): nothing lost, torn or reordered,
also when the socket takes only part of a write."""

from __future__ import annotations

import asyncio
import uuid

import pika
import pytest

from isthmus.platform.events import amqp

pytestmark = pytest.mark.rabbitmq


def _drain(url: str, queue: str, count: int) -> list[bytes]:
    with pika.BlockingConnection(pika.URLParameters(url)) as conn:
        channel = conn.channel()
        bodies = []
        while len(bodies) < count:
            method, _props, body = channel.basic_get(queue, auto_ack=True)
            if method is None:
                break
            bodies.append(body)
        channel.queue_delete(queue)
        return bodies


async def test_a_burst_of_small_and_large_messages_arrives_whole_and_in_order(amqp_url):
    from pika.adapters.utils import io_services_utils

    assert io_services_utils._AsyncPlaintextTransport._produce is amqp._produce_joined
    queue = f"writes-{uuid.uuid4().hex[:8]}"
    conn = await amqp.Connection.open(amqp_url, name="test-writes")
    try:
        channel = await conn.channel()
        await channel.call(channel.pika.queue_declare, queue=queue)
        publisher = await amqp.ConfirmingPublisher.open(conn, window=1000)
        # Small messages pile up as many frames; 3 MiB bodies overflow the socket buffer, so sends
        # are partial and the rest goes out when the socket is writable again.
        sizes = [1 + (i * 7919) % 300 if i % 50 else 3 << 20 for i in range(400)]
        bodies = [(f"{i:04d}:".encode() * (size // 5 + 1))[:size] for i, size in enumerate(sizes)]
        props = pika.BasicProperties(delivery_mode=2)
        confirms = [await publisher.publish("", queue, body, props) for body in bodies]
        assert all(await asyncio.gather(*confirms))
    finally:
        await conn.close()
    assert await asyncio.to_thread(_drain, amqp_url, queue, len(bodies)) == bodies
