"""A batch of order events changes the co-purchase counts with a statement or two a table, whatever its
size, and leaves what the same events one by one leave: holdings, article and pair counts, the
customer total, suggestions, profiles, segment entries and occurrences. The same customer and the same
article come back within the batch: bought twice, cancelled, returned and bought again, an article and
a pair whose count falls to 0 and is made again. SQLite and PostgreSQL, real tables."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.message import Message
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from isthmus.kernel.errors import Conflict
from isthmus.kernel.timestamps import ts
from isthmus.platform import config
from isthmus.platform.db import async_engine, session_factory
from isthmus.platform.events import Event, routing_key
from isthmus.platform.events.tables import outbox
from isthmus.platform.events.testing import Statements
from isthmus.platform.hub import migrate
from isthmus.value import affinity, affinity_store, segments
from isthmus.value.engagement import Engagement
from isthmus.value.engagement_consumers import handlers
from isthmus.value.engagement_events import OutboxPublisher, value_facts_reader
from isthmus.value.engagement_tables import (
    affinity_articles,
    affinity_holdings,
    affinity_pairs,
    affinity_totals,
    engagement_profiles,
    segment_members,
    trigger_occurrences,
)
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.events.v1 import customers_pb2
from isthmus_client.api.events.v1 import orders_pb2 as ev
from isthmus_client.api.orders.v1 import order_pb2

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
# Every association shows: the suggestions compare all the counts they read.
ALL = affinity.Thresholds(min_together=1, min_confidence=0.0, min_lift=0.0)
PUBLISHER, FACTS = OutboxPublisher(), value_facts_reader("EUR")
HANDLERS = handlers(lambda: NOW, PUBLISHER, FACTS)


def subscription(message: Message) -> str:
    return (
        "engagement-customers" if isinstance(message, customers_pb2.CustomerErased) else "engagement-orders"
    )


def order(order_id: str, customer_id: str, *lines: tuple[str, int, str, str]) -> order_pb2.Order:
    """An order as OrderService announces it; a line is (sku, quantity, category, unit price)."""
    found = order_pb2.Order(
        order_id=order_id,
        customer_id=customer_id,
        currency_code="EUR",
        channel=order_pb2.ORDER_CHANNEL_WEB,
        place_time=ts(NOW),
        total=common_pb2.Money(amount="1.00", currency_code="EUR"),
    )
    for i, (sku, quantity, category, price) in enumerate(lines):
        found.lines.add(
            line_id=str(i),
            sku=sku,
            quantity=quantity,
            category=category,
            description=f"{sku} ({price})",
            unit_price=common_pb2.Money(amount=price, currency_code="EUR"),
        )
    return found


def returned(placed: order_pb2.Order, *units: tuple[str, int]) -> ev.OrderReturned:
    return ev.OrderReturned(
        order=placed, returned_lines=[order_pb2.OrderLine(sku=s, quantity=n) for s, n in units]
    )


def event(message: Message) -> Event:
    return Event(str(uuid.uuid4()), routing_key(message), NOW, "", "", "", 1, "", "", message)


async def alone(sessions: async_sessionmaker[Any], messages: Sequence[Message]) -> None:
    """Each event in a transaction of its own, with no batch around it."""
    for message in messages:
        async with sessions() as session, session.begin():
            await HANDLERS[subscription(message)][0](session, event(message))


async def batch(sessions: async_sessionmaker[Any], messages: Sequence[Message]) -> None:
    """The events as the bus hands them over together: the batch's prepare, each handler, its finish."""
    [purpose] = {subscription(m) for m in messages}
    handle, prepare = HANDLERS[purpose]
    events = [event(m) for m in messages]
    async with sessions() as session, session.begin():
        finish = await prepare(session, events)
        for e in events:
            await handle(session, e)
        await finish()


async def batches_of_one(sessions: async_sessionmaker[Any], messages: Sequence[Message]) -> None:
    """As a failed batch is rerun: each event alone, through the batch's steps."""
    for message in messages:
        await batch(sessions, [message])


def scenario(p: str) -> tuple[list[Message], list[Message]]:
    """What the customers held before (``p`` names their customers, orders and articles apart), and a
    batch in which customers and articles come back."""
    earlier = [order(f"{p}o-c2", f"{p}c2", (f"{p}E", 1, "tools", "9.00"))]
    earlier.append(
        order(f"{p}o-c3", f"{p}c3", (f"{p}A", 1, "camping", "200.00"), (f"{p}B", 1, "cooking", "60.00"))
    )
    first = order(
        f"{p}o1",
        f"{p}c1",
        (f"{p}A", 1, "camping", "200.00"),
        (f"{p}B", 2, "cooking", "60.00"),
        (f"{p}A", 1, "camping", "210.00"),  # the same article twice in one order
    )
    again = order(f"{p}o2", f"{p}c1", (f"{p}B", 1, "cooking", "55.00"), (f"{p}C", 1, "camping", "450.00"))
    rebought = order(f"{p}o3", f"{p}c3", (f"{p}B", 3, "cooking", "58.00"))
    other = order(f"{p}o4", f"{p}c4", (f"{p}E", 1, "garden", "12.00"), (f"{p}A", 1, "camping", "199.00"))
    return [ev.OrderPlaced(order=o) for o in earlier], [
        ev.OrderPlaced(order=first),
        ev.OrderPlaced(order=again),  # the same customer again; C pairs with what they hold
        returned(earlier[0], (f"{p}E", 1)),  # c2's only article: E and the customer stop counting
        ev.OrderPlaced(order=other),  # E made again, as another category
        ev.OrderCancelled(order=again),  # C made and gone within the batch; B stays (3 - 1)
        returned(first, (f"{p}A", 1), (f"{p}A", 1)),  # c1's A goes, both its lines
        returned(earlier[1], (f"{p}B", 1)),  # the pair A-B falls to 0 ...
        ev.OrderPlaced(order=rebought),  # ... and is made again
    ]


async def total(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        found = await conn.scalar(select(affinity_totals.c.customers))
    return int(found or 0)


async def stored(sessions: async_sessionmaker[Any], p: str, *, counts_only: bool = False) -> dict[str, Any]:
    """What the events left of ``p``'s customers and articles, with ``p`` taken out of every name
    (``counts_only``: the holdings, article and pair rows)."""

    def plain(rows: Any) -> list[tuple[Any, ...]]:
        return sorted(tuple(v.replace(p, "") if isinstance(v, str) else v for v in r) for r in rows)

    customers = [f"{p}c{i}" for i in range(1, 5)]
    skus = [f"{p}{s}" for s in "ABCE"]
    async with sessions() as session:
        found: dict[str, Any] = {}
        for name, query in {
            "holdings": select(affinity_holdings).where(affinity_holdings.c.customer_id.in_(customers)),
            "articles": select(affinity_articles).where(affinity_articles.c.sku.in_(skus)),
            "pairs": select(affinity_pairs).where(affinity_pairs.c.sku_a.in_(skus)),
            "profiles": select(
                engagement_profiles.c.customer_id,
                engagement_profiles.c.orders,
                engagement_profiles.c.categories,
                engagement_profiles.c.channels,
                engagement_profiles.c.order_dates,
            ).where(engagement_profiles.c.customer_id.in_(customers)),
            "members": select(segment_members.c.customer_id, segment_members.c.version).where(
                segment_members.c.customer_id.in_(customers)
            ),
            "occurrences": select(
                trigger_occurrences.c.trigger,
                trigger_occurrences.c.customer_id,
                trigger_occurrences.c.reference,
            ).where(trigger_occurrences.c.customer_id.in_(customers)),
        }.items():
            found[name] = plain((await session.execute(query)).all())
        if counts_only:
            return {k: found[k] for k in ("holdings", "articles", "pairs")}
        published = await session.execute(
            select(outbox.c.aggregate_id, outbox.c.type)
            .where(outbox.c.aggregate_id.in_(customers))
            .order_by(outbox.c.id)
        )
        found["published"] = {c.replace(p, ""): [] for c in customers}
        for customer_id, kind in published:
            found["published"][customer_id.replace(p, "")].append(kind)
        for customer_id in customers:
            suggested, _ = await affinity_store.suggestions(session, customer_id, ALL, 20)
            found[f"suggestions {customer_id.replace(p, '')}"] = [
                (s.sku.replace(p, ""), s.kind, s.because_of.replace(p, ""), s.together, s.confidence, s.lift)
                for s in suggested
            ]
        for sku in skus:
            also = await affinity_store.also_bought(session, sku, ALL, 20)
            found[f"also {sku.replace(p, '')}"] = [
                (a.consequent.replace(p, ""), a.together, a.confidence, a.lift) for a in also
            ]
    return found


async def check_a_batch_leaves_what_the_events_one_by_one_leave(settings: config.Settings) -> None:
    migrate(settings, ["value"])
    engine = async_engine(settings, "value")
    sessions = session_factory(engine)
    try:
        async with sessions() as session, session.begin():
            e = Engagement(session, lambda: NOW, PUBLISHER, FACTS)
            rule = segments.parse_rule({"field": "orders", "op": "gte", "value": 2})
            await e.publish_segment(await e.create_segment("Came back", "", rule))
        grown, after_batch = {}, {}
        for p, run in (("one-", alone), ("all-", batch), ("each-", batches_of_one)):
            before, events = scenario(p)
            await alone(sessions, before)
            at_first = await total(engine)
            await run(sessions, events)
            grown[p] = await total(engine) - at_first
            after_batch[p] = await stored(sessions, p, counts_only=True)
            # An erasure (another subscription) after what the batch wrote: c4's articles go.
            await run(sessions, [customers_pb2.CustomerErased(customer_id=f"{p}c4")])
        # Read at the end, over the same customer total: the ways differ in their names only.
        expected, together, each = [await stored(sessions, p) for p in ("one-", "all-", "each-")]
        assert grown == {"one-": 1, "all-": 1, "each-": 1}  # c1 and c4 came, c2 went
        assert after_batch["all-"] == after_batch["each-"] == after_batch["one-"]
        assert [r[:2] for r in after_batch["one-"]["articles"]] == [("A", 2), ("B", 2), ("E", 1)]
        assert after_batch["one-"]["pairs"] == [("A", "B", 1), ("A", "E", 1)]
        assert together == expected
        assert each == expected
        assert expected["holdings"] == [
            ("c1", "B", "55.00", 2),
            ("c3", "A", "200.00", 1),
            ("c3", "B", "58.00", 3),
        ]
        assert [r[:3] for r in expected["articles"]] == [("A", 1, "camping"), ("B", 2, "cooking")]
        assert expected["pairs"] == [("A", "B", 1)]
        assert expected["suggestions c1"] and expected["members"] == [("c1", 1), ("c3", 1)]
        assert expected["published"]["c1"] == ["value.SegmentEntered"]
    finally:
        await engine.dispose()


async def test_a_batch_leaves_what_the_events_one_by_one_leave_on_sqlite(tmp_path: Path) -> None:
    await check_a_batch_leaves_what_the_events_one_by_one_leave(
        config.load({"ISTHMUS_DATA_DIR": str(tmp_path)})
    )


@pytest.mark.postgres
async def test_a_batch_leaves_what_the_events_one_by_one_leave_on_postgresql(pg_database: str) -> None:
    await check_a_batch_leaves_what_the_events_one_by_one_leave(
        config.load({"ISTHMUS_DATABASE_URL": pg_database})
    )


def texts(statements: list[str]) -> list[str]:
    """The statements as prepared: SQLite's lists of placeholders (one a value) as one."""
    return [re.sub(r"\((\?, )*\?\)", "(?)", t) for t in statements]


def growing(p: str, bought: int, cancelled: int) -> tuple[list[Message], list[Message]]:
    """``cancelled`` customers who hold two articles each, and a batch in which ``bought`` new customers
    buy two articles each and those customers cancel what they held."""
    held = [
        order(f"{p}h{i}", f"{p}y{i}", (f"{p}R", 1, "tools", "5.00"), (f"{p}S{i}", 2, "tools", "7.00"))
        for i in range(cancelled)
    ]
    new = [
        order(f"{p}b{i}", f"{p}x{i}", (f"{p}P", 1, "camping", "20.00"), (f"{p}Q{i}", 1, "garden", "3.00"))
        for i in range(bought)
    ]
    return [ev.OrderPlaced(order=o) for o in held], [
        *(ev.OrderPlaced(order=o) for o in new),
        *(ev.OrderCancelled(order=o) for o in held),
    ]


async def check_the_statements_of_a_batch_do_not_grow_with_its_events(settings: config.Settings) -> None:
    migrate(settings, ["value"])
    engine = async_engine(settings, "value")
    sessions = session_factory(engine)
    seen: dict[int, Statements] = {}
    try:
        for bought, cancelled in ((1, 1), (4, 3)):
            before, events = growing(f"n{bought}-", bought, cancelled)
            await alone(sessions, before)
            with Statements(engine) as seen[len(events)]:
                await batch(sessions, events)
        async with sessions() as session:
            articles = dict(
                (await session.execute(select(affinity_articles.c.sku, affinity_articles.c.customers))).all()
            )
    finally:
        await engine.dispose()
    assert {k: v for k, v in articles.items() if k.endswith("P") or k.endswith("R")} == {"n1-P": 1, "n4-P": 4}
    small, large = seen[2], seen[7]
    # Event by event the affinity tables took a statement or two per article, pair and holding of every
    # event (the batch of 7: 80 or so); a batch reads the holdings once and writes each table at once.
    assert len(large.naming("affinity_")) == len(small.naming("affinity_")) <= 10, large.naming("affinity_")
    assert texts(large.naming("affinity_")) == texts(small.naming("affinity_"))
    # The profiles are read once for the batch and written at its end, not read again for each order.
    profiles = [s.naming("engagement_profiles") + s.naming("value_customers") for s in (small, large)]
    assert len(profiles[0]) == len(profiles[1]) <= 3, profiles[1]


async def test_the_statements_of_a_batch_do_not_grow_with_its_events_on_sqlite(tmp_path: Path) -> None:
    await check_the_statements_of_a_batch_do_not_grow_with_its_events(
        config.load({"ISTHMUS_DATA_DIR": str(tmp_path)})
    )


@pytest.mark.postgres
async def test_the_statements_of_a_batch_do_not_grow_with_its_events_on_postgresql(pg_database: str) -> None:
    await check_the_statements_of_a_batch_do_not_grow_with_its_events(
        config.load({"ISTHMUS_DATABASE_URL": pg_database})
    )


@pytest.mark.postgres
async def test_a_holding_changed_while_a_batch_counted_it_fails_the_batch(pg_database: str) -> None:
    """The batch's counts were reckoned from the holdings it read: another writer's change to one of
    them fails the batch (which the consumer then runs event by event) rather than being overwritten."""
    settings = config.load({"ISTHMUS_DATABASE_URL": pg_database})
    migrate(settings, ["value"])
    engine = async_engine(settings, "value")
    sessions = session_factory(engine)
    first = order("o1", "c1", ("A", 1, "camping", "20.00"))
    try:
        await alone(sessions, [ev.OrderPlaced(order=first)])
        handle, prepare = HANDLERS["engagement-orders"]
        events = [event(ev.OrderPlaced(order=order("o2", "c1", ("A", 2, "camping", "21.00"))))]
        async with sessions() as session, session.begin():
            finish = await prepare(session, events)
            await handle(session, events[0])
            await alone(sessions, [ev.OrderPlaced(order=order("o3", "c1", ("A", 5, "camping", "22.00")))])
            with pytest.raises(Conflict):
                await finish()
        async with sessions() as session:
            units = await session.scalar(select(affinity_holdings.c.units))
        assert units == 6
    finally:
        await engine.dispose()
