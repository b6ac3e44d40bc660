"""Orders waiting for their customer: how many, and how long the oldest has waited.

An order whose customer the customer master never announces stays pending; these gauges are where an
operator sees it (and ``ListOrders`` with ``customer_state`` PENDING lists them).
"""

from __future__ import annotations

from functools import cache

from prometheus_client import REGISTRY, CollectorRegistry, Gauge


class PendingMetrics:
    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        self.pending = Gauge(
            "isthmus_orders_pending_customer",
            "Orders whose customer the customer master has not announced yet (customer_state PENDING).",
            registry=registry,
        )
        self.oldest_age = Gauge(
            "isthmus_orders_pending_customer_oldest_age_seconds",
            "How long ago the oldest order still waiting for its customer was placed (0 when none).",
            registry=registry,
        )


@cache
def pending_metrics() -> PendingMetrics:
    return PendingMetrics()
