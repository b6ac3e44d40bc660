"""Opt-in bridge for nameko services: re-publishes selected events in nameko's event format.

A nameko service subscribes with a plain ``@event_handler("isthmus_bridge", "orders.OrderPaid")``.
The bridge consumes its own quorum queue (``isthmus.nameko-bridge``) bound to the chosen routing keys
on ``isthmus.events``, turns each envelope into a JSON object, and publishes it (confirmed) to the
topic exchange ``<service>.events`` with the event type as routing key, as nameko's
``EventDispatcher`` would. The original is acked only after that publish is confirmed.

Only pika here: nameko (and eventlet's monkey-patching, which hangs grpcio servers, grpc/grpc#15923)
never enters an Isthmus process. Run it with ``isthmus nameko-bridge``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from functools import partial
from typing import Any

import pika
from google.protobuf.json_format import MessageToDict
from pika.spec import Basic

from isthmus.platform.events.amqp import AsyncChannel, ConfirmingPublisher, Connection
from isthmus.platform.events.envelope import EXCHANGE, BadMessage, Event, decode
from isthmus.platform.events.metrics import event_metrics
from isthmus.platform.events.options import BusOptions
from isthmus.platform.events.rabbit import DEAD_LETTER_EXCHANGE, _Link, dead_letter_queue, queue_arguments

log = logging.getLogger("isthmus.events.nameko")

DEFAULT_SERVICE = "isthmus_bridge"
QUEUE = "isthmus.nameko-bridge"


def nameko_body(event: Event) -> dict[str, Any]:
    """The JSON object a nameko ``@event_handler`` receives as its payload."""
    return {
        "event_id": event.event_id,
        "type": event.type,
        "occurred_at": event.occurred_at.isoformat(),
        "aggregate_id": event.aggregate_id,
        "correlation_id": event.correlation_id,
        "causation_id": event.causation_id,
        "schema_version": event.schema_version,
        "producer": event.producer,
        "payload_type": event.payload_type,
        "payload": MessageToDict(event.payload, preserving_proto_field_name=True),
    }


class NamekoBridge:
    def __init__(
        self,
        url: str,
        routing_keys: Sequence[str],
        *,
        service: str = DEFAULT_SERVICE,
        queue: str = QUEUE,
        options: BusOptions | None = None,
    ) -> None:
        if not routing_keys:
            raise ValueError("the nameko bridge needs at least one routing key (e.g. orders.*)")
        self.routing_keys = list(routing_keys)
        self.exchange = f"{service}.events"
        self.queue = queue
        self.options = options or BusOptions()
        self.bridged = 0
        self._link = _Link(url, "isthmus nameko bridge", self.options, self._setup, event_metrics(), "bridge")
        self._inbox: asyncio.Queue[tuple[AsyncChannel, Basic.Deliver, pika.BasicProperties, bytes]] = (
            asyncio.Queue()
        )
        self._publisher: ConfirmingPublisher | None = None

    async def run(self) -> None:
        """Bridge until cancelled, reconnecting with back-off."""
        worker = asyncio.create_task(self._forward())
        try:
            await self._link.run()
        finally:
            worker.cancel()

    async def _setup(self, connection: Connection) -> None:
        publisher = await ConfirmingPublisher.open(connection, self.options.confirm_window)
        ch = publisher.channel
        # nameko 2.14 declares its event exchanges durable topic exchanges (auto_delete off).
        await ch.call(ch.pika.exchange_declare, self.exchange, "topic", durable=True)
        await ch.call(ch.pika.exchange_declare, EXCHANGE, "topic", durable=True)
        await ch.call(ch.pika.exchange_declare, DEAD_LETTER_EXCHANGE, "direct", durable=True)
        dead = dead_letter_queue(self.queue)
        await ch.call(ch.pika.queue_declare, dead, durable=True, arguments={"x-queue-type": "quorum"})
        await ch.call(ch.pika.queue_bind, dead, DEAD_LETTER_EXCHANGE, routing_key=self.queue)
        args = queue_arguments(self.queue, self.options)
        await ch.call(ch.pika.queue_declare, self.queue, durable=True, arguments=args)
        for key in self.routing_keys:
            await ch.call(ch.pika.queue_bind, self.queue, EXCHANGE, routing_key=key)
        consumer = await connection.channel()
        await consumer.call(consumer.pika.basic_qos, prefetch_count=self.options.prefetch)
        while not self._inbox.empty():
            self._inbox.get_nowait()  # from the lost connection; the broker resends them
        self._publisher = publisher

        def on_message(_ch: Any, method: Basic.Deliver, props: pika.BasicProperties, body: bytes) -> None:
            self._inbox.put_nowait((consumer, method, props, body))

        await consumer.call(consumer.pika.basic_consume, self.queue, on_message)

    async def _forward(self) -> None:
        while True:
            channel, method, props, body = await self._inbox.get()
            publisher = self._publisher
            if publisher is None or not channel.is_open:
                continue
            try:
                event = decode(body, props.content_type, props.type)
            except BadMessage as bad:
                log.error("nameko bridge: dead-lettering a message: %s", bad.reason)
                channel.pika.basic_nack(method.delivery_tag, requeue=False)
                continue
            data = json.dumps(nameko_body(event)).encode()
            out = pika.BasicProperties(
                content_type="application/json",
                content_encoding="utf-8",
                delivery_mode=2,
                headers={"nameko.correlation_id": event.correlation_id} if event.correlation_id else {},
            )
            try:
                confirmed = await publisher.publish(self.exchange, event.type, data, out)
            except Exception as exc:
                log.warning("nameko bridge: publish failed, the broker will redeliver: %s", exc)
                continue
            confirmed.add_done_callback(partial(self._settle, channel, method.delivery_tag))

    def _settle(self, channel: AsyncChannel, tag: int, confirmed: asyncio.Future[bool]) -> None:
        if not channel.is_open:
            return  # redelivered after the reconnect
        if not confirmed.cancelled() and confirmed.exception() is None and confirmed.result():
            self.bridged += 1
            channel.pika.basic_ack(tag)
        else:
            channel.pika.basic_nack(tag, requeue=True)
