"""What a bounded context hands the chassis: its name, schema, gRPC services and how to start it."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import grpc
from sqlalchemy.ext.asyncio import AsyncEngine

from isthmus.platform import db, metrics, tracing
from isthmus.platform.config import Settings
from isthmus.platform.migrations import Stream


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    """Shared resources of one process, handed to every component it runs."""

    settings: Settings
    bus: Any = None  # isthmus.platform.events.Bus; hub.running wires one (create_bus)
    clock: Callable[[], datetime] = utcnow
    _engines: dict[str, AsyncEngine] = field(default_factory=dict)

    def engine(self, schema: str) -> AsyncEngine:
        if schema not in self._engines:
            engine = self._engines[schema] = db.async_engine(self.settings, schema)
            metrics.watch_pool(engine, schema)
            if tracing.enabled():
                tracing.instrument_engine(engine, schema)
        return self._engines[schema]

    async def close(self) -> None:
        for engine in self._engines.values():
            metrics.forget_pool(engine)
            await engine.dispose()
        self._engines.clear()


Stop = Callable[[], Awaitable[None]]
Starter = Callable[[grpc.aio.Server, Runtime], Awaitable[Stop | None]]


@dataclass(frozen=True)
class Component:
    name: str  # as typed on the command line: "service-requests"
    schema: str  # its PostgreSQL schema / SQLite file: "service_requests"
    services: tuple[str, ...]  # full gRPC service names it serves (for health and reflection)
    migrations: tuple[Stream, ...]
    start: Starter  # adds servicers, starts background work; returns how to stop it
    # (purpose, routing keys) of every subscription ``start`` always makes. ``isthmus migrate``
    # declares their queues on RabbitMQ, so that events published before the component first starts
    # wait for it instead of finding no queue bound.
    consumes: tuple[tuple[str, tuple[str, ...]], ...] = ()


# Component name -> module whose ``component()`` builds it. Imported lazily so that
# ``isthmus serve orders`` loads nothing of the other contexts.
REGISTRY: dict[str, str] = {
    "customers": "isthmus.customers.bootstrap",
    "orders": "isthmus.orders.bootstrap",
    "service-requests": "isthmus.service_requests.bootstrap",
    "loyalty": "isthmus.loyalty.bootstrap",
    "value": "isthmus.value.bootstrap",
    "connectors": "isthmus.connectors.bootstrap",
}


# Processes that are clients of the components, started by ``isthmus serve <name>`` and beside the
# hub by ``isthmus up``: name -> module with ``serve(settings)`` and ``beside_hub(settings, port, ...)``.
CLIENTS: dict[str, str] = {"console": "isthmus.console.main"}


def client(name: str) -> Any:
    return importlib.import_module(CLIENTS[name])


def load(name: str) -> Component:
    if name not in REGISTRY:
        raise KeyError(f"unknown component {name!r}; choose from {', '.join(REGISTRY)}")
    module = importlib.import_module(REGISTRY[name])
    component: Component = module.component()
    return component
