"""Producing: an event is an outbox row written in the caller's transaction; the relay publishes it.

The relay (:mod:`.relay`) reads rows in id order, publishes them, and deletes each one only after
the broker confirmed it.
"""

from __future__ import annotations

import weakref
import zlib
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from google.protobuf.message import Message
from sqlalchemy import bindparam, delete, event, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from isthmus.kernel.timestamps import aware
from isthmus.platform import logs, tracing
from isthmus.platform.events.envelope import new_envelope, routing_key
from isthmus.platform.events.tables import outbox
from isthmus.platform.sql import any_of, insert_statement, none_of

# Producers that committed outbox rows wake the relays of this process at once (no polling delay);
# relays in other replicas still find the rows by polling.
_committed_listeners: weakref.WeakSet[_Wakeup] = weakref.WeakSet()


class _Wakeup:
    def __init__(self, callback: Callable[[], None]) -> None:
        self.callback = callback


def on_outbox_commit(callback: Callable[[], None]) -> object:
    """Call ``callback`` after any session of this process commits outbox rows; keep the handle alive."""
    handle = _Wakeup(callback)
    _committed_listeners.add(handle)
    return handle


_PENDING = "isthmus_outbox_pending"  # rows recorded, to be inserted just before the commit
_DIRTY = "isthmus_outbox_dirty"  # rows written in this transaction: wake the relays after commit


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    # One multi-row INSERT per transaction instead of a round trip per event: what lets a producer
    # record thousands of events a second.
    rows = session.info.pop(_PENDING, None)
    if rows:
        session.execute(*insert_statement(outbox, rows, session.get_bind().dialect))


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_DIRTY, False):
        for handle in list(_committed_listeners):
            handle.callback()


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous: SessionTransaction) -> None:
    if previous.parent is None:  # the whole transaction, not a savepoint inside it
        session.info.pop(_PENDING, None)
        session.info.pop(_DIRTY, None)


async def record_event(
    session: AsyncSession,
    message: Message,
    *,
    aggregate_id: str,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    occurred_at: datetime | None = None,
    producer: str = "",
    schema_version: int = 1,
) -> str:
    """Add ``message`` to the outbox in the session's transaction; returns the new event id.

    The event is published only if that transaction commits. ``correlation_id`` defaults to the one
    of the request or event being handled (``isthmus.platform.logs.correlation_id``). The row is
    written when the transaction commits (all of a transaction's events in one INSERT); inside a
    savepoint (``session.begin_nested()``) it is written at once, so that rolling the savepoint back
    drops it.
    """
    if not aggregate_id:
        raise ValueError("record_event needs the aggregate_id of the changed aggregate")
    if not session.in_transaction():
        raise RuntimeError("record_event needs a transaction: call it inside `async with session.begin()`")
    now = datetime.now(UTC)
    envelope = new_envelope(
        message,
        aggregate_id=aggregate_id,
        correlation_id=correlation_id or logs.correlation_id.get() or "",
        causation_id=causation_id or "",
        producer=producer or routing_key(message).split(".", 1)[0],
        occurred_at=occurred_at or now,
        schema_version=schema_version,
    )
    row = {
        "event_id": envelope.event_id,
        "type": envelope.type,
        "aggregate_id": aggregate_id,
        "envelope": envelope.SerializeToString(),
        "created_at": now,
    }
    if tracing.enabled():
        # The trace of the work that recorded the event, for the relay to continue. Every row of a
        # process has the same keys: a transaction's rows go into one multi-row INSERT.
        context = tracing.headers()
        row["traceparent"] = context.get(tracing.TRACEPARENT)
        row["tracestate"] = context.get(tracing.TRACESTATE)
    info = session.sync_session.info
    info[_DIRTY] = True
    if session.in_nested_transaction():
        await session.execute(insert(outbox).values(row))
    else:
        info.setdefault(_PENDING, []).append(row)
    return envelope.event_id


@dataclass(frozen=True)
class OutboxRow:
    id: int
    event_id: str
    type: str
    envelope: bytes
    created_at: datetime
    traceparent: str | None = None
    tracestate: str | None = None

    def trace_headers(self) -> dict[str, str]:
        """The W3C headers to publish with (empty when the event was recorded outside a trace)."""
        if not self.traceparent:
            return {}
        found = {tracing.TRACEPARENT: self.traceparent}
        if self.tracestate:
            found[tracing.TRACESTATE] = self.tracestate
        return found


def lock_key(component: str) -> int:
    # A stable 32-bit key per outbox for pg_try_advisory_lock (Python's hash() is salted).
    return zlib.crc32(f"isthmus.outbox.{component}".encode())


async def try_lead(conn: AsyncConnection, component: str) -> bool:
    """PostgreSQL: become the publishing relay of ``component``'s outbox for as long as ``conn`` lives
    (or until :func:`resign`)."""
    result = await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": lock_key(component)})
    return bool(result.scalar())


async def resign(conn: AsyncConnection, component: str) -> None:
    """Give up leading before ``conn`` goes back to the pool: the lock is the session's, and a pooled
    connection holding it would keep every relay (this process's next one too) from leading. A
    connection that cannot unlock is closed instead, which ends its session and the lock with it."""
    try:
        await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock_key(component)})
    except Exception:
        await conn.invalidate()


_COLUMNS = (
    outbox.c.id,
    outbox.c.event_id,
    outbox.c.type,
    outbox.c.envelope,
    outbox.c.created_at,
    outbox.c.traceparent,
    outbox.c.tracestate,
)
# Built once: the relay reads after every producer commit, and a statement built per call costs
# SQLAlchemy more CPU than the read.
_CLAIM_AFTER = (
    select(*_COLUMNS).where(outbox.c.id > bindparam("after")).order_by(outbox.c.id).limit(bindparam("limit"))
)
_CLAIM_EXCLUDING = (
    select(*_COLUMNS).where(none_of(outbox.c.id, "exclude")).order_by(outbox.c.id).limit(bindparam("limit"))
)
_FORGET = delete(outbox).where(any_of(outbox.c.id, "ids"))


async def claim(
    conn: AsyncConnection, limit: int, *, after: int = 0, exclude: Collection[int] = ()
) -> list[OutboxRow]:
    """The oldest rows not yet confirmed with an id above ``after``, skipping those in flight."""
    if exclude:
        assert not after, "a read from the start (the sweep) excludes the rows in flight"
        result = await conn.execute(_CLAIM_EXCLUDING, {"exclude": list(exclude), "limit": limit})
    else:
        result = await conn.execute(_CLAIM_AFTER, {"after": after, "limit": limit})
    return [
        OutboxRow(r.id, r.event_id, r.type, r.envelope, aware(r.created_at), r.traceparent, r.tracestate)
        for r in result
    ]


async def forget_sent(conn: AsyncConnection, ids: Sequence[int]) -> None:
    """Delete rows the broker confirmed: they are its responsibility now."""
    if ids:
        await conn.execute(_FORGET, {"ids": list(ids)})


async def backlog(conn: AsyncConnection) -> tuple[int, datetime | None]:
    """How many events wait to be published, and when the oldest of them was recorded."""
    row = (await conn.execute(select(func.count(), func.min(outbox.c.created_at)))).one()
    return int(row[0]), aware(row[1]) if row[1] is not None else None
