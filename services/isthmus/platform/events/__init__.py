"""The event backbone: transactional outbox, idempotent consumers, dead letters, replay.

What a bounded context uses (see docs/events.md)::

    from isthmus.platform.events import MIGRATIONS, Event, Subscription, record_event

    # bootstrap: migrations=(MIGRATIONS, <the context's own stream>), and in start():
    runtime.bus.add_relay("orders", engine)
    runtime.bus.subscribe("loyalty", engine, Subscription("points", ["orders.OrderPaid"], on_paid))

    # in a unit of work, beside the state change:
    await record_event(session, OrderPaid(...), aggregate_id=order.id)
"""

from __future__ import annotations

from isthmus.platform.config import Settings
from isthmus.platform.events.bus import Bus
from isthmus.platform.events.consumer import Delivery, Handler, Subscription, queue_name
from isthmus.platform.events.envelope import EXCHANGE, BadMessage, Event, decode, routing_key
from isthmus.platform.events.memory import MemoryBus
from isthmus.platform.events.options import BusOptions
from isthmus.platform.events.outbox import record_event
from isthmus.platform.migrations import Stream

MIGRATIONS = Stream("isthmus.platform.events:migrations", "alembic_version_events")

__all__ = [
    "EXCHANGE",
    "MIGRATIONS",
    "BadMessage",
    "Bus",
    "BusOptions",
    "Delivery",
    "Event",
    "Handler",
    "MemoryBus",
    "Subscription",
    "create_bus",
    "decode",
    "queue_name",
    "record_event",
    "routing_key",
]


def create_bus(settings: Settings, options: BusOptions | None = None) -> Bus:
    """RabbitMQ when ``ISTHMUS_AMQP_URL`` is set, the in-process bus otherwise."""
    if settings.amqp_url:
        from isthmus.platform.events.rabbit import RabbitBus

        return RabbitBus(settings.amqp_url, options)
    return MemoryBus(options)
