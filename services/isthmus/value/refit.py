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

from isthmus.platform.ids import new_uuid
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
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        await _rescore_chunk(sessions, config, clock, record, current, chunk, model, scores, start)
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
        for i, customer_id in enumerate(ids, start=offset):
            old = before.get(customer_id)
            if old is None or old["merged_into"] or old["erased"]:
                continue  # changed since the read: its own event rescored it with the new model
            lifetime = int(old["historical_minor"] + scores.predicted[i])
            new = dict(old)
            new.update(
                predicted_minor=int(scores.predicted[i]),
                lifetime_minor=lifetime,
                expected_spend_minor=int(scores.expected_spend[i]),
                expected_purchases=float(scores.expected_purchases[i]),
                alive_probability=float(scores.alive[i]),
                rfm_recency=int(scores.rfm[i, 0]),
                rfm_frequency=int(scores.rfm[i, 1]),
                rfm_monetary=int(scores.rfm[i, 2]),
                tier=int(domain.tier_of(lifetime, model)),
                churn_risk=int(scores.churn[i]) != 0,
                churn_reason=int(scores.churn[i]),
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
    *,
    first_after: float = 5.0,
) -> Callable[[], Awaitable[None]]:
    """Refits every ``every_seconds`` after the last fit (soon after start when there is none, or the
    last is older); returns how to stop it."""

    async def loop() -> None:
        last = await last_fit()
        delay = first_after
        if last is not None:
            delay = max(first_after, every_seconds - (clock() - last).total_seconds())
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
