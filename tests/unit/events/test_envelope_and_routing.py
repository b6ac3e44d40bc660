"""Routing keys, topic matching, envelope decoding and the back-off schedule (no network)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from isthmus.platform.events import BadMessage, BusOptions, decode, routing_key
from isthmus.platform.events.envelope import CONTENT_TYPE, amqp_properties, new_envelope, payload_classes
from isthmus.platform.events.memory import topic_matches
from isthmus_client.api.events.v1 import customers_pb2, envelope_pb2, loyalty_pb2, orders_pb2


def test_routing_key_is_the_declared_event_type() -> None:
    assert routing_key(orders_pb2.OrderPaid()) == "orders.OrderPaid"
    assert routing_key(customers_pb2.CustomersMerged()) == "customers.CustomersMerged"
    assert routing_key(loyalty_pb2.PointsEarned()) == "loyalty.PointsEarned"


def test_routing_key_falls_back_to_the_proto_file_stem() -> None:
    # The envelope declares no event_type: its file is isthmus/events/v1/envelope.proto.
    assert routing_key(envelope_pb2.EventEnvelope()) == "envelope.EventEnvelope"


def test_every_declared_payload_can_be_decoded() -> None:
    assert len(payload_classes()) >= 30
    assert payload_classes()["isthmus.events.v1.OrderPaid"] is orders_pb2.OrderPaid


@pytest.mark.parametrize(
    ("pattern", "key", "matches"),
    [
        ("orders.OrderPaid", "orders.OrderPaid", True),
        ("orders.OrderPaid", "orders.OrderPlaced", False),
        ("orders.*", "orders.OrderPaid", True),
        ("*.OrderPaid", "orders.OrderPaid", True),
        ("orders.*", "orders", False),
        ("orders.*", "orders.a.b", False),
        ("#", "orders.OrderPaid", True),
        ("orders.#", "orders", True),
        ("orders.#", "orders.a.b", True),
        ("#.OrderPaid", "orders.OrderPaid", True),
        ("#.OrderPaid", "OrderPaid", True),
        ("loyalty.#", "orders.OrderPaid", False),
    ],
)
def test_topic_patterns_follow_amqp_semantics(pattern: str, key: str, matches: bool) -> None:
    assert topic_matches(pattern, key) is matches


def _envelope() -> envelope_pb2.EventEnvelope:
    return new_envelope(
        orders_pb2.OrderPaid(payment_reference="p-1"),
        aggregate_id="order-1",
        correlation_id="c-1",
        causation_id="e-0",
        producer="orders",
        occurred_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )


def test_envelope_round_trips_with_its_amqp_properties() -> None:
    envelope = _envelope()
    props = amqp_properties(envelope)
    assert (props["content_type"], props["type"], props["message_id"]) == (
        CONTENT_TYPE,
        "orders.OrderPaid",
        envelope.event_id,
    )
    assert props["delivery_mode"] == 2
    event = decode(envelope.SerializeToString(), props["content_type"], props["type"])
    assert event.payload == orders_pb2.OrderPaid(payment_reference="p-1")
    assert (event.aggregate_id, event.correlation_id, event.causation_id) == ("order-1", "c-1", "e-0")
    assert event.occurred_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert event.schema_version == 1 and event.producer == "orders"


@pytest.mark.parametrize(
    ("mutate", "content_type", "type_", "reason"),
    [
        (None, None, "orders.OrderPaid", "missing AMQP property content_type"),
        (None, "text/plain", "orders.OrderPaid", "unsupported content_type"),
        (None, CONTENT_TYPE, None, "missing AMQP property type"),
        (None, CONTENT_TYPE, "orders.OrderPlaced", "type property 'orders.OrderPlaced' differs"),
        ("unknown", CONTENT_TYPE, "orders.OrderPaid", "unknown payload type"),
        ("mismatch", CONTENT_TYPE, "orders.OrderPaid", "is not event"),
        ("bad-id", CONTENT_TYPE, "orders.OrderPaid", "is not a UUID"),
        ("bad-payload", CONTENT_TYPE, "orders.OrderPaid", "undecodable payload"),
    ],
)
def test_bad_deliveries_are_refused_with_a_reason(
    mutate: str | None, content_type: str | None, type_: str | None, reason: str
) -> None:
    envelope = _envelope()
    if mutate == "unknown":
        envelope.payload_type = "isthmus.events.v1.Nope"
    elif mutate == "mismatch":
        envelope.payload_type = "isthmus.events.v1.OrderPlaced"
    elif mutate == "bad-id":
        envelope.event_id = "42"
    elif mutate == "bad-payload":
        envelope.payload = b"\xff\xff\xff"
    with pytest.raises(BadMessage, match=reason):
        decode(envelope.SerializeToString(), content_type, type_)


def test_undecodable_body_is_refused() -> None:
    with pytest.raises(BadMessage, match="undecodable body"):
        decode(b"\xff\xfe\x00garbage", CONTENT_TYPE, "orders.OrderPaid")


def test_retry_delays_grow_exponentially_up_to_the_cap() -> None:
    options = BusOptions(first_retry_delay=0.5, max_retry_delay=3.0)
    assert [options.retry_delay(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
