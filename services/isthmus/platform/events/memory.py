"""The in-process adapter: the same semantics as RabbitMQ inside one process (``isthmus up``).

Delivery is at least once even across a crash: an outbox row is deleted ("confirmed") only when
every subscription it was routed to has settled it (handled, duplicate, or dead-lettered), so rows in
flight when the process dies are routed again at the next start and the inboxes drop the repeats.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from isthmus.platform.events.bus import Binding, Bus
from isthmus.platform.events.consumer import Delivery
from isthmus.platform.events.envelope import CONTENT_TYPE
from isthmus.platform.events.outbox import OutboxRow
from isthmus.platform.tracing import TRACEPARENT, TRACESTATE

log = logging.getLogger("isthmus.events")


@cache
def topic_matches(pattern: str, routing_key: str) -> bool:
    """AMQP topic semantics: dot-separated words, ``*`` is exactly one word, ``#`` zero or more."""
    return _match(tuple(pattern.split(".")), tuple(routing_key.split(".")))


def _match(pattern: tuple[str, ...], words: tuple[str, ...]) -> bool:
    if not pattern:
        return not words
    head, rest = pattern[0], pattern[1:]
    if head == "#":
        return _match(rest, words) or (bool(words) and _match(pattern, words[1:]))
    if not words:
        return False
    return head in ("*", words[0]) and _match(rest, words[1:])


class MemoryBus(Bus):
    """Routes outbox rows to the subscriptions of this process through asyncio queues."""

    system = "isthmus.memory"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._queues: dict[str, asyncio.Queue[Delivery]] = {}
        self._workers: list[asyncio.Task[None]] = []
        self._background: set[asyncio.Future[None]] = set()

    async def _open(self) -> None:
        self._consuming = True

    async def _close(self) -> None:
        # What is still queued was never settled: its outbox rows stay unsent and go out again at
        # the next start.
        self._queues.clear()

    def _queue(self, name: str) -> asyncio.Queue[Delivery]:
        if name not in self._queues:
            self._queues[name] = asyncio.Queue()
        return self._queues[name]

    def _start_binding(self, binding: Binding) -> None:
        queue = self._queue(binding.queue)
        self._workers.append(asyncio.create_task(self._consume(binding, queue)))

    async def _stop_consuming(self) -> None:
        self._consuming = False
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers.clear()

    async def _queue_depth(self, binding: Binding) -> int:
        return self._queue(binding.queue).qsize()

    # -- publishing ------------------------------------------------------------------------------

    async def _publisher_ready(self) -> None:
        return None

    async def _publish(self, row: OutboxRow) -> asyncio.Future[bool]:
        """ "Confirmed" once every subscription it was routed to has settled it."""
        confirmed: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        targets = [b for b in self.bindings.values() if _binds(b, row.type)]
        remaining = len(targets)

        def settled() -> None:
            nonlocal remaining
            remaining -= 1
            if remaining == 0 and not confirmed.done():
                confirmed.set_result(True)

        if not targets:
            confirmed.set_result(True)
        headers = row.trace_headers()
        for binding in targets:
            self._enqueue(binding, row.envelope, row.type, CONTENT_TYPE, row.type, headers, settled, 0)
        return confirmed

    def _enqueue(
        self,
        binding: Binding,
        body: bytes,
        routing_key: str,
        content_type: str | None,
        type_: str | None,
        headers: Mapping[str, Any],
        on_ack: Callable[[], None],
        previous: int,
    ) -> None:
        def requeue() -> None:
            if self._consuming:
                self._enqueue(binding, body, routing_key, content_type, type_, headers, on_ack, previous + 1)

        delivery = Delivery(
            body=body,
            routing_key=routing_key,
            content_type=content_type,
            type=type_,
            headers=headers,
            redelivered=previous > 0,
            previous_deliveries=previous,
            ack=on_ack,
            requeue=requeue,
        )
        self._queue(binding.queue).put_nowait(delivery)

    async def publish_raw(
        self,
        routing_key: str,
        body: bytes,
        *,
        content_type: str | None = CONTENT_TYPE,
        type_: str | None = None,
        headers: Mapping[str, Any] | None = None,
    ) -> None:
        """Deliver a message as a foreign producer could send it (no outbox): for tests and tools."""
        for binding in self.bindings.values():
            if _binds(binding, routing_key):
                self._enqueue(binding, body, routing_key, content_type, type_, headers or {}, lambda: None, 0)

    async def _redeliver(self, binding: Binding, row: Any) -> None:
        def forget() -> None:
            task = asyncio.ensure_future(self._forget_replayed(binding, row.id))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

        headers = {k: v for k, v in ((TRACEPARENT, row.traceparent), (TRACESTATE, row.tracestate)) if v}
        self._enqueue(binding, row.body, row.routing_key, row.content_type, row.type, headers, forget, 0)


def _binds(binding: Binding, routing_key: str) -> bool:
    return any(topic_matches(p, routing_key) for p in binding.subscription.routing_keys)
