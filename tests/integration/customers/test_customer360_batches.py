"""A batch of events reaches the customer 360 with one statement per table whatever its size, and
leaves what the same events one at a time leave: of two events of one order, case, loyalty account,
value or suppression the newer wins (in either order, within the batch and against the stored row),
a breach stays on its case, a loyalty balance and tier are each as new as their own event, and every
event gets its timeline entry once. An event whose row cannot be stored fails the batch's writes:
each event then runs alone, the bad one is dead-lettered and the rest applied.

The batches go through the subscription the customers component subscribes and the consumer that
runs it (prepare, each event's handler, the step prepare returned, in one transaction), on both
databases."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from prometheus_client import CollectorRegistry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from isthmus.customers import queries360
from isthmus.customers.bootstrap import projection_subscription
from isthmus.customers.tables import view360_tables
from isthmus.kernel.timestamps import aware
from isthmus.platform.config import Settings
from isthmus.platform.db import session_factory
from isthmus.platform.events import Subscription
from isthmus.platform.events.consumer import Consumer, queue_name
from isthmus.platform.events.metrics import EventMetrics
from isthmus.platform.events.tables import dead_letters
from isthmus.platform.events.testing import FAST, Statements, delivery
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.events.v1 import loyalty_pb2 as lev
from isthmus_client.api.events.v1 import orders_pb2 as oev
from isthmus_client.api.events.v1 import service_requests_pb2 as sev
from isthmus_client.api.events.v1 import value_pb2 as vev
from isthmus_client.api.loyalty.v1 import loyalty_pb2
from isthmus_client.api.orders.v1 import order_pb2
from isthmus_client.api.service_requests.v1 import service_request_pb2 as srp
from isthmus_client.api.value.v1 import value_pb2 as vpb

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
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
Sent = tuple[Message, datetime]  # an event's payload and when it occurred


def minutes(n: int) -> datetime:
    return T0 + timedelta(minutes=n)


def stamp(at: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(at)
    return ts


class Events:
    """Events about one namespace's customers, orders and cases (ids prefixed with ``ns``), so that two
    runs of the same events on one database touch rows of their own."""

    def __init__(self, ns: str) -> None:
        self.ns = ns

    def id(self, name: str) -> str:
        return f"{self.ns}-{name}"

    def order(
        self, kind: type[Message], name: str, version: int, state: int, customer: str = "c1"
    ) -> Message:
        o = order_pb2.Order(
            order_id=self.id(name), customer_id=self.id(customer), state=state, version=version,
            currency_code="EUR", total=common_pb2.Money(amount=f"{version}0.00", currency_code="EUR"),
        )  # fmt: skip
        return kind(order=o)

    def case(
        self, kind: type[Message], name: str, version: int, state: int, breached: bool = False
    ) -> Message:
        sr = srp.ServiceRequest(
            service_request_id=self.id(name), customer_id=self.id("c1"), subject=f"Parcel {version}",
            state=state, version=version, channel=srp.CHANNEL_PHONE,
        )  # fmt: skip
        sr.sla.resolution_breached = breached
        return kind(service_request=sr)

    def points(self, customer: str, balance: int, at: datetime) -> Message:
        entry = loyalty_pb2.LedgerEntry(
            entry_id=self.id(f"entry-{customer}-{balance}"), account_id=self.id(f"acc-{customer}"),
            customer_id=self.id(customer), points=10, balance_after=balance, occur_time=stamp(at),
        )  # fmt: skip
        return lev.PointsEarned(entry=entry)

    def tier(self, customer: str, name: str) -> Message:
        return lev.TierChanged(
            customer_id=self.id(customer),
            account_id=self.id(f"acc-{customer}"),
            to_tier=loyalty_pb2.TierRef(tier_id=name, name=name.title()),
        )

    def value(self, customer: str, version: int, lifetime: str) -> Message:
        eur = {"currency_code": "EUR"}
        return vev.CustomerValueChanged(
            value=vpb.CustomerValue(
                customer_id=self.id(customer), lifetime_value={"amount": lifetime, **eur}, version=version,
                tier=common_pb2.VALUE_TIER_A, update_time=stamp(minutes(version)),
            )
        )  # fmt: skip

    def value_tier(self, customer: str) -> Message:
        return vev.CustomerTierChanged(
            customer_id=self.id(customer),
            to_tier=common_pb2.VALUE_TIER_A,
            lifetime_value=common_pb2.Money(amount="120.00", currency_code="EUR"),
        )

    def suppression(self, customer: str, suppressed: bool, at: datetime) -> Message:
        return sev.ContactSuppressionChanged(
            customer_id=self.id(customer), suppressed=suppressed, reason="complaint" if suppressed else "",
            service_request_ids=[self.id("case-1")] if suppressed else [], change_time=stamp(at),
        )  # fmt: skip

    def interaction(self, case: str) -> Message:
        return sev.InteractionLogged(
            interaction=srp.Interaction(
                interaction_id=self.id("i-1"), service_request_id=self.id(case), customer_id=self.id("c1"),
                direction=srp.DIRECTION_INBOUND, channel=srp.CHANNEL_EMAIL, subject="Where is it?",
                occur_time=stamp(minutes(3)),
            )
        )  # fmt: skip


class Consuming:
    """The 360's subscription run by a consumer, as the bus runs it, handed batches directly."""

    def __init__(self, engine: AsyncEngine, subscription: Subscription | None = None) -> None:
        subscription = subscription or projection_subscription()
        queue = queue_name("customers", subscription.purpose)
        self.consumer = Consumer(queue, engine, subscription, FAST, EventMetrics(CollectorRegistry()))
        self.acked: list[str] = []

    async def batch(self, events: Sequence[Sent]) -> None:
        await self.consumer.process([delivery(m, at, ack=self.acked.append) for m, at in events])

    async def one_by_one(self, events: Sequence[Sent]) -> None:
        for sent in events:
            await self.batch([sent])

    async def settled(self) -> None:
        """Until the retries of events that failed alone are over."""
        for _ in range(200):
            if not self.consumer.busy:
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the consumer kept retrying")


async def stored(engine: AsyncEngine, ns: str) -> dict[str, list[str]]:
    """The namespace's rows of each 360 table, the namespace taken out of them (and the event ids out
    of the timeline's), so that two namespaces' rows compare."""
    found: dict[str, list[str]] = {}
    async with engine.connect() as conn:
        for name, table in view360_tables.items():
            rows = (await conn.execute(select(table).where(table.c.customer_id.startswith(ns)))).mappings()
            texts = [
                json.dumps({k: v for k, v in r.items() if k != "event_id"}, default=str, sort_keys=True)
                for r in rows
            ]
            found[name] = sorted(t.replace(ns, "NS") for t in texts)
    return found


async def rows_of(engine: AsyncEngine, table: str, ns: str) -> dict[str, Any]:
    t = view360_tables[table]
    key = next(iter(t.primary_key.columns))
    async with engine.connect() as conn:
        rows = (await conn.execute(select(t).where(t.c.customer_id.startswith(ns)))).all()
    return {getattr(r, key.name).removeprefix(f"{ns}-"): r for r in rows}


def new_ns() -> str:
    return uuid.uuid4().hex[:8]


def small_and_large(e: Events) -> tuple[list[Sent], list[Sent]]:
    """A batch of 2 events and one of 7 of the same kinds (orders and loyalty points); the larger has two
    events of one order and two of one loyalty account, each pair in reverse order."""
    small = [
        (e.order(oev.OrderPaid, "order-x", 1, PAID), minutes(1)),
        (e.points("c2", 50, minutes(1)), minutes(1)),
    ]
    large = [
        (e.order(oev.OrderShipped, "order-a", 3, SHIPPED), minutes(3)),
        (e.order(oev.OrderPaid, "order-a", 2, PAID), minutes(5)),  # older version, later time: ignored
        (e.order(oev.OrderPaid, "order-b", 1, PAID, customer="c3"), minutes(2)),
        (e.points("c1", 240, minutes(2)), minutes(2)),
        (e.points("c1", 216, minutes(1)), minutes(1)),  # older: ignored
        (e.points("c3", 30, minutes(2)), minutes(2)),
        (e.order(oev.OrderPlaced, "order-c", 1, order_pb2.ORDER_STATE_PLACED, customer="c3"), minutes(4)),
    ]
    return small, large


async def test_a_batch_of_7_events_costs_the_statements_of_a_batch_of_2_and_leaves_the_same_rows(
    backend: tuple[AsyncEngine, Settings],
) -> None:
    engine, _ = backend
    consuming = Consuming(engine)
    ns, alone = new_ns(), new_ns()
    small, large = small_and_large(Events(ns))
    with Statements(engine) as seen_small:
        await consuming.batch(small)
    with Statements(engine) as seen_large:
        await consuming.batch(large)
    # Event by event this was an upsert and a timeline insert per event: 4 statements for 2 events, 14
    # for 7. A batch writes each table it touches once: the orders, the loyalty balances, the timeline.
    by_table = {t: len(seen_large.naming(t)) for t in ("c360_orders", "c360_loyalty", "c360_timeline")}
    assert by_table == {"c360_orders": 1, "c360_loyalty": 1, "c360_timeline": 1}, seen_large.texts
    assert len(seen_small.naming("c360_")) == len(seen_large.naming("c360_")) == 3
    assert len(consuming.acked) == 9

    orders = await rows_of(engine, "orders", ns)
    assert {k: (r.version, r.snapshot["state"]) for k, r in orders.items()} == {
        "order-x": (1, "PAID"),
        "order-a": (3, "SHIPPED"),
        "order-b": (1, "PAID"),
        "order-c": (1, "PLACED"),
    }
    loyalty = await rows_of(engine, "loyalty", ns)
    assert {k: r.balance for k, r in loyalty.items()} == {"c1": 240, "c2": 50, "c3": 30}
    assert loyalty["c1"].as_of == loyalty["c1"].balance_as_of

    # The same events one at a time leave the same rows, timeline entries included.
    small_alone, large_alone = small_and_large(Events(alone))
    await consuming.one_by_one([*small_alone, *large_alone])
    assert await stored(engine, alone) == await stored(engine, ns)
    assert len((await stored(engine, ns))["timeline"]) == 9


def history(e: Events) -> list[Sent]:
    """What the 360 holds before the batch: rows some of the batch's events are older than."""
    return [
        (e.order(oev.OrderDelivered, "order-stored", 5, DELIVERED), minutes(0)),
        (e.case(sev.ServiceRequestOpened, "case-1", 1, OPEN), minutes(0)),
        (e.points("c1", 500, minutes(30)), minutes(30)),
        (e.tier("c2", "silver"), minutes(0)),
        (e.value("c1", 4, "400.00"), minutes(4)),
        (e.suppression("c2", True, minutes(10)), minutes(10)),
    ]


def every_kind(e: Events) -> list[Sent]:
    """A batch of every kind of event the 360 takes, with pairs of one key in either order."""
    return [
        # Orders: an older version of a stored order; two events of a new one, the newer first.
        (e.order(oev.OrderShipped, "order-stored", 4, SHIPPED), minutes(20)),
        (e.order(oev.OrderDelivered, "order-new", 3, DELIVERED), minutes(5)),
        (e.order(oev.OrderPaid, "order-new", 2, PAID), minutes(9)),
        (e.order(oev.OrderPlaced, "order-new-2", 1, order_pb2.ORDER_STATE_PLACED), minutes(1)),
        # Cases: the breach arrives after the newer snapshot and with an older version; a new case.
        (e.case(sev.ServiceRequestStateChanged, "case-1", 3, PENDING), minutes(3)),
        (e.case(sev.SlaBreached, "case-1", 2, OPEN, breached=True), minutes(2)),
        (e.case(sev.ServiceRequestResolved, "case-2", 2, RESOLVED), minutes(2)),
        (e.case(sev.ServiceRequestOpened, "case-2", 1, OPEN), minutes(1)),
        (e.interaction("case-1"), minutes(3)),
        # Loyalty: balances older than the stored one, a tier on its own time; a new account with both.
        (e.points("c1", 480, minutes(25)), minutes(25)),
        (e.tier("c1", "gold"), minutes(40)),
        (e.tier("c2", "gold"), minutes(5)),
        (e.points("c2", 120, minutes(3)), minutes(3)),
        (e.tier("c2", "platinum"), minutes(7)),
        (e.points("c2", 100, minutes(2)), minutes(2)),
        (e.tier("c3", "bronze"), minutes(1)),
        # Value: an older version than the stored one; two of a new customer, the newer first.
        (e.value("c1", 3, "300.00"), minutes(3)),
        (e.value("c2", 2, "200.00"), minutes(2)),
        (e.value("c2", 1, "100.00"), minutes(1)),
        (e.value_tier("c2"), minutes(2)),
        # Suppression: lifted later than it was set, then an older change of it arrives.
        (e.suppression("c2", False, minutes(12)), minutes(12)),
        (e.suppression("c2", True, minutes(11)), minutes(11)),
        (e.suppression("c3", True, minutes(1)), minutes(1)),
    ]


async def test_a_batch_of_every_kind_writes_each_table_once_and_leaves_what_one_by_one_leaves(
    backend: tuple[AsyncEngine, Settings],
) -> None:
    engine, _ = backend
    consuming = Consuming(engine)
    ns, alone = new_ns(), new_ns()
    await consuming.one_by_one(history(Events(ns)))
    with Statements(engine) as seen:
        await consuming.batch(every_kind(Events(ns)))
    await consuming.one_by_one([*history(Events(alone)), *every_kind(Events(alone))])
    assert await stored(engine, ns) == await stored(engine, alone)

    # A statement per table, the loyalty row's balance and tier each one, the breach one more, and
    # one carrying the values to the worth of the customers' open reviews (it reads c360_value).
    counts = {name: len(seen.naming(t.name)) for name, t in view360_tables.items()}
    assert counts == {"orders": 1, "cases": 2, "loyalty": 2, "value": 2, "suppression": 1, "timeline": 1}
    assert len(seen.naming("c360_")) == 9
    assert len(seen.naming("match_reviews")) == 1

    orders = await rows_of(engine, "orders", ns)
    assert {k: (r.version, r.snapshot["state"]) for k, r in orders.items()} == {
        "order-stored": (5, "DELIVERED"),
        "order-new": (3, "DELIVERED"),
        "order-new-2": (1, "PLACED"),
    }
    cases = await rows_of(engine, "cases", ns)
    assert {k: (r.version, r.snapshot["state"], r.sla_breached) for k, r in cases.items()} == {
        "case-1": (3, "PENDING_CUSTOMER", True),
        "case-2": (2, "RESOLVED", False),
    }
    loyalty = await rows_of(engine, "loyalty", ns)
    assert {k: (r.balance, r.tier_id) for k, r in loyalty.items()} == {
        "c1": (500, "gold"),
        "c2": (120, "platinum"),
        "c3": (0, "bronze"),
    }
    as_of = {k: aware(r.as_of) for k, r in loyalty.items()}
    assert as_of == {"c1": minutes(40), "c2": minutes(7), "c3": minutes(1)}
    value = await rows_of(engine, "value", ns)
    assert {k: (r.version, r.lifetime_amount) for k, r in value.items()} == {
        "c1": (4, 400.0),
        "c2": (2, 200.0),
    }
    suppression = await rows_of(engine, "suppression", ns)
    assert {k: r.suppressed for k, r in suppression.items()} == {"c2": False, "c3": True}
    timeline = await stored(engine, ns)
    assert len(timeline["timeline"]) == len(history(Events(ns))) - 1 + len(every_kind(Events(ns))) - 3


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)  # SQLite stores a longer string
async def test_an_event_whose_row_cannot_be_stored_is_dead_lettered_alone_and_the_rest_applied(
    backend: tuple[AsyncEngine, Settings],
) -> None:
    engine, _ = backend
    consuming = Consuming(engine)
    ns = new_ns()
    e = Events(ns)
    bad = e.order(oev.OrderPaid, "x" * 70, 1, PAID)  # an order id longer than any the orders make
    batch = [
        (e.order(oev.OrderPaid, "order-a", 2, PAID), minutes(2)),
        (bad, minutes(1)),
        (e.order(oev.OrderPlaced, "order-a", 1, order_pb2.ORDER_STATE_PLACED), minutes(1)),
        (e.points("c1", 10, minutes(1)), minutes(1)),
    ]
    await consuming.batch(batch)
    await consuming.settled()
    orders = await rows_of(engine, "orders", ns)
    assert {k: (r.version, r.snapshot["state"]) for k, r in orders.items()} == {"order-a": (2, "PAID")}
    assert {k: r.balance for k, r in (await rows_of(engine, "loyalty", ns)).items()} == {"c1": 10}
    assert len((await stored(engine, ns))["timeline"]) == 3
    async with engine.connect() as conn:
        dead = (
            await conn.execute(
                select(dead_letters).where(dead_letters.c.consumer == consuming.consumer.queue)
            )
        ).all()
    [letter] = [d for d in dead if bad.SerializeToString() in d.body]
    assert "value too long" in letter.reason and letter.attempts == FAST.max_attempts


async def test_a_timeline_is_paged_after_its_last_entry_shown(backend: tuple[AsyncEngine, Settings]) -> None:
    """Pages follow one another by the last entry's time and event id, entries of one instant (a batch
    of events of one moment) included, on both databases."""
    engine, _ = backend
    ns = new_ns()
    t = view360_tables["timeline"]
    at = [T0 + timedelta(microseconds=n) for n in (5, 3, 3, 3, 1, 0)]
    rows = [
        {"event_id": f"{ns}-{n}", "customer_id": f"{ns}-c1", "event_type": "orders.OrderPlaced",
         "kind": 1, "occurred_at": when, "summary": f"{n}", "channel": "", "refs": {}}
        for n, when in enumerate(at)
    ]  # fmt: skip
    async with engine.begin() as conn:
        await conn.execute(t.insert(), rows)
    shown, token, pages = [], "", 0
    async with session_factory(engine)() as session:
        while token or not pages:
            entries, token = await queries360.timeline(
                SimpleNamespace(session=session), [f"{ns}-c1"], [], 2, token
            )  # type: ignore[arg-type]
            shown += [e.summary for e in entries]
            pages += 1
    assert (shown, pages) == (["0", "1", "2", "3", "4", "5"], 3)


async def test_the_order_summary_is_added_up_by_the_database(backend: tuple[AsyncEngine, Settings]) -> None:
    """A customer's orders counted, summed per currency and the last placed found with one statement,
    from what the projection keeps of each order, on both databases."""
    engine, _ = backend
    consuming = Consuming(engine)
    ns = new_ns()
    e = Events(ns)
    placed = [(e.order(oev.OrderPaid, f"o{n}", 2, PAID), minutes(n)) for n in range(3)]
    for n, (event, _) in enumerate(placed):
        event.order.total.amount = f"1{n}.25"
        event.order.pay_time.CopyFrom(stamp(minutes(n)))
        event.order.place_time.CopyFrom(stamp(minutes(10 - n)))  # the first sent is the last placed
    await consuming.batch(placed)
    async with session_factory(engine)() as session:
        with Statements(engine) as seen:
            summary = await queries360.orders_summary(session, [e.id("c1")])
    assert len(seen.naming("c360_orders")) == 1
    assert summary.order_count == 3
    assert [(m.amount, m.currency_code) for m in summary.revenue] == [("33.75", "EUR")]
    assert summary.last_order.order_id == e.id("o0")
    assert summary.last_order.total.amount == "10.25"


async def test_the_case_summary_reads_the_open_cases_and_the_newest_closed(
    backend: tuple[AsyncEngine, Settings],
) -> None:
    """A customer's open cases, oldest first, and its ten most recent closed ones, newest first, with
    one statement, whatever the number closed before, on both databases."""
    engine, _ = backend
    consuming = Consuming(engine)
    ns = new_ns()
    e = Events(ns)
    sent = []
    for n in range(14):  # cases 0 and 1 stay open; 2-13 are resolved, opened a minute apart
        state = OPEN if n < 2 else RESOLVED
        event = e.case(
            sev.ServiceRequestOpened if n < 2 else sev.ServiceRequestResolved, f"sr{n:02d}", 2, state
        )
        event.service_request.open_time.CopyFrom(stamp(minutes(30 - n if n < 2 else n)))
        sent.append((event, minutes(n)))
    await consuming.batch(sent)
    async with session_factory(engine)() as session:
        with Statements(engine) as seen:
            summary = await queries360.cases_summary(session, [e.id("c1")])
    assert len(seen.naming("c360_cases")) == 1
    assert [b.service_request_id for b in summary.open] == [e.id("sr01"), e.id("sr00")]
    assert [b.service_request_id for b in summary.recent] == [e.id(f"sr{n:02d}") for n in range(13, 3, -1)]
    assert summary.as_of_time.ToDatetime(tzinfo=UTC) == minutes(13)
    # A later event about a closed case too old to be shown still moves the summary's as-of time.
    late = e.case(sev.ServiceRequestStateChanged, "sr02", 3, srp.SERVICE_REQUEST_STATE_CLOSED)
    late.service_request.open_time.CopyFrom(stamp(minutes(2)))
    await consuming.batch([(late, minutes(20))])
    async with session_factory(engine)() as session:
        summary = await queries360.cases_summary(session, [e.id("c1")])
    assert e.id("sr02") not in [b.service_request_id for b in [*summary.open, *summary.recent]]
    assert summary.as_of_time.ToDatetime(tzinfo=UTC) == minutes(20)
