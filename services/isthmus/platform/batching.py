"""Group commit: concurrent requests of one kind share a transaction.

A short write spends most of its CPU on the transaction around it (pool checkout, BEGIN, COMMIT, the
outbox INSERT) and on one round trip per statement. A :class:`Batcher` collects the commands that
arrive while earlier ones are in the database and hands them to a handler that writes them together:
one read per table for the lot, multi-row INSERTs, one commit. Nothing waits on a timer: a lone
request runs at once, as a batch of one; batches grow only when requests queue up anyway.

The handler returns one outcome per command, a result or the exception that command alone raised.
If the handler itself raises, no command of the batch was written; each then runs alone through
``single``, so one bad command (a unique key another transaction took, a lost race) fails only
itself. See docs/decisions/0018-group-commit.md.

Traced, a batch is a span of its own in the trace of the request that started it, linked to the spans
of the other requests it served: the events it records continue that trace, and every other
request's trace leads to the batch through its link.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from prometheus_client import Counter, Histogram

from isthmus.platform import tracing

C = TypeVar("C")
R = TypeVar("R")

log = logging.getLogger("isthmus.batching")

BATCH_COMMANDS = Histogram(
    "isthmus_batch_commands",
    "Commands written together per group-commit batch.",
    ["batch"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128),
)
BATCH_FALLBACKS = Counter(
    "isthmus_batch_fallbacks_total",
    "Batches that failed as a whole, after which each command ran alone.",
    ["batch"],
)


class Batcher(Generic[C, R]):
    def __init__(
        self,
        name: str,
        run: Callable[[Sequence[C]], Awaitable[Sequence[R | BaseException]]],
        single: Callable[[C], Awaitable[R]],
        *,
        max_size: int = 64,
    ) -> None:
        if max_size < 1:
            raise ValueError("max_size must be at least 1")
        self.name = name
        self.run = run
        self.single = single
        self.max_size = max_size
        self._pending: list[tuple[C, asyncio.Future[R]]] = []
        # Traced: the span of each pending command's request (None outside a trace), in _pending's order.
        self._callers: list[tracing.SpanContext | None] = []
        self._sizes = BATCH_COMMANDS.labels(name)
        self._fallbacks = BATCH_FALLBACKS.labels(name)
        # One batch at a time: under load the next one grows while this one is in the database.
        self._worker: asyncio.Task[None] | None = None

    async def submit(self, command: C) -> R:
        """Runs ``command`` with whatever else is waiting; returns its result or raises its error."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((command, future))
        if tracing.enabled():
            self._callers.append(tracing.current_span_context())
        # done(), not a done-callback: one that had not run yet would leave this command unserved.
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain(), name=f"isthmus-batch: {self.name}")
        # The caller going away (a cancelled RPC) does not cancel the batch its command is part of.
        return await asyncio.shield(future)

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[: self.max_size], self._pending[self.max_size :]
            if tracing.enabled() and len(self._callers) >= len(batch):
                callers, self._callers = self._callers[: len(batch)], self._callers[len(batch) :]
                parent, links = tracing.parent_and_links(callers)
                with tracing.span(f"batch {self.name}", parent=parent, links=links) as span:
                    span.set_attribute("isthmus.batch.commands", len(batch))
                    outcomes = await self._outcomes([command for command, _ in batch])
            else:
                outcomes = await self._outcomes([command for command, _ in batch])
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if future.done():
                    continue
                if isinstance(outcome, BaseException):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)

    async def _outcomes(self, commands: list[C]) -> Sequence[R | BaseException]:
        self._sizes.observe(len(commands))
        try:
            outcomes = await self.run(commands)
        except Exception as exc:
            if len(commands) == 1:
                return [exc]
            self._fallbacks.inc()
            log.debug("batch %s of %d failed (%r); running each alone", self.name, len(commands), exc)
            return [await self._alone(command) for command in commands]
        if len(outcomes) != len(commands):
            raise RuntimeError(f"batch {self.name}: {len(outcomes)} outcomes for {len(commands)} commands")
        return outcomes

    async def _alone(self, command: C) -> R | BaseException:
        try:
            return await self.single(command)
        except Exception as exc:
            return exc
