"""A serving process freezes its start-up heap and collects cycles less often, and not while a
bulk batch it is working on is alive."""

from __future__ import annotations

import asyncio
import gc

import pytest

from isthmus.platform.collector import BULK_THRESHOLD, GC_THRESHOLDS, bulk, tune_gc


@pytest.fixture
def thresholds():
    before = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    yield
    gc.set_threshold(*before)


def test_tune_gc_freezes_what_exists_and_raises_the_thresholds():
    before = gc.get_threshold()
    try:
        tune_gc()
        assert gc.get_threshold() == GC_THRESHOLDS
        assert gc.get_freeze_count() > 0
        assert gc.isenabled()  # cycles are still collected, only less often
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_young_collections_wait_during_bulk_work_and_resume_after(thresholds):
    with bulk():
        assert gc.get_threshold() == (BULK_THRESHOLD, *GC_THRESHOLDS[1:])
        assert gc.isenabled()  # bounded: a long overlap still collects
    assert gc.get_threshold() == GC_THRESHOLDS


def test_thresholds_come_back_when_the_last_overlapping_batch_ends(thresholds):
    seen = []

    async def batch(hold: asyncio.Event, done: asyncio.Event) -> None:
        with bulk():
            done.set()
            await hold.wait()
        seen.append(gc.get_threshold()[0])

    async def main() -> None:
        hold_a, hold_b, in_a, in_b = asyncio.Event(), asyncio.Event(), asyncio.Event(), asyncio.Event()
        a = asyncio.create_task(batch(hold_a, in_a))
        b = asyncio.create_task(batch(hold_b, in_b))
        await in_a.wait()
        await in_b.wait()
        hold_a.set()
        await a
        hold_b.set()
        await b

    asyncio.run(main())
    assert seen == [BULK_THRESHOLD, GC_THRESHOLDS[0]]


def test_a_failing_batch_restores_the_thresholds(thresholds):
    with pytest.raises(RuntimeError), bulk():
        raise RuntimeError("batch failed")
    assert gc.get_threshold() == GC_THRESHOLDS
