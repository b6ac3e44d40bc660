"""The event envelope on the wire: routing keys, encoding, and decoding back into an :class:`Event`.

The AMQP body is a serialized ``isthmus.events.v1.EventEnvelope``. The routing key, content type,
message id, correlation id and payload type also travel as AMQP properties, so any client can route
and decode without knowing our Python code.
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from google.protobuf.message import DecodeError, Message

from isthmus.kernel.ids import new_uuid
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.events.v1 import envelope_pb2

EXCHANGE = "isthmus.events"
CONTENT_TYPE = "application/x-protobuf"
ENVELOPE_TYPE = envelope_pb2.EventEnvelope.DESCRIPTOR.full_name
PAYLOAD_TYPE_HEADER = "x-isthmus-payload-type"
SCHEMA_VERSION_HEADER = "x-isthmus-schema-version"
CONTEXTS = ("customers", "orders", "service_requests", "loyalty", "value")


class BadMessage(Exception):
    """A delivery no handler can take (unknown type, undecodable body, missing header): dead-letter it."""

    def __init__(self, reason: str, event_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.event_id = event_id


def routing_key(message: Message) -> str:
    """``<context>.<EventName>`` of an event payload, e.g. ``orders.OrderPaid``.

    Taken from the message option ``(isthmus.common.v1.event_type)`` every payload declares; a message
    without it falls back to its proto file's stem (``isthmus/events/v1/orders.proto`` -> ``orders``).
    """
    descriptor = message.DESCRIPTOR
    declared: str = descriptor.GetOptions().Extensions[common_pb2.event_type]  # type: ignore[index]
    if declared:
        return declared
    stem = descriptor.file.name.rsplit("/", 1)[-1].removesuffix(".proto")
    return f"{stem}.{descriptor.name}"


@cache
def payload_classes() -> dict[str, type[Message]]:
    """Payload full proto name -> generated class, for every event the API declares."""
    classes: dict[str, type[Message]] = {}
    for context in CONTEXTS:
        module = importlib.import_module(f"isthmus_client.api.events.v1.{context}_pb2")
        for name in module.DESCRIPTOR.message_types_by_name:
            cls = getattr(module, name)
            classes[cls.DESCRIPTOR.full_name] = cls
    return classes


@dataclass(frozen=True)
class Event:
    """What a handler receives: the envelope's fields and the decoded payload message."""

    event_id: str
    type: str
    occurred_at: datetime
    aggregate_id: str
    correlation_id: str
    causation_id: str
    schema_version: int
    payload_type: str
    producer: str
    payload: Message
    redelivered: bool = False


def new_envelope(
    message: Message,
    *,
    aggregate_id: str,
    correlation_id: str,
    causation_id: str,
    producer: str,
    occurred_at: datetime,
    schema_version: int = 1,
) -> envelope_pb2.EventEnvelope:
    envelope = envelope_pb2.EventEnvelope(
        event_id=new_uuid(),
        type=routing_key(message),
        aggregate_id=aggregate_id,
        correlation_id=correlation_id,
        causation_id=causation_id,
        schema_version=schema_version,
        payload=message.SerializeToString(),
        payload_type=message.DESCRIPTOR.full_name,
        producer=producer,
    )
    envelope.occur_time.FromDatetime(occurred_at)
    return envelope


def amqp_properties(envelope: envelope_pb2.EventEnvelope) -> dict[str, Any]:
    """The AMQP basic properties for an envelope, as keyword arguments of ``pika.BasicProperties``."""
    return {
        "content_type": CONTENT_TYPE,
        "type": envelope.type,
        "message_id": envelope.event_id,
        "correlation_id": envelope.correlation_id or None,
        "timestamp": envelope.occur_time.seconds,
        "app_id": envelope.producer or None,
        "delivery_mode": 2,
        "headers": {
            PAYLOAD_TYPE_HEADER: envelope.payload_type,
            SCHEMA_VERSION_HEADER: envelope.schema_version,
        },
    }


def decode(body: bytes, content_type: str | None, type_: str | None, redelivered: bool = False) -> Event:
    """The :class:`Event` in an AMQP delivery, or :class:`BadMessage` saying why there is none."""
    if not content_type:
        raise BadMessage("missing AMQP property content_type")
    if content_type.split(";", 1)[0].strip() != CONTENT_TYPE:
        raise BadMessage(f"unsupported content_type {content_type!r} (expected {CONTENT_TYPE})")
    if not type_:
        raise BadMessage("missing AMQP property type (the event type)")
    try:
        envelope = envelope_pb2.EventEnvelope.FromString(body)
    except DecodeError as exc:
        raise BadMessage(f"undecodable body: not an {ENVELOPE_TYPE} ({exc})") from None
    event_id = envelope.event_id
    if not _is_uuid(event_id):
        raise BadMessage(f"undecodable body: event_id {event_id!r} is not a UUID")
    if envelope.type != type_:
        raise BadMessage(f"type property {type_!r} differs from the envelope's {envelope.type!r}", event_id)
    cls = payload_classes().get(envelope.payload_type)
    if cls is None:
        raise BadMessage(f"unknown payload type {envelope.payload_type!r} for {type_!r}", event_id)
    if routing_key(cls()) != envelope.type:
        raise BadMessage(f"payload type {envelope.payload_type!r} is not event {envelope.type!r}", event_id)
    try:
        payload = cls.FromString(envelope.payload)
    except DecodeError as exc:
        raise BadMessage(f"undecodable payload: not a {envelope.payload_type} ({exc})", event_id) from None
    return Event(
        event_id=event_id,
        type=envelope.type,
        occurred_at=envelope.occur_time.ToDatetime(UTC),
        aggregate_id=envelope.aggregate_id,
        correlation_id=envelope.correlation_id,
        causation_id=envelope.causation_id,
        schema_version=envelope.schema_version,
        payload_type=envelope.payload_type,
        producer=envelope.producer,
        payload=payload,
        redelivered=redelivered,
    )


def header_text(headers: Mapping[str, Any] | None, name: str) -> str | None:
    value = (headers or {}).get(name)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return None if value is None else str(value)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
