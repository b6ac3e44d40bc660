"""Tunables of the event bus, with defaults fit for production; tests shorten the delays."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BusOptions:
    # Relay: rows claimed per outbox read, and unconfirmed publishes allowed in flight.
    batch_size: int = 500
    confirm_window: int = 1000
    # How often a relay looks for rows committed by other processes (this process wakes it at once).
    poll_interval: float = 0.5
    # Consumers: unacked deliveries per queue, and how many are handled in one transaction; when a
    # batch finds more than one waiting, how long it waits for more before it starts.
    prefetch: int = 500
    consume_batch: int = 200
    consume_linger: float = 0.02
    # A failing handler is tried this many times in all, with exponential back-off, then dead-lettered.
    max_attempts: int = 5
    first_retry_delay: float = 0.5
    max_retry_delay: float = 30.0
    # Back-off while the database or the broker is unreachable.
    first_reconnect_delay: float = 0.5
    max_reconnect_delay: float = 10.0
    # Broker safety net (quorum queue x-delivery-limit): redeliveries after which RabbitMQ itself
    # dead-letters a message, e.g. one that crashes every consumer before it can record a failure.
    delivery_limit: int = 20
    # Inbox rows (event ids already handled) are kept this long, then purged every purge interval.
    # Redeliveries come within minutes; a week covers a dead letter replayed after a long outage.
    inbox_retention: float = 7 * 24 * 3600.0
    inbox_purge_interval: float = 3600.0
    # How often the queue backlog and stored dead letters of each subscription are measured (metrics).
    gauge_interval: float = 15.0

    def retry_delay(self, attempt: int) -> float:
        """Delay before attempt ``attempt + 1`` (attempt 1 failed -> first delay)."""
        return min(self.max_retry_delay, self.first_retry_delay * 2 ** max(0, attempt - 1))

    def reconnect_delay(self, failures: int) -> float:
        return min(self.max_reconnect_delay, self.first_reconnect_delay * 2 ** max(0, failures - 1))
