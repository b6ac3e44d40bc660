"""The demo story, traced: one trace runs from a connector's batch to an event consumer over RabbitMQ."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from isthmus import demo
from isthmus.platform import tracing

pytestmark = [pytest.mark.rabbitmq, pytest.mark.slow]


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    tracing.configure("isthmus-demo", exporter=exporter)
    try:
        yield exporter
    finally:
        tracing.shutdown()


def _ancestry(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[ReadableSpan]:
    """``span`` and its parents up to the root, each link checked to stay in one trace."""
    chain = [span]
    while chain[-1].parent is not None:
        parent_id = chain[-1].parent.span_id
        assert parent_id in by_id, f"{chain[-1].name}: parent span {parent_id:x} was never exported"
        parent = by_id[parent_id]
        assert parent.context.trace_id == span.context.trace_id, f"{parent.name} is in another trace"
        chain.append(parent)
    return chain


def _queue(span: ReadableSpan) -> str:
    return str(span.attributes.get("messaging.destination.name", "")) if span.attributes else ""


async def test_demo_story_is_one_trace_from_a_connector_batch_through_rabbitmq_to_a_consumer(
    spans: InMemorySpanExporter, amqp_vhost: str, tmp_path: Path
) -> None:
    summary = await demo.run(
        out=lambda _line: None, data_dir=tmp_path, environ={"ISTHMUS_AMQP_URL": amqp_vhost}
    )
    assert summary["read"] and not summary["refused"]
    finished = spans.get_finished_spans()
    by_id = {s.context.span_id: s for s in finished}

    # The ERP's paid orders: the connector's batch calls the order service, whose OrderPaid goes over
    # RabbitMQ to loyalty, whose PointsEarned goes over RabbitMQ to the customer master's 360.
    in_customer_master = [
        s
        for s in finished
        if s.kind is SpanKind.CONSUMER
        and s.name == "process loyalty.PointsEarned"
        and _queue(s).startswith("isthmus.customers.")
        and any(p.name == "connector batch erp/orders" for p in _ancestry(s, by_id))
    ]
    assert in_customer_master, sorted({(s.kind.name, s.name) for s in finished if s.parent is None})
    chain = _ancestry(in_customer_master[0], by_id)
    names = [(s.kind, s.name) for s in chain]
    assert names[:4] == [
        (SpanKind.CONSUMER, "process loyalty.PointsEarned"),
        (SpanKind.PRODUCER, "publish loyalty.PointsEarned"),
        (SpanKind.CONSUMER, "process orders.OrderPaid"),
        (SpanKind.PRODUCER, "publish orders.OrderPaid"),
    ], names
    assert all(s.attributes and s.attributes["messaging.system"] == "rabbitmq" for s in chain[:4])
    assert _queue(chain[2]).startswith("isthmus.loyalty."), _queue(chain[2])
    rest = names[4:]
    assert (SpanKind.INTERNAL, "batch write_order") in rest, rest  # the order service's group commit
    server = next(s for s in chain if s.kind is SpanKind.SERVER)
    client = chain[chain.index(server) + 1]
    assert client.kind is SpanKind.CLIENT and client.name == server.name, names
    assert server.name.startswith("isthmus.orders.v1.OrderService/")
    assert chain[chain.index(client) + 1].name == "connector batch erp/orders"
    assert chain[-1].name == "connector sync erp/orders" and chain[-1].parent is None
    # The 360 writes a batch of events together after its last handler: in a span of the batch, in the
    # trace of the batch's first event and linked to the others' (as a group commit is), with the
    # statements under it.
    consumer = chain[0].context.span_id
    batch_writes = [
        s
        for s in finished
        if s.name.startswith("batch write isthmus.customers.")
        and (
            (s.parent is not None and s.parent.span_id == consumer)
            or any(link.context.span_id == consumer for link in s.links)
        )
    ]
    assert batch_writes, sorted({s.name for s in finished if s.name.startswith("batch ")})
    assert any(
        s.parent is not None
        and s.parent.span_id == batch_writes[0].context.span_id
        and s.kind is SpanKind.CLIENT
        for s in finished
    )

    # The customer master's own events leave in the trace of the connector batch that caused them.
    published = [
        s
        for s in finished
        if s.kind is SpanKind.PRODUCER
        and s.name == "publish customers.CustomerCreated"
        and any(p.name == "connector batch erp/customers" for p in _ancestry(s, by_id))
    ]
    assert published
    upsert = by_id[published[0].parent.span_id]  # type: ignore[union-attr]
    assert (upsert.kind, upsert.name) == (
        SpanKind.SERVER,
        "isthmus.customers.v1.CustomerMasterService/BatchUpsertSourceRecords",
    )
    assert any(
        s.parent is not None
        and s.parent.span_id == upsert.context.span_id
        and s.attributes
        and s.attributes.get("db.system.name") == "sqlite"
        for s in finished
    )
