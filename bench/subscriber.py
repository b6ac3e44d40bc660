"""A subscribing service for a benchmark: a process that consumes events as a component does.

It uses the platform's own consumer (a durable quorum queue bound to the routing keys, bounded
prefetch, manual acks, the inbox in its own database schema, a batch of deliveries per transaction),
with a handler that does nothing more, so a producer's events are consumed and acknowledged the way
they are in production rather than dropped by the broker for want of a queue. ``committed()`` reads
how many events its inbox holds.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from multiprocessing.connection import Connection

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.platform import db
from isthmus.platform.collector import tune_gc
from isthmus.platform.config import Settings
from isthmus.platform.events import MIGRATIONS, Event, Subscription
from isthmus.platform.events.rabbit import RabbitBus
from isthmus.platform.events.tables import inbox
from isthmus.platform.migrations import upgrade

COMPONENT = "bench_subscriber"


async def _consume(settings: Settings, keys: Sequence[str], report: Connection) -> None:
    engine = db.async_engine(settings, COMPONENT)

    async def handle(_session: AsyncSession, _event: Event) -> None:
        return None

    bus = RabbitBus(settings.amqp_url or "")
    bus.subscribe(COMPONENT, engine, Subscription("all", list(keys), handle))
    await bus.start()
    await bus.drain(timeout=60)  # queue declared and bound
    tune_gc()  # as `isthmus serve` does for the component it stands in for
    report.send("ready")
    await asyncio.to_thread(report.recv)  # until told to stop
    await bus.stop()
    await engine.dispose()


def _main(settings: Settings, keys: Sequence[str], report: Connection) -> None:
    asyncio.run(_consume(settings, keys, report))


class Subscriber:
    def __init__(self, settings: Settings, pid: int) -> None:
        self.settings = settings
        self.pid = pid

    def committed(self) -> int:
        """Events in the subscriber's inbox: consumed and committed."""
        engine = db.sync_engine(self.settings, COMPONENT)
        try:
            with engine.connect() as conn:
                return int(conn.execute(select(func.count()).select_from(inbox)).scalar_one())
        finally:
            engine.dispose()


@contextmanager
def subscribed(database_url: str, amqp_url: str, keys: Sequence[str]) -> Iterator[Subscriber]:
    """A subscriber process on ``keys`` (topic patterns), running until the block ends."""
    settings = Settings(database_url=database_url, amqp_url=amqp_url, db_pool_size=4)
    upgrade(settings, COMPONENT, [MIGRATIONS])
    spawn = multiprocessing.get_context("spawn")
    ours, theirs = spawn.Pipe()
    child = spawn.Process(target=_main, args=(settings, list(keys), theirs), daemon=True)
    child.start()
    try:
        if not ours.poll(120) or ours.recv() != "ready":
            raise RuntimeError("the subscriber did not start")
        yield Subscriber(settings, child.pid or 0)
    finally:
        ours.send("stop")
        child.join(60)
        if child.is_alive():
            child.kill()
