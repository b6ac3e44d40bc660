"""The RabbitMQ adapter: outbox relays publishing with confirms, quorum-queue consumers, reconnects.

Two connections per process, each supervised (reconnect with back-off): one publishes (relays,
replays), one consumes, so that flow control on publishing never stalls the consumers' acks. All pika
objects live on the server's asyncio loop (``AsyncioConnection``); see docs/decisions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any

import pika
from pika.spec import Basic

from isthmus.platform.events.amqp import AmqpClosed, AsyncChannel, ConfirmingPublisher, Connection
from isthmus.platform.events.bus import Binding, Bus
from isthmus.platform.events.consumer import Delivery, is_transient, store_dead_letter
from isthmus.platform.events.envelope import CONTENT_TYPE, EXCHANGE, amqp_properties
from isthmus.platform.events.metrics import EventMetrics
from isthmus.platform.events.options import BusOptions
from isthmus.platform.events.outbox import OutboxRow
from isthmus.platform.tracing import TRACEPARENT, TRACESTATE
from isthmus_client.api.events.v1 import envelope_pb2

log = logging.getLogger("isthmus.events")

DEAD_LETTER_EXCHANGE = "isthmus.dead-letter"


def dead_letter_queue(queue: str) -> str:
    return f"{queue}.dead"


def queue_arguments(queue: str, options: BusOptions) -> dict[str, Any]:
    """A durable quorum queue whose poison messages the broker dead-letters, at least once."""
    return {
        "x-queue-type": "quorum",
        # Explicit: RabbitMQ 4 defaults to 20, 3.x to unlimited. Our consumer dead-letters failing
        # events itself after BusOptions.max_attempts; this limit catches what crashes consumers.
        "x-delivery-limit": options.delivery_limit,
        "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
        "x-dead-letter-routing-key": queue,
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",  # required by at-least-once dead-lettering
    }


def topology(
    queue: str, routing_keys: Sequence[str], options: BusOptions
) -> list[tuple[str, dict[str, Any]]]:
    """The declarations behind one subscription's queue: its dead-letter queue, itself, its bindings."""
    dead = dead_letter_queue(queue)
    return [
        ("queue_declare", {"queue": dead, "durable": True, "arguments": {"x-queue-type": "quorum"}}),
        ("queue_bind", {"queue": dead, "exchange": DEAD_LETTER_EXCHANGE, "routing_key": queue}),
        ("queue_declare", {"queue": queue, "durable": True, "arguments": queue_arguments(queue, options)}),
        *(("queue_bind", {"queue": queue, "exchange": EXCHANGE, "routing_key": key}) for key in routing_keys),
    ]


EXCHANGES = ((EXCHANGE, "topic"), (DEAD_LETTER_EXCHANGE, "direct"))


def declare_queues(url: str, queues: Sequence[tuple[str, Sequence[str]]], options: BusOptions) -> None:
    """Declare the exchanges and these subscriptions' queues ahead of their consumers (``isthmus migrate``).

    Idempotent: the same declarations a consumer makes when it starts.
    """
    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        channel = connection.channel()
        for name, kind in EXCHANGES:
            channel.exchange_declare(name, kind, durable=True)
        for queue, keys in queues:
            for method, kwargs in topology(queue, keys, options):
                getattr(channel, method)(**kwargs)
                log.debug("declared %s %s", method, kwargs)
    finally:
        connection.close()


class _Link:
    """One supervised connection: reconnects with back-off and re-runs ``setup`` every time."""

    def __init__(
        self,
        url: str,
        name: str,
        options: BusOptions,
        setup: Callable[[Connection], Awaitable[None]],
        metrics: EventMetrics,
        role: str,
    ) -> None:
        self.url = url
        self.name = name
        self.options = options
        self.setup = setup
        self._connected = metrics.amqp_connected.labels(role)
        self._failures = metrics.amqp_failures.labels(role)
        self.connection: Connection | None = None
        self.ready = asyncio.Event()
        self.generation = 0

    async def run(self) -> None:
        failures = 0
        while True:
            connection: Connection | None = None
            try:
                connection = await Connection.open(self.url, name=self.name)
                await self.setup(connection)
                self.connection = connection
                self.generation += 1
                self.ready.set()
                self._connected.set(1)
                if failures:
                    log.info("%s: reconnected to RabbitMQ", self.name)
                failures = 0
                reason = await connection.closed
                log.warning("%s: connection to RabbitMQ lost: %s", self.name, reason)
                self._failures.inc()
            except asyncio.CancelledError:
                if connection is not None:
                    await connection.close()
                raise
            except Exception as exc:
                log.warning("%s: RabbitMQ unavailable: %s", self.name, exc)
                self._failures.inc()
                if connection is not None:
                    await connection.close()
            finally:
                self.ready.clear()
                self._connected.set(0)
                self.connection = None
            failures += 1
            await asyncio.sleep(self.options.reconnect_delay(failures))


class RabbitBus(Bus):
    def __init__(self, url: str, options: BusOptions | None = None, **kwargs: Any) -> None:
        super().__init__(options, **kwargs)
        self.url = url
        self._publisher: ConfirmingPublisher | None = None
        self._admin: AsyncChannel | None = None
        self._queues: dict[str, asyncio.Queue[Delivery]] = {}
        self._channels: dict[str, AsyncChannel] = {}
        self._consumer_tags: dict[str, str] = {}
        self._workers: list[asyncio.Task[None]] = []
        self._declared = asyncio.Event()
        self._publishing = _Link(
            url, "isthmus events publisher", self.options, self._setup_publishing, self.metrics, "publisher"
        )
        self._receiving = _Link(
            url, "isthmus events consumer", self.options, self._setup_consuming, self.metrics, "consumer"
        )

    # -- connections -----------------------------------------------------------------------------

    async def _open(self) -> None:
        self._consuming = True
        self._spawn(self._publishing.run(), "publishing connection")
        if self.bindings:
            self._spawn(self._receiving.run(), "consuming connection")

    async def _setup_publishing(self, connection: Connection) -> None:
        publisher = await ConfirmingPublisher.open(connection, self.options.confirm_window)
        channel = publisher.channel
        await channel.call(channel.pika.exchange_declare, EXCHANGE, "topic", durable=True)
        self._publisher = publisher

    async def _setup_consuming(self, connection: Connection) -> None:
        self._admin = await connection.channel()
        admin = self._admin
        for name, kind in EXCHANGES:
            await admin.call(admin.pika.exchange_declare, name, kind, durable=True)
        for binding in self.bindings.values():
            await self._declare(admin, binding)
        for binding in self.bindings.values():
            self._queue(binding.queue)
            await self._consume_from(connection, binding)
        self._declared.set()

    async def _declare(self, admin: AsyncChannel, binding: Binding) -> None:
        for method, kwargs in topology(binding.queue, binding.subscription.routing_keys, self.options):
            await admin.call(getattr(admin.pika, method), **kwargs)

    async def _consume_from(self, connection: Connection, binding: Binding) -> None:
        channel = await connection.channel()
        await channel.call(channel.pika.basic_qos, prefetch_count=self.options.prefetch)
        queue = self._queue(binding.queue)
        while not queue.empty():  # deliveries of the lost connection: the broker resends them
            queue.get_nowait()

        acks = Acks(channel)

        def on_message(_ch: Any, method: Basic.Deliver, props: pika.BasicProperties, body: bytes) -> None:
            queue.put_nowait(_delivery(acks, method, props, body))

        frame = await channel.call(channel.pika.basic_consume, binding.queue, on_message)
        self._consumer_tags[binding.queue] = frame.method.consumer_tag
        self._channels[binding.queue] = channel
        # Dead letters the broker made (delivery limit) move into the component's dead_letters table.
        dead = await connection.channel()
        await dead.call(dead.pika.basic_qos, prefetch_count=50)
        dead_acks = Acks(dead)

        def on_dead(_ch: Any, method: Basic.Deliver, props: pika.BasicProperties, body: bytes) -> None:
            delivery = _delivery(dead_acks, method, props, body)
            self._spawn(self._store_broker_dead_letter(binding, dead, delivery, props), "dead letter")

        await dead.call(dead.pika.basic_consume, dead_letter_queue(binding.queue), on_dead)

    async def _store_broker_dead_letter(
        self, binding: Binding, channel: AsyncChannel, delivery: Delivery, props: pika.BasicProperties
    ) -> None:
        headers = props.headers or {}
        reason = str(headers.get("x-first-death-reason", "unknown"))
        delivery.routing_key = str((headers.get("x-death") or [{}])[0].get("routing-keys", [""])[0] or "")
        failures = 0
        while channel.is_open:
            try:
                await store_dead_letter(
                    binding.engine,
                    consumer=binding.queue,
                    delivery=delivery,
                    reason=f"dead-lettered by RabbitMQ ({reason}): delivered more than "
                    f"{self.options.delivery_limit} times without an outcome",
                    last_error=None,
                    attempts=self.options.delivery_limit + 1,
                    event_id=props.message_id,
                )
            except Exception as exc:
                if not is_transient(exc):
                    raise
                failures += 1
                await asyncio.sleep(self.options.reconnect_delay(failures))
                continue
            self.metrics.dead_lettered.labels(binding.queue).inc()
            delivery.settle()
            return

    def _queue(self, name: str) -> asyncio.Queue[Delivery]:
        if name not in self._queues:
            self._queues[name] = asyncio.Queue()
        return self._queues[name]

    def _start_binding(self, binding: Binding) -> None:
        self._workers.append(asyncio.create_task(self._consume(binding, self._queue(binding.queue))))
        if self._receiving.connection is not None:
            # Subscribed after start: declare and consume on the live connection too.
            self._spawn(self._late_binding(binding), f"subscribe {binding.queue}")
        elif self.started and not any("consuming" in t.get_name() for t in self._tasks):
            self._spawn(self._receiving.run(), "consuming connection")

    async def _late_binding(self, binding: Binding) -> None:
        connection = self._receiving.connection
        if connection is not None and self._admin is not None:
            await self._declare(self._admin, binding)
            await self._consume_from(connection, binding)

    async def _stop_consuming(self) -> None:
        self._consuming = False
        for name, channel in list(self._channels.items()):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    channel.call(channel.pika.basic_cancel, self._consumer_tags.get(name, "")), 2
                )
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers.clear()

    async def _close(self) -> None:
        for link in (self._receiving, self._publishing):
            if link.connection is not None:
                await link.connection.close()
        self._channels.clear()
        self._publisher = None

    def _connected(self) -> bool:
        return self._admin is not None and self._admin.is_open and self._receiving.ready.is_set()

    async def _queue_depth(self, binding: Binding) -> int:
        if self._admin is None or not self._admin.is_open or not self._receiving.ready.is_set():
            return 1  # not connected: cannot tell, so not idle
        waiting = self._queue(binding.queue).qsize()
        for name in (binding.queue, dead_letter_queue(binding.queue)):
            frame = await self._admin.call(self._admin.pika.queue_declare, name, passive=True)
            waiting += frame.method.message_count
        return waiting

    # -- publishing ------------------------------------------------------------------------------

    async def _ready_publisher(self) -> ConfirmingPublisher:
        if self.bindings:
            # This process's queues first: an event published before its queue exists reaches no one.
            await self._declared.wait()
        while True:
            await self._publishing.ready.wait()
            publisher = self._publisher
            if publisher is not None and publisher.channel.is_open:
                return publisher
            await asyncio.sleep(0.05)

    async def _publisher_ready(self) -> None:
        await self._ready_publisher()

    async def _publish(self, row: OutboxRow) -> asyncio.Future[bool]:
        publisher = await self._ready_publisher()
        envelope = envelope_pb2.EventEnvelope.FromString(row.envelope)
        properties = amqp_properties(envelope)
        properties["headers"].update(row.trace_headers())
        props = pika.BasicProperties(**properties)
        return await publisher.publish(EXCHANGE, row.type, row.envelope, props)

    async def publish_raw(
        self,
        routing_key: str,
        body: bytes,
        *,
        content_type: str | None = CONTENT_TYPE,
        type_: str | None = None,
        headers: dict[str, Any] | None = None,
        exchange: str = EXCHANGE,
    ) -> None:
        """Publish as a foreign producer could (no outbox), confirmed: for tests and tools."""
        publisher = await self._ready_publisher()
        props = pika.BasicProperties(content_type=content_type, type=type_, headers=headers, delivery_mode=2)
        if not await (await publisher.publish(exchange, routing_key, body, props)):
            raise AmqpClosed("RabbitMQ refused the message")

    async def _redeliver(self, binding: Binding, row: Any) -> None:
        try:
            # Straight to the one queue through the default exchange: other subscribers of the
            # event already handled it and must not see it again.
            # The trace context it arrived with, so that its replay continues the same trace.
            context = {k: v for k, v in ((TRACEPARENT, row.traceparent), (TRACESTATE, row.tracestate)) if v}
            await self.publish_raw(
                binding.queue,
                row.body,
                content_type=row.content_type,
                type_=row.type,
                headers=context or None,
                exchange="",
            )
        except Exception:
            self._replaying.discard((binding.queue, row.id))
            raise
        await self._forget_replayed(binding, row.id)


class Acks:
    """A consuming channel's acks, sent together.

    The tags acked within one turn of the event loop (a batch's deliveries, settled one after the
    other once its transaction committed) go as one ``basic.ack`` with ``multiple`` up to the lowest
    tag still unsettled; a tag above that one goes alone, so that a delivery held for a retry is never
    acknowledged with the others. A quorum queue logs every ack frame it receives: one per batch
    instead of one per delivery is work the broker is spared.
    """

    def __init__(self, channel: AsyncChannel) -> None:
        self.channel = channel
        self.unsettled: set[int] = set()  # delivered, neither acked nor requeued yet
        self.acked: list[int] = []  # acked since the last flush, not yet sent
        self.flushing = False

    def received(self, tag: int) -> None:
        self.unsettled.add(tag)

    def ack(self, tag: int) -> None:
        self.unsettled.discard(tag)
        self.acked.append(tag)
        if not self.flushing:
            self.flushing = True
            asyncio.get_running_loop().call_soon(self.flush)

    def requeue(self, tag: int) -> None:
        self.unsettled.discard(tag)
        if self.channel.is_open:
            self.channel.pika.basic_nack(tag, requeue=True)

    def flush(self) -> None:
        self.flushing = False
        acked, self.acked = self.acked, []
        if not acked or not self.channel.is_open:
            return  # a closed channel's deliveries come again, to the inbox that knows them
        lowest = min(self.unsettled, default=None)
        # Every tag below the lowest unsettled one is settled: one frame acknowledges them all. The
        # tag it names is one of this flush's, so the broker still holds it unacknowledged.
        covered = [t for t in acked if lowest is None or t < lowest]
        if covered:
            self.channel.pika.basic_ack(max(covered), multiple=True)
        for tag in acked:
            if lowest is not None and tag > lowest:
                self.channel.pika.basic_ack(tag)


def _delivery(acks: Acks, method: Basic.Deliver, props: pika.BasicProperties, body: bytes) -> Delivery:
    tag = method.delivery_tag
    acks.received(tag)

    headers = props.headers or {}
    return Delivery(
        body=body,
        routing_key=method.routing_key,
        content_type=props.content_type,
        type=props.type,
        headers=headers,
        redelivered=bool(method.redelivered),
        previous_deliveries=int(headers.get("x-delivery-count", 0) or 0),
        ack=partial(acks.ack, tag),
        requeue=partial(acks.requeue, tag),
    )
