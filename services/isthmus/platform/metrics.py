"""Prometheus metrics: RPC counters and latency under go-grpc-prometheus' names, build info, pools.

The RPC metrics carry the names and labels of go-grpc-prometheus (``grpc_server_started_total``,
``grpc_server_handled_total``, ``grpc_server_handling_seconds``, ``grpc_server_msg_received_total``,
``grpc_server_msg_sent_total``; labels ``grpc_type``, ``grpc_service``, ``grpc_method``,
``grpc_code``), so the dashboards and alerts written for any gRPC server work on these too.
"""

from __future__ import annotations

import importlib.metadata
import platform
import time
import weakref
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from typing import Any

import grpc
import prometheus_client
from prometheus_client import REGISTRY, CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.samples import Exemplar
from prometheus_client.utils import floatToGoString


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

    Each method counts in plain integers of its own (:class:`MethodMetrics`), read at scrape time
    (:class:`_Rpcs`): the client library's counters take a lock per increment and its histogram walks
    its buckets one by one, which on a trivial call cost more than the counting itself.
    """

    def __init__(self, registry: CollectorRegistry = REGISTRY) -> None:
        self._per_method: dict[str, MethodMetrics] = {}
        registry.register(_Rpcs(self._per_method))

    def method(self, full_method: str, rpc_type: str) -> MethodMetrics:
        found = self._per_method.get(full_method)
        if found is None:
            service, _, name = full_method.lstrip("/").partition("/")
            found = MethodMetrics((rpc_type, service, name))
            self._per_method[full_method] = found
        return found


class MethodMetrics:
    """One method's counts. Only the event loop's thread changes them; a scrape reads them from its
    own thread, so a scrape may miss the call in progress, never half of one histogram bucket."""

    __slots__ = ("buckets", "codes", "exemplars", "labels", "received", "seconds", "sent", "started")

    def __init__(self, labels: tuple[str, str, str]) -> None:
        self.labels = labels
        self.started = 0
        self.received = 0  # messages
        self.sent = 0
        self.codes: dict[grpc.StatusCode, int] = {}
        self.buckets = [0] * (len(_LATENCY_BUCKETS) + 1)  # calls by bucket, not cumulative; +Inf last
        self.seconds = 0.0
        # Bucket -> the trace of its latest sampled call: (trace id, seconds, when).
        self.exemplars: dict[int, tuple[str, float, float]] = {}

    def handled(self, code: grpc.StatusCode, seconds: float, trace_id: str | None = None) -> None:
        codes = self.codes
        codes[code] = codes.get(code, 0) + 1
        bucket = bisect_left(_LATENCY_BUCKETS, seconds)  # the first bound at or above ``seconds``
        self.buckets[bucket] += 1
        self.seconds += seconds
        if trace_id is not None:
            # An exemplar: the trace of one call in this bucket, shown beside the latency graph.
            self.exemplars[bucket] = (trace_id, seconds, time.time())


_BOUNDS = [floatToGoString(b) for b in (*_LATENCY_BUCKETS, float("inf"))]


class _Rpcs(Collector):
    def __init__(self, methods: dict[str, MethodMetrics]) -> None:
        self._methods = methods

    def collect(self) -> Iterator[Metric]:
        started = CounterMetricFamily("grpc_server_started", "RPCs started on the server.", labels=_LABELS)
        handled = CounterMetricFamily(
            "grpc_server_handled",
            "RPCs completed on the server, regardless of success or failure.",
            labels=[*_LABELS, "grpc_code"],
        )
        latency = HistogramMetricFamily(
            "grpc_server_handling_seconds",
            "Response latency (seconds) of gRPC that had been application-level handled by the server.",
            labels=_LABELS,
        )
        received = CounterMetricFamily(
            "grpc_server_msg_received", "RPC stream messages received on the server.", labels=_LABELS
        )
        sent = CounterMetricFamily(
            "grpc_server_msg_sent", "gRPC stream messages sent on the server.", labels=_LABELS
        )
        for method in list(self._methods.values()):
            labels = method.labels
            started.add_metric(labels, method.started)
            for code, count in sorted(list(method.codes.items()), key=lambda item: item[0].value[0]):
                handled.add_metric([*labels, GO_CODE_NAMES[code]], count)
            counts, seconds, exemplars = list(method.buckets), method.seconds, dict(method.exemplars)
            buckets: list[Any] = []
            total = 0
            for i, (bound, count) in enumerate(zip(_BOUNDS, counts, strict=True)):
                total += count
                marked = exemplars.get(i)
                if marked is None:
                    buckets.append((bound, total))
                else:
                    trace_id, value, when = marked
                    buckets.append((bound, total, Exemplar({"trace_id": trace_id}, value, when)))
            latency.add_metric(labels, buckets, seconds)
            received.add_metric(labels, method.received)
            sent.add_metric(labels, method.sent)
        yield from (started, handled, latency, received, sent)


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
