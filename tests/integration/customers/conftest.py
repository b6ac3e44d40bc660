"""A customer master on the session's PostgreSQL database, started once, with a settable clock."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from isthmus.api.customers.v1 import customers_pb2_grpc
from isthmus.platform import config, hub


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


@pytest.fixture(scope="session")
async def master(pg_url: str, clock: Clock) -> AsyncIterator[customers_pb2_grpc.CustomerMasterServiceStub]:
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
    async with hub.running(settings, ["customers"], clock=clock) as h, h.channel() as channel:
        yield customers_pb2_grpc.CustomerMasterServiceStub(channel)


@pytest.fixture
def uid() -> str:
    """A per-test suffix, since tests share one database."""
    return uuid.uuid4().hex[:8]
