"""Prometheus metrics: RPC counters and latency under go-grpc-prometheus' names, build info, pools.

The RPC metrics carry the names and labels of go-grpc-prometheus (``grpc_server_started_total``,
``grpc_server_handled_total``, ``grpc_server_handling_seconds``, ``grpc_server_msg_received_total``,
``grpc_server_msg_sent_total``; labels ``grpc_type``, ``grpc_service``, ``grpc_method``,
``grpc_code``), so the dashboards and alerts written for any gRPC server work on these too.
"""

from __future__ import annotations

import importlib.metadata
import platform
import weakref
from collections.abc import Iterable, Iterator
from typing import Any

import grpc
import prometheus_client
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector


def version() -> str:
    """The installed isthmus distribution's version (the platform does not import the package root)."""
    try:
        return importlib.metadata.version("isthmus")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


# A ``_created`` series per counter and histogram doubles what Prometheus stores and no query here
# reads it. A process-wide switch of the client library; it is read when metrics are collected.
prometheus_client.disable_created_metrics()

# grpc_code values as go-grpc-prometheus writes them (Go's codes.Code.String()): "NotFound", not
# "NOT_FOUND", so that stock queries such as grpc_code=~"Unavailable|Internal" match.
GO_CODE_NAMES = {code: "".join(part.title() for part in code.name.split("_")) for code in grpc.StatusCode}
GO_CODE_NAMES[grpc.StatusCode.OK] = "OK"
GO_CODE_NAMES[grpc.StatusCode.CANCELLED] = "Canceled"

_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_LABELS = ("grpc_type", "grpc_service", "grpc_method")


class RpcMetrics:
    """Started/handled counts by method and status code, a latency histogram, and message counts.

    Label children are cached per method: ``labels()`` costs a lock and a dict walk that a hot
    RPC path should pay once, not per call. Message counts are plain integers read at scrape time
    (:class:`_Messages`): two ``Counter.inc()`` per unary call would cost more than the counting.
    """

    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        labels = list(_LABELS)
        self.started = Counter(
            "grpc_server_started_total", "RPCs started on the server.", labels, registry=registry
        )
        self.handled = Counter(
            "grpc_server_handled_total",
            "RPCs completed on the server, regardless of success or failure.",
            [*labels, "grpc_code"],
            registry=registry,
        )
        self.latency = Histogram(
            "grpc_server_handling_seconds",
            "Response latency (seconds) of gRPC that had been application-level handled by the server.",
            labels,
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self._per_method: dict[str, MethodMetrics] = {}
        registry.register(_Messages(self._per_method))

    def method(self, full_method: str, rpc_type: str) -> MethodMetrics:
        found = self._per_method.get(full_method)
        if found is None:
            service, _, name = full_method.lstrip("/").partition("/")
            found = MethodMetrics(self, (rpc_type, service, name))
            self._per_method[full_method] = found
        return found


class MethodMetrics:
    def __init__(self, parent: RpcMetrics, labels: tuple[str, str, str]) -> None:
        self._parent = parent
        self.labels = labels
        self.started = parent.started.labels(*labels)
        self.latency = parent.latency.labels(*labels)
        self._handled: dict[grpc.StatusCode, Any] = {}
        self.received = 0  # messages, read by _Messages at scrape time
        self.sent = 0

    def handled(self, code: grpc.StatusCode, seconds: float, trace_id: str | None = None) -> None:
        counter = self._handled.get(code)
        if counter is None:
            counter = self._parent.handled.labels(*self.labels, GO_CODE_NAMES[code])
            self._handled[code] = counter
        counter.inc()
        if trace_id is None:
            self.latency.observe(seconds)
        else:
            # An exemplar: the trace of one call in this bucket, shown beside the latency graph.
            self.latency.observe(seconds, {"trace_id": trace_id})


class _Messages(Collector):
    def __init__(self, methods: dict[str, MethodMetrics]) -> None:
        self._methods = methods

    def collect(self) -> Iterator[CounterMetricFamily]:
        received = CounterMetricFamily(
            "grpc_server_msg_received", "RPC stream messages received on the server.", labels=_LABELS
        )
        sent = CounterMetricFamily(
            "grpc_server_msg_sent", "gRPC stream messages sent on the server.", labels=_LABELS
        )
        for method in list(self._methods.values()):
            received.add_metric(method.labels, method.received)
            sent.add_metric(method.labels, method.sent)
        yield received
        yield sent


class _Pools(Collector):
    """Connection pool use of every database engine this process opened, read at scrape time."""

    def __init__(self) -> None:
        self._engines: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()

    def watch(self, engine: Any, schema: str) -> None:
        self._engines[engine] = schema

    def forget(self, engine: Any) -> None:
        self._engines.pop(engine, None)

    def collect(self) -> Iterable[GaugeMetricFamily]:
        in_use = GaugeMetricFamily(
            "isthmus_db_pool_connections_in_use",
            "Database connections checked out of the pool (a transaction or a statement in hand).",
            labels=["schema"],
        )
        idle = GaugeMetricFamily(
            "isthmus_db_pool_connections_idle",
            "Open database connections waiting in the pool.",
            labels=["schema"],
        )
        limit = GaugeMetricFamily(
            "isthmus_db_pool_connections_max",
            "Connections the pool may open (size plus overflow); checkouts beyond wait.",
            labels=["schema"],
        )
        totals: dict[str, list[float]] = {}
        for engine, schema in list(self._engines.items()):
            pool = engine.pool
            if not all(hasattr(pool, a) for a in ("checkedout", "checkedin", "size", "_max_overflow")):
                continue  # a pool without a queue (SQLite's static pools): nothing to report
            row = totals.setdefault(schema, [0.0, 0.0, 0.0])
            row[0] += pool.checkedout()
            row[1] += pool.checkedin()
            overflow = pool._max_overflow
            row[2] += pool.size() + overflow if overflow >= 0 else float("inf")
        for schema, (used, waiting, most) in sorted(totals.items()):
            in_use.add_metric([schema], used)
            idle.add_metric([schema], waiting)
            limit.add_metric([schema], most)
        yield in_use
        yield idle
        yield limit


_POOLS = _Pools()
REGISTRY.register(_POOLS)


def watch_pool(engine: Any, schema: str) -> None:
    """Report ``engine``'s pool (a SQLAlchemy Engine or AsyncEngine) under ``schema`` until it is gone."""
    _POOLS.watch(getattr(engine, "sync_engine", engine), schema)


def forget_pool(engine: Any) -> None:
    _POOLS.forget(getattr(engine, "sync_engine", engine))


class _BuildInfo(Collector):
    def __init__(self) -> None:
        self.revision = "unknown"

    def collect(self) -> Iterator[GaugeMetricFamily]:
        info = GaugeMetricFamily(
            "isthmus_build_info",
            "Always 1; the labels say which build is running.",
            labels=["version", "revision", "python_version", "grpc_version"],
        )
        info.add_metric([version(), self.revision, platform.python_version(), grpc.__version__], 1)
        yield info


_BUILD = _BuildInfo()
REGISTRY.register(_BUILD)


def set_build_revision(revision: str | None) -> None:
    """The source revision the image was built from (``ISTHMUS_BUILD_REVISION``), for build info."""
    _BUILD.revision = revision or "unknown"


def serve_metrics(port: int, registry: CollectorRegistry = REGISTRY) -> None:
    """Expose ``/metrics`` on ``port`` in a daemon thread; port 0 means no metrics endpoint.

    A scraper that asks for OpenMetrics (Prometheus does, to read exemplars) gets it; others get the
    classic text format.
    """
    if port:
        start_http_server(port, registry=registry)


class _Only:
    """A registry view of a few collectors: what a short-lived command pushes."""

    def __init__(self, collectors: Iterable[Collector]) -> None:
        self._collectors = list(collectors)

    def collect(self) -> Iterator[Any]:
        for collector in self._collectors:
            yield from collector.collect()


def push(gateway: str, job: str, grouping: dict[str, str], collectors: Iterable[Collector]) -> None:
    """Replace this job's group on a Prometheus Pushgateway with the given collectors' samples.

    For commands that end before any scrape (``isthmus connectors sync``): the Pushgateway keeps the
    last figures for Prometheus to scrape (with ``honor_labels``).
    """
    prometheus_client.push_to_gateway(
        gateway,
        job=job,
        grouping_key=grouping,
        registry=_Only(collectors),
        timeout=10,
    )
