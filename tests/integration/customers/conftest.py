"""A customer master on the session's PostgreSQL database, started once, with a settable clock; and
the customers schema migrated on either backend, for tests that work below the gRPC API."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from isthmus.platform import config, hub
from isthmus.platform.config import Settings
from isthmus.platform.db import async_engine
from isthmus.platform.events import Event, Subscription, create_bus
from isthmus.platform.events.testing import FAST
from isthmus_client.api.customers.v1 import customers_pb2_grpc


@dataclass
class Clock:
    now: datetime = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@pytest.fixture(scope="session")
def clock() -> Clock:
    return Clock()


@dataclass
class Published:
    """The customer master's events as a subscriber receives them, after the bus has drained."""

    hub: hub.Hub | None = None
    events: list[Event] = field(default_factory=list)

    async def types_for(self, aggregate_ids: list[str]) -> list[str]:
        assert self.hub is not None
        await self.hub.runtime.bus.drain(timeout=30)
        return [e.type for e in self.events if e.aggregate_id in aggregate_ids]


@pytest.fixture(scope="session")
def published() -> Published:
    return Published()


@asynccontextmanager
async def running_master(
    pg_url: str, clock: Clock, published: Published
) -> AsyncIterator[customers_pb2_grpc.CustomerMasterServiceStub]:
    """A customer master on ``pg_url`` behind gRPC, its events recorded in ``published``."""
    settings = config.load(
        {
            "ISTHMUS_DATABASE_URL": pg_url,
            "ISTHMUS_AUTH_DISABLED": "true",
            "ISTHMUS_GRPC_PORT": "0",
            "ISTHMUS_METRICS_PORT": "0",
            "ISTHMUS_CUSTOMERS_SOURCE_SYSTEMS": "erp,webshop,callcenter",
            "ISTHMUS_CUSTOMERS_DEFAULT_REGION": "DE",
        }
    )
    bus = create_bus(settings, FAST)

    async def probe(session: AsyncSession, event: Event) -> None:
        published.events.append(event)

    # The probe subscribes as any other service would: its own queue, its inbox in customers' schema.
    await asyncio.to_thread(hub.migrate, settings, ["customers"])
    probe_engine = async_engine(settings, "customers")
    bus.subscribe("probe", probe_engine, Subscription("customer-events", ["customers.*"], probe))
    try:
        async with hub.running(settings, ["customers"], clock=clock, bus=bus) as h, h.channel() as channel:
            published.hub = h
            yield customers_pb2_grpc.CustomerMasterServiceStub(channel)
    finally:
        await probe_engine.dispose()


@pytest.fixture(scope="session")
async def master(
    pg_url: str, clock: Clock, published: Published
) -> AsyncIterator[customers_pb2_grpc.CustomerMasterServiceStub]:
    async with running_master(pg_url, clock, published) as stub:
        yield stub


@pytest.fixture
def uid() -> str:
    """A per-test suffix, since tests share one database."""
    return uuid.uuid4().hex[:8]


@pytest.fixture(params=["sqlite", "postgresql"])
async def backend(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[AsyncEngine, Settings]]:
    """The customers schema migrated on SQLite (a fresh file) or on the session's PostgreSQL database
    (shared with other tests: use unique ids), and an engine on it."""
    if request.param == "sqlite":
        env = {"ISTHMUS_DATA_DIR": str(tmp_path)}
    else:
        env = {"ISTHMUS_DATABASE_URL": request.getfixturevalue("pg_url")}
    settings = config.load({**env, "ISTHMUS_AUTH_DISABLED": "true"})
    await asyncio.to_thread(hub.migrate, settings, ["customers"])
    engine = async_engine(settings, "customers")
    try:
        yield engine, settings
    finally:
        await engine.dispose()
