"""Start a set of components in this process: what ``isthmus up``/``serve`` and the tests share."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

import grpc

from isthmus.platform import component as components
from isthmus.platform import tracing
from isthmus.platform.component import Runtime, utcnow
from isthmus.platform.config import Settings
from isthmus.platform.events import Bus, create_bus
from isthmus.platform.events.consumer import queue_name
from isthmus.platform.events.options import BusOptions
from isthmus.platform.migrations import upgrade
from isthmus.platform.progress import Progress
from isthmus.platform.server import Server


def migrate(settings: Settings, names: Sequence[str]) -> None:
    """Bring each component's schema to head and, on RabbitMQ, declare the queues it consumes from."""
    queues: list[tuple[str, tuple[str, ...]]] = []
    with Progress("migrate", total=len(names), unit="components") as progress:
        for name in names:
            comp = components.load(name)
            upgrade(settings, comp.schema, list(comp.migrations))
            queues += [(queue_name(comp.name, purpose), keys) for purpose, keys in comp.consumes]
            progress.advance(1)
    if settings.amqp_url and queues:
        from isthmus.platform.events.rabbit import declare_queues

        declare_queues(settings.amqp_url, queues, BusOptions())


@dataclass
class Hub:
    server: Server
    runtime: Runtime

    @property
    def port(self) -> int:
        return self.server.port

    def channel(self) -> grpc.aio.Channel:
        return grpc.aio.insecure_channel(f"127.0.0.1:{self.port}", interceptors=tracing.client_interceptors())


@asynccontextmanager
async def running(
    settings: Settings,
    names: Sequence[str],
    *,
    clock: Callable[[], datetime] = utcnow,
    migrate_first: bool = True,
    bus: Bus | None = None,
) -> AsyncIterator[Hub]:
    """Migrate (optionally), start the named components on one gRPC server, stop them on exit.

    The event bus is RabbitMQ when ``settings.amqp_url`` is set, in-process otherwise; tests may pass
    their own (e.g. with short retry delays).
    """
    if migrate_first:
        await asyncio.to_thread(migrate, settings, names)
    runtime = Runtime(settings, clock=clock, bus=bus if bus is not None else create_bus(settings))
    server = Server(settings, [components.load(n) for n in names], runtime)
    await server.start()
    try:
        yield Hub(server, runtime)
    finally:
        await server.stop()
