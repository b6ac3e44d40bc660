"""The runtime's own tables (schema ``connectors``): stream state, dead letters, sync runs, hub ids,
and what sources pushed (webhooks) until a sync has read it.

State is (cursor, tie-breaker, extra) per connector instance and stream. ``checkpoint`` writes a
batch's dead letters and the new state in one transaction, so a crash leaves either both or neither.

The instance locks that keep replicas from syncing one instance at once are in ``locks.py``; the map
of hub ids (``connector_hub_ids``) is read and written by ``idmap.py``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from isthmus.connectors.sdk import Pushed, StreamState
from isthmus.kernel.ids import new_uuid
from isthmus.platform.sql import mint_missing_ids

log = logging.getLogger("isthmus.connectors")
metadata = MetaData()

# How a dead letter was resolved.
REPLAYED = "replayed"  # a replay delivered it
SYNCED = "delivered by a later sync"  # the source sent the record again, and the hub took it

stream_state = Table(
    "connector_stream_state",
    metadata,
    Column("instance", String(100), primary_key=True),
    Column("stream", String(50), primary_key=True),
    Column("cursor", Text, nullable=True),
    Column("tie_breaker", Text, nullable=True),
    Column("extra", JSON, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

dead_letters = Table(
    "connector_dead_letters",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("instance", String(100), nullable=False, index=True),
    Column("stream", String(50), nullable=False),
    Column("record_key", Text, nullable=False),
    Column("record", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Set when a replay or a later sync delivered the record: the letter is no longer open.
    Column("resolved_at", DateTime(timezone=True), nullable=True),
    Column("resolution", Text, nullable=True),
    Column("replay_count", Integer, nullable=False, server_default="0"),
    # The letter's name in the API and the commands, minted when it is stored (``id`` only orders
    # letters). Nullable while the release before it may still store letters during a rolling upgrade:
    # ``name_dead_letters`` names those when they are read; a later release makes it NOT NULL.
    Column("dead_letter_id", String(36), nullable=True),
    Index("ux_connector_dead_letters_dead_letter_id", "dead_letter_id", unique=True),
    # Open letters by record: a later sync's delivery resolves them.
    Index(
        "ix_connector_dead_letters_open",
        "instance",
        "stream",
        "record_key",
        postgresql_where=text("resolved_at IS NULL"),
        sqlite_where=text("resolved_at IS NULL"),
    ),
)

sync_runs = Table(
    "connector_sync_runs",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("instance", String(100), nullable=False, index=True),
    Column("stream", String(50), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("status", String(20), nullable=False),
    Column("records_read", Integer, nullable=False),
    Column("records_accepted", Integer, nullable=False),
    Column("records_rejected", Integer, nullable=False),
    Column("error", Text, nullable=True),
)

hub_ids = Table(
    "connector_hub_ids",
    metadata,
    Column("instance", String(100), primary_key=True),
    Column("kind", String(50), primary_key=True),
    Column("external_id", String(200), primary_key=True),
    Column("hub_id", String(100), nullable=False),
)


pushes = Table(
    "connector_pushes",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("instance", String(100), nullable=False),
    Column("stream", String(50), nullable=False),
    # The source's id of the delivery (``push_key``); NULL when it names none.
    Column("delivery_id", String(200), nullable=True),
    # Emptied when a sync has read it: the row stays a while, so that the source sending the delivery
    # again is still recognised (``PUSH_MEMORY``).
    Column("payload", Text, nullable=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("consumed_at", DateTime(timezone=True), nullable=True),
    Index("ux_connector_pushes_delivery", "instance", "delivery_id", unique=True),
    Index(
        "ix_connector_pushes_pending",
        "instance",
        "stream",
        "id",
        postgresql_where=text("consumed_at IS NULL"),
        sqlite_where=text("consumed_at IS NULL"),
    ),
    Index("ix_connector_pushes_consumed", "consumed_at"),
)

# How long a delivery read by a sync is remembered by its id: sources re-send for hours (a shop for up
# to two days), and a re-sent one after this is only read again (``read`` drops what is not newer).
PUSH_MEMORY = timedelta(days=7)
# Pushed objects one sync of a stream reads at most; the rest wait for the next one.
PUSHES_PER_SYNC = 10_000


def push_key(delivery_id: str) -> str | None:
    """The delivery id as stored: None when there is none, a digest when it is longer than the column."""
    if not delivery_id:
        return None
    if len(delivery_id) <= 200:
        return delivery_id
    return "sha256:" + hashlib.sha256(delivery_id.encode()).hexdigest()


async def name_dead_letters(conn: AsyncConnection) -> None:
    """Mint a ``dead_letter_id`` for each letter stored without one (by the previous release, during a
    rolling upgrade), oldest first."""
    await mint_missing_ids(conn, dead_letters, "dead_letter_id")


@dataclass(frozen=True)
class DeadLetter:
    stream: str
    record_key: str
    record: Any
    reason: str
    dead_letter_id: str = ""  # a UUIDv7, minted when the letter is stored
    created_at: datetime | None = None
    resolved_at: datetime | None = None
    resolution: str = ""
    replay_count: int = 0


@dataclass(frozen=True)
class SyncRun:
    instance: str
    stream: str
    started_at: datetime
    finished_at: datetime | None
    status: str  # "running", "succeeded", "failed"
    records_read: int
    records_accepted: int
    records_rejected: int
    error: str | None = None


class StateStore(Protocol):
    async def get_state(self, instance: str, stream: str) -> StreamState: ...

    async def checkpoint(
        self,
        instance: str,
        stream: str,
        state: StreamState | None,
        letters: Sequence[DeadLetter],
        delivered: Sequence[str] = (),
    ) -> None:
        """Store the batch's letters and the new state together; open letters of the stream whose
        record key is in ``delivered`` (records the hub just accepted) are resolved."""
        ...

    async def set_state(self, instance: str, stream: str, state: StreamState) -> None: ...

    async def reset_state(self, instance: str, stream: str) -> None: ...

    async def dead_letters(
        self, instance: str, limit: int = 100, *, ids: Sequence[str] | None = None
    ) -> list[DeadLetter]:
        """The instance's open letters, oldest first (only those whose ``dead_letter_id`` is in
        ``ids``, if given)."""
        ...

    async def replayed(
        self, instance: str, resolved: Sequence[str], failed: Sequence[tuple[str, str]]
    ) -> None:
        """After a replay: ``resolved`` letters (by ``dead_letter_id``) are closed, ``failed`` ones
        keep the new reason."""
        ...

    async def save_run(self, run: SyncRun) -> None: ...

    async def runs(self, instance: str, limit: int = 20) -> list[SyncRun]: ...

    async def push(self, instance: str, items: Sequence[Pushed]) -> int:
        """Keep what a source pushed (durably, before the source is answered); returns how many were
        new (a delivery whose id is known is not kept twice)."""
        ...

    async def pending_pushes(self, instance: str, stream: str) -> tuple[list[int], list[Any]]:
        """The stream's pushes no sync has read, oldest first (at most ``PUSHES_PER_SYNC``): their
        positions and what they hold."""
        ...

    async def pushes_read(self, instance: str, positions: Sequence[int]) -> None:
        """A sync has read these pushes (and delivered what they held). By position, not "up to":
        a push stored while the sync read may have taken an earlier position and committed later."""
        ...

    async def pushed_streams(self, instance: str) -> list[str]:
        """The instance's streams with pushes no sync has read."""
        ...

    async def last_started(self, instance: str, streams: Sequence[str] = ()) -> datetime | None:
        """When the latest recorded sync of any of the instance's streams started (None: never); with
        ``streams``, the earliest of their latest starts (None when one of them never started): a
        sync of pushed streams alone leaves the others due."""
        ...


def last_start(latest: Mapping[str, datetime], streams: Sequence[str] = ()) -> datetime | None:
    """From each stream's latest sync start: the instance's latest (no ``streams``), or the earliest of
    these streams' (None when one of them never started). An instance is due when it is older than its
    schedule: ``StateStore.last_started``, and the API's next run."""
    if not streams:
        return max(latest.values(), default=None)
    if any(stream not in latest for stream in streams):
        return None
    return min(latest[stream] for stream in streams)


def _now() -> datetime:
    return datetime.now(UTC)


def _dump(record: Any) -> str:
    return json.dumps(record, default=str, sort_keys=True)


@dataclass
class MemoryStateStore:
    """For the test kit and unit tests: the same contract, in a dict."""

    states: dict[tuple[str, str], StreamState] = field(default_factory=dict)
    letters: dict[str, list[DeadLetter]] = field(default_factory=dict)
    history: list[SyncRun] = field(default_factory=list)
    # The test kit sets this to crash the process between delivery and checkpoint.
    before_checkpoint: Callable[[], None] | None = None
    # (position, instance, stream, stored delivery id, payload, read by a sync)
    pushes: list[list[Any]] = field(default_factory=list)

    async def get_state(self, instance: str, stream: str) -> StreamState:
        return self.states.get((instance, stream), StreamState())

    async def checkpoint(
        self,
        instance: str,
        stream: str,
        state: StreamState | None,
        letters: Sequence[DeadLetter],
        delivered: Sequence[str] = (),
    ) -> None:
        if self.before_checkpoint is not None:
            self.before_checkpoint()
        kept = self.letters.setdefault(instance, [])
        if delivered:
            keys = set(delivered)
            now = _now()
            kept[:] = [
                replace(x, resolved_at=now, resolution=SYNCED)
                if x.resolved_at is None and x.stream == stream and x.record_key in keys
                else x
                for x in kept
            ]
        kept.extend(replace(x, dead_letter_id=new_uuid(), created_at=_now()) for x in letters)
        if state is not None:
            self.states[(instance, stream)] = state

    async def set_state(self, instance: str, stream: str, state: StreamState) -> None:
        self.states[(instance, stream)] = state

    async def reset_state(self, instance: str, stream: str) -> None:
        self.states.pop((instance, stream), None)

    async def dead_letters(
        self, instance: str, limit: int = 100, *, ids: Sequence[str] | None = None
    ) -> list[DeadLetter]:
        wanted = None if ids is None else set(ids)
        found = [
            x
            for x in self.letters.get(instance, [])
            if x.resolved_at is None and (wanted is None or x.dead_letter_id in wanted)
        ]
        return found[:limit]

    async def replayed(
        self, instance: str, resolved: Sequence[str], failed: Sequence[tuple[str, str]]
    ) -> None:
        done, reasons, now = set(resolved), dict(failed), _now()
        self.letters[instance] = [
            replace(x, resolved_at=now, resolution=REPLAYED, replay_count=x.replay_count + 1)
            if x.dead_letter_id in done
            else replace(x, reason=reasons[x.dead_letter_id], replay_count=x.replay_count + 1)
            if x.dead_letter_id in reasons
            else x
            for x in self.letters.get(instance, [])
        ]

    async def save_run(self, run: SyncRun) -> None:
        self.history.append(run)

    async def runs(self, instance: str, limit: int = 20) -> list[SyncRun]:
        return [r for r in reversed(self.history) if r.instance == instance][:limit]

    async def last_started(self, instance: str, streams: Sequence[str] = ()) -> datetime | None:
        latest: dict[str, datetime] = {}
        for r in self.history:
            if r.instance == instance and (r.stream not in latest or r.started_at > latest[r.stream]):
                latest[r.stream] = r.started_at
        return last_start(latest, streams)

    async def push(self, instance: str, items: Sequence[Pushed]) -> int:
        new = 0
        for item in items:
            key = push_key(item.delivery_id)
            if key is not None and any(p[1] == instance and p[3] == key for p in self.pushes):
                continue
            position = len(self.pushes) + 1
            self.pushes.append([position, instance, item.stream, key, json.loads(_dump(item.payload)), False])
            new += 1
        return new

    async def pending_pushes(self, instance: str, stream: str) -> tuple[list[int], list[Any]]:
        found = [p for p in self.pushes if p[1] == instance and p[2] == stream and not p[5]]
        found = found[:PUSHES_PER_SYNC]
        return [p[0] for p in found], [p[4] for p in found]

    async def pushes_read(self, instance: str, positions: Sequence[int]) -> None:
        read = set(positions)
        for p in self.pushes:
            if p[1] == instance and p[0] in read:
                p[5] = True

    async def pushed_streams(self, instance: str) -> list[str]:
        return sorted({p[2] for p in self.pushes if p[1] == instance and not p[5]})


class SqlStateStore:
    """State in the ``connectors`` schema (PostgreSQL) or ``connectors.sqlite`` (embedded)."""

    def __init__(self, engine: AsyncEngine, clock: Callable[[], datetime] = _now) -> None:
        self.engine = engine
        self.clock = clock

    async def get_state(self, instance: str, stream: str) -> StreamState:
        query = select(stream_state).where(
            stream_state.c.instance == instance, stream_state.c.stream == stream
        )
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        if row is None:
            return StreamState()
        return StreamState(row["cursor"], row["tie_breaker"], row["extra"] or {})

    async def _put(self, conn: Any, instance: str, stream: str, state: StreamState) -> None:
        values = {
            "cursor": state.cursor,
            "tie_breaker": state.tie_breaker,
            "extra": dict(state.extra),
            "updated_at": self.clock(),
        }
        where = (stream_state.c.instance == instance, stream_state.c.stream == stream)
        changed = await conn.execute(update(stream_state).where(*where).values(**values))
        if changed.rowcount == 0:
            await conn.execute(insert(stream_state).values(instance=instance, stream=stream, **values))

    async def checkpoint(
        self,
        instance: str,
        stream: str,
        state: StreamState | None,
        letters: Sequence[DeadLetter],
        delivered: Sequence[str] = (),
    ) -> None:
        async with self.engine.begin() as conn:
            keys = [k for k in dict.fromkeys(delivered) if k]
            if keys:
                d = dead_letters.c
                await conn.execute(
                    update(dead_letters)
                    .where(
                        d.instance == instance,
                        d.stream == stream,
                        d.record_key.in_(keys),
                        d.resolved_at.is_(None),
                    )
                    .values(resolved_at=self.clock(), resolution=SYNCED)
                )
            if letters:
                now = self.clock()
                await conn.execute(
                    insert(dead_letters),
                    [
                        {
                            "dead_letter_id": new_uuid(),
                            "instance": instance,
                            "stream": letter.stream,
                            "record_key": letter.record_key,
                            "record": _dump(letter.record),
                            "reason": letter.reason,
                            "created_at": now,
                        }
                        for letter in letters
                    ],
                )
            if state is not None:
                await self._put(conn, instance, stream, state)

    async def set_state(self, instance: str, stream: str, state: StreamState) -> None:
        async with self.engine.begin() as conn:
            await self._put(conn, instance, stream, state)

    async def reset_state(self, instance: str, stream: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                delete(stream_state).where(
                    stream_state.c.instance == instance, stream_state.c.stream == stream
                )
            )

    async def dead_letters(
        self, instance: str, limit: int = 100, *, ids: Sequence[str] | None = None
    ) -> list[DeadLetter]:
        d = dead_letters.c
        query = (
            select(dead_letters)
            .where(d.instance == instance, d.resolved_at.is_(None))
            .order_by(d.id)
            .limit(limit)
        )
        if ids is not None:
            query = query.where(d.dead_letter_id.in_(list(ids)))
        async with self.engine.begin() as conn:
            await name_dead_letters(conn)
            rows = (await conn.execute(query)).mappings().all()
        return [
            DeadLetter(
                r["stream"],
                r["record_key"],
                json.loads(r["record"]),
                r["reason"],
                r["dead_letter_id"],
                r["created_at"],
                r["resolved_at"],
                r["resolution"] or "",
                r["replay_count"],
            )
            for r in rows
        ]

    async def replayed(
        self, instance: str, resolved: Sequence[str], failed: Sequence[tuple[str, str]]
    ) -> None:
        d = dead_letters.c
        async with self.engine.begin() as conn:
            if resolved:
                await conn.execute(
                    update(dead_letters)
                    .where(d.instance == instance, d.dead_letter_id.in_(list(resolved)))
                    .values(resolved_at=self.clock(), resolution=REPLAYED, replay_count=d.replay_count + 1)
                )
            if failed:  # each with its own reason: one statement run for all of them
                await conn.execute(
                    _REFUSED_AGAIN,
                    [{"b_instance": instance, "b_id": i, "b_reason": reason} for i, reason in failed],
                )

    async def save_run(self, run: SyncRun) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(insert(sync_runs).values(**run.__dict__))

    async def runs(self, instance: str, limit: int = 20) -> list[SyncRun]:
        query = (
            select(sync_runs)
            .where(sync_runs.c.instance == instance)
            .order_by(sync_runs.c.id.desc())
            .limit(limit)
        )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [SyncRun(**{k: v for k, v in r.items() if k != "id"}) for r in rows]

    async def push(self, instance: str, items: Sequence[Pushed]) -> int:
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        new = 0
        now = self.clock()
        async with self.engine.begin() as conn:
            for item in items:
                stmt = dialect.insert(pushes).values(
                    instance=instance,
                    stream=item.stream,
                    delivery_id=push_key(item.delivery_id),
                    payload=_dump(item.payload),
                    received_at=now,
                )
                done = await conn.execute(
                    stmt.on_conflict_do_nothing(index_elements=["instance", "delivery_id"])
                )
                new += done.rowcount
        return new

    async def pending_pushes(self, instance: str, stream: str) -> tuple[list[int], list[Any]]:
        c = pushes.c
        query = (
            select(c.id, c.payload)
            .where(c.instance == instance, c.stream == stream, c.consumed_at.is_(None))
            .order_by(c.id)
            .limit(PUSHES_PER_SYNC)
        )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [r.id for r in rows], [json.loads(r.payload) for r in rows]

    async def pushes_read(self, instance: str, positions: Sequence[int]) -> None:
        c = pushes.c
        now = self.clock()
        async with self.engine.begin() as conn:
            for start in range(0, len(positions), 1000):  # bound the statement's parameters
                chunk = list(positions[start : start + 1000])
                await conn.execute(
                    update(pushes)
                    .where(c.instance == instance, c.id.in_(chunk))
                    .values(consumed_at=now, payload=None)
                )
            # Read long enough ago that the source no longer sends it again: forgotten.
            await conn.execute(
                delete(pushes).where(c.instance == instance, c.consumed_at < now - PUSH_MEMORY)
            )

    async def pushed_streams(self, instance: str) -> list[str]:
        c = pushes.c
        query = (
            select(c.stream)
            .where(c.instance == instance, c.consumed_at.is_(None))
            .distinct()
            .order_by(c.stream)
        )
        async with self.engine.connect() as conn:
            return list((await conn.execute(query)).scalars())

    async def last_started(self, instance: str, streams: Sequence[str] = ()) -> datetime | None:
        r = sync_runs.c
        query = select(r.stream, func.max(r.started_at)).where(r.instance == instance).group_by(r.stream)
        async with self.engine.connect() as conn:
            latest: dict[str, datetime] = {stream: at for stream, at in (await conn.execute(query)).all()}
        found = last_start(latest, streams)
        if found is not None and found.tzinfo is None:  # SQLite keeps no zone; the runtime writes UTC
            found = found.replace(tzinfo=UTC)
        return found


_REFUSED_AGAIN = (
    update(dead_letters)
    .where(
        dead_letters.c.instance == bindparam("b_instance"),
        dead_letters.c.dead_letter_id == bindparam("b_id"),
    )
    .values(reason=bindparam("b_reason"), replay_count=dead_letters.c.replay_count + 1)
)
