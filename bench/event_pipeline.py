"""Event pipeline throughput: outbox write -> relay (confirms) -> quorum queue -> consumer commit (inbox).

Runs against the real RabbitMQ and PostgreSQL, in a database and vhost of its own (dropped after).
Prints raw pika publishing with a window of confirms to a quorum queue on the same broker first, then
the end-to-end rate of the pipeline, the ratio, and the outbox-to-handler latency p50/p99. Producer
(unit-of-work transactions + relay) and consumer run in two processes, as two services would.

    .venv/bin/python bench/event_pipeline.py [--events 20000] [--payload 1024]

Environment: ISTHMUS_BENCH_PG_URL (default postgresql://postgres@127.0.0.1:5432/postgres),
ISTHMUS_BENCH_AMQP (default guest:guest@127.0.0.1:5672); needs rabbitmqctl for the vhost.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import platform
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pika
from pika.adapters.asyncio_connection import AsyncioConnection
from sqlalchemy.ext.asyncio import AsyncSession

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scratch import scratch_database, scratch_vhost

from isthmus.platform import db
from isthmus.platform.config import Settings
from isthmus.platform.events import MIGRATIONS, Event, Subscription, record_event
from isthmus.platform.events.rabbit import RabbitBus
from isthmus.platform.migrations import upgrade
from isthmus_client.api.events.v1 import orders_pb2


async def raw_pika(url: str, count: int, payload: bytes, window: int) -> float:
    """Plain pika (AsyncioConnection), persistent messages, a window of unconfirmed publishes."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()
    done: asyncio.Future[float] = loop.create_future()
    state = {"sent": 0, "confirmed": 0, "start": 0.0}
    queue = f"bench.raw.{uuid.uuid4().hex[:8]}"
    props = pika.BasicProperties(delivery_mode=2, content_type="application/octet-stream")

    def publish_more(channel: Any) -> None:
        while state["sent"] < count and state["sent"] - state["confirmed"] < window:
            channel.basic_publish("", queue, payload, props)
            state["sent"] += 1

    def on_confirm(frame: Any) -> None:
        tag = frame.method.delivery_tag
        state["confirmed"] = tag if frame.method.multiple else max(state["confirmed"], tag)
        if state["confirmed"] >= count and not done.done():
            done.set_result(time.perf_counter() - state["start"])
        else:
            publish_more(channel_ref[0])

    channel_ref: list = []

    def on_channel(channel: Any) -> None:
        channel_ref.append(channel)
        args = {"x-queue-type": "quorum"}
        channel.queue_declare(
            queue,
            durable=True,
            arguments=args,
            callback=lambda _f: channel.confirm_delivery(
                on_confirm, callback=lambda _f: ready.set_result(None)
            ),
        )

    conn = AsyncioConnection(
        pika.URLParameters(url),
        on_open_callback=lambda c: c.channel(on_open_callback=on_channel),
        custom_ioloop=loop,
    )
    await ready
    state["start"] = time.perf_counter()
    publish_more(channel_ref[0])
    seconds = await done
    channel_ref[0].queue_delete(queue)
    await asyncio.sleep(0.2)
    conn.close()
    return count / seconds


async def consume(settings: Settings, count: int, report: Connection) -> None:
    """The consuming service: one quorum queue, inbox on, a handler that notes the latency."""
    consumer = db.async_engine(settings, "bench_consumer")
    latencies: list[float] = []
    finished = asyncio.Event()

    async def handle(_session: AsyncSession, event: Event) -> None:
        latencies.append((datetime.now(UTC) - event.occurred_at).total_seconds())
        if len(latencies) >= count:
            finished.set()

    bus = RabbitBus(settings.amqp_url or "")
    bus.subscribe("bench_consumer", consumer, Subscription("bench", ["orders.OrderPaid"], handle))
    await bus.start()
    await bus.drain(timeout=30)  # queue declared and bound
    report.send("ready")
    cpu = time.process_time()
    await asyncio.wait_for(finished.wait(), 600)
    done = time.time()
    print(f"  consumer: CPU {time.process_time() - cpu:.1f} s", flush=True)
    await bus.drain(timeout=60)  # committed and acked
    report.send((done, latencies))
    await bus.stop()
    await consumer.dispose()


def consumer_process(settings: Settings, count: int, report: Connection) -> None:
    asyncio.run(consume(settings, count, report))


async def produce(settings: Settings, count: int, payload_size: int, writers: int) -> float:
    """The producing service: concurrent unit-of-work transactions of 100 events, and its relay."""
    producer = db.async_engine(settings, "bench_producer")
    bus = RabbitBus(settings.amqp_url or "")
    bus.add_relay("bench_producer", producer)
    await bus.start()
    reference = "x" * payload_size
    sessions = db.session_factory(producer)

    async def write(share: int, offset: int) -> None:
        for start in range(0, share, 100):
            async with sessions() as session, session.begin():
                for i in range(start, min(start + 100, share)):
                    message = orders_pb2.OrderPaid(payment_reference=reference)
                    await record_event(session, message, aggregate_id=f"order-{(offset + i) % 1000}")

    began = time.time()
    cpu = time.process_time()
    await asyncio.gather(*(write(count // writers, w * count) for w in range(writers)))
    written = time.time()
    await bus.drain(timeout=600)
    print(
        f"  producer: written in {written - began:.1f} s, published in {time.time() - began:.1f} s, "
        f"CPU {time.process_time() - cpu:.1f} s",
        flush=True,
    )
    await bus.stop()
    await producer.dispose()
    return began


def pipeline(settings: Settings, count: int, payload_size: int, writers: int) -> tuple[float, list[float]]:
    upgrade(settings, "bench_producer", [MIGRATIONS])
    upgrade(settings, "bench_consumer", [MIGRATIONS])
    ours, theirs = multiprocessing.get_context("spawn").Pipe()
    child = multiprocessing.get_context("spawn").Process(
        target=consumer_process, args=(settings, count, theirs), daemon=True
    )
    child.start()
    try:
        if not ours.poll(60) or ours.recv() != "ready":
            raise RuntimeError("the consumer process did not start")
        began = asyncio.run(produce(settings, count, payload_size, writers))
        if not ours.poll(600):
            raise RuntimeError("the consumer process never finished")
        done, latencies = ours.recv()
    finally:
        child.join(30)
    return count / (done - began), latencies


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--payload", type=int, default=1024, help="payload bytes (default 1 KB)")
    parser.add_argument("--writers", type=int, default=2, help="concurrent producer transactions")
    parser.add_argument("--window", type=int, default=1000, help="raw pika: unconfirmed publishes in flight")
    args = parser.parse_args()

    with scratch_database() as database_url, scratch_vhost() as amqp_url:
        settings = Settings(database_url=database_url, amqp_url=amqp_url, db_pool_size=10)
        raw = asyncio.run(raw_pika(amqp_url, args.events, b"x" * args.payload, args.window))
        rate, latencies = pipeline(settings, args.events, args.payload, args.writers)

    quantiles = statistics.quantiles(latencies, n=100)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"pika {pika.__version__}"
    )
    print(
        f"events: {args.events}, payload {args.payload} B, "
        f"{args.writers} writers x 100 events per transaction"
    )
    print(f"raw pika, window of {args.window} confirms, quorum queue: {raw:,.0f} msg/s")
    print(f"pipeline outbox -> confirms -> quorum queue -> inbox + handler commit: {rate:,.0f} events/s")
    print(f"ratio pipeline / raw: {rate / raw:.2f}")
    print(
        f"latency outbox write -> handler: p50 {quantiles[49] * 1000:.0f} ms, "
        f"p99 {quantiles[98] * 1000:.0f} ms"
    )
    print(
        f"reproduce: .venv/bin/python bench/event_pipeline.py --events {args.events} --payload {args.payload}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
