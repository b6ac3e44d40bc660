"""The bus a process runs: relays for the components that produce, consumers for those that consume.

Two adapters share this skeleton: :mod:`.memory` (in-process, for ``isthmus up``) and :mod:`.rabbit`
(RabbitMQ). A component's ``start()`` calls :meth:`Bus.add_relay` and :meth:`Bus.subscribe`; the
server starts the bus after its components and stops it (draining) before they stop.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from isthmus.platform.events import outbox
from isthmus.platform.events.consumer import Consumer, Delivery, Subscription, is_transient, queue_name
from isthmus.platform.events.metrics import EventMetrics, event_metrics
from isthmus.platform.events.options import BusOptions
from isthmus.platform.events.outbox import OutboxRow
from isthmus.platform.events.relay import Relay, Wake
from isthmus.platform.events.tables import dead_letters, inbox

log = logging.getLogger("isthmus.events")


@dataclass
class RelaySpec:
    component: str
    engine: AsyncEngine
    postgres: bool = field(init=False)

    def __post_init__(self) -> None:
        self.postgres = self.engine.dialect.name == "postgresql"


@dataclass
class Binding:
    component: str
    queue: str
    engine: AsyncEngine
    subscription: Subscription
    consumer: Consumer


class Bus(ABC):
    """What components and tests use; see docs/events.md."""

    # The messaging system, as traces name it.
    system = "rabbitmq"

    def __init__(self, options: BusOptions | None = None, metrics: EventMetrics | None = None) -> None:
        self.options = options or BusOptions()
        self.metrics = metrics or event_metrics()
        self.relays: dict[str, RelaySpec] = {}
        self.bindings: dict[str, Binding] = {}
        self.started = False
        self._tasks: list[asyncio.Task[None]] = []
        self._wakes: list[Wake] = []
        self._wakeup_handle: object | None = None
        self._replaying: set[tuple[str, int]] = set()
        self._consuming = False
        self._relays: list[tuple[Relay, asyncio.Task[None]]] = []

    # -- registration (from components' start) -------------------------------------------------

    def add_relay(self, component: str, engine: AsyncEngine) -> None:
        """Publish what ``component`` records in its outbox (on ``engine``). Once per component."""
        if component in self.relays:
            raise ValueError(f"a relay for {component!r} is already registered")
        self.relays[component] = RelaySpec(component, engine)
        if self.started:
            self._start_relay(self.relays[component])

    def subscribe(self, component: str, engine: AsyncEngine, subscription: Subscription) -> str:
        """Deliver matching events to ``subscription.handler``; returns the queue name."""
        name = queue_name(component, subscription.purpose)
        if name in self.bindings:
            raise ValueError(f"{component!r} already subscribes for purpose {subscription.purpose!r}")
        if not subscription.routing_keys:
            raise ValueError(f"subscription {name} needs at least one routing key")
        consumer = Consumer(name, engine, subscription, self.options, self.metrics, self.system)
        binding = Binding(component, name, engine, subscription, consumer)
        self.bindings[name] = binding
        if self.started:
            self._start_binding(binding)
        return name

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        if self.started:
            return
        self.started = True
        self._wakeup_handle = outbox.on_outbox_commit(self._wake_all)
        await self._open()
        for binding in self.bindings.values():
            self._start_binding(binding)
        for spec in self.relays.values():
            self._start_relay(spec)
        self._spawn(self._replay_loop(), "dead-letter replays")
        if self.bindings:
            self._spawn(self._purge_loop(), "inbox retention")
            self._spawn(self._gauge_loop(), "queue gauges")

    async def stop(self) -> None:
        """Stop taking deliveries, let handlers in progress finish, publish what is confirmed, close."""
        if not self.started:
            return
        self.started = False
        await self._stop_consuming()
        for binding in self.bindings.values():
            await binding.consumer.stop()
        await asyncio.gather(*(relay.stop(task, grace=5.0) for relay, task in self._relays))
        self._relays.clear()
        await _cancel_all(self._tasks)
        self._tasks.clear()
        await self._close()
        self._wakes.clear()
        self._wakeup_handle = None

    async def __aenter__(self) -> Bus:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def drain(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109 (a deadline, not a cancel)
        """Wait until every outbox is published and every consumer has caught up (for tests).

        Idle means: no unsent outbox row, no message waiting or in progress on any subscribed queue,
        no retry pending and no dead-letter replay requested. Raises ``TimeoutError`` naming what
        is still busy.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        quiet = 0
        busy: list[str] = []
        while True:
            self._wake_all()
            busy = await self._busy()
            quiet = quiet + 1 if not busy else 0
            # Twice in a row: a publish can be between "marked sent" and "visible in the queue".
            if quiet >= 2:
                return
            if loop.time() >= deadline:
                raise TimeoutError(f"event bus still busy after {timeout}s: {', '.join(busy)}")
            await asyncio.sleep(0.02)

    async def _busy(self) -> list[str]:
        busy: list[str] = []
        for spec in self.relays.values():
            async with spec.engine.connect() as conn:
                count, _ = await outbox.backlog(conn)
            if count:
                busy.append(f"{count} unsent in {spec.component}'s outbox")
        for binding in self.bindings.values():
            if binding.consumer.busy:
                busy.append(f"{binding.queue} handling or retrying")
            waiting = await self._queue_depth(binding)
            if waiting:
                busy.append(f"{waiting} waiting in {binding.queue}")
            if await _replays_requested(binding):
                busy.append(f"dead letters of {binding.queue} to replay")
        return busy

    # -- adapter hooks -------------------------------------------------------------------------

    @abstractmethod
    async def _open(self) -> None: ...

    @abstractmethod
    async def _close(self) -> None: ...

    @abstractmethod
    def _start_binding(self, binding: Binding) -> None: ...

    @abstractmethod
    async def _publish(self, row: OutboxRow) -> asyncio.Future[bool]:
        """Hand an outbox row to the broker; the future resolves once it is confirmed (or refused)."""

    @abstractmethod
    async def publish_raw(
        self,
        routing_key: str,
        body: bytes,
        *,
        content_type: str | None = None,
        type_: str | None = None,
        headers: dict[str, Any] | None = None,
    ) -> None:
        """Publish as a foreign producer could send it (no outbox): for tests and tools."""

    @abstractmethod
    async def _publisher_ready(self) -> None:
        """Wait until publishing can start (connected, this process's queues declared)."""

    def _start_relay(self, spec: RelaySpec) -> None:
        relay = Relay(
            spec.component,
            spec.engine.connect,
            spec.postgres,
            self._publish,
            self._publisher_ready,
            self._new_wake(),
            self.options,
            self.metrics,
            self.system,
        )
        task = asyncio.create_task(relay.run(), name=f"isthmus-events: relay {spec.component}")
        self._relays.append((relay, task))

    @abstractmethod
    async def _stop_consuming(self) -> None: ...

    @abstractmethod
    async def _queue_depth(self, binding: Binding) -> int:
        """Messages waiting in the binding's queue, not yet handed to its consumer."""

    def _connected(self) -> bool:
        """Whether :meth:`_queue_depth` can tell (the broker is reachable)."""
        return True

    @abstractmethod
    async def _redeliver(self, binding: Binding, row: Any) -> None:
        """Put a dead letter back on its queue; delete the row once that is safe."""

    # -- shared machinery ----------------------------------------------------------------------

    async def _consume(self, binding: Binding, queue: asyncio.Queue[Delivery]) -> None:
        """Feed the binding's consumer batches of whatever has arrived, until consuming stops."""
        while self._consuming:
            try:
                async with asyncio.timeout(0.1):
                    first = await queue.get()
            except TimeoutError:
                continue
            size, linger = self.options.consume_batch, self.options.consume_linger
            batch = _take([first], queue, size)
            if linger and 1 < len(batch) < size:  # a busy queue: fewer, larger transactions
                await _linger(binding.consumer, batch, linger)
                _take(batch, queue, size)
            await binding.consumer.process(batch)

    def _spawn(self, coro: Any, what: str) -> None:
        async def guarded() -> None:
            try:
                await coro
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("event bus task %s crashed", what)

        self._tasks.append(asyncio.create_task(guarded(), name=f"isthmus-events: {what}"))

    def _new_wake(self) -> Wake:
        wake = Wake()
        self._wakes.append(wake)
        return wake

    def _wake_all(self) -> None:
        for wake in self._wakes:
            wake.set()

    async def _replay_loop(self) -> None:
        failures = 0
        while True:
            try:
                # One read per component's table, whatever its number of consumers: an idle hub
                # asked every consumer five times a second, an eighth of a core for nothing.
                by_engine: dict[int, dict[str, Binding]] = {}
                for binding in list(self.bindings.values()):
                    by_engine.setdefault(id(binding.engine), {})[binding.queue] = binding
                for bindings in by_engine.values():
                    for row in await _requested_replays(bindings):
                        binding = bindings[row.consumer]
                        key = (binding.queue, row.id)
                        if key not in self._replaying:
                            self._replaying.add(key)
                            await self._redeliver(binding, row)
                failures = 0
            except Exception as exc:
                failures += 1
                if not is_transient(exc):
                    log.exception("replaying dead letters failed")
            # Within a second of the request (docs/events.md), sooner with a test's short poll.
            await asyncio.sleep(min(self.options.poll_interval * 2, 1.0) * (1 + min(failures, 20)))

    async def purge_inbox(self, older_than: datetime) -> int:
        """Delete the inbox rows of this process' consumers handled before ``older_than``."""
        purged = 0
        for binding in list(self.bindings.values()):
            async with binding.engine.begin() as conn:
                result = await conn.execute(
                    delete(inbox).where(inbox.c.consumer == binding.queue, inbox.c.handled_at < older_than)
                )
            purged += int(result.rowcount or 0)
        return purged

    async def _purge_loop(self) -> None:
        while True:
            await asyncio.sleep(self.options.inbox_purge_interval)
            cutoff = datetime.now(UTC) - timedelta(seconds=self.options.inbox_retention)
            try:
                purged = await self.purge_inbox(cutoff)
            except Exception as exc:
                if not is_transient(exc):
                    log.exception("purging the inbox failed")
            else:
                log.info("purged %d inbox rows handled before %s", purged, cutoff.isoformat())

    async def _gauge_loop(self) -> None:
        """Measure each subscription's backlog and stored dead letters for the metrics (alerts)."""
        while True:
            for binding in list(self.bindings.values()):
                try:
                    if self._connected():
                        depth = await self._queue_depth(binding)
                        self.metrics.queue_backlog.labels(binding.queue).set(depth)
                    stored = await _dead_letter_count(binding)
                    self.metrics.dead_letters.labels(binding.queue).set(stored)
                except Exception as exc:
                    if not is_transient(exc):
                        log.exception("measuring %s failed", binding.queue)
            await asyncio.sleep(self.options.gauge_interval)

    async def _forget_replayed(self, binding: Binding, row_id: int) -> None:
        async with binding.engine.begin() as conn:
            await conn.execute(delete(dead_letters).where(dead_letters.c.id == row_id))
        self._replaying.discard((binding.queue, row_id))


async def _requested_replays(bindings: dict[str, Binding]) -> Sequence[Any]:
    """The dead letters whose replay was asked for, of consumers that share one component's table."""
    engine = next(iter(bindings.values())).engine
    async with engine.connect() as conn:
        result = await conn.execute(
            select(dead_letters)
            .where(
                dead_letters.c.consumer.in_(list(bindings)), dead_letters.c.replay_requested_at.is_not(None)
            )
            .order_by(dead_letters.c.id)
            .limit(500)
        )
        return result.all()


async def _dead_letter_count(binding: Binding) -> int:
    async with binding.engine.connect() as conn:
        result = await conn.execute(
            select(func.count()).where(
                dead_letters.c.consumer == binding.queue, dead_letters.c.replay_requested_at.is_(None)
            )
        )
        return int(result.scalar() or 0)


async def _replays_requested(binding: Binding) -> int:
    async with binding.engine.connect() as conn:
        result = await conn.execute(
            select(func.count()).where(
                dead_letters.c.consumer == binding.queue, dead_letters.c.replay_requested_at.is_not(None)
            )
        )
        return int(result.scalar() or 0)


async def request_replay(engine: AsyncEngine, dead_letter_ids: Sequence[str] | None) -> int:
    """Mark dead letters (by ``dead_letter_id``; all when None) for the running consumer to redeliver."""
    query = update(dead_letters).values(replay_requested_at=datetime.now(UTC))
    if dead_letter_ids is not None:
        query = query.where(dead_letters.c.dead_letter_id.in_(list(dead_letter_ids)))
    async with engine.begin() as conn:
        result = await conn.execute(query)
    return int(result.rowcount or 0)


async def _cancel_all(tasks: Sequence[asyncio.Task[None]]) -> None:
    """Cancel ``tasks`` and wait for them, cancelling again any that swallowed the first request."""
    pending = set(tasks)
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=1.0)
        if pending:
            log.warning("event bus tasks still stopping: %s", ", ".join(t.get_name() for t in pending))


def _take(batch: list[Delivery], queue: asyncio.Queue[Delivery], size: int) -> list[Delivery]:
    """Adds what is waiting in ``queue`` to ``batch``, up to ``size`` in all."""
    while len(batch) < size and not queue.empty():
        batch.append(queue.get_nowait())
    return batch


async def _linger(consumer: Consumer, batch: list[Delivery], seconds: float) -> None:
    """Waits for more deliveries; the ones taken already count as in flight (``drain`` and the
    bus's idleness see them), and go back to the broker if consuming stops meanwhile."""
    held = len(batch)
    consumer.in_flight += held
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        for delivery in batch:
            delivery.settle(requeue=True)
        raise
    finally:
        consumer.in_flight -= held
