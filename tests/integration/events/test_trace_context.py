"""An event's trace: from the transaction that recorded it, through the outbox and the broker, to each
handler, and on through a dead letter's replay (both adapters)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy import select

from isthmus.platform import tracing
from isthmus.platform.events import Subscription, cli
from isthmus.platform.events.tables import dead_letters, outbox
from isthmus_client.api.events.v1 import orders_pb2


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    tracing.configure("isthmus-test", exporter=exporter)
    try:
        yield exporter
    finally:
        tracing.shutdown()


def _paid(reference: str) -> tuple[orders_pb2.OrderPaid, str]:
    return orders_pb2.OrderPaid(payment_reference=reference), reference


async def test_handlers_continue_the_trace_of_the_transaction_that_recorded_the_events(world, spans) -> None:
    world.failures["b"] = world.options.max_attempts  # b ends as a dead letter, replayed below
    bus = world.bus()
    world.wire(bus, [Subscription("points", ["orders.OrderPaid"], world.recorder("points"))])
    await bus.start()
    with tracing.span("place orders") as request:
        # Two events in one transaction: one multi-row INSERT into the outbox.
        await world.record(_paid("a"), _paid("b"))
    await world.record(_paid("untraced"))  # outside any trace: its handler starts a trace of its own
    await bus.drain()

    finished = spans.get_finished_spans()
    by_id = {s.context.span_id: s for s in finished}
    handled = {s.attributes["messaging.message.id"]: s for s in finished if s.kind is SpanKind.CONSUMER}
    published = [s for s in finished if s.kind is SpanKind.PRODUCER]
    assert len(published) == 2  # a and b; none for the untraced event
    for producer in published:
        assert producer.parent.span_id == request.get_span_context().span_id
        assert producer.attributes["messaging.rabbitmq.destination.routing_key"] == "orders.OrderPaid"
    effects = {r.aggregate_id: r.event_id for r in await world.effects()}
    consumer = handled[effects["a"]]
    assert by_id[consumer.parent.span_id].kind is SpanKind.PRODUCER
    assert consumer.context.trace_id == request.get_span_context().trace_id
    assert handled[effects["untraced"]].parent is None

    # b was dead-lettered with its trace context, and its replay continues the same trace.
    async with world.consumer_engine.connect() as conn:
        (letter,) = (await conn.execute(select(dead_letters))).all()
    assert letter.traceparent and format(request.get_span_context().trace_id, "032x") in letter.traceparent
    world.failures.clear()
    assert await cli.replay(world.settings, {world.consumer: world.consumer}, None) == 1
    await bus.drain()
    replayed = [
        s
        for s in spans.get_finished_spans()
        if s.kind is SpanKind.CONSUMER and s.attributes["messaging.message.id"] == letter.event_id
    ]
    assert replayed and all(s.context.trace_id == request.get_span_context().trace_id for s in replayed)
    async with world.producer_engine.connect() as conn:
        assert (await conn.execute(select(outbox))).all() == []  # everything confirmed and forgotten
    await bus.stop()
