"""A job a service process runs on a schedule: expiring points, a campaign calendar, credit reviews.

Each run is the job's own: a run that fails is logged and the next one retries, so one bad run never
stops the schedule. Jobs only ask their clock what time it is, so a test runs them by hand at any
simulated time instead of waiting for the schedule.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

Stop = Callable[[], Awaitable[None]]


def every(
    name: str,
    seconds: float,
    run: Callable[[], Awaitable[str | None]],
    log: logging.Logger,
    *,
    first_after: float | None = None,
) -> Stop:
    """Runs ``run`` every ``seconds`` (the first time after ``first_after``, by default ``seconds``)
    in a task named ``name``; what a run returns, when not None, is logged. Returns how to stop it."""

    async def loop() -> None:
        delay = seconds if first_after is None else first_after
        while True:
            await asyncio.sleep(delay)
            delay = seconds
            try:
                said = await run()
            except Exception:
                log.exception("%s failed; the next run retries", name)
            else:
                if said:
                    log.info("%s: %s", name, said)

    task = asyncio.create_task(loop(), name=name)

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return stop
