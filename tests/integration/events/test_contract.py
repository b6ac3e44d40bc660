"""The bus contract, run against both adapters: what every producing and consuming context relies on."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.platform import logs
from isthmus.platform.events import Event, Subscription, queue_name
from isthmus.platform.events.bus import request_replay
from isthmus.platform.events.envelope import CONTENT_TYPE
from isthmus.platform.events.tables import inbox, outbox
from isthmus_client.api.events.v1 import envelope_pb2, orders_pb2

from .conftest import effects

PAID = orders_pb2.OrderPaid
SHIPPED = orders_pb2.OrderShipped


async def test_committed_event_is_handled_once_with_its_envelope(world) -> None:
    bus = world.bus()
    world.wire(bus, [Subscription("points", ["orders.OrderPaid"], world.recorder("points"))])
    await bus.start()
    token = logs.correlation_id.set("corr-1")
    try:
        [event_id] = await world.record((PAID(payment_reference="pay-1"), "order-1"), causation_id="cause-9")
    finally:
        logs.correlation_id.reset(token)
    await bus.drain()
    [row] = await world.effects()
    assert (row.event_id, row.type, row.aggregate_id) == (event_id, "orders.OrderPaid", "order-1")
    assert (row.correlation_id, row.causation_id, row.note) == ("corr-1", "cause-9", "pay-1")
    async with world.producer_engine.connect() as conn:
        assert (await conn.execute(select(outbox))).all() == []  # confirmed, so deleted


async def test_rolled_back_transaction_publishes_nothing(world) -> None:
    bus = world.bus()
    world.wire(bus, [Subscription("points", ["orders.#"], world.recorder("points"))])
    await bus.start()
    from isthmus.platform import db
    from isthmus.platform.events import record_event

    sessions = db.session_factory(world.producer_engine)
    async with sessions() as session, session.begin():
        await record_event(session, PAID(payment_reference="never"), aggregate_id="order-x")
        await session.rollback()
    await world.record((PAID(payment_reference="kept"), "order-y"))
    await bus.drain()
    assert [r.note for r in await world.effects()] == ["kept"]


async def test_subscription_gets_only_the_routing_keys_it_binds(world) -> None:
    bus = world.bus()
    world.wire(
        bus,
        [
            Subscription("paid", ["orders.OrderPaid"], world.recorder("paid")),
            Subscription("all-orders", ["orders.*"], world.recorder("all")),
            Subscription("loyalty", ["loyalty.#"], world.recorder("loyalty")),
        ],
    )
    await bus.start()
    await world.record((PAID(payment_reference="p"), "o1"), (SHIPPED(tracking_number="t"), "o1"))
    await bus.drain()
    assert [r.type for r in await world.effects("paid")] == ["orders.OrderPaid"]
    assert sorted(r.type for r in await world.effects("all")) == ["orders.OrderPaid", "orders.OrderShipped"]
    assert await world.effects("loyalty") == []


async def test_events_keep_their_order_per_aggregate(world) -> None:
    bus = world.bus()
    world.wire(bus, [Subscription("points", ["orders.OrderPaid"], world.recorder("points"))])
    await bus.start()
    for start in range(0, 60, 20):
        await world.record(*[(PAID(payment_reference=str(i)), "order-1") for i in range(start, start + 20)])
    await bus.drain()
    assert [int(r.note) for r in await world.effects()] == list(range(60))


async def test_events_recorded_while_the_bus_is_down_are_delivered_at_start(world) -> None:
    await world.record((PAID(payment_reference="early"), "order-1"))
    bus = world.bus()
    world.wire(bus, [Subscription("points", ["orders.OrderPaid"], world.recorder("points"))])
    await bus.start()
    await bus.drain()
    assert [r.note for r in await world.effects()] == ["early"]


async def test_same_event_delivered_twice_has_one_effect(world) -> None:
    bus = world.bus()
    world.wire(bus, [Subscription("points", ["orders.OrderPaid"], world.recorder("points"))])
    [event_id] = await world.record((PAID(payment_reference="once"), "order-1"))
    async with world.producer_engine.connect() as conn:
        body = (await conn.execute(select(outbox.c.envelope))).scalar_one()
    await bus.start()
    await bus.drain()
    await bus.publish_raw("orders.OrderPaid", body, type_="orders.OrderPaid")
    await bus.publish_raw("orders.OrderPaid", body, type_="orders.OrderPaid")
    await bus.drain()
    assert [r.event_id for r in await world.effects()] == [event_id]


async def test_a_batch_waiting_for_more_deliveries_keeps_the_bus_busy(world) -> None:
    # A consumer that finds more than one delivery waiting waits consume_linger for more; what it
    # holds meanwhile is in flight, so drain (and the bus's idleness) does not miss it.
    bus = world.bus(dataclasses.replace(world.options, consume_linger=0.5))
    world.wire(bus, [Subscription("points", ["orders.OrderPaid"], world.recorder("points"))])
    await world.record(*[(PAID(payment_reference=f"p{n}"), f"order-{n}") for n in range(50)])
    await bus.start()
    await bus.drain()
    assert len(await world.effects()) == 50


async def test_failing_handler_is_retried_then_dead_lettered_and_the_queue_keeps_flowing(world) -> None:
    world.failures["bad-order"] = -1
    world.failures["flaky-order"] = 1
    bus = world.bus()
    world.wire(bus, [Subscription("points", ["orders.OrderPaid"], world.recorder("points"))])
    await bus.start()
    await world.record(
        (PAID(payment_reference="bad"), "bad-order"),
        (PAID(payment_reference="flaky"), "flaky-order"),
        (PAID(payment_reference="good"), "good-order"),
    )
    await bus.drain()
    assert sorted(r.note for r in await world.effects()) == ["flaky", "good"]
    [dead] = await world.dead_letters()
    assert dead.consumer == queue_name(world.consumer, "points")
    assert dead.attempts == world.options.max_attempts
    assert "handler failed 3 times" in dead.reason and "refuses bad-order" in dead.reason
    assert "RuntimeError" in dead.last_error and "Traceback" in dead.last_error


async def test_bad_messages_are_dead_lettered_with_the_reason_and_the_consumer_goes_on(world) -> None:
    bus = world.bus()
    world.wire(bus, [Subscription("points", ["orders.OrderPaid"], world.recorder("points"))])
    await bus.start()
    unknown = envelope_pb2.EventEnvelope(
        event_id="8c3e6f0e-8d7a-4c47-9a55-6f1f2a0b7c11",
        type="orders.OrderPaid",
        payload_type="isthmus.events.v1.NoSuchEvent",
    )
    key = "orders.OrderPaid"
    await bus.publish_raw(key, b"\xff\xfenot protobuf", type_=key)
    await bus.publish_raw(key, unknown.SerializeToString(), type_=key)
    await bus.publish_raw(key, unknown.SerializeToString(), type_=None)
    await bus.publish_raw(key, unknown.SerializeToString(), type_=key, content_type="application/json")
    await world.record((PAID(payment_reference="after"), "order-1"))
    await bus.drain()
    reasons = [d.reason for d in await world.dead_letters()]
    assert len(reasons) == 4
    assert reasons[0].startswith("undecodable body")
    assert reasons[1].startswith("unknown payload type 'isthmus.events.v1.NoSuchEvent'")
    assert reasons[2] == "missing AMQP property type (the event type)"
    assert reasons[3].startswith("unsupported content_type 'application/json'")
    assert [r.note for r in await world.effects()] == ["after"]


async def test_replayed_dead_letter_is_handled_once_and_a_replay_after_success_has_no_effect(world) -> None:
    world.failures["order-1"] = 3  # fails every attempt of the first delivery, then recovers
    bus = world.bus()
    world.wire(bus, [Subscription("points", ["orders.OrderPaid"], world.recorder("points"))])
    [event_id] = await world.record((PAID(payment_reference="late"), "order-1"))
    async with world.producer_engine.connect() as conn:
        body = (await conn.execute(select(outbox.c.envelope))).scalar_one()
    await bus.start()
    await bus.drain()
    [dead] = await world.dead_letters()
    assert dead.event_id == event_id and await world.effects() == []

    assert await request_replay(world.consumer_engine, [dead.dead_letter_id]) == 1
    await bus.drain()
    assert [r.event_id for r in await world.effects()] == [event_id]
    assert await world.dead_letters() == []

    # Dead-letter a copy by hand (as an operator's mistake would) and replay it: no second effect.
    from isthmus.platform.events.tables import dead_letters

    async with world.consumer_engine.begin() as conn:
        await conn.execute(
            dead_letters.insert().values(
                consumer=dead.consumer,
                event_id=event_id,
                routing_key="orders.OrderPaid",
                content_type=CONTENT_TYPE,
                type="orders.OrderPaid",
                body=body,
                reason="test",
                attempts=1,
                dead_at=dead.dead_at,
            )
        )
    assert await request_replay(world.consumer_engine, None) == 1
    await bus.drain()
    assert [r.event_id for r in await world.effects()] == [event_id]
    assert await world.dead_letters() == []


async def test_two_consumers_of_one_event_each_handle_it(world) -> None:
    bus = world.bus()
    world.wire(
        bus,
        [
            Subscription("points", ["orders.OrderPaid"], world.recorder("points")),
            Subscription("timeline", ["#"], world.recorder("timeline")),
        ],
    )
    await bus.start()
    await world.record((PAID(payment_reference="both"), "order-1"))
    await bus.drain()
    assert [r.note for r in await world.effects("points")] == ["both"]
    assert [r.note for r in await world.effects("timeline")] == ["both"]


async def test_event_recorded_in_a_rolled_back_savepoint_is_not_published(world) -> None:
    from isthmus.platform import db
    from isthmus.platform.events import record_event

    bus = world.bus()
    world.wire(bus, [Subscription("points", ["orders.OrderPaid"], world.recorder("points"))])
    await bus.start()
    sessions = db.session_factory(world.producer_engine)
    async with sessions() as session, session.begin():
        await record_event(session, PAID(payment_reference="outer"), aggregate_id="o1")
        nested = await session.begin_nested()
        await record_event(session, PAID(payment_reference="inner"), aggregate_id="o1")
        await nested.rollback()
        nested = await session.begin_nested()
        await record_event(session, PAID(payment_reference="kept-inner"), aggregate_id="o2")
        await nested.commit()
    await bus.drain()
    assert sorted(r.note for r in await world.effects()) == ["kept-inner", "outer"]


async def test_bus_counts_published_confirmed_consumed_retried_and_dead_lettered(world) -> None:
    from prometheus_client import REGISTRY

    def value(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    world.failures["bad"] = -1
    bus = world.bus()
    world.wire(bus, [Subscription("points", ["orders.OrderPaid"], world.recorder("points"))])
    await bus.start()
    await world.record((PAID(payment_reference="a"), "good"), (PAID(payment_reference="b"), "bad"))
    await bus.drain()
    queue = queue_name(world.consumer, "points")
    assert value("isthmus_events_published_total", component=world.producer) == 2
    assert value("isthmus_events_confirmed_total", component=world.producer) == 2
    assert value("isthmus_events_consumed_total", queue=queue) == 1
    assert value("isthmus_events_retried_total", queue=queue) == world.options.max_attempts - 1
    assert value("isthmus_events_dead_lettered_total", queue=queue) == 1
    assert (
        REGISTRY.get_sample_value("isthmus_events_outbox_backlog", {"component": world.producer}) is not None
    )


async def test_inbox_rows_past_retention_are_purged_and_recent_ones_kept(world) -> None:
    bus = world.bus()
    world.wire(bus, [Subscription("points", ["orders.OrderPaid"], world.recorder("points"))])
    first, second = await world.record(
        (PAID(payment_reference="old"), "order-1"), (PAID(payment_reference="new"), "order-2")
    )
    await bus.start()
    await bus.drain()
    [queue] = bus.bindings
    async with world.consumer_engine.begin() as conn:
        await conn.execute(
            update(inbox)
            .where(inbox.c.event_id == first)
            .values(handled_at=datetime.now(UTC) - timedelta(days=8))
        )
    assert await bus.purge_inbox(datetime.now(UTC) - timedelta(days=7)) == 1
    async with world.consumer_engine.connect() as conn:
        kept = (await conn.execute(select(inbox.c.event_id).where(inbox.c.consumer == queue))).scalars()
        assert list(kept) == [second]


def _batch_steps(world, fail_on: str = "") -> tuple[Any, list[list[str]]]:
    """A ``prepare`` that notes each batch it sees and writes an effects row after its handlers (in
    their transaction); the write fails for any batch holding the aggregate ``fail_on``."""
    seen: list[list[str]] = []

    async def prepare(session: AsyncSession, events: Sequence[Event]) -> Any:
        notes = [e.payload.payment_reference for e in events]
        seen.append(notes)

        async def finish() -> None:
            if any(e.aggregate_id == fail_on for e in events):
                raise RuntimeError(f"batch write refuses {fail_on}")
            await session.execute(
                insert(effects).values(
                    queue="finish", event_id="-", type="-", aggregate_id="-", correlation_id="-",
                    causation_id="-", note=",".join(notes),
                )
            )  # fmt: skip

        return finish

    return prepare, seen


async def test_a_batch_is_prepared_once_and_finished_after_its_handlers_in_their_transaction(world) -> None:
    bus = world.bus()
    prepare, seen = _batch_steps(world)
    world.wire(bus, [Subscription("points", ["orders.OrderPaid"], world.recorder("points"), prepare=prepare)])
    await bus.start()
    await world.record(*[(PAID(payment_reference=f"p{i}"), f"order-{i}") for i in range(6)])
    await bus.drain()
    handled = [r.note for r in await world.effects("points")]
    assert handled == [f"p{i}" for i in range(6)]
    # Every batch was prepared once with exactly its events, and its finish committed with them.
    assert sorted(n for batch in seen for n in batch) == handled
    assert [r.note for r in await world.effects("finish")] == [",".join(batch) for batch in seen]


async def test_a_failing_batch_step_runs_each_event_alone_and_only_the_culprit_is_dead_lettered(
    world,
) -> None:
    bus = world.bus()
    prepare, seen = _batch_steps(world, fail_on="bad-order")
    world.wire(bus, [Subscription("points", ["orders.OrderPaid"], world.recorder("points"), prepare=prepare)])
    await bus.start()
    await world.record(
        (PAID(payment_reference="good-1"), "good-1"),
        (PAID(payment_reference="bad"), "bad-order"),
        (PAID(payment_reference="good-2"), "good-2"),
    )
    await bus.drain()
    assert sorted(r.note for r in await world.effects("points")) == ["good-1", "good-2"]
    assert sorted(r.note for r in await world.effects("finish")) == ["good-1", "good-2"]
    [dead] = await world.dead_letters()
    assert dead.attempts == world.options.max_attempts
    assert "batch write refuses bad-order" in dead.reason
    assert any(len(batch) == 1 and batch == ["bad"] for batch in seen), "the culprit ran alone"
