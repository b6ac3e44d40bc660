"""Two consumers applying events to the 360 at once: an older event never overwrites a newer one.

The race, made deterministic: consumer A applies the newer event and holds its transaction open;
consumer B applies the older one meanwhile (its write waits for A's row lock); A commits, then B.
A read-then-write projection lets B's older snapshot win (B read the row before A committed); the
360 must keep A's. One case per part of the read model.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from isthmus.customers.bootstrap import MIGRATIONS, SCHEMA
from isthmus.customers.tables import view360_tables
from isthmus.customers.view360 import Projection
from isthmus.platform import config, db
from isthmus.platform.events import Event
from isthmus.platform.migrations import upgrade
from isthmus_client.api.events.v1 import loyalty_pb2 as lev
from isthmus_client.api.events.v1 import orders_pb2 as oev
from isthmus_client.api.events.v1 import service_requests_pb2 as sev
from isthmus_client.api.loyalty.v1 import loyalty_pb2
from isthmus_client.api.orders.v1 import order_pb2
from isthmus_client.api.service_requests.v1 import service_request_pb2 as srp

pytestmark = pytest.mark.postgres

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
CUSTOMER = "customer-1"


def event(message: Message, at: datetime) -> Event:
    return Event(
        event_id=str(uuid.uuid4()),
        type=f"x.{type(message).__name__}",
        occurred_at=at,
        aggregate_id="a",
        correlation_id="",
        causation_id="",
        schema_version=1,
        payload_type=message.DESCRIPTOR.full_name,
        producer="test",
        payload=message,
    )


def stamp(at: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(at)
    return ts


def placed(version: int, state: int, total: str) -> Message:
    return oev.OrderPaid(
        order=order_pb2.Order(
            order_id="order-1", customer_id=CUSTOMER, state=state, version=version, currency_code="EUR",
            total={"amount": total, "currency_code": "EUR"},
        )
    )  # fmt: skip


def case_event(version: int, state: int) -> Message:
    return sev.ServiceRequestAssigned(
        service_request=srp.ServiceRequest(
            service_request_id="case-1", customer_id=CUSTOMER, subject="Parcel", state=state, version=version
        )
    )


def points(balance: int, at: datetime) -> Message:
    entry = loyalty_pb2.LedgerEntry(
        entry_id=str(uuid.uuid4()), account_id="acc", customer_id=CUSTOMER, points=10,
        balance_after=balance, occur_time=stamp(at),
    )  # fmt: skip
    return lev.PointsEarned(entry=entry)


def tier(name: str) -> Message:
    return lev.TierChanged(
        customer_id=CUSTOMER, account_id="acc", to_tier=loyalty_pb2.TierRef(tier_id=name, name=name)
    )


def suppression(suppressed: bool, at: datetime) -> Message:
    return sev.ContactSuppressionChanged(
        customer_id=CUSTOMER, suppressed=suppressed, reason="complaint" if suppressed else "",
        change_time=stamp(at),
    )  # fmt: skip


@dataclass
class Part:
    """One part of the 360: the event it starts from, an older and a newer one, and what it holds."""

    initial: tuple[Message, datetime]
    older: tuple[Message, datetime]
    newer: tuple[Message, datetime]
    table: str
    read: Callable[[Any], Any]
    expected: Any


def minutes(n: int) -> datetime:
    return T0 + timedelta(minutes=n)


PAID, SHIPPED, DELIVERED = (
    order_pb2.ORDER_STATE_PAID,
    order_pb2.ORDER_STATE_SHIPPED,
    order_pb2.ORDER_STATE_DELIVERED,
)
OPEN, PENDING, RESOLVED = (
    srp.SERVICE_REQUEST_STATE_OPEN,
    srp.SERVICE_REQUEST_STATE_PENDING_CUSTOMER,
    srp.SERVICE_REQUEST_STATE_RESOLVED,
)

PARTS = {
    # Versions decide, even where the newer snapshot's event carries the earlier time.
    "order": Part(
        (placed(1, PAID, "10.00"), minutes(0)),
        (placed(2, SHIPPED, "10.00"), minutes(9)),
        (placed(3, DELIVERED, "10.00"), minutes(5)),
        "orders",
        lambda row: (row.version, row.snapshot["state"]),
        (3, "DELIVERED"),
    ),
    "case": Part(
        (case_event(1, OPEN), minutes(0)),
        (case_event(2, PENDING), minutes(1)),
        (case_event(3, RESOLVED), minutes(2)),
        "cases",
        lambda row: (row.version, row.snapshot["state"]),
        (3, "RESOLVED"),
    ),
    # The reported one: 240 points in loyalty and in the timeline, 216 in the 360.
    "loyalty balance": Part(
        (points(200, minutes(0)), minutes(0)),
        (points(216, minutes(1)), minutes(1)),
        (points(240, minutes(2)), minutes(2)),
        "loyalty",
        lambda row: row.balance,
        240,
    ),
    "loyalty tier": Part(
        (tier("silver"), minutes(0)),
        (tier("gold"), minutes(1)),
        (tier("platinum"), minutes(2)),
        "loyalty",
        lambda row: row.tier_id,
        "platinum",
    ),
    "suppression": Part(
        (suppression(False, minutes(0)), minutes(0)),
        (suppression(True, minutes(1)), minutes(1)),
        (suppression(False, minutes(2)), minutes(2)),
        "suppression",
        lambda row: row.suppressed,
        False,
    ),
}


@pytest.fixture
async def consumers(pg_database: str) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine]]:
    settings = config.load({"ISTHMUS_DATABASE_URL": pg_database})
    await asyncio.to_thread(upgrade, settings, SCHEMA, [MIGRATIONS])
    engines = (db.async_engine(settings, SCHEMA), db.async_engine(settings, SCHEMA))  # two replicas
    try:
        yield engines
    finally:
        for engine in engines:
            await engine.dispose()


async def apply(engine: AsyncEngine, message: Message, at: datetime) -> None:
    async with db.session_factory(engine)() as session, session.begin():
        await Projection(view360_tables).handle(session, event(message, at))


async def _lock_waits(session: AsyncSession) -> int:
    found = await session.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted"))
    return int(found.scalar_one())


@pytest.mark.parametrize("part", list(PARTS))
async def test_an_older_event_applied_concurrently_never_overwrites_a_newer_one(
    consumers: tuple[AsyncEngine, AsyncEngine], part: str
) -> None:
    p = PARTS[part]
    a, b = consumers
    await apply(a, *p.initial)

    async with db.session_factory(a)() as session_a, db.session_factory(b)() as watcher:
        await session_a.begin()
        await Projection(view360_tables).handle(session_a, event(*p.newer))  # holds the row, uncommitted
        older = asyncio.create_task(apply(b, *p.older))
        for _ in range(100):  # until B waits for A's lock (or has finished, which it must not have)
            if await _lock_waits(watcher) or older.done():
                break
            await asyncio.sleep(0.05)
        await session_a.commit()
        await asyncio.wait_for(older, timeout=30)

    table = view360_tables[p.table]
    async with db.session_factory(a)() as session:
        row = (await session.execute(select(table).where(table.c.customer_id == CUSTOMER))).one()
    assert p.read(row) == p.expected


@pytest.mark.parametrize("part", list(PARTS))
async def test_events_in_any_order_leave_the_newest(
    consumers: tuple[AsyncEngine, AsyncEngine], part: str
) -> None:
    p = PARTS[part]
    a, _ = consumers
    for message, at in (p.newer, p.initial, p.older):
        await apply(a, message, at)
    table = view360_tables[p.table]
    async with db.session_factory(a)() as session:
        row = (await session.execute(select(table).where(table.c.customer_id == CUSTOMER))).one()
    assert p.read(row) == p.expected


async def test_a_balance_and_a_tier_are_each_as_new_as_their_own_event(
    consumers: tuple[AsyncEngine, AsyncEngine],
) -> None:
    a, _ = consumers
    await apply(a, tier("gold"), minutes(5))
    await apply(a, points(120, minutes(1)), minutes(1))  # older than the tier, but the only balance
    table = view360_tables["loyalty"]
    async with db.session_factory(a)() as session:
        row = (await session.execute(select(table).where(table.c.customer_id == CUSTOMER))).one()
    assert (row.balance, row.tier_id) == (120, "gold")
