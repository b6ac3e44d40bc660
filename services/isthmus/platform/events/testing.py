"""Helpers for tests of services that produce or consume events (both adapters).

bus = create_bus(settings, FAST)            # RabbitMQ if settings.amqp_url, else in-process
async with hub.running(settings, ["orders", "loyalty"], bus=bus) as hub:
    ...                                     # call RPCs that record events
    await hub.runtime.bus.drain(timeout=10) # every outbox published, every consumer caught up
    ...                                     # assert on the consumers' effects, no sleeps
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from google.protobuf.message import Message
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from isthmus.platform.events.bus import Bus
from isthmus.platform.events.consumer import Delivery
from isthmus.platform.events.envelope import CONTENT_TYPE, amqp_properties, new_envelope, routing_key
from isthmus.platform.events.options import BusOptions

# Short back-offs so that retry and dead-letter paths finish in a test's time frame.
FAST = BusOptions(
    poll_interval=0.1,
    max_attempts=3,
    first_retry_delay=0.05,
    max_retry_delay=0.2,
    first_reconnect_delay=0.05,
    max_reconnect_delay=0.5,
    # delivery_limit stays the default: queue arguments must be the same for every declarer of a
    # queue in a vhost, or RabbitMQ refuses the second declaration (PRECONDITION_FAILED).
)


class Statements:
    """The SQL statements an engine executes while it is watched (``with Statements(engine) as seen``):
    how a test tells that a consumer reads and writes a batch at once, not event by event."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine.sync_engine
        self.texts: list[str] = []

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.texts.append(" ".join(statement.split()))

    def __enter__(self) -> Statements:
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)

    def naming(self, table: str, verb: str = "") -> list[str]:
        """The statements that name ``table`` (and start with ``verb``, e.g. SELECT)."""
        return [t for t in self.texts if table in t and t.upper().startswith(verb.upper())]


def delivery(
    message: Message,
    occurred_at: datetime,
    *,
    aggregate_id: str = "a",
    producer: str = "test",
    ack: Callable[[str], None] = lambda _event_id: None,
) -> Delivery:
    """``message`` in its envelope as a broker delivers it the first time, for a test that hands a
    consumer its batches itself (``Consumer.process``); ``ack`` is called with the event's id."""
    envelope = new_envelope(
        message,
        aggregate_id=aggregate_id,
        correlation_id="",
        causation_id="",
        producer=producer,
        occurred_at=occurred_at,
    )
    return Delivery(
        body=envelope.SerializeToString(),
        routing_key=envelope.type,
        content_type=CONTENT_TYPE,
        type=envelope.type,
        headers={},
        redelivered=False,
        previous_deliveries=0,
        ack=lambda: ack(envelope.event_id),
        requeue=lambda: None,
    )


async def publish(bus: Bus, message: Message, aggregate_id: str, occurred_at: datetime) -> str:
    """Publishes ``message`` as its producing context would (the producer named by its routing key),
    for a test of a consumer whose producer does not run; returns the event's id."""
    envelope = new_envelope(
        message,
        aggregate_id=aggregate_id,
        correlation_id="test",
        causation_id="",
        producer=routing_key(message).split(".")[0],
        occurred_at=occurred_at,
    )
    props = amqp_properties(envelope)
    await bus.publish_raw(
        envelope.type,
        envelope.SerializeToString(),
        content_type=props["content_type"],
        type_=props["type"],
        headers=props["headers"],
    )
    return envelope.event_id
