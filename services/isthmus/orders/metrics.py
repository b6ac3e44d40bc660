"""Orders waiting for their customer, and units waiting for stock: how many, and how long the oldest
has waited; and the
business's own figures over time: orders placed by channel and their value, cancellations and returns
by reason (``rate()`` of them in Prometheus: sales by channel, revenue, cancellation and return
rates, their trends).

An order whose customer the customer master never announces stays pending; these gauges are where an
operator sees it (and ``ListOrders`` with ``customer_state`` PENDING lists them).
"""

from __future__ import annotations

from functools import cache

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge


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
        self.backordered = Gauge(
            "isthmus_orders_backordered_units",
            "Units of kept articles that orders wait for on backorder (docs/inventory.md).",
            registry=registry,
        )
        self.backordered_oldest_age = Gauge(
            "isthmus_orders_backordered_oldest_age_seconds",
            "How long the longest wait on backorder for a kept article has lasted (0 when none waits).",
            registry=registry,
        )


@cache
def pending_metrics() -> PendingMetrics:
    return PendingMetrics()


class OrderFigures:
    """Counted once per order, cancellation or return written (a replayed request counts nothing)."""

    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        self.placed = Counter(
            "isthmus_orders_placed_total",
            "Orders created, by channel and currency.",
            ["channel", "currency"],
            registry=registry,
        )
        self.placed_value = Counter(
            "isthmus_orders_placed_value_total",
            "What the orders created came to (their totals, in units of the currency), by currency.",
            ["currency"],
            registry=registry,
        )
        self.cancelled = Counter(
            "isthmus_orders_cancelled_total", "Orders cancelled, by reason.", ["reason"], registry=registry
        )
        self.returned = Counter(
            "isthmus_orders_returned_units_total", "Units returned, by reason.", ["reason"], registry=registry
        )


@cache
def order_figures() -> OrderFigures:
    return OrderFigures()
