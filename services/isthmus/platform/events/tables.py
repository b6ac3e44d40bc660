"""The event tables every component holds in its own schema (or SQLite file).

``outbox``: events recorded in the producer's transaction, waiting for the relay; a row is deleted
once the broker confirmed it (deleting writes far less than updating a 1 KB row to "sent").
``inbox``: one row per (consumer queue, event id) handled, written in the handler's transaction;
purged after ``BusOptions.inbox_retention``.
``dead_letters``: deliveries given up on, with the reason and the last error, until replayed. Each is
named by ``dead_letter_id``, a UUIDv7 minted when it is stored (the API's and ``isthmus dlq``'s id);
``id`` only orders them. The column is nullable so that the release before it, which stores letters
without one, can run against this schema during a rolling upgrade: :func:`name_dead_letters` names
such letters when they are listed, and a later release makes the column NOT NULL.

``traceparent``/``tracestate`` (W3C trace context, when tracing is on) keep the trace of the work that
recorded an event across the outbox, and of a dead letter across its replay.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from isthmus.platform.sql import mint_missing_ids

metadata = MetaData()

# SQLite only auto-increments an INTEGER PRIMARY KEY (the rowid alias), not a BIGINT one.
_Id = BigInteger().with_variant(Integer(), "sqlite")

outbox = Table(
    "outbox",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("type", String(200), nullable=False),
    Column("aggregate_id", String(200), nullable=False),
    Column("envelope", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("traceparent", String(128), nullable=True),
    Column("tracestate", Text, nullable=True),
)

inbox = Table(
    "inbox",
    metadata,
    Column("consumer", String(200), primary_key=True),
    Column("event_id", String(36), primary_key=True),
    Column("handled_at", DateTime(timezone=True), nullable=False),
    Index("ix_inbox_consumer_handled_at", "consumer", "handled_at"),  # the retention purge
)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", _Id, primary_key=True, autoincrement=True),
    Column("consumer", String(200), nullable=False),
    Column("event_id", String(36), nullable=True),
    Column("routing_key", String(200), nullable=False),
    Column("content_type", String(200), nullable=True),
    Column("type", String(200), nullable=True),
    Column("body", LargeBinary, nullable=False),
    Column("reason", Text, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("dead_at", DateTime(timezone=True), nullable=False),
    Column("replay_requested_at", DateTime(timezone=True), nullable=True),
    Column("traceparent", String(128), nullable=True),
    Column("tracestate", Text, nullable=True),
    Column("dead_letter_id", String(36), nullable=True),
    Index("ix_dead_letters_consumer", "consumer", "id"),
    Index("ux_dead_letters_dead_letter_id", "dead_letter_id", unique=True),
)

# The response to each write that carried a request_id, by rpc (its request message's full name), for
# safe retries (isthmus.platform.requests); purged after a week.
request_ids = Table(
    "request_ids",
    metadata,
    Column("method", String(200), primary_key=True),
    Column("request_id", String(128), primary_key=True),
    Column("request", LargeBinary, nullable=False),
    Column("response", LargeBinary, nullable=False),
    Column("create_time", DateTime(timezone=True), nullable=False),
    Index("ix_request_ids_create_time", "create_time"),
)


async def name_dead_letters(conn: AsyncConnection) -> None:
    """Mint a ``dead_letter_id`` for each letter stored without one (by the previous release, during a
    rolling upgrade), oldest first; the others are left as they are."""
    await mint_missing_ids(conn, dead_letters, "dead_letter_id")
