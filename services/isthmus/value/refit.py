"""The refit: fit the models on every customer's history, derive the cut-offs, rescore everyone.

Runs as ``isthmus value refit``, on the schedule inside the value process, and through the
RefitValueModel RPC. It reads only the value context's own per-customer summaries (never the order
history of another service): one pass to read, one fit, then the new scores written in chunks, one
transaction each, with the events the changes call for.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from isthmus.kernel.ids import new_uuid
from isthmus.platform.sql import update_many
from isthmus.value import codec, domain, models
from isthmus.value.config import ValueConfig
from isthmus.value.handlers import REFIT_EVENT_SHARE, CurrentModel, Record, Uow, announce, settings_of
from isthmus.value.store import ValueRepository
from isthmus.value.tables import customers
from isthmus_client.api.events.v1 import value_pb2 as events_pb2

log = logging.getLogger("isthmus.value.refit")
CHUNK = 5000
_COLUMNS = (
    customers.c.customer_id,
    customers.c.repeat_purchases,
    customers.c.first_purchase_at,
    customers.c.last_purchase_at,
    customers.c.mean_repeat_minor,
    customers.c.revenue_minor,
    customers.c.cost_minor,
    customers.c.orders,
    customers.c.historical_minor,
    customers.c.version,  # last: a row written since the read is scored again from what it is now
)
_LIVE = select(*_COLUMNS).where(
    customers.c.merged_into.is_(None), customers.c.erased.is_(False), customers.c.customer_id > ""
)


def population(rows: list[tuple], now: datetime, minor_per_unit: int) -> tuple[list[str], domain.Population]:
    """The customers' summaries as columns (no per-customer objects: a million rows stay cheap)."""
    n = len(rows)
    ids = [r[0] for r in rows]
    now_s = now.timestamp()
    first = np.fromiter((r[2].timestamp() if r[2] else now_s for r in rows), dtype=np.float64, count=n)
    last = np.fromiter((r[3].timestamp() if r[3] else now_s for r in rows), dtype=np.float64, count=n)
    revenue = np.fromiter((r[5] for r in rows), dtype=np.float64, count=n)
    cost = np.fromiter((r[6] for r in rows), dtype=np.float64, count=n)
    orders = np.fromiter((r[7] for r in rows), dtype=np.float64, count=n)
    week = domain.DAY * domain.WEEK_DAYS
    # Whole days: purchases are counted per day, and customers with equal summaries fit as one row.
    first, last = np.floor(first / domain.DAY) * domain.DAY, np.floor(last / domain.DAY) * domain.DAY
    now_s = np.floor(now_s / domain.DAY) * domain.DAY
    t_x = np.maximum(last - first, 0.0) / week
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(revenue > 0, np.clip((revenue - cost) / revenue, 0.0, 1.0), 1.0)
        mean_spend = np.where(orders > 0, np.rint(revenue / np.where(orders > 0, orders, 1.0)), 0.0)
    return ids, domain.Population(
        x=np.fromiter((r[1] for r in rows), dtype=np.float64, count=n),
        t_x=t_x,
        big_t=np.maximum(t_x, (now_s - first) / week),
        mean_repeat=np.fromiter((r[4] for r in rows), dtype=np.float64, count=n) / minor_per_unit,
        mean_spend=mean_spend,
        margin_ratio=ratio,
        historical=np.fromiter((r[8] for r in rows), dtype=np.float64, count=n),
        orders=orders,
        days_since=(now_s - last) / domain.DAY,
        bought=np.fromiter((r[2] is not None for r in rows), dtype=bool, count=n),
    )


def fit(p: domain.Population, config: ValueConfig, now: datetime) -> domain.Model:
    """Fits BG/NBD and Gamma-Gamma on the population and derives tier and RFM cut-offs."""
    started = time.perf_counter()
    s = settings_of(config)
    bought = p.bought
    bgnbd = gamma_gamma = None
    try:
        bgnbd = models.fit_bgnbd(p.x[bought], p.t_x[bought], p.big_t[bought])
    except models.FitError as exc:
        log.info("BG/NBD not fitted: %s", exc)
    try:
        gamma_gamma = models.fit_gamma_gamma(p.x[bought], p.mean_repeat[bought])
    except models.FitError as exc:
        log.info("Gamma-Gamma not fitted: %s", exc)
    draft = domain.Model(
        model_id=new_uuid(),
        fitted_at=now,
        customers=int(bought.sum()),
        bgnbd=bgnbd,
        gamma_gamma=gamma_gamma,
        recency=domain.quintiles(p.days_since[bought]),
        frequency=domain.quintiles(p.orders[bought]),
        monetary=domain.quintiles(p.mean_spend[bought] / s.minor_per_unit),
    )
    lifetimes = domain.score_population(p, draft, s).lifetime
    thresholds = domain.tier_thresholds(lifetimes, config.tier_a_share, config.tier_b_share)
    return domain.Model(
        **{
            **draft.__dict__,
            "tier_a_from": thresholds[0] if thresholds else None,
            "tier_b_from": thresholds[1] if thresholds else None,
            "fit_seconds": time.perf_counter() - started,
        }
    )


async def run(
    sessions: async_sessionmaker[AsyncSession],
    config: ValueConfig,
    clock: Callable[[], datetime],
    record: Record,
    current: CurrentModel,
) -> domain.Model:
    """Fits, stores the model, and rescores every customer; returns the model."""
    now, started = clock(), time.perf_counter()
    s = settings_of(config)
    async with sessions() as session:
        rows = [tuple(r) for r in (await session.execute(_LIVE)).all()]
    ids, p = population(rows, now, s.minor_per_unit)
    model = await asyncio.to_thread(fit, p, config, now)
    scores = await asyncio.to_thread(domain.score_population, p, model, s)
    async with sessions() as session, session.begin():
        await ValueRepository(session).save_model(codec.model_message(model, config.currency), now)
        message = events_pb2.ValueModelRefitted(model=codec.model_message(model, config.currency))
        await record(session, message, model.model_id, "")
    current.set(model)
    versions = [r[-1] for r in rows]
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        await _rescore_chunk(sessions, config, clock, record, current, chunk, versions, model, scores, start)
    took = time.perf_counter() - started
    log.info(
        "value models refitted on %d customers in %.1f s (fit %.1f s)", len(ids), took, model.fit_seconds
    )
    return model


async def _rescore_chunk(
    sessions: async_sessionmaker[AsyncSession],
    config: ValueConfig,
    clock: Callable[[], datetime],
    record: Record,
    current: CurrentModel,
    ids: list[str],
    versions: list[int],
    model: domain.Model,
    scores: domain.Scores,
    offset: int,
) -> None:
    async with sessions() as session, session.begin():
        found = await session.execute(
            select(customers).where(customers.c.customer_id.in_(ids)).with_for_update()
        )
        before = {r["customer_id"]: dict(r) for r in found.mappings()}
        uow = Uow(session, config, clock, record, current)
        changes: list[tuple[dict[str, object], dict[str, object]]] = []
        now = clock()
        # An order or case since the read changed the row: the fit's scores would put it back as it was.
        moved_on = [
            c
            for i, c in enumerate(ids, start=offset)
            if before.get(c, {}).get("version") not in (None, versions[i])
        ]
        again = {c: k for k, c in enumerate(moved_on)}
        rescored = scores
        if moved_on:
            rows = [tuple(before[c][col.name] for col in _COLUMNS) for c in moved_on]
            _, now_p = population(rows, now, settings_of(config).minor_per_unit)
            rescored = domain.score_population(now_p, model, settings_of(config))
        for i, customer_id in enumerate(ids, start=offset):
            old = before.get(customer_id)
            if old is None or old["merged_into"] or old["erased"]:
                continue  # merged or erased since the read: nothing of its own to score
            s, j = (rescored, again[customer_id]) if customer_id in again else (scores, i)
            lifetime = int(s.lifetime[j])  # the historical value read with the row, brought forward
            new = dict(old)
            new.update(
                predicted_minor=int(s.predicted[j]),
                lifetime_minor=lifetime,
                expected_spend_minor=int(s.expected_spend[j]),
                expected_purchases=float(s.expected_purchases[j]),
                alive_probability=float(s.alive[j]),
                rfm_recency=int(s.rfm[j, 0]),
                rfm_frequency=int(s.rfm[j, 1]),
                rfm_monetary=int(s.rfm[j, 2]),
                tier=int(domain.tier_of(lifetime, model)),
                churn_risk=int(s.churn[j]) != 0,
                churn_reason=int(s.churn[j]),
                model_id=model.model_id,
                version=old["version"] + 1,
                update_time=now,
            )
            changes.append(
                ({"customer_id": customer_id}, {k: v for k, v in new.items() if k != "customer_id"})
            )
            moved = abs(lifetime - old["lifetime_minor"]) > REFIT_EVENT_SHARE * max(
                abs(old["lifetime_minor"]), 1
            )
            if new["tier"] != old["tier"] or moved or new["churn_risk"] != old["churn_risk"]:
                await announce(uow, old, new, "refit")
        await update_many(session, customers, changes)


def schedule(
    every_seconds: float,
    refit_now: Callable[[], Awaitable[domain.Model]],
    last_fit: Callable[[], Awaitable[datetime | None]],
    clock: Callable[[], datetime],
    first_after: float,
) -> Callable[[], Awaitable[None]]:
    """Refits every ``every_seconds`` after the last fit; without one, ``first_after`` seconds after
    start (0: after ``every_seconds``). Returns how to stop it."""

    async def loop() -> None:
        last = await last_fit()
        if last is None:
            delay = first_after or every_seconds
        else:
            delay = max(1.0, every_seconds - (clock() - last).total_seconds())
        while True:
            await asyncio.sleep(delay)
            delay = every_seconds
            try:
                await refit_now()
            except Exception:
                log.exception("value refit failed; the next run retries")

    task = asyncio.create_task(loop(), name="value-refit")

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return stop
