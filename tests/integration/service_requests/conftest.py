"""Fixtures for the service-requests integration tests: a simulated clock and the service on PostgreSQL."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from isthmus.platform import config, hub
from isthmus.platform.db import session_factory
from isthmus.platform.events import MIGRATIONS, Event, Subscription, create_bus, record_event
from isthmus.platform.events.testing import FAST
from isthmus.platform.migrations import upgrade
from isthmus.service_requests.store import UnitOfWorkFactory
from isthmus_client.api.service_requests.v1 import scripts_pb2_grpc, service_requests_pb2_grpc

# Tests import the request builders (sr_builders.py) beside this file; the importlib import mode does
# not put test folders on sys.path.
sys.path.insert(0, str(Path(__file__).parent))

# Berlin office hours, Christmas Day off. Defaults elsewhere: HIGH is 2h response / 8h resolution.
CALENDAR_ENV = {
    "ISTHMUS_SERVICE_REQUESTS_TIME_ZONE": "Europe/Berlin",
    "ISTHMUS_SERVICE_REQUESTS_WORKING_HOURS": "mon-fri 09:00-17:00",
    "ISTHMUS_SERVICE_REQUESTS_HOLIDAYS": "2026-12-25",
    # The tests drive the detector themselves, at simulated times.
    "ISTHMUS_SERVICE_REQUESTS_BREACH_SCAN_INTERVAL": "0s",
}


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class Recorder:
    """Collects the events the context records, in commit order, beside the real outbox."""

    events: list[Message] = field(default_factory=list)

    async def __call__(self, session: AsyncSession, message: Message, aggregate_id: str) -> None:
        self.events.append(message)

    def of(self, name: str) -> list[Any]:
        return [e for e in self.events if e.DESCRIPTOR.name == name]


@dataclass
class Service:
    hub: hub.Hub
    stub: service_requests_pb2_grpc.ServiceRequestServiceStub
    clock: FakeClock
    recorder: Recorder
    published: list[Event]
    customers_engine: AsyncEngine
    scripts: scripts_pb2_grpc.ScriptServiceStub

    def uows(self) -> UnitOfWorkFactory:
        """Units of work on the service's own database, recording events into ``recorder``."""
        return UnitOfWorkFactory(session_factory(self.hub.runtime.engine("service_requests")), self.recorder)

    def events(self, name: str) -> list[Any]:
        """Payloads the service published on the bus, by message name."""
        return [e.payload for e in self.published if e.payload.DESCRIPTOR.name == name]

    async def publish(self, message: Message, aggregate_id: str) -> None:
        """Publishes as the customer master would: outbox row, relay, bus."""
        async with session_factory(self.customers_engine)() as session, session.begin():
            await record_event(session, message, aggregate_id=aggregate_id)
        await self.hub.runtime.bus.drain()


def _berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo("Europe/Berlin"))  # type: ignore[misc]


def settings_for(pg_url: str | None, data_dir: str | None = None) -> config.Settings:
    env = {
        "ISTHMUS_AUTH_DISABLED": "true",
        "ISTHMUS_GRPC_PORT": "0",
        "ISTHMUS_METRICS_PORT": "0",
        "ISTHMUS_SHUTDOWN_GRACE_SECONDS": "1",
        **CALENDAR_ENV,
    }
    if pg_url:
        env["ISTHMUS_DATABASE_URL"] = pg_url
    if data_dir:
        env["ISTHMUS_DATA_DIR"] = data_dir
    return config.load(env)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(_berlin(2026, 12, 24, 16, 0))  # Thursday before Christmas, one office hour left


@pytest.fixture
async def service(pg_url: str, clock: FakeClock) -> AsyncIterator[Service]:
    settings = settings_for(pg_url)
    # Stands in for the customer master's outbox: its own schema with the platform's event tables.
    await asyncio.to_thread(upgrade, settings, "sr_test_customers", [MIGRATIONS])
    published: list[Event] = []

    async def listen(session: AsyncSession, event: Event) -> None:
        published.append(event)

    async with hub.running(settings, ["service-requests"], clock=clock, bus=create_bus(settings, FAST)) as h:
        bus = h.runtime.bus
        purpose = f"listener-{uuid.uuid4().hex[:8]}"
        bus.subscribe("sr-tests", h.runtime.engine("service_requests"), Subscription(purpose, ["#"], listen))
        customers = h.runtime.engine("sr_test_customers")
        bus.add_relay("sr-test-customers", customers)
        channel = h.channel()
        try:
            yield Service(
                h,
                service_requests_pb2_grpc.ServiceRequestServiceStub(channel),
                clock,
                Recorder(),
                published,
                customers,
                scripts_pb2_grpc.ScriptServiceStub(channel),
            )
        finally:
            await channel.close()
