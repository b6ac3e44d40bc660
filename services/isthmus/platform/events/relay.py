"""The outbox relay, shared by both adapters: read rows in id order, publish them in a sliding window
of unconfirmed messages, delete each row once the broker confirmed it.

Several replicas of a component share one outbox; on PostgreSQL the relay first takes a session-level
advisory lock on its own connection, so exactly one replica publishes at a time (the others wait as
standbys) and per-aggregate order holds. When that connection or process dies, the lock goes with it
and a standby takes over, re-publishing what was never confirmed (at least once; inboxes drop
repeats). SQLite is single-process by nature. See docs/decisions/0008-outbox-relay-leader.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from isthmus.platform import tracing
from isthmus.platform.events import outbox
from isthmus.platform.events.consumer import is_transient
from isthmus.platform.events.metrics import EventMetrics
from isthmus.platform.events.options import BusOptions

log = logging.getLogger("isthmus.events")

# How long a confirmed row may wait to be deleted with others (under load: many per DELETE).
FORGET_DELAY = 0.05
# Reads follow each other at least this far apart: under load one read takes the rows of several
# producer commits, for at most this much more latency.
READ_GAP = 0.01

# Hands a row to the broker; the future says whether (True) or not (False) it was confirmed.
Publish = Callable[[outbox.OutboxRow], Awaitable["asyncio.Future[bool]"]]


class Wake(asyncio.Event):
    """A relay's wake-up call. ``set()`` (producers committed rows) also marks that there is something
    to read; ``confirmed()`` (a confirm arrived) only wakes it, so confirms cost no read."""

    rows = True

    def set(self) -> None:
        self.rows = True
        super().set()

    def confirmed(self) -> None:
        super().set()


class Relay:
    def __init__(
        self,
        component: str,
        connect: Callable[[], contextlib.AbstractAsyncContextManager[AsyncConnection]],
        postgres: bool,
        publish: Publish,
        ready: Callable[[], Awaitable[None]],
        wake: Wake,
        options: BusOptions,
        metrics: EventMetrics,
        system: str = "rabbitmq",
    ) -> None:
        self.component = component
        self.system = system  # the messaging system, as traces name it
        self.connect = connect
        self.postgres = postgres
        self.publish = publish
        self.ready = ready
        self.wake = wake
        self.options = options
        self._published = metrics.published.labels(component)
        self._confirmed = metrics.confirmed.labels(component)
        self._backlog = metrics.outbox_backlog.labels(component)
        self._oldest = metrics.outbox_oldest_age.labels(component)
        self.leading = False
        self.stopping = False

    async def run(self) -> None:
        failures = 0
        while not self.stopping:
            try:
                await self.ready()
                async with self.connect() as conn:
                    if self.postgres and not await outbox.try_lead(conn, self.component):
                        await conn.rollback()
                        await wait_and_clear(self.wake, self.options.poll_interval * 4)
                        continue
                    if self.postgres:
                        # Deleting confirmed rows need not wait for the disk: a delete lost in a crash
                        # only means the event is published again, and inboxes drop repeats.
                        await conn.execute(text("SET synchronous_commit = off"))
                    await conn.commit()
                    if self.postgres:
                        # Each read and each delete stands alone: one round trip, no BEGIN/COMMIT.
                        await conn.execution_options(isolation_level="AUTOCOMMIT")
                    self.leading = True
                    try:
                        await self._pump(conn)
                    finally:
                        self.leading = False
                        # Only the leader measures the outbox; a former leader's figures would go stale.
                        self._backlog.set(0)
                        self._oldest.set(0)
                        if self.postgres:
                            await outbox.resign(conn, self.component)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                if is_transient(exc):
                    log.warning("relay %s: %s; retrying", self.component, exc)
                else:
                    log.exception("relay %s failed; retrying", self.component)
                await asyncio.sleep(self.options.reconnect_delay(failures))
            else:
                failures = 0

    async def _pump(self, conn: AsyncConnection) -> None:
        in_flight: dict[int, asyncio.Future[bool]] = {}
        # (row id, confirmed) as each publish settles: each turn takes just these, instead of asking
        # every future of a full window whether it is done.
        settled: list[tuple[int, bool]] = []

        def on_settled(row_id: int, future: asyncio.Future[bool]) -> None:
            ok = not future.cancelled() and future.exception() is None and future.result()
            settled.append((row_id, bool(ok)))
            self.wake.confirmed()

        loop = asyncio.get_running_loop()
        metrics_due = sweep_due = 0.0
        high_water = 0  # highest id claimed: the next read starts above it
        # Confirmed rows wait a moment to be deleted together: one DELETE per confirm costs the
        # producer's database more than the publishing. Until deleted they are excluded from reads.
        confirmed: list[int] = []
        forget_due = read_due = 0.0
        while True:
            now = loop.time()
            if now >= metrics_due:
                metrics_due = now + 1.0
                await self._refresh_backlog(conn)
            refused = 0
            if settled:
                done, settled[:] = settled[:], []
                for row_id, ok in done:
                    del in_flight[row_id]
                    if ok:
                        if not confirmed:
                            forget_due = now + FORGET_DELAY
                        confirmed.append(row_id)
                    else:
                        refused += 1
                self._confirmed.inc(len(done) - refused)
            forgot = False
            if confirmed and (
                not in_flight or now >= forget_due or len(confirmed) >= self.options.batch_size or refused
            ):
                await outbox.forget_sent(conn, confirmed)
                await conn.commit()
                confirmed, forgot = [], True
            if refused:
                # Left in the outbox; published again after the back-off (reconnect or broker recovery).
                raise ConnectionError(f"{refused} events not confirmed by the broker")
            if self.stopping and not in_flight:
                return
            room = self.options.confirm_window - len(in_flight)
            rows: list[outbox.OutboxRow] = []
            # Read when a good share of the window is free: many small reads cost more than they carry.
            can_read = not self.stopping and room >= min(
                self.options.batch_size, self.options.confirm_window // 2
            )
            wanted = (self.wake.rows and now >= read_due) or now >= sweep_due
            if wanted and can_read:
                self.wake.rows = False
                read_due = now + READ_GAP
                if now >= sweep_due:
                    # A transaction that took its id early but committed late lands below the high-water
                    # mark; a periodic read from the start picks such rows up.
                    sweep_due = now + self.options.poll_interval
                    rows = await outbox.claim(
                        conn, min(room, self.options.batch_size), exclude=[*in_flight, *confirmed]
                    )
                else:
                    rows = await outbox.claim(conn, min(room, self.options.batch_size), after=high_water)
                await conn.commit()
                if len(rows) == min(room, self.options.batch_size):
                    self.wake.rows = True  # a full batch: there may be more
                traced = tracing.enabled()
                for row in rows:
                    span = None
                    if traced and row.traceparent:
                        # Published in a span of its own: the headers name it as the consumer's parent.
                        span = tracing.publish_span(self.system, row.type, row.event_id, row.trace_headers())
                        carried = tracing.headers(span)
                        row = dataclasses.replace(
                            row,
                            traceparent=carried.get(tracing.TRACEPARENT),
                            tracestate=carried.get(tracing.TRACESTATE),
                        )
                    future = await self.publish(row)
                    future.add_done_callback(partial(on_settled, row.id))
                    if span is not None:
                        future.add_done_callback(partial(tracing.end_publish, span))
                    in_flight[row.id] = future
                    high_water = max(high_water, row.id)
                self._published.inc(len(rows))
            if not rows and not forgot:
                due = [forget_due] if confirmed else []
                if self.wake.rows and can_read:
                    # With the window full, only a confirm makes room: waiting for the read gap
                    # instead would spin until then (the in-process bus confirms only once every
                    # subscriber has handled the event, so its window stays full for long).
                    due.append(read_due)
                wait = min([self.options.poll_interval, *(d - loop.time() for d in due)])
                await wait_and_clear(self.wake, max(0.0, wait))
            elif not rows:
                await asyncio.sleep(0)

    async def _refresh_backlog(self, conn: AsyncConnection) -> None:
        count, oldest = await outbox.backlog(conn)
        await conn.commit()
        age = (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0
        self._backlog.set(count)
        self._oldest.set(max(0.0, age))

    async def stop(self, task: asyncio.Task[None], grace: float) -> None:
        """Publish nothing new, wait (up to ``grace`` seconds) for the confirms in flight, then end."""
        self.stopping = True
        self.wake.set()
        if self.leading:
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(task), grace)
        task.cancel()
        with contextlib.suppress(BaseException):
            await task


async def wait_and_clear(event: asyncio.Event, seconds: float) -> None:
    """Wait until ``event`` is set or ``seconds`` pass, then clear it.

    ``asyncio.timeout`` rather than ``wait_for``: on Python 3.11 ``wait_for`` can swallow a
    cancellation that arrives as the event is set, and a stopping bus would then wait forever.
    """
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()
    event.clear()
