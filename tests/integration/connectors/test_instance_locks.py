"""Two replicas of the connectors component on one PostgreSQL never sync one instance at the same time,
and together they keep its schedule instead of each running it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import timedelta
from typing import Any

import pytest

from isthmus.connectors import CheckResult, Connector, Stream, StreamState, hookimpl
from isthmus.connectors.bootstrap import MIGRATIONS
from isthmus.connectors.engine import Syncer
from isthmus.connectors.hub import Delivery
from isthmus.connectors.locks import AdvisoryLocks, instance_locks
from isthmus.connectors.plugins import get_plugin_manager
from isthmus.connectors.runtime import ConnectorRuntime, Instance, InstanceBusy
from isthmus.connectors.state import SqlStateStore
from isthmus.platform import config, db
from isthmus.platform.migrations import upgrade

pytestmark = pytest.mark.postgres

READING = threading.Event()
RELEASE = threading.Event()


class SlowConnector(Connector):
    """Yields three customers; the first read waits until the test lets it go."""

    name = "slow-test"
    streams = (Stream("customers", "source_id", "updated_at"),)
    reads = 0

    def check(self) -> CheckResult:
        return CheckResult.success()

    def read(self, stream: str, state: StreamState) -> Iterator[Any]:
        type(self).reads += 1
        READING.set()
        RELEASE.wait(timeout=30)
        for n in range(1, 4):
            if int(state.tie_breaker or 0) < n:
                yield {
                    "source_id": str(n),
                    "name": {"full_name": f"P {n}"},
                    "updated_at": f"2024-05-0{n}T10:00:00+00:00",
                }


class Plugin:
    @hookimpl
    def register_connectors(self) -> list[type[Connector]]:
        return [SlowConnector]


class CountingSink:
    def __init__(self) -> None:
        self.delivered: list[str] = []

    async def deliver(
        self, instance: str, system: str, stream: str, records: Sequence[Any]
    ) -> list[Delivery]:
        self.delivered.extend(r["source_id"] for r in records)
        return [Delivery(True, f"hub-{r['source_id']}") for r in records]


@pytest.fixture
async def replicas(
    pg_database: str,
) -> AsyncIterator[tuple[ConnectorRuntime, ConnectorRuntime, CountingSink]]:
    settings = config.load({"ISTHMUS_DATABASE_URL": pg_database})
    upgrade(settings, "connectors", [MIGRATIONS])
    sink = CountingSink()
    engines = [db.async_engine(settings, "connectors") for _ in range(2)]  # one pool per "pod"
    plugins = get_plugin_manager({}, entry_points=False)
    plugins.register(Plugin(), name="slow-test")
    instance = Instance("slow", "slow-test", {}, schedule_seconds=3600)
    runtimes = [
        ConnectorRuntime([instance], plugins, Syncer(SqlStateStore(e), sink, plugins), instance_locks(e))
        for e in engines
    ]
    SlowConnector.reads = 0
    READING.clear()
    RELEASE.clear()
    try:
        yield runtimes[0], runtimes[1], sink
    finally:
        RELEASE.set()
        for runtime in runtimes:
            runtime.close()
        for engine in engines:
            await engine.dispose()


async def test_postgres_uses_advisory_locks(replicas: tuple[ConnectorRuntime, ...]) -> None:
    assert all(isinstance(r.locks, AdvisoryLocks) for r in replicas[:2])


async def test_a_second_replica_skips_an_instance_the_first_is_syncing(
    replicas: tuple[ConnectorRuntime, ConnectorRuntime, CountingSink],
) -> None:
    first, second, sink = replicas
    (instance,) = first.instances
    running = asyncio.create_task(first.run_due(instance))
    assert await asyncio.to_thread(READING.wait, 30)

    # While the first replica reads, the second neither reads nor waits for it ...
    await asyncio.wait_for(second.run_due(instance), timeout=10)
    # ... and a hand-started sync is refused instead of running alongside.
    with pytest.raises(InstanceBusy, match="being synced by another process"):
        await second.sync("slow")
    assert SlowConnector.reads == 1

    RELEASE.set()
    await asyncio.wait_for(running, timeout=30)
    # Once the first is done, the instance is not due again for the second before its schedule.
    await second.run_due(instance)
    assert SlowConnector.reads == 1
    assert sink.delivered == ["1", "2", "3"]


async def test_replicas_run_the_instance_again_once_its_schedule_has_passed(
    replicas: tuple[ConnectorRuntime, ConnectorRuntime, CountingSink],
) -> None:
    first, second, _ = replicas
    RELEASE.set()
    (instance,) = first.instances
    await first.run_due(instance)
    wait = await second.run_due(instance)
    assert SlowConnector.reads == 1 and 3500 < wait <= 3600
    later = first.clock() + timedelta(seconds=instance.schedule_seconds + 1)
    second.clock = lambda: later
    await second.run_due(instance)
    assert SlowConnector.reads == 2
