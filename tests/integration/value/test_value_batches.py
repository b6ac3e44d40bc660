"""The value consumer handles a batch of order, case and customer events in one transaction with as
many statements as a batch of two: its orders, cases and customers (following merges) are read before
the first handler and written after the last. What it stores and the events it publishes, in order, are
those of the same events handled one at a time: a customer with two orders in the batch, an order of
a merged customer, an event delivered twice, merges, an unmerge and an erasure between them. SQLite
and PostgreSQL, below the bus."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from isthmus.platform import config, hub
from isthmus.platform.db import async_engine, session_factory
from isthmus.platform.events import Event, routing_key
from isthmus.platform.events.testing import Statements
from isthmus.value import config as value_config
from isthmus.value import consumers, domain
from isthmus.value.handlers import CurrentModel
from isthmus.value.tables import cases, customers, orders
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.events.v1 import customers_pb2
from isthmus_client.api.events.v1 import orders_pb2 as order_events
from isthmus_client.api.events.v1 import service_requests_pb2 as case_events
from isthmus_client.api.orders.v1 import order_pb2
from isthmus_client.api.service_requests.v1 import service_request_pb2

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
COSTS = '{"complaint": "25.00", "default": "5.00"}'
# Tiers from these lifetime values (minor units), so that the events show tier changes too.
MODEL = domain.Model(
    model_id="test-model",
    fitted_at=NOW,
    tier_a_from=30000,
    tier_b_from=12000,
    recency=(10.0, 30.0, 90.0, 180.0),
    frequency=(1.0, 2.0, 3.0, 5.0),
    monetary=(20.0, 50.0, 100.0, 200.0),
)
TABLES = ("value_customers", "value_orders", "value_cases", "value_models")


def stamp(at: datetime) -> Timestamp:
    t = Timestamp()
    t.FromDatetime(at)
    return t


def eur(amount: str) -> common_pb2.Money:
    return common_pb2.Money(amount=amount, currency_code="EUR")


def order(order_id: str, customer_id: str, net: int, days_ago: int) -> order_pb2.Order:
    """An order of ``net`` euros plus 20 % tax, placed ``days_ago`` before NOW."""
    tax = f"{net * 0.2:.2f}"
    gross = f"{net * 1.2:.2f}"
    return order_pb2.Order(
        order_id=order_id,
        customer_id=customer_id,
        currency_code="EUR",
        subtotal=eur(f"{net}.00"),
        discount_total=eur("0.00"),
        tax_total=eur(tax),
        total=eur(gross),
        place_time=stamp(NOW - timedelta(days=days_ago)),
        attributes={"cost_of_goods": f"{net // 3}.00"},
    )


def paid(order_id: str, customer_id: str, net: int, days_ago: int) -> order_events.OrderPaid:
    return order_events.OrderPaid(order=order(order_id, customer_id, net, days_ago))


def returned(order_id: str, customer_id: str, net: int, return_id: str, refund: str) -> Message:
    return order_events.OrderReturned(
        order=order(order_id, customer_id, net, 0),
        order_return=order_pb2.OrderReturn(return_id=return_id, refund=eur(refund)),
    )


def cancelled(order_id: str, customer_id: str, net: int) -> Message:
    return order_events.OrderCancelled(order=order(order_id, customer_id, net, 0), was_paid=True)


def opened(case_id: str, customer_id: str, days_ago: int) -> Message:
    case = service_request_pb2.ServiceRequest(
        service_request_id=case_id,
        customer_id=customer_id,
        kind=service_request_pb2.SERVICE_REQUEST_KIND_COMPLAINT,
        open_time=stamp(NOW - timedelta(days=days_ago)),
    )
    return case_events.ServiceRequestOpened(service_request=case)


def merged(surviving: str, *merged_ids: str) -> Message:
    return customers_pb2.CustomersMerged(surviving_id=surviving, merged_ids=merged_ids)


@dataclass
class Value:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    settings: value_config.ValueConfig
    published: list[str] = field(default_factory=list)  # the events recorded, in order

    async def record(
        self, session: AsyncSession, message: Message, aggregate_id: str, causation: str
    ) -> None:
        body = json.dumps(MessageToDict(message), sort_keys=True)
        self.published.append(f"{type(message).__name__} {aggregate_id} {causation} {body}")

    def handlers(self) -> tuple[consumers.Handler, consumers.Prepare]:
        current = CurrentModel()
        current.set(MODEL)
        return consumers.event_handlers(self.settings, lambda: NOW, self.record, current)

    @staticmethod
    def events(uid: str, messages: list[Message]) -> list[Event]:
        return [
            Event(f"{uid}-event-{i}", routing_key(m), NOW, "", "", "", 1, "", "", m)
            for i, m in enumerate(messages)
        ]

    async def batch(self, uid: str, messages: list[Message], *, cold: bool = False) -> list[str]:
        """The events handed to the consumer together, as the bus hands it a batch: the batch's
        prepare step, each handler, the step after them, in one transaction. Returns the statements
        on the value tables. ``cold``: the prepare step is told of no event, so that the handlers
        find nothing in memory and read (and change by statement) what they need as they go."""
        handle, prepare = self.handlers()
        batch = self.events(uid, messages)
        with Statements(self.engine) as seen:
            async with self.sessions() as session, session.begin():
                finish = await prepare(session, [] if cold else batch)
                for event in batch:
                    await handle(session, event)
                await finish()
        return [t for t in seen.texts if any(name in t for name in TABLES)]

    async def one_by_one(self, uid: str, messages: list[Message]) -> None:
        """Each event handled alone in a transaction of its own, without a batch's steps."""
        handle, _ = self.handlers()
        for event in self.events(uid, messages):
            async with self.sessions() as session, session.begin():
                await handle(session, event)

    async def stored(self, uid: str) -> list[str]:
        """Every row of the scenario's customers, orders and cases, with its id made generic."""
        found = []
        async with self.engine.connect() as conn:
            for table in (customers, orders, cases):
                key = table.primary_key.columns[0]
                rows = await conn.execute(select(table).where(key.like(f"%{uid}%")))
                found += [f"{table.name} {sorted(r.items())}" for r in rows.mappings()]
        return sorted(generic(uid, found))


def generic(uid: str, texts: list[str]) -> list[str]:
    return [t.replace(uid, "UID") for t in texts]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def value(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Value]:
    """The value schema on SQLite (a fresh file) or on a fresh PostgreSQL database: no model stored by
    another test may replace the one the handlers are given."""
    if request.param == "sqlite":
        env = {"ISTHMUS_DATA_DIR": str(tmp_path)}
    else:
        env = {"ISTHMUS_DATABASE_URL": request.getfixturevalue("pg_database")}
    settings = config.load({**env, "ISTHMUS_VALUE_SERVICE_COSTS": COSTS})
    await asyncio.to_thread(hub.migrate, settings, ["value"])
    engine = async_engine(settings, "value")
    try:
        yield Value(engine, session_factory(engine), value_config.load(settings.extra))
    finally:
        await engine.dispose()


async def history(value: Value, uid: str) -> dict[str, str]:
    """Customers A, C and E with paid orders, and B, with an order of its own, merged into A: each event
    handled alone. Returns the ids."""
    ids = {k: f"{k}-{uid}" for k in ("a", "b", "c", "d", "e", "o1", "o2", "o3", "ob")}
    await value.one_by_one(
        f"{uid}-before",
        [
            paid(ids["o1"], ids["a"], 120, 200),
            paid(ids["o2"], ids["c"], 50, 90),
            paid(ids["o3"], ids["e"], 80, 40),
            paid(ids["ob"], ids["b"], 30, 60),
            opened(f"s0-{uid}", ids["a"], 100),
            merged(ids["a"], ids["b"]),
        ],
    )
    return ids


def two_orders(ids: dict[str, str]) -> list[Message]:
    """An order of B, merged into A (A's), and a return of E's order."""
    return [paid(f"o4-{ids['a']}", ids["b"], 90, 20), returned(ids["o3"], ids["e"], 80, "r1", "48.00")]


def seven_orders(ids: dict[str, str]) -> list[Message]:
    """As ``two_orders``, and a second order of B in the batch, the first payment again (a new event
    id), the return again, a cancellation of C's order and a second order of E."""
    return [
        paid(f"o4-{ids['a']}", ids["b"], 90, 20),
        paid(f"o5-{ids['a']}", ids["b"], 260, 3),
        returned(ids["o3"], ids["e"], 80, "r1", "48.00"),
        paid(f"o4-{ids['a']}", ids["b"], 90, 20),
        cancelled(ids["o2"], ids["c"], 50),
        paid(f"o6-{ids['a']}", ids["e"], 150, 1),
        returned(ids["o3"], ids["e"], 80, "r1", "48.00"),
    ]


async def same_as_one_by_one(value: Value, scenario: Callable[[dict[str, str]], list[Message]]) -> list[str]:
    """Runs the scenario's events one by one after the history, then as a batch after the same history
    (for other customers), and as a batch whose prepare step read nothing; checks that all three
    store the same rows and publish the same events, in the same order. Returns the batch's
    statements."""
    uid = uuid.uuid4().hex
    ids = await history(value, uid)
    value.published.clear()
    await value.one_by_one(uid, scenario(ids))
    alone, published = await value.stored(uid), generic(uid, value.published)
    assert published, "the scenario publishes events"
    statements: list[str] = []
    for cold in (False, True):
        uid = uuid.uuid4().hex
        ids = await history(value, uid)
        value.published.clear()
        seen = await value.batch(uid, scenario(ids), cold=cold)
        statements = statements or seen
        assert await value.stored(uid) == alone
        assert generic(uid, value.published) == published
    return statements


async def test_a_batch_of_order_events_costs_the_statements_of_two_and_gives_what_one_by_one_gives(
    value: Value,
) -> None:
    counted = {}
    for size, scenario in ((2, two_orders), (7, seven_orders)):
        counted[size] = await same_as_one_by_one(value, scenario)
    assert any("CustomerTierChanged" in p for p in value.published), "the scenario changes tiers"
    # Event by event these took 14 and 37 statements: per event the customer and the one it was
    # merged into locked, the order locked, its write, the customer's orders and cases read, the
    # customer's write. A batch: the model; the orders named; their customers and those they were
    # merged into; these customers' orders and cases; the orders inserted, the orders updated, the
    # customers updated.
    assert len(counted[7]) == len(counted[2]) == 9, counted


def two_cases(ids: dict[str, str]) -> list[Message]:
    """A complaint of the merged B (the survivor A's) and one of D, new to value."""
    return [opened(f"s1-{ids['a']}", ids["b"], 2), opened(f"s2-{ids['a']}", ids["d"], 1)]


def five_cases(ids: dict[str, str]) -> list[Message]:
    """As ``two_cases``, and B's second complaint, the first again (a new event id) and one of C."""
    return [
        *two_cases(ids),
        opened(f"s3-{ids['a']}", ids["b"], 1),
        opened(f"s1-{ids['a']}", ids["b"], 2),
        opened(f"s4-{ids['a']}", ids["c"], 0),
    ]


async def test_a_batch_of_cases_costs_the_statements_of_two_and_gives_what_one_by_one_gives(
    value: Value,
) -> None:
    counted = {}
    for size, scenario in ((2, two_cases), (5, five_cases)):
        counted[size] = await same_as_one_by_one(value, scenario)
    # Event by event these took 15 and 29 statements. A batch: the model; the cases named; their
    # customers and those they were merged into; these customers' orders and cases; the cases
    # inserted, the customers inserted, the customers updated.
    assert len(counted[5]) == len(counted[2]) == 9, counted


def everything(ids: dict[str, str]) -> list[Message]:
    """Orders, cases, merges, an unmerge and an erasure, interleaved: later events of the batch see
    what earlier ones did (a merge followed by the merged customer's order, a customer merged into one
    that is merged itself, an unmerge giving orders back with those merged into the restored one,
    an order of a customer erased before, a complaint delivered twice)."""
    a, b, c, d, e = ids["a"], ids["b"], ids["c"], ids["d"], ids["e"]
    return [
        paid(f"o4-{a}", b, 90, 20),
        opened(f"s1-{a}", c, 5),
        merged(c, d),
        paid(f"o5-{a}", d, 400, 2),
        merged(a, c),
        paid(f"o6-{a}", c, 70, 1),
        returned(ids["o2"], c, 50, "r1", "30.00"),
        customers_pb2.CustomerUnmerged(from_id=a, restored_ids=[b, c]),  # D, merged into C, with C
        opened(f"s2-{a}", b, 1),
        customers_pb2.CustomerErased(customer_id=e),
        paid(f"o7-{a}", e, 40, 0),
        cancelled(ids["o3"], e, 80),
        merged(a, b),
        opened(f"s1-{a}", c, 5),
        customers_pb2.CustomerErased(customer_id=b),
    ]


async def test_merges_unmerges_and_erasures_in_a_batch_give_what_one_by_one_gives(value: Value) -> None:
    await same_as_one_by_one(value, everything)
