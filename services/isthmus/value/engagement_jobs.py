"""The daily calendar of campaigns: birthdays, and customers lapsed beyond their own rhythm.

Decisions are keyed by ``birthday:<year>`` and ``lapsed:<date of the last order>``, so a scan repeated on
the same day (a restart, a second replica) decides nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from isthmus.platform.jobs import Stop, every
from isthmus.value.engagement import Engagement
from isthmus.value.engagement_segments import Publisher, ValueFacts

log = logging.getLogger(__name__)
DAY = 86_400.0


async def scan(
    sessions: async_sessionmaker[AsyncSession],
    clock: Callable[[], datetime],
    publisher: Publisher,
    facts: ValueFacts,
) -> int:
    async with sessions() as session, session.begin():
        return await Engagement(session, clock, publisher, facts).scan_calendar(clock().date())


def schedule(
    scan_now: Callable[[], Awaitable[int]], *, every_seconds: float = DAY, first_after: float = 30.0
) -> Stop:
    """Scans soon after start and then every day; returns how to stop it."""

    async def run() -> str:
        return f"{await scan_now()} birthdays and lapsed customers"

    return every("value-campaign-calendar", every_seconds, run, log, first_after=first_after)
