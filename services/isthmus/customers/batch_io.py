"""An ingest batch's reads and writes: candidates a slice ahead, multi-row writes prepared meanwhile."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.customers.matching import Comparison
from isthmus.platform.sql import insert_statement


class CandidateReads:
    """Reads the candidates of a batch's new records a slice at a time, each slice while the one
    before is being resolved: the database works while this process decides, instead of in turn.

    Records are resolved in batch order, so a record's slice is always read before it is resolved;
    at most one read is in flight (they share the transaction's connection).
    """

    SLICE = 250  # records
    YIELD_EVERY = 32  # records resolved between chances for the read in flight to go on

    def __init__(
        self, read: Callable[[list[tuple[str, str]]], Coroutine[Any, Any, None]], refs: list[tuple[str, str]]
    ) -> None:
        self.read = read
        self.slices = [refs[i : i + self.SLICE] for i in range(0, len(refs), self.SLICE)]
        self.slice_of = {ref: i // self.SLICE for i, ref in enumerate(refs)}
        self.done = -1
        self.pending: asyncio.Task[None] | None = None

    async def __aenter__(self) -> CandidateReads:
        self._start(0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.pending is not None:  # resolving failed: the read must end before the transaction does
            with contextlib.suppress(Exception):
                await self.pending

    def _start(self, k: int) -> None:
        self.pending = asyncio.create_task(self.read(self.slices[k])) if k < len(self.slices) else None

    async def ready(self, ref: tuple[str, str], position: int) -> None:
        """Returns once the candidates of ``ref`` are read (and lets the next read go on now and then)."""
        k = self.slice_of.get(ref, self.done)
        if k > self.done:
            assert self.pending is not None
            task, self.pending = self.pending, None
            await task
            self.done = k
            self._start(k + 1)
            await asyncio.sleep(0)  # the next read goes out before this slice is resolved
        elif position % self.YIELD_EVERY == 0 and self.pending is not None:
            await asyncio.sleep(0)


class Writes:
    """A transaction's writes sent one after another, each made ready while the one before runs.

    Only one statement is in flight at a time (they share the transaction's connection); the rows of
    the next are built meanwhile, so this process and the database work side by side.
    """

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.pending: asyncio.Future[Any] | None = None

    async def send(self, statement: Coroutine[Any, Any, Any]) -> None:
        try:
            await self.done()
        except BaseException:
            statement.close()
            raise
        self.pending = asyncio.ensure_future(statement)
        await asyncio.sleep(0)  # it goes out now; the caller prepares the next meanwhile

    async def insert(self, table: Table, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.send(
                self.session.execute(*insert_statement(table, rows, self.session.get_bind().dialect))
            )

    async def done(self) -> None:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            await pending

    async def abandon(self) -> None:
        """After a failure: the statement in flight ends (its outcome no longer matters)."""
        with contextlib.suppress(Exception):
            await self.done()


def comparisons_json(comparisons: tuple[Comparison, ...]) -> list[list[Any]]:
    return [
        [c.comparator, c.left, c.right, c.similarity, c.weight, c.explanation, c.level] for c in comparisons
    ]
