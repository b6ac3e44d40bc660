"""The SLA breach detector: a scan, run on a schedule inside the process, that reports each breach once.

"Once" holds across scans and replicas: a breach is flagged on the case in the same transaction that
records SlaBreached, and the write only lands if the case is still at the version the scan read, so
two replicas scanning together report it once between them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from isthmus.kernel.errors import Conflict
from isthmus.service_requests import messages
from isthmus.service_requests.domain import BreachKind, ServiceRequest
from isthmus.service_requests.metrics import case_figures
from isthmus.service_requests.store import UnitOfWork, UnitOfWorkFactory
from isthmus_client.api.events.v1 import service_requests_pb2 as ev

log = logging.getLogger("isthmus.service_requests.breaches")

_KIND = {
    BreachKind.RESPONSE: ev.SlaBreached.SLA_BREACH_KIND_RESPONSE,
    BreachKind.RESOLUTION: ev.SlaBreached.SLA_BREACH_KIND_RESOLUTION,
}


async def scan(uows: UnitOfWorkFactory, now: datetime, *, batch: int = 200) -> int:
    """Flags every breach due by ``now`` and records one SlaBreached for each; returns how many."""
    fired = 0
    while True:
        async with uows() as uow:
            ids = await uow.repo.breach_check_due(now, batch)
            cases = await uow.repo.get_many(ids)
            flagged = await flag(uow, [cases[case_id] for case_id in ids if case_id in cases], now)
            await uow.commit()
        case_figures().breached.inc(flagged)  # committed
        fired += flagged
        if len(ids) < batch:
            return fired


async def flag(uow: UnitOfWork, cases: Sequence[ServiceRequest], now: datetime) -> int:
    """Flags the breaches of ``cases`` (as ``uow`` read them) due by ``now`` and records one
    SlaBreached for each, case by case in the order given; returns how many. The cases are written
    with one statement; a case another transaction changed since it was read is left as it is, for
    the next scan. ``uow`` must hold no other write: when a case was changed, its transaction is rolled
    back (see :func:`_save`)."""
    found = [(sr, due) for sr in cases if (due := sr.detect_breaches(now))]
    saved = await _save(uow, [sr for sr, _ in found])
    fired = 0
    for sr, due in found:
        if sr.id not in saved:
            continue  # changed meanwhile (another scan, an agent): the next scan looks again
        snapshot = messages.service_request(sr)
        for kind, at in due:
            uow.emit(
                ev.SlaBreached(
                    service_request=snapshot,
                    breach=_KIND[kind],
                    due_time=messages.ts(at),
                    detect_time=messages.ts(now),
                ),
                sr.id,
            )
            fired += 1
    return fired


async def _save(uow: UnitOfWork, cases: Sequence[ServiceRequest]) -> set[str]:
    """Writes ``cases`` and returns the ids of those written: all of them with one statement, or, when
    another transaction changed some since they were read, the others, one statement each.

    The statement for all still writes every case it finds at the version read; rolling back the
    transaction, which holds nothing else, takes those writes back before the cases are written one by
    one."""
    try:
        await uow.repo.save_many(cases)
    except Conflict:
        await uow.session.rollback()
    else:
        return {sr.id for sr in cases}
    saved = set()
    for sr in cases:  # save_many left each version as read
        try:
            await uow.repo.save(sr)
        except Conflict:
            continue
        saved.add(sr.id)
    return saved


class BreachDetector:
    """Runs :func:`scan` every ``interval`` at the runtime's clock until stopped."""

    def __init__(self, uows: UnitOfWorkFactory, clock: Callable[[], datetime], interval: timedelta) -> None:
        self.uows = uows
        self.clock = clock
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    async def scan_now(self) -> int:
        return await scan(self.uows, self.clock())

    def start(self) -> None:
        if self.interval > timedelta(0):
            self._task = asyncio.create_task(self._run(), name="sla-breach-detector")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                fired = await self.scan_now()
                if fired:
                    log.info("reported %d SLA breaches", fired)
            except Exception:
                # A database blip must not end the schedule; the next scan catches up.
                log.exception("SLA breach scan failed")
            await asyncio.sleep(self.interval.total_seconds())
