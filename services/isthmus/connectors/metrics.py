"""Prometheus metrics of the connector runtime (process-global collectors, created once).

The label is ``connector_instance``, not ``instance``: Prometheus gives every scraped series the
target's own ``instance`` label, and a metric's own would be renamed ``exported_instance``.
A sync run from the command line pushes them to a Pushgateway (``ISTHMUS_METRICS_PUSHGATEWAY``),
so its figures reach Prometheus although the process ends before any scrape.
"""

from __future__ import annotations

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge

_LABELS = ["connector_instance", "stream"]


class ConnectorMetrics:
    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        self.read = Counter(
            "isthmus_connector_records_read_total",
            "Records read from the source.",
            _LABELS,
            registry=registry,
        )
        self.accepted = Counter(
            "isthmus_connector_records_accepted_total",
            "Records the hub accepted.",
            _LABELS,
            registry=registry,
        )
        self.rejected = Counter(
            "isthmus_connector_records_rejected_total",
            "Records sent to the dead-letter store (invalid, or refused by the hub).",
            _LABELS,
            registry=registry,
        )
        self.retries = Counter(
            "isthmus_connector_retries_total", "Transient failures retried.", _LABELS, registry=registry
        )
        self.lag = Gauge(
            "isthmus_connector_lag_seconds",
            "Age of the newest record accepted in the last sync (now minus its cursor time).",
            _LABELS,
            registry=registry,
        )
        self.last_success = Gauge(
            "isthmus_connector_last_success_timestamp_seconds",
            "When the stream last synced without error (Unix time).",
            _LABELS,
            registry=registry,
        )

        self.write_backs = Counter(
            "isthmus_connector_write_backs_total",
            "Golden customer changes handed to a connector's write(), by outcome (written, failed). A"
            " failed one fails its event, which is retried and then dead-lettered (isthmus dlq).",
            ["connector_instance", "outcome"],
            registry=registry,
        )

        self.tracers = Counter(
            "isthmus_connector_tracers_total",
            "Tracers handed to a carrier connector's file_tracer(), by outcome (filed, not_ours, failed). A"
            " failed one fails its event, which is retried and then dead-lettered (isthmus dlq).",
            ["connector_instance", "outcome"],
            registry=registry,
        )

        self.pushes = Counter(
            "isthmus_connector_pushes_total",
            "Pushes (webhooks) a source sent to an instance, by outcome: accepted, duplicate (a delivery"
            " already kept), ignored (for streams the instance does not sync), refused (the connector"
            " turned it away: a bad signature), failed (the connector or the store could not take it).",
            ["connector_instance", "outcome"],
            registry=registry,
        )

    def collectors(self) -> list[Counter | Gauge]:
        return [
            self.read,
            self.accepted,
            self.rejected,
            self.retries,
            self.lag,
            self.last_success,
            self.write_backs,
            self.tracers,
            self.pushes,
        ]


_METRICS: ConnectorMetrics | None = None


def connector_metrics() -> ConnectorMetrics:
    global _METRICS
    if _METRICS is None:
        _METRICS = ConnectorMetrics()
    return _METRICS
