"""A producer and a consumer component over real databases, with the bus under test.

``world`` is parametrized over both adapters: ``memory`` (SQLite files, in-process bus) and
``rabbitmq`` (PostgreSQL schemas, RabbitMQ in the session's vhost). Component names are unique per
test, so queues, schemas and files never collide.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.message import Message
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from isthmus.platform import db
from isthmus.platform.config import Settings
from isthmus.platform.events import MIGRATIONS, Bus, Event, Subscription, create_bus, record_event
from isthmus.platform.events.options import BusOptions
from isthmus.platform.events.tables import dead_letters
from isthmus.platform.events.testing import FAST
from isthmus.platform.migrations import upgrade

effects_metadata = MetaData()
effects = Table(
    "effects",
    effects_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("queue", String(200), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("type", String(200), nullable=False),
    Column("aggregate_id", String(200), nullable=False),
    Column("correlation_id", String(200), nullable=False),
    Column("causation_id", String(200), nullable=False),
    Column("note", String(200), nullable=False),
)


@dataclass
class World:
    kind: str
    settings: Settings
    producer: str
    consumer: str
    producer_engine: AsyncEngine
    consumer_engine: AsyncEngine
    options: BusOptions = FAST
    failures: dict[str, int] = field(default_factory=dict)  # aggregate id -> failures left (-1: always)
    buses: list[Bus] = field(default_factory=list)

    def bus(self, options: BusOptions | None = None) -> Bus:
        bus = create_bus(self.settings, options or self.options)
        self.buses.append(bus)
        return bus

    def wire(self, bus: Bus, subscriptions: Sequence[Subscription] = ()) -> None:
        bus.add_relay(self.producer, self.producer_engine)
        for sub in subscriptions:
            bus.subscribe(self.consumer, self.consumer_engine, sub)

    def recorder(self, label: str) -> Any:
        """A handler that records each event as a row in ``effects`` (and fails when told to)."""

        async def handle(session: AsyncSession, event: Event) -> None:
            await session.execute(
                insert(effects).values(
                    queue=label,
                    event_id=event.event_id,
                    type=event.type,
                    aggregate_id=event.aggregate_id,
                    correlation_id=event.correlation_id,
                    causation_id=event.causation_id,
                    note=_note(event.payload),
                )
            )
            left = self.failures.get(event.aggregate_id, 0)
            if left:
                self.failures[event.aggregate_id] = left - 1 if left > 0 else -1
                raise RuntimeError(f"handler refuses {event.aggregate_id}")

        return handle

    async def record(self, *events: tuple[Message, str], **kwargs: Any) -> list[str]:
        """Record (payload, aggregate id) pairs in one producer transaction."""
        sessions = db.session_factory(self.producer_engine)
        async with sessions() as session, session.begin():
            return [await record_event(session, m, aggregate_id=a, **kwargs) for m, a in events]

    async def effects(self, label: str | None = None) -> list[Any]:
        query = select(effects).order_by(effects.c.id)
        if label is not None:
            query = query.where(effects.c.queue == label)
        async with self.consumer_engine.connect() as conn:
            return list((await conn.execute(query)).all())

    async def count(self) -> int:
        async with self.consumer_engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(effects))).scalar() or 0)

    async def dead_letters(self) -> list[Any]:
        async with self.consumer_engine.connect() as conn:
            return list((await conn.execute(select(dead_letters).order_by(dead_letters.c.id))).all())


def _note(payload: Message) -> str:
    return str(getattr(payload, "payment_reference", "") or getattr(payload, "tracking_number", ""))


def _settings(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    if kind == "memory":
        return Settings(data_dir=tmp_path)
    pg_url = request.getfixturevalue("pg_url")
    amqp_url = request.getfixturevalue("amqp_url")
    return Settings(database_url=pg_url, amqp_url=amqp_url, data_dir=tmp_path)


async def make_world(kind: str, settings: Settings) -> World:
    suffix = uuid.uuid4().hex[:8]
    producer, consumer = f"prod_{suffix}", f"cons_{suffix}"
    await asyncio.to_thread(upgrade, settings, producer, [MIGRATIONS])
    await asyncio.to_thread(upgrade, settings, consumer, [MIGRATIONS])
    producer_engine = db.async_engine(settings, producer)
    consumer_engine = db.async_engine(settings, consumer)
    async with consumer_engine.begin() as conn:
        await conn.run_sync(effects_metadata.create_all)
    return World(kind, settings, producer, consumer, producer_engine, consumer_engine)


async def close_world(world: World) -> None:
    for bus in world.buses:
        await bus.stop()
    await world.producer_engine.dispose()
    await world.consumer_engine.dispose()


@pytest.fixture(params=["memory", "rabbitmq"])
async def world(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[World]:
    settings = _settings(request.param, request, tmp_path)
    w = await make_world(request.param, settings)
    try:
        yield w
    finally:
        await close_world(w)


@pytest.fixture
async def rabbit_world(pg_url: str, amqp_url: str, tmp_path: Path) -> AsyncIterator[World]:
    w = await make_world("rabbitmq", Settings(database_url=pg_url, amqp_url=amqp_url, data_dir=tmp_path))
    try:
        yield w
    finally:
        await close_world(w)


class TcpProxy:
    """A TCP forwarder the test can cut (drop every connection) and block (refuse new ones)."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.blocked = False
        self.cuts = 0
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> TcpProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.blocked:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers.update((writer, up_writer))
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    def cut(self) -> None:
        """Drop every open connection at once, as a broker restart or a network fault would."""
        self.cuts += 1
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


@pytest.fixture
async def tcp_proxy() -> AsyncIterator[Any]:
    proxies: list[TcpProxy] = []

    async def make(host: str, port: int) -> TcpProxy:
        proxy = await TcpProxy(host, port).start()
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        await proxy.stop()
