"""Event pipeline throughput: outbox write -> relay (confirms) -> quorum queue -> consumer commit (inbox).

The anchor is plain pika doing the same broker work without Isthmus: one process publishes persistent
messages to a quorum queue with a window of publisher confirms, another consumes them with manual acks
and a bounded prefetch. The pipeline: one process writes events through the transactional outbox
(unit-of-work transactions of 100 events) and relays them with confirms; another consumes them with
the inbox, committing each batch of deliveries. The clock stops when the last ack (anchor) or the
last inbox commit (pipeline) is done. Anchor and pipeline alternate, ``--rounds`` times each, on a
private PostgreSQL and RabbitMQ (bench/servers.py), so CPU is charged to exactly the run's processes.

    .venv/bin/python bench/event_pipeline.py [--events 20000] [--payload 1024] [--rounds 3]
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
from collections.abc import Sequence
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pika
from pika.adapters.asyncio_connection import AsyncioConnection
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import Meter, load_average
from scratch import scratch_database, scratch_vhost
from servers import Server, servers

from isthmus.platform import db
from isthmus.platform.config import Settings
from isthmus.platform.events import MIGRATIONS, Event, Subscription, record_event
from isthmus.platform.events.rabbit import RabbitBus
from isthmus.platform.events.tables import inbox
from isthmus.platform.migrations import upgrade
from isthmus_client.api.events.v1 import orders_pb2

SPAWN = multiprocessing.get_context("spawn")


# -- the anchor: raw pika publish with confirms, consume with acks ----------------------------------


async def _connect(url: str) -> tuple[AsyncioConnection, Any]:
    loop = asyncio.get_running_loop()
    opened: asyncio.Future[Any] = loop.create_future()
    conn = AsyncioConnection(
        pika.URLParameters(url),
        on_open_callback=lambda c: c.channel(on_open_callback=opened.set_result),
        on_open_error_callback=lambda _c, e: opened.set_exception(RuntimeError(str(e))),
        custom_ioloop=loop,
    )
    return conn, await opened


async def _raw_consume(url: str, queue: str, count: int, prefetch: int, report: Connection) -> None:
    loop = asyncio.get_running_loop()
    done: asyncio.Future[float] = loop.create_future()
    conn, channel = await _connect(url)
    seen = 0

    def on_message(ch: Any, method: Any, _props: Any, _body: bytes) -> None:
        nonlocal seen
        seen += 1
        ch.basic_ack(method.delivery_tag)
        if seen >= count and not done.done():
            done.set_result(time.time())

    channel.basic_qos(prefetch_count=prefetch)
    channel.basic_consume(queue, on_message)
    report.send("ready")
    finished = await done
    await asyncio.sleep(0.1)  # the last ack leaves the socket
    report.send(finished)
    conn.close()


def raw_consumer(url: str, queue: str, count: int, prefetch: int, report: Connection) -> None:
    asyncio.run(_raw_consume(url, queue, count, prefetch, report))


async def _raw_publish(
    url: str, queue: str, count: int, payload: bytes, window: int, routes: Sequence[str] = ()
) -> float:
    """Publishes ``count`` persistent messages through the default exchange with a window of
    confirms, to ``queue`` or, when ``routes`` is given, to its routing keys in turn (a key naming no
    queue: the broker confirms and drops the message). Returns when publishing began."""
    loop = asyncio.get_running_loop()
    keys = list(routes) or [queue]
    confirmed_all: asyncio.Future[None] = loop.create_future()
    conn, channel = await _connect(url)
    state = {"sent": 0, "confirmed": 0}
    props = pika.BasicProperties(delivery_mode=2, content_type="application/octet-stream")

    def publish_more() -> None:
        while state["sent"] < count and state["sent"] - state["confirmed"] < window:
            channel.basic_publish("", keys[state["sent"] % len(keys)], payload, props)
            state["sent"] += 1

    def on_confirm(frame: Any) -> None:
        tag = frame.method.delivery_tag
        state["confirmed"] = tag if frame.method.multiple else max(state["confirmed"], tag)
        if state["confirmed"] >= count:
            if not confirmed_all.done():
                confirmed_all.set_result(None)
        else:
            publish_more()

    selected: asyncio.Future[None] = loop.create_future()
    channel.confirm_delivery(on_confirm, callback=lambda _f: selected.set_result(None))
    await selected
    began = time.time()
    publish_more()
    await confirmed_all
    conn.close()
    return began


def _declare(url: str, queue: str) -> None:
    with pika.BlockingConnection(pika.URLParameters(url)) as conn:
        conn.channel().queue_declare(queue, durable=True, arguments={"x-queue-type": "quorum"})


def _delete(url: str, queue: str) -> None:
    with pika.BlockingConnection(pika.URLParameters(url)) as conn:
        conn.channel().queue_delete(queue)


def raw_round(url: str, args: argparse.Namespace, pids: dict[str, int]) -> dict[str, Any]:
    queue = f"bench.raw.{uuid.uuid4().hex[:8]}"
    _declare(url, queue)
    ours, theirs = SPAWN.Pipe()
    child = SPAWN.Process(
        target=raw_consumer, args=(url, queue, args.events, args.prefetch, theirs), daemon=True
    )
    child.start()
    try:
        if not ours.poll(60) or ours.recv() != "ready":
            raise RuntimeError("the raw consumer did not start")
        meter = Meter({**pids, "publisher": os.getpid(), "consumer": child.pid or 0})
        meter.start()
        began = asyncio.run(_raw_publish(url, queue, args.events, b"x" * args.payload, args.window))
        if not ours.poll(600):
            raise RuntimeError("the raw consumer never finished")
        finished = ours.recv()
        meter.stop()
    finally:
        child.join(30)
        _delete(url, queue)
    return {"rate": args.events / (finished - began), "cpu": meter.per(args.events), "run": meter.run_total()}


# -- the pipeline: outbox, relay, inbox -------------------------------------------------------------


async def consume(settings: Settings, count: int, report: Connection) -> None:
    """The consuming service: one quorum queue, inbox on, a handler that notes the latency."""
    consumer = db.async_engine(settings, "bench_consumer")
    latencies: list[float] = []

    async def handle(_session: AsyncSession, event: Event) -> None:
        latencies.append((datetime.now(UTC) - event.occurred_at).total_seconds())

    bus = RabbitBus(settings.amqp_url or "")
    bus.subscribe("bench_consumer", consumer, Subscription("bench", ["orders.OrderPaid"], handle))
    await bus.start()
    await bus.drain(timeout=60)  # queue declared and bound
    report.send("ready")
    # Done when the last inbox row has committed: read it from the database, not from the handler
    # (a handler runs before its batch's transaction commits).
    committed = select(func.count()).select_from(inbox)
    async with consumer.connect() as conn:
        while (await conn.execute(committed)).scalar_one() < count:  # noqa: ASYNC110 (another process)
            await asyncio.sleep(0.005)
    report.send((time.time(), latencies))
    await bus.stop()
    await consumer.dispose()


def consumer_process(settings: Settings, count: int, report: Connection) -> None:
    asyncio.run(consume(settings, count, report))


async def produce(
    settings: Settings, count: int, payload_size: int, writers: int, began: list[float]
) -> None:
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

    began.append(time.time())
    await asyncio.gather(*(write(count // writers, w * count) for w in range(writers)))
    await bus.drain(timeout=600)
    await bus.stop()
    await producer.dispose()


def pipeline_round(pg: Server, mq: Server, args: argparse.Namespace, pids: dict[str, int]) -> dict[str, Any]:
    with scratch_database(pg.url) as database_url, scratch_vhost(mq.host, mq.node) as vhost_url:
        settings = Settings(database_url=database_url, amqp_url=vhost_url, db_pool_size=10)
        upgrade(settings, "bench_producer", [MIGRATIONS])
        upgrade(settings, "bench_consumer", [MIGRATIONS])
        ours, theirs = SPAWN.Pipe()
        child = SPAWN.Process(target=consumer_process, args=(settings, args.events, theirs), daemon=True)
        child.start()
        try:
            if not ours.poll(120) or ours.recv() != "ready":
                raise RuntimeError("the consumer process did not start")
            meter = Meter({**pids, "producer": os.getpid(), "consumer": child.pid or 0})
            began: list[float] = []
            meter.start()
            asyncio.run(produce(settings, args.events, args.payload, args.writers, began))
            if not ours.poll(600):
                raise RuntimeError("the consumer process never finished")
            done, latencies = ours.recv()
            meter.stop()
        finally:
            child.join(30)
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        "rate": args.events / (done - began[0]),
        "cpu": meter.per(args.events),
        "run": meter.run_total(),
        "p50": quantiles[49] * 1000,
        "p99": quantiles[98] * 1000,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--payload", type=int, default=1024, help="payload bytes (default 1 KB)")
    parser.add_argument("--writers", type=int, default=2, help="concurrent producer transactions")
    parser.add_argument("--window", type=int, default=1000, help="anchor: unconfirmed publishes in flight")
    parser.add_argument("--prefetch", type=int, default=200, help="anchor: unacked deliveries in flight")
    parser.add_argument("--rounds", type=int, default=3, help="anchor and pipeline runs, alternated")
    args = parser.parse_args()

    raws: list[dict[str, Any]] = []
    pipes: list[dict[str, Any]] = []
    with servers() as found:
        pg, mq = found["postgres"], found["rabbitmq"]
        pids = {"postgres": pg.pid, "rabbitmq": mq.pid}
        for n in range(args.rounds):
            raws.append(raw_round(mq.url, args, pids))
            print(
                f"round {n + 1} anchor:   {raws[-1]['rate']:,.0f} msg/s; CPU per message: {raws[-1]['cpu']}"
            )
            pipes.append(pipeline_round(pg, mq, args, pids))
            pipe = pipes[-1]
            print(
                f"round {n + 1} pipeline: {pipe['rate']:,.0f} events/s; CPU per event: {pipe['cpu']}; "
                f"outbox write -> handler p50 {pipe['p50']:.0f} ms, p99 {pipe['p99']:.0f} ms",
                flush=True,
            )

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, pika {pika.__version__}"
    )
    print(f"load average at the end: {load_average()}")
    print(
        f"events: {args.events}, payload {args.payload} B, {args.writers} writers x 100 events a transaction"
    )
    ratios = [p["rate"] / r["rate"] for p, r in zip(pipes, raws, strict=True)]
    cpu_ratios = [r["run"] / p["run"] for p, r in zip(pipes, raws, strict=True)]
    print(
        f"pipeline / anchor throughput, per round: {', '.join(f'{x:.2f}' for x in ratios)} (target >= 0.30)"
    )
    print(f"anchor CPU / pipeline CPU per event, per round: {', '.join(f'{x:.2f}' for x in cpu_ratios)}")
    print(
        f"reproduce: .venv/bin/python bench/event_pipeline.py --events {args.events} "
        f"--payload {args.payload} --rounds {args.rounds}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
