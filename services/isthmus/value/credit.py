"""Credit ranks that time alone changes: worked out again when due, on a schedule and on reads.

A rank rests on due dates and on a window of strikes, so it changes without any event: an unpaid
order falls due, a failed payment leaves the window. Each customer row keeps when that happens next
(``credit_review_at``). The sweep rescores the customers whose moment has come, which stores the new
rank and tells it (CustomerValueChanged); a read of a row whose moment has come works the rank out
afresh from the customer's orders, so no answer is stale while the sweep has yet to run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from isthmus.kernel.timestamps import aware
from isthmus.platform.jobs import Stop, every
from isthmus.value import domain
from isthmus.value.config import ValueConfig
from isthmus.value.handlers import CurrentModel, Record, Uow, credit_columns, credit_settings_of, rescore
from isthmus.value.store import ValueRepository

log = logging.getLogger("isthmus.value.credit")


async def recheck_due(
    sessions: async_sessionmaker[AsyncSession],
    config: ValueConfig,
    clock: Callable[[], datetime],
    record: Record,
    current: CurrentModel,
    *,
    batch: int = 500,
) -> int:
    """Works out again the credit rank of every customer whose rank is due to change at ``clock()``
    (the models' scores are the events' and the refit's to move); returns how many. One transaction
    per customer, so that a customer an event batch holds delays no other."""
    now, done = clock(), set[str]()
    async with sessions() as session:
        await current.refresh(session)  # for a customer without a value row yet, scored whole
    while True:
        async with sessions() as session:
            due = [c for c in await ValueRepository(session).credit_due(now, batch) if c not in done]
        if not due:
            return len(done)
        for customer_id in due:
            done.add(customer_id)
            async with sessions() as session, session.begin():
                uow = Uow(session, config, lambda: now, record, current)
                await rescore(customer_id, uow, "credit", credit_only=True)


def schedule(
    sessions: async_sessionmaker[AsyncSession],
    config: ValueConfig,
    clock: Callable[[], datetime],
    record: Record,
    current: CurrentModel,
) -> Stop:
    async def run() -> str | None:
        found = await recheck_due(sessions, config, clock, record, current)
        return f"{found} credit ranks worked out again" if found else None

    return every("value-credit-review", config.credit_recheck_seconds, run, log)


async def fresh(
    session: AsyncSession, row: dict[str, Any], config: ValueConfig, now: datetime
) -> dict[str, Any]:
    """``row`` with its credit rank worked out at ``now`` when time alone changed it since it was stored."""
    review = row["credit_review_at"]
    if review is None or aware(review) > now:
        return row
    orders, _ = await ValueRepository(session).facts(row["customer_id"])
    credit = domain.credit(orders, now, credit_settings_of(config))
    return {**row, **credit_columns(credit, now)}
