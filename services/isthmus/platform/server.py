"""The gRPC server every component runs in: the chassis wrapper, health, reflection, TLS, graceful stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Sequence

import grpc
from google.protobuf import descriptor_pool
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from isthmus.platform import boundary, operations
from isthmus.platform.auth import Authenticator
from isthmus.platform.component import Component, Runtime, Stop
from isthmus.platform.config import Settings
from isthmus.platform.interceptors import MAX_BULK_REQUEST, MAX_REQUEST, Chassis, Registrar
from isthmus.platform.metrics import RpcMetrics
from isthmus_client.api.operations.v1 import operations_pb2_grpc

log = logging.getLogger("isthmus.server")

# Calls in flight in one process; more are refused (RESOURCE_EXHAUSTED) before their request is read.
MAX_CONCURRENT_RPCS = 1000

_OPTIONS = [
    # Streams one client connection may have open at once (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS).
    ("grpc.max_concurrent_streams", 100),
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
    # No BDP probing: a connection's receive windows stay at their initial size rather than growing
    # to what the link could carry. gRPC holds a call's whole message before it applies the receive
    # limit (grpc/grpc#43012), so with grown windows forty concurrent 15 MB calls, every one refused
    # (no token, or over the limit), made the orders process hold up to 434 MiB (the chart allows
    # 384); without, 168-171 MiB. A bulk request crosses a cluster's network in a few more round
    # trips (docs/decisions/0069-no-bdp-probing.md).
    ("grpc.http2.bdp_probe", 0),
]

_METRICS: RpcMetrics | None = None


def server_options(receive_limit: int) -> list[tuple[str, int]]:
    """The gRPC server's options, with ``receive_limit`` (see ``receive_limit``) as its largest message."""
    return [*_OPTIONS, ("grpc.max_receive_message_length", receive_limit)]


def receive_limit(service_names: Sequence[str]) -> int:
    """The largest message gRPC itself receives for these services: the bulk ingest's limit where a
    method takes bulk requests, else twice the chassis's limit of other methods. gRPC refuses a larger
    message (RESOURCE_EXHAUSTED) before the process holds it, so a caller with a valid token cannot
    make a process without bulk methods hold 16 MiB per call in flight; one a little over the
    method's limit still reaches the chassis, which names the method and its limit."""
    pool = descriptor_pool.Default()
    for name in service_names:
        try:
            service = pool.FindServiceByName(name)
        except KeyError:
            return MAX_BULK_REQUEST  # not known here: its methods may be bulk ones
        if any(boundary.has_items(method.input_type) for method in service.methods):
            return MAX_BULK_REQUEST
    return 2 * MAX_REQUEST


def rpc_metrics() -> RpcMetrics:
    # Prometheus collectors are process-global; a second server in the same process reuses them.
    global _METRICS
    if _METRICS is None:
        _METRICS = RpcMetrics()
    return _METRICS


def _credentials(settings: Settings) -> grpc.ServerCredentials | None:
    if not settings.tls_enabled:
        return None
    assert settings.tls_cert_file and settings.tls_key_file
    key = settings.tls_key_file.read_bytes()
    cert = settings.tls_cert_file.read_bytes()
    ca = settings.tls_client_ca_file.read_bytes() if settings.tls_client_ca_file else None
    return grpc.ssl_server_credentials(
        [(key, cert)], root_certificates=ca, require_client_auth=ca is not None
    )


class Server:
    """A started gRPC server with its components; ``stop()`` drains it."""

    def __init__(self, settings: Settings, components: Sequence[Component], runtime: Runtime) -> None:
        self.settings = settings
        self.components = list(components)
        self.runtime = runtime
        self.health = health.aio.HealthServicer()
        authenticator = None if settings.auth_disabled else Authenticator(settings.clients)
        limit = receive_limit([name for c in self.components for name in c.services])
        self.grpc = grpc.aio.server(
            options=server_options(limit), maximum_concurrent_rpcs=MAX_CONCURRENT_RPCS
        )
        # Servicers are registered through this, which wraps each method in the chassis once.
        chassis = Chassis(rpc_metrics(), authenticator, access_log=settings.access_log)
        self.registrar = Registrar(self.grpc, chassis)
        self._health_only: grpc.aio.Server | None = None
        self._stops: list[Stop] = []
        self.port = 0

    @property
    def service_names(self) -> list[str]:
        return [*(name for c in self.components for name in c.services), operations.SERVICE]

    async def start(self) -> None:
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.registrar)
        operations_pb2_grpc.add_OperationsServiceServicer_to_server(
            operations.Operations(self.components, self.runtime, auth_disabled=self.settings.auth_disabled),
            self.registrar,
        )
        for component in self.components:
            stop = await component.start(self.registrar, self.runtime)
            if stop is not None:
                self._stops.append(stop)
        if self.runtime.bus is not None:
            # After the components registered their relays and subscriptions, before traffic.
            await self.runtime.bus.start()
        # On the server itself: reflection picks its asyncio servicer by the server's type.
        reflection.enable_server_reflection(
            [*self.service_names, health.SERVICE_NAME, reflection.SERVICE_NAME], self.grpc
        )
        address = f"{self.settings.grpc_host}:{self.settings.grpc_port}"
        credentials = _credentials(self.settings)
        if credentials is None:
            self.port = self.grpc.add_insecure_port(address)
        else:
            self.port = self.grpc.add_secure_port(address, credentials)
        await self.grpc.start()
        if self.settings.health_port:
            # Kubernetes' native gRPC probes speak plaintext only; when the main port needs TLS,
            # they get a plaintext listener that serves nothing but the health service.
            self._health_only = grpc.aio.server()
            health_pb2_grpc.add_HealthServicer_to_server(self.health, self._health_only)
            self._health_only.add_insecure_port(f"{self.settings.grpc_host}:{self.settings.health_port}")
            await self._health_only.start()
        for name in ["", *self.service_names]:
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        log.info(
            "serving %s on port %d",
            ", ".join(c.name for c in self.components),
            self.port,
            extra={"tls": self.settings.tls_enabled, "auth": not self.settings.auth_disabled},
        )

    async def stop(self) -> None:
        """NOT_SERVING first so load balancers stop sending, then drain in-flight RPCs, then stop work."""
        await self.health.enter_graceful_shutdown()
        await self.grpc.stop(self.settings.shutdown_grace_seconds)
        if self.runtime.bus is not None:
            # No new RPCs means no new outbox rows; handlers in progress finish before engines close.
            try:
                await self.runtime.bus.stop()
            except Exception:
                log.exception("error while stopping the event bus")
        for stop in reversed(self._stops):
            try:
                await stop()
            except Exception:
                log.exception("error while stopping a component")
        if self._health_only is not None:
            await self._health_only.stop(None)
        await self.runtime.close()
        log.info("stopped")


def stop_signals() -> asyncio.Event:
    """From now on SIGTERM and SIGINT set the returned event instead of killing the process.

    Call it before starting anything that answers: a signal that arrives while the program starts
    (a pod deleted as it comes up, a test that stops a process as soon as it answers) then becomes
    a graceful stop once start-up is done, not the default handler's death mid-way."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT)

    def stop() -> None:
        stopping.set()
        # A second signal is not waited for: the defaults are back, so Ctrl-C twice (or SIGTERM
        # again) ends a start-up or a stop that hangs.
        for sig in signals:
            loop.remove_signal_handler(sig)

    for sig in signals:
        with contextlib.suppress(NotImplementedError):  # not on every platform
            loop.add_signal_handler(sig, stop)
    return stopping


async def until_signalled(stopping: asyncio.Event) -> None:
    """Wait for SIGTERM or SIGINT, as ``stopping`` from :func:`stop_signals` (called before
    start-up) reports them; the caller then shuts down gracefully."""
    await stopping.wait()
    log.info("shutting down")
