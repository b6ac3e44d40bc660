"""Prometheus metrics of the event bus (process-global collectors, like the RPC metrics)."""

from __future__ import annotations

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge


class EventMetrics:
    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        self.published = Counter(
            "isthmus_events_published_total",
            "Events handed to the broker by the outbox relay.",
            ["component"],
            registry=registry,
        )
        self.confirmed = Counter(
            "isthmus_events_confirmed_total",
            "Published events the broker confirmed (then marked sent in the outbox).",
            ["component"],
            registry=registry,
        )
        self.consumed = Counter(
            "isthmus_events_consumed_total",
            "Events handled and committed by a consumer (duplicates excluded).",
            ["queue"],
            registry=registry,
        )
        self.duplicates = Counter(
            "isthmus_events_duplicates_total",
            "Deliveries of events the inbox had already seen (acked with no second effect).",
            ["queue"],
            registry=registry,
        )
        self.retried = Counter(
            "isthmus_events_retried_total",
            "Handler attempts repeated after a failure.",
            ["queue"],
            registry=registry,
        )
        self.dead_lettered = Counter(
            "isthmus_events_dead_lettered_total",
            "Deliveries given up on and stored as dead letters.",
            ["queue"],
            registry=registry,
        )
        self.outbox_backlog = Gauge(
            "isthmus_events_outbox_backlog",
            "Events recorded in the outbox and not yet confirmed by the broker.",
            ["component"],
            registry=registry,
        )
        self.outbox_oldest_age = Gauge(
            "isthmus_events_outbox_oldest_unsent_age_seconds",
            "Age of the oldest event waiting in the outbox (0 when none waits).",
            ["component"],
            registry=registry,
        )
        self.queue_backlog = Gauge(
            "isthmus_events_queue_backlog",
            "Messages waiting for a subscription's consumer (in its queue and its dead-letter queue, "
            "and received but not yet handled).",
            ["queue"],
            registry=registry,
        )
        self.dead_letters = Gauge(
            "isthmus_events_dead_letters",
            "Dead letters stored for a subscription and not replayed (isthmus dlq list).",
            ["queue"],
            registry=registry,
        )
        self.amqp_connected = Gauge(
            "isthmus_amqp_connected",
            "1 while the process' connection to RabbitMQ (publisher or consumer) is open.",
            ["connection"],
            registry=registry,
        )
        self.amqp_failures = Counter(
            "isthmus_amqp_connection_failures_total",
            "Connections to RabbitMQ lost or refused (each is retried with back-off).",
            ["connection"],
            registry=registry,
        )


_METRICS: EventMetrics | None = None


def event_metrics() -> EventMetrics:
    global _METRICS
    if _METRICS is None:
        _METRICS = EventMetrics()
    return _METRICS
