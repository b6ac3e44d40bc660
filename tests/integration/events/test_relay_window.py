"""The relay with its window of unconfirmed publishes full: it waits for a confirm, then goes on."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from isthmus.platform import db
from isthmus.platform.config import Settings
from isthmus.platform.events import MIGRATIONS, record_event, relay
from isthmus.platform.events.metrics import event_metrics
from isthmus.platform.events.options import BusOptions
from isthmus.platform.events.outbox import OutboxRow
from isthmus.platform.events.tables import outbox
from isthmus.platform.migrations import upgrade
from isthmus_client.api.events.v1 import orders_pb2


async def until(probe: Callable[[], bool]) -> None:
    async with asyncio.timeout(10):
        while not probe():  # noqa: ASYNC110 (the relay runs on this loop)
            await asyncio.sleep(0.005)


async def test_a_full_window_waits_for_a_confirm_instead_of_turning_over_and_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path)
    upgrade(settings, "window", [MIGRATIONS])
    engine = db.async_engine(settings, "window")
    sessions = db.session_factory(engine)
    async with sessions() as session, session.begin():
        for n in range(6):
            await record_event(session, orders_pb2.OrderPaid(), aggregate_id=f"order-{n}")

    published: list[tuple[OutboxRow, asyncio.Future[bool]]] = []

    async def publish(row: OutboxRow) -> asyncio.Future[bool]:
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        published.append((row, future))
        return future

    async def ready() -> None:
        return None

    turns = 0
    wait = relay.wait_and_clear

    async def counted(event: asyncio.Event, seconds: float) -> None:
        nonlocal turns
        turns += 1
        await wait(event, seconds)

    monkeypatch.setattr(relay, "wait_and_clear", counted)
    options = BusOptions(batch_size=2, confirm_window=2, poll_interval=5.0, first_reconnect_delay=0.01)
    pump = relay.Relay(
        "window", engine.connect, False, publish, ready, relay.Wake(), options, event_metrics()
    )
    task = asyncio.create_task(pump.run())
    try:
        await until(lambda: len(published) == 2)
        before = turns
        for _ in range(200):  # the broker is slow to confirm: nothing to do meanwhile
            await asyncio.sleep(0)
        await asyncio.sleep(0.05)
        assert turns - before <= 1, "with no room in the window the relay waits for a confirm"
        assert len(published) == 2

        for _row, future in published:
            future.set_result(True)
        await until(lambda: len(published) == 4)
        published[2][1].set_result(True)
        published[3][1].set_result(False)  # refused: stays in the outbox, published again

        async def left() -> int:
            async with engine.connect() as conn:
                return int((await conn.execute(select(func.count()).select_from(outbox))).scalar() or 0)

        # The refused one goes out again (after the back-off), before the rows never read.
        await until(lambda: len(published) >= 5)
        assert published[4][0].id == published[3][0].id
        assert await left() == 3
        for _row, future in published[4:]:
            future.set_result(True)
        while await left():
            for _row, future in published:
                if not future.done():
                    future.set_result(True)
            await asyncio.sleep(0.005)
        assert len({row.id for row, _ in published}) == 6
    finally:
        pump.stopping = True
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await engine.dispose()
