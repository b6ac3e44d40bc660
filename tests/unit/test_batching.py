"""Group commit: concurrent commands share a batch; each still gets its own result or error."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from isthmus.platform.batching import Batcher


class Store:
    """Stands in for a database: a batch either writes all its commands or (raising) none."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.alone: list[int] = []
        self.written: list[int] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.fail_batches_with: set[int] = set()  # a batch holding one of these raises as a whole

    async def run(self, commands: Sequence[int]) -> list[int | BaseException]:
        self.batches.append(list(commands))
        await self.gate.wait()
        if self.fail_batches_with & set(commands):
            raise RuntimeError("unique key taken")
        outcomes: list[int | BaseException] = []
        for c in commands:
            if c < 0:
                outcomes.append(ValueError(f"{c} refused"))
            else:
                self.written.append(c)
                outcomes.append(c * 10)
        return outcomes

    async def single(self, command: int) -> int:
        self.alone.append(command)
        if command in self.fail_batches_with:
            raise KeyError(command)
        self.written.append(command)
        return command * 10


async def test_a_lone_command_runs_at_once_as_a_batch_of_one() -> None:
    store = Store()
    batcher = Batcher("t", store.run, store.single)
    assert await batcher.submit(7) == 70
    assert store.batches == [[7]]


async def test_commands_arriving_during_a_batch_share_the_next_one() -> None:
    store = Store()
    batcher = Batcher("t", store.run, store.single, max_size=4)
    store.gate.clear()
    first = asyncio.create_task(batcher.submit(1))
    await asyncio.sleep(0)  # the first batch is now in the "database"
    rest = [asyncio.create_task(batcher.submit(n)) for n in range(2, 12)]
    await asyncio.sleep(0)
    store.gate.set()
    assert await asyncio.gather(first, *rest) == [n * 10 for n in range(1, 12)]
    assert store.batches == [[1], [2, 3, 4, 5], [6, 7, 8, 9], [10, 11]]  # max_size holds
    assert sorted(store.written) == list(range(1, 12))


async def test_a_command_the_handler_refuses_fails_alone() -> None:
    store = Store()
    batcher = Batcher("t", store.run, store.single)
    store.gate.clear()
    tasks = [asyncio.create_task(batcher.submit(n)) for n in (1, -2, 3)]
    await asyncio.sleep(0)
    store.gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert results[0] == 10 and results[2] == 30
    assert isinstance(results[1], ValueError) and "-2 refused" in str(results[1])


async def test_a_failing_batch_runs_each_command_alone() -> None:
    store = Store()
    store.fail_batches_with = {2}
    batcher = Batcher("t", store.run, store.single)
    store.gate.clear()
    first = asyncio.create_task(batcher.submit(0))
    await asyncio.sleep(0)
    tasks = [asyncio.create_task(batcher.submit(n)) for n in (1, 2, 3)]
    await asyncio.sleep(0)
    store.gate.set()
    assert await first == 0
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert results[0] == 10 and results[2] == 30
    assert isinstance(results[1], KeyError)  # the one bad command, and only it, fails
    assert store.alone == [1, 2, 3]
    assert sorted(store.written) == [0, 1, 3]  # nothing of the failed batch was written twice


async def test_a_caller_that_goes_away_does_not_cancel_the_batch() -> None:
    store = Store()
    batcher = Batcher("t", store.run, store.single)
    store.gate.clear()
    caller = asyncio.create_task(batcher.submit(5))
    other = asyncio.create_task(batcher.submit(6))
    await asyncio.sleep(0)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    store.gate.set()
    assert await other == 60
    assert sorted(store.written) == [5, 6]  # the cancelled caller's command was still written once


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="max_size must be at least 1"):
        Batcher("t", Store().run, Store().single, max_size=0)


async def test_a_command_submitted_as_a_batch_ends_is_not_left_waiting() -> None:
    """A caller woken by the batch's own work submits in the very step the worker finishes."""
    woken = asyncio.Event()

    async def run(commands: Sequence[int]) -> list[int | BaseException]:
        woken.set()  # wakes `later` before the worker's task has ended
        return [c * 10 for c in commands]

    batcher = Batcher("t", run, Store().single)

    async def later() -> int:
        await woken.wait()
        return await batcher.submit(2)

    second = asyncio.create_task(later())
    await asyncio.sleep(0)
    assert await batcher.submit(1) == 10
    assert await asyncio.wait_for(second, 5) == 20  # not stuck until some other request comes
