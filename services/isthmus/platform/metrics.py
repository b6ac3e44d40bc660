"""Prometheus metrics: RPC counters and latency, served on their own port."""

from __future__ import annotations

import grpc
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, start_http_server

_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class RpcMetrics:
    """Started/handled counts by method and status code, and a latency histogram by method.

    Label children are cached per method: ``labels()`` costs a lock and a dict walk that a hot
    RPC path should pay once, not per call.
    """

    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        labels = ["grpc_service", "grpc_method", "grpc_type"]
        self.started = Counter(
            "isthmus_grpc_server_started_total", "RPCs started on the server.", labels, registry=registry
        )
        self.handled = Counter(
            "isthmus_grpc_server_handled_total",
            "RPCs completed on the server, by status code.",
            [*labels, "grpc_code"],
            registry=registry,
        )
        self.latency = Histogram(
            "isthmus_grpc_server_handling_seconds",
            "Time from RPC start to the handler's completion.",
            labels,
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self._per_method: dict[str, MethodMetrics] = {}

    def method(self, full_method: str, rpc_type: str) -> MethodMetrics:
        found = self._per_method.get(full_method)
        if found is None:
            service, _, name = full_method.lstrip("/").partition("/")
            labels = (service, name, rpc_type)
            found = MethodMetrics(self, labels)
            self._per_method[full_method] = found
        return found


class MethodMetrics:
    def __init__(self, parent: RpcMetrics, labels: tuple[str, str, str]) -> None:
        self._parent = parent
        self._labels = labels
        self.started = parent.started.labels(*labels)
        self.latency = parent.latency.labels(*labels)
        self._handled: dict[grpc.StatusCode, Counter] = {}

    def handled(self, code: grpc.StatusCode, seconds: float) -> None:
        counter = self._handled.get(code)
        if counter is None:
            counter = self._parent.handled.labels(*self._labels, code.name)
            self._handled[code] = counter
        counter.inc()
        self.latency.observe(seconds)


def serve_metrics(port: int, registry: CollectorRegistry = REGISTRY) -> None:
    """Expose ``/metrics`` on ``port`` in a daemon thread; port 0 means no metrics endpoint."""
    if port:
        start_http_server(port, registry=registry)
