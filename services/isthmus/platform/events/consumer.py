"""Consuming: the adapter-independent half of a subscription.

Both adapters hand deliveries to a :class:`Consumer`, which decodes them, runs the handler with the
inbox row in one transaction, retries failures with back-off, stores dead letters, and finally calls
the delivery's ``ack`` (or ``requeue`` when it is stopped before it could finish).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from isthmus.kernel.errors import Unavailable
from isthmus.kernel.ids import new_uuid
from isthmus.platform import db, logs, tracing
from isthmus.platform.events.envelope import BadMessage, Event, decode, header_text
from isthmus.platform.events.metrics import EventMetrics
from isthmus.platform.events.options import BusOptions
from isthmus.platform.events.tables import dead_letters, inbox
from isthmus.platform.sql import insert_new

log = logging.getLogger("isthmus.events")

Handler = Callable[[AsyncSession, Event], Awaitable[None]]
# Before a batch's handlers: reads what they will need, returns what to run after them (or None).
Prepare = Callable[[AsyncSession, Sequence[Event]], Awaitable[Callable[[], Awaitable[None]] | None]]


@dataclass(frozen=True)
class Subscription:
    """A component's interest in some events: one durable queue ``isthmus.<component>.<purpose>``.

    ``handler(session, event)`` runs inside the transaction that also records the event in the inbox;
    it must not commit. Routing keys are topic patterns (``orders.*``, ``#``, ``orders.OrderPaid``).

    Events arrive in batches that share one transaction. ``prepare(session, events)``, if given, runs
    once per batch before the handlers, in that transaction, so that set-wise handlers can read what
    the whole batch needs in a few statements; the callable it returns runs after the last handler
    (to write what they produced together). If either fails, each event of the batch runs alone.
    """

    purpose: str
    routing_keys: Sequence[str]
    handler: Handler
    max_attempts: int | None = None  # None: the bus's BusOptions.max_attempts
    prepare: Prepare | None = None


def queue_name(component: str, purpose: str) -> str:
    return f"isthmus.{component}.{purpose}"


@dataclass
class Delivery:
    """One message as an adapter received it; ``ack``/``requeue`` settle it exactly once."""

    body: bytes
    routing_key: str
    content_type: str | None
    type: str | None
    headers: Mapping[str, Any]
    redelivered: bool
    previous_deliveries: int  # quorum queues' x-delivery-count: failed deliveries before this one
    ack: Callable[[], None]
    requeue: Callable[[], None]
    settled: bool = field(default=False)
    held: bool = field(default=False)  # a retry task owns it now

    def settle(self, requeue: bool = False) -> None:
        if not self.settled:
            self.settled = True
            (self.requeue if requeue else self.ack)()


def is_transient(exc: BaseException) -> bool:
    """Errors that say "try again later" (database or network down), not "this event is bad"."""
    if isinstance(exc, OperationalError | InterfaceError | Unavailable | ConnectionError | TimeoutError):
        return True
    if isinstance(exc, DBAPIError) and (exc.connection_invalidated or db.is_retryable(exc)):
        return True
    return isinstance(exc, OSError)


class Stopping(Exception):
    """The consumer is stopping: leave the delivery unacked for the broker to redeliver."""


class _Failed(Exception):
    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


class _BatchFailed(_Failed):
    """The subscription's prepare or finish step failed: no single event is known to be at fault."""


class _HandlerFailed(_Failed):
    def __init__(self, delivery: Delivery, event: Event, cause: BaseException) -> None:
        super().__init__(cause)
        self.delivery = delivery
        self.event = event


class Consumer:
    def __init__(
        self,
        queue: str,
        engine: AsyncEngine,
        subscription: Subscription,
        options: BusOptions,
        metrics: EventMetrics,
        system: str = "rabbitmq",
    ) -> None:
        self.queue = queue
        self.system = system  # the messaging system, as traces name it
        self.engine = engine
        self.subscription = subscription
        self.options = options
        self.max_attempts = subscription.max_attempts or options.max_attempts
        self.sessions = db.session_factory(engine)
        self._consumed = metrics.consumed.labels(queue)
        self._duplicates = metrics.duplicates.labels(queue)
        self._retried = metrics.retried.labels(queue)
        self._dead_lettered = metrics.dead_lettered.labels(queue)
        self._retries: set[asyncio.Task[None]] = set()
        self.in_flight = 0
        self.stopping = False

    @property
    def busy(self) -> bool:
        return self.in_flight > 0 or bool(self._retries)

    async def process(self, batch: Sequence[Delivery]) -> None:
        """Handle a batch in one transaction; on a handler failure, fall back to one at a time."""
        self.in_flight += len(batch)
        try:
            await self._process(batch)
        except Stopping:
            pass
        except Exception:
            log.exception(
                "unexpected error consuming from %s; the deliveries go back to the queue", self.queue
            )
        finally:
            for delivery in batch:
                if not delivery.held:
                    delivery.settle(requeue=True)  # no-op for the ones already acked
            self.in_flight -= len(batch)

    async def _process(self, batch: Sequence[Delivery]) -> None:
        decoded: list[tuple[Delivery, Event]] = []
        for delivery in batch:
            try:
                event = decode(delivery.body, delivery.content_type, delivery.type, delivery.redelivered)
            except BadMessage as bad:
                await self._dead_letter(delivery, bad.reason, None, 1, bad.event_id)
                continue
            decoded.append((delivery, event))
        # One transaction for the whole batch; a handler failure drops its event (to be retried on
        # its own) and the rest goes again, so each event's attempts are counted exactly.
        while decoded:
            try:
                await self._transient_retry(partial(self._handle, decoded))
            except _HandlerFailed as failed:
                decoded = [(d, e) for d, e in decoded if d is not failed.delivery]
                await self._failed(failed.delivery, failed.event, failed.cause)
                continue
            except (IntegrityError, _BatchFailed):
                # A concurrent consumer handled one of them first (inbox key), a handler hit a
                # constraint, or the batch's shared writes failed: find out one at a time.
                for delivery, event in decoded:
                    await self._one(delivery, event)
                return
            for delivery, _event in decoded:
                delivery.settle()
            return

    async def _one(self, delivery: Delivery, event: Event) -> None:
        try:
            await self._transient_retry(lambda: self._handle([(delivery, event)]))
        except IntegrityError as exc:
            await self._failed(delivery, event, exc)
        except _Failed as failed:
            await self._failed(delivery, event, failed.cause)
        else:
            delivery.settle()

    async def _handle(self, batch: Sequence[tuple[Delivery, Event]]) -> None:
        handler = self.subscription.handler
        async with self.sessions() as session, session.begin():
            # The inbox keeps the ones not handled before; the others are duplicates (a redelivery,
            # or an event published twice), as is a second copy within the batch.
            first = {event.event_id: event for _, event in reversed(batch)}
            now = datetime.now(UTC)
            new = await insert_new(
                session,
                inbox,
                [{"consumer": self.queue, "event_id": i, "handled_at": now} for i in sorted(first)],
                "event_id",
            )
            fresh = [event for _, event in batch if event.event_id in new and first[event.event_id] is event]
            fresh_ids = {id(e) for e in fresh}
            traced = tracing.enabled()
            prepare = self.subscription.prepare
            finish = None
            if prepare and fresh:
                # Traced as a group commit is (decision 58): in the first event's trace, linked to the
                # others'; here the traces that published them.
                publishers = [tracing.span_context(d.headers) for d, e in batch if id(e) in fresh_ids]
                with self._batch_span("prepare", publishers) if traced else contextlib.nullcontext():
                    finish = await self._batch_step(prepare, session, fresh)
            handled: list[tracing.SpanContext | None] = []
            for delivery, event in batch:
                if id(event) not in fresh_ids:
                    continue
                token = logs.correlation_id.set(event.correlation_id or None)
                try:
                    if traced:
                        # Each event in a span of its own, continuing the trace that published it.
                        with tracing.process_span(
                            self.system, self.queue, event.type, event.event_id, delivery.headers
                        ):
                            handled.append(tracing.current_span_context())
                            await handler(session, event)
                    else:
                        await handler(session, event)
                except Exception as exc:
                    if is_transient(exc):
                        raise
                    raise _HandlerFailed(delivery, event, exc) from exc
                finally:
                    logs.correlation_id.reset(token)
            if finish is not None:
                # The batch's writes, under the first event's handling and linked to the others'.
                with self._batch_span("write", handled) if traced else contextlib.nullcontext():
                    await self._batch_step(finish)
        self._consumed.inc(len(fresh))
        self._duplicates.inc(len(batch) - len(fresh))

    def _batch_span(self, step: str, callers: Sequence[tracing.SpanContext | None]) -> Any:
        parent, links = tracing.parent_and_links(callers)
        attributes = {"messaging.system": self.system, "messaging.destination.name": self.queue}
        return tracing.span(f"batch {step} {self.queue}", parent=parent, links=links, attributes=attributes)

    @staticmethod
    async def _batch_step(step: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        try:
            return await step(*args)
        except (IntegrityError, _BatchFailed):
            raise
        except Exception as exc:
            if is_transient(exc):
                raise
            raise _BatchFailed(exc) from exc

    async def _failed(self, delivery: Delivery, event: Event, exc: BaseException) -> None:
        attempt = delivery.previous_deliveries + 1
        if attempt >= self.max_attempts:
            await self._give_up(delivery, event, exc, attempt)
            return
        # Retry in the background so the rest of the queue keeps flowing; the delivery stays unacked.
        delivery.held = True
        task = asyncio.create_task(self._retry(delivery, event, exc, attempt))
        self._retries.add(task)
        task.add_done_callback(self._retries.discard)

    async def _retry(self, delivery: Delivery, event: Event, exc: BaseException, attempt: int) -> None:
        try:
            while True:
                log.warning(
                    "handler of %s failed on %s (attempt %d of %d): %s",
                    self.queue,
                    event.type,
                    attempt,
                    self.max_attempts,
                    exc,
                    extra={"event_id": event.event_id},
                )
                await asyncio.sleep(self.options.retry_delay(attempt))
                if self.stopping:
                    raise Stopping
                self._retried.inc()
                attempt += 1
                try:
                    await self._transient_retry(lambda: self._handle([(delivery, event)]))
                except (_Failed, IntegrityError) as failed:
                    exc = failed.cause if isinstance(failed, _Failed) else failed
                    if attempt >= self.max_attempts:
                        await self._give_up(delivery, event, exc, attempt)
                        return
                else:
                    delivery.settle()
                    return
        except (Stopping, asyncio.CancelledError):
            delivery.settle(requeue=True)
        except Exception:
            log.exception("retrying an event of %s failed; the broker will redeliver it", self.queue)
            delivery.settle(requeue=True)

    async def _give_up(self, delivery: Delivery, event: Event, exc: BaseException, attempts: int) -> None:
        reason = f"handler failed {attempts} times: {type(exc).__name__}: {exc}"
        last_error = "".join(traceback.format_exception(exc)).strip()
        await self._dead_letter(delivery, reason, last_error, attempts, event.event_id)

    async def _dead_letter(
        self, delivery: Delivery, reason: str, last_error: str | None, attempts: int, event_id: str | None
    ) -> None:
        log.error("dead-lettering a delivery on %s: %s", self.queue, reason, extra={"event_id": event_id})
        await self._transient_retry(
            lambda: store_dead_letter(
                self.engine,
                consumer=self.queue,
                delivery=delivery,
                reason=reason,
                last_error=last_error,
                attempts=attempts,
                event_id=event_id,
            )
        )
        self._dead_lettered.inc()
        delivery.settle()

    async def _transient_retry(self, work: Callable[[], Awaitable[None]]) -> None:
        """Run ``work`` until it gets past database/network outages; the delivery stays unacked."""
        failures = 0
        while True:
            if self.stopping:
                raise Stopping
            try:
                await work()
                return
            except Exception as exc:
                if not is_transient(exc):
                    raise
                failures += 1
                log.warning("%s: database unavailable, retrying: %s", self.queue, exc)
                await asyncio.sleep(self.options.reconnect_delay(failures))

    async def stop(self) -> None:
        """Stop retrying: held deliveries go back to the queue for a later (or another) consumer."""
        self.stopping = True
        for task in list(self._retries):
            task.cancel()
        if self._retries:
            await asyncio.gather(*self._retries, return_exceptions=True)


async def store_dead_letter(
    engine: AsyncEngine,
    *,
    consumer: str,
    delivery: Delivery,
    reason: str,
    last_error: str | None,
    attempts: int,
    event_id: str | None,
) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            insert(dead_letters).values(
                dead_letter_id=new_uuid(),
                consumer=consumer,
                event_id=event_id,
                routing_key=delivery.routing_key,
                content_type=delivery.content_type,
                type=delivery.type,
                body=delivery.body,
                reason=reason,
                last_error=last_error,
                attempts=attempts,
                dead_at=datetime.now(UTC),
                traceparent=header_text(delivery.headers, tracing.TRACEPARENT),
                tracestate=header_text(delivery.headers, tracing.TRACESTATE),
            )
        )
