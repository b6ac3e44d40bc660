"""The expiry and tier-review job: due points expire and due reviews happen at the clock's time.

It runs on a schedule inside the loyalty process and can be run by hand (or by a test) at any
simulated time: it only ever asks ``clock()`` what time it is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from isthmus.kernel.errors import Conflict
from isthmus.loyalty import handlers
from isthmus.loyalty.handlers import Record, Uow, _no_outbox
from isthmus.loyalty.programme import Programme
from isthmus.loyalty.store import LoyaltyRepository
from isthmus.platform.jobs import Stop, every

log = logging.getLogger("isthmus.loyalty.jobs")


async def expire_due(
    sessions: async_sessionmaker[AsyncSession],
    programme: Programme,
    clock: Callable[[], datetime],
    record: Record = _no_outbox,
    *,
    batch: int = 500,
) -> int:
    """Expires every point due at ``clock()`` and holds due tier reviews; returns the points expired.

    One transaction per account, so a busy account retried later does not hold the others back.
    """
    expired, now = 0, clock()
    done: set[str] = set()
    while True:
        async with sessions() as session:
            due = [a for a in await LoyaltyRepository(session).accounts_due(now, batch) if a not in done]
        if not due:
            return expired
        for account_id in due:
            done.add(account_id)
            try:
                async with sessions() as session, session.begin():
                    uow = Uow(session, programme, lambda: now, record)
                    expired += await handlers.expire_and_review(account_id, uow)
                    await uow.repo.flush()
            except Conflict:
                log.info("account %s changed while expiring; next run takes it", account_id)


def schedule(
    sessions: async_sessionmaker[AsyncSession],
    programme: Programme,
    clock: Callable[[], datetime],
    record: Record,
    every_seconds: float,
) -> Stop:
    """Starts the job every ``every_seconds``; returns how to stop it."""

    async def run() -> str | None:
        points = await expire_due(sessions, programme, clock, record)
        return f"expired {points} points" if points else None

    return every("loyalty-expiry", every_seconds, run, log)
