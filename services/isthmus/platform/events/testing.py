"""Helpers for tests of services that produce or consume events (both adapters).

bus = create_bus(settings, FAST)            # RabbitMQ if settings.amqp_url, else in-process
async with hub.running(settings, ["orders", "loyalty"], bus=bus) as hub:
    ...                                     # call RPCs that record events
    await hub.runtime.bus.drain(timeout=10) # every outbox published, every consumer caught up
    ...                                     # assert on the consumers' effects, no sleeps
"""

from __future__ import annotations

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
