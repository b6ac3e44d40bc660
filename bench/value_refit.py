"""Customer value: refit time over a million customers' order histories, and incremental re-scoring.

Order histories are generated from the BG/NBD and Gamma-Gamma processes themselves (parameters of the
CDNOW fit), so the refit must find those parameters again: the run prints what it found beside what
generated the data. The histories go into the value schema as the event consumers would have left
them (one row per order, one summary row per customer) on a private PostgreSQL (bench/servers.py).

Refit: ``isthmus.value.refit.run`` as the schedule and ``isthmus value refit`` run it, twice: the
first tiers every customer (a tier and a value event each), the second is the steady state (events
only where a tier, churn flag or value moved). The baseline in the same run: the fit alone, on the
same columns in memory, without the database.

Incremental re-scoring: ``orders.OrderPaid`` events handed to the value consumer's handler in batches
that share a transaction, as the bus hands them (prepare step, handlers, commit, outbox rows
included), for random existing customers. Rounds alternate the fitted model with no model (history
only: the baseline without BG/NBD and Gamma-Gamma scoring), and each order's whole payment as the
value context now follows it: ``orders.OrderPlaced`` (owed, credit rank) and then ``OrderPaid``, in
the same batches. Each prints orders/s, CPU per order of this process and of PostgreSQL, the load
average, and the resident memory after the round.

    .venv/bin/python bench/value_refit.py [--customers 1000000] [--events 20000] [--batch 100] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import resource
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import Meter, load_average
from scratch import scratch_database
from servers import servers

from isthmus.platform import config, hub
from isthmus.platform.db import async_engine, session_factory
from isthmus.platform.events import Event
from isthmus.value import bootstrap, consumers, models, refit
from isthmus.value import config as value_config
from isthmus.value.handlers import CurrentModel
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.events.v1 import orders_pb2 as order_events
from isthmus_client.api.orders.v1 import order_pb2

NOW = datetime(2026, 12, 1, tzinfo=UTC)
TRUE_BGNBD = models.BgNbd(0.243, 4.414, 0.793, 2.426)
TRUE_GG = models.GammaGamma(6.25, 3.74, 15.44)


def rss_mib() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(
    n: int, seed: int = 7, max_weeks: float = 78.0
) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """Per customer: age in days (4 weeks to ``max_weeks``), the purchase days (first at 0) and the
    spend of each purchase in cents, drawn from BG/NBD (while alive, purchases at rate lambda; after
    each, dropout with probability p) and Gamma-Gamma."""
    rng = np.random.default_rng(seed)
    b = TRUE_BGNBD
    age_weeks = rng.uniform(4, max_weeks, n)
    rate = rng.gamma(b.r, 1 / b.alpha, n)  # purchases per week
    dropout = rng.beta(b.a, b.b, n)
    t = np.zeros(n)
    alive = np.ones(n, dtype=bool)
    days: list[list[float]] = [[0.0] for _ in range(n)]
    for _ in range(60):
        idx = np.flatnonzero(alive)
        if not len(idx):
            break
        t[idx] += rng.exponential(1 / np.maximum(rate[idx], 1e-9))
        bought = t[idx] < age_weeks[idx]
        for i, when in zip(idx[bought], t[idx][bought], strict=True):
            days[i].append(when * 7)
        alive[idx[~bought]] = False
        stay = rng.random(int(bought.sum())) >= dropout[idx[bought]]
        alive[idx[bought][~stay]] = False
    g = TRUE_GG
    scale = rng.gamma(g.q, 1 / g.gamma, n)  # nu per customer
    counts = np.array([len(d) for d in days])
    spend = rng.gamma(g.p, 1 / np.repeat(scale, counts)) * 100
    return age_weeks * 7, [np.floor(np.array(d)) for d in days], np.maximum(np.rint(spend), 1)


def fill(url: str, n: int) -> dict[str, Any]:
    """The value schema as the consumers would have left it for ``n`` customers."""
    started = time.perf_counter()
    age_days, days, spend = generate(n)
    generated = time.perf_counter() - started
    orders = 0
    offset = 0
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cols_o = "order_id, customer_id, origin_customer_id, placed_at, revenue_minor, cost_minor, " \
                 "refunded_minor, cost_returned_minor, cancelled, returns_seen"  # fmt: skip
        cols_c = "customer_id, erased, revenue_minor, cost_minor, service_minor, margin_minor, " \
                 "historical_minor, predicted_minor, lifetime_minor, expected_spend_minor, " \
                 "expected_purchases, alive_probability, orders, repeat_purchases, mean_repeat_minor, " \
                 "first_purchase_at, last_purchase_at, rfm_recency, rfm_frequency, rfm_monetary, tier, " \
                 "churn_risk, churn_reason, model_id, version, update_time"  # fmt: skip
        summaries = []
        with cur.copy(f"COPY value.value_orders ({cols_o}) FROM STDIN") as copy:
            for i in range(n):
                customer = f"cust-{i:07d}"
                first = NOW - timedelta(days=float(age_days[i]))
                unique_days = np.unique(days[i])
                amounts = spend[offset : offset + len(unique_days)].astype(np.int64)
                offset += len(days[i])
                for k, (day, amount) in enumerate(zip(unique_days, amounts, strict=True)):
                    placed = first + timedelta(days=float(day))
                    copy.write_row(
                        (f"{customer}-{k}", customer, customer, placed, int(amount), 0, 0, 0, False, "[]")
                    )
                orders += len(unique_days)
                revenue = int(amounts.sum())
                repeats = amounts[1:]
                last = first + timedelta(days=float(unique_days[-1]))
                summaries.append(
                    (customer, False, revenue, 0, 0, revenue, revenue, 0, revenue, 0, 0.0, 1.0, len(amounts),
                     len(repeats), int(repeats.mean()) if len(repeats) else 0, first, last, 0, 0, 0, 0,
                     False, 0, "", 1, NOW)
                )  # fmt: skip
        with cur.copy(f"COPY value.value_customers ({cols_c}) FROM STDIN") as copy:
            for row in summaries:
                copy.write_row(row)
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    return {"orders": orders, "generate_s": generated, "fill_s": time.perf_counter() - started}


class FrozenModel(CurrentModel):
    """The model a round runs with, not re-read per batch (the baseline round runs without one)."""

    async def refresh(self, session: Any) -> Any:
        return self.model


def paid(order_id: str, customer_id: str, cents: int, *, placed: bool = False) -> list[Event]:
    """The order's OrderPaid event; with ``placed``, its OrderPlaced first (owing its total)."""
    amount = f"{cents / 100:.2f}"
    money = common_pb2.Money(amount=amount, currency_code="EUR")
    zero = common_pb2.Money(amount="0.00", currency_code="EUR")
    order = order_pb2.Order(
        order_id=order_id, customer_id=customer_id, currency_code="EUR", subtotal=money, total=money,
        tax_total=zero, discount_total=zero, state=order_pb2.ORDER_STATE_PAID, due_at_checkout=money,
        paid_total=money, balance_due=zero,
    )  # fmt: skip
    order.place_time.FromDatetime(NOW)
    events = []
    if placed:
        before = order_pb2.Order()
        before.CopyFrom(order)
        before.state = order_pb2.ORDER_STATE_PLACED
        before.balance_due.amount, before.paid_total.amount = amount, "0.00"
        payload: Any = order_events.OrderPlaced(order=before)
        events.append(
            Event(str(uuid.uuid4()), "orders.OrderPlaced", NOW, order_id, "", "", 1, "", "orders", payload)
        )
    payload = order_events.OrderPaid(order=order, amount=money)
    events.append(
        Event(str(uuid.uuid4()), "orders.OrderPaid", NOW, order_id, "", "", 1, "", "orders", payload)
    )
    return events


async def rescore_round(
    settings: config.Settings,
    cfg: value_config.ValueConfig,
    current: CurrentModel,
    n: int,
    events: int,
    batch: int,
    placed: bool = False,
) -> float:
    engine = async_engine(settings, "value")
    sessions = session_factory(engine)
    handle, prepare = consumers.event_handlers(cfg, lambda: NOW, bootstrap.record, current)
    rng = np.random.default_rng()
    customers = rng.integers(0, n, events)
    cents = rng.integers(500, 20000, events)
    started = time.perf_counter()
    for start in range(0, events, batch):
        chunk = [
            event
            for c, v in zip(customers[start : start + batch], cents[start : start + batch], strict=True)
            for event in paid(str(uuid.uuid4()), f"cust-{int(c):07d}", int(v), placed=placed)
        ]
        async with sessions() as session, session.begin():
            finish = await prepare(session, chunk)
            for event in chunk:
                await handle(session, event)
            await finish()
    took = time.perf_counter() - started
    await engine.dispose()
    return took


async def main(args: argparse.Namespace) -> None:
    print(f"python {platform.python_version()}, {os.cpu_count()} cores; load average {load_average()}")
    with servers(rabbitmq=False) as found, scratch_database(found["postgres"].url) as url:
        env = {"ISTHMUS_DATABASE_URL": url, "ISTHMUS_VALUE_DISCOUNT_RATE": "0"}
        settings = config.load(env)
        cfg = value_config.load(settings.extra)
        await asyncio.to_thread(hub.migrate, settings, ["value"])
        filled = await asyncio.to_thread(fill, url.replace("+asyncpg", ""), args.customers)
        made, stored, orders = filled["generate_s"], filled["fill_s"], filled["orders"]
        print(
            f"{args.customers:,} customers, {orders:,} orders made in {made:.1f} s, stored in {stored:.1f} s"
        )
        meter = Meter({"bench": os.getpid(), "postgres": found["postgres"].pid})
        engine = async_engine(settings, "value")
        sessions = session_factory(engine)
        current = CurrentModel()
        for label in ("first refit (tiers everyone)", "steady refit"):
            rss_before = rss_mib()
            meter.start()
            started = time.perf_counter()
            model = await refit.run(sessions, cfg, lambda: NOW, bootstrap.record, current)
            took = time.perf_counter() - started
            meter.stop()
            print(
                f"{label}: {took:.1f} s for {model.customers:,} customers (fit {model.fit_seconds:.1f} s); "
                f"CPU {meter.per(model.customers, 'ms')} per customer; load {load_average()}; "
                f"RSS {rss_before:.0f} -> {rss_mib():.0f} MiB, peak {peak_rss_mib():.0f} MiB"
            )
        b, g = model.bgnbd, model.gamma_gamma
        if b is not None and g is not None:
            print(
                f"  found BG/NBD r={b.r:.3f} alpha={b.alpha:.3f} a={b.a:.3f} b={b.b:.3f}; Gamma-Gamma "
                f"p={g.p:.2f} q={g.q:.2f} gamma={g.gamma:.2f} (generated with {TRUE_BGNBD}, {TRUE_GG})"
            )
        async with sessions() as session:
            rows = [tuple(r) for r in (await session.execute(refit._LIVE)).all()]
        await engine.dispose()
        ids, population = refit.population(rows, NOW, 100)
        del rows, ids
        started = time.perf_counter()
        refit.fit(population, cfg, NOW)
        print(f"baseline, the fit alone in memory: {time.perf_counter() - started:.1f} s")
        del population
        shapes = (
            ("OrderPaid, with the fitted model", True, False),
            ("OrderPaid, baseline, no model", False, False),
            ("OrderPlaced then OrderPaid, with the fitted model", True, True),
        )
        for r in range(args.rounds):
            for label, with_model, placed in shapes:
                frozen = FrozenModel()
                frozen.model = model if with_model else None
                meter.start()
                took = await rescore_round(
                    settings, cfg, frozen, args.customers, args.events, args.batch, placed
                )
                meter.stop()
                print(
                    f"round {r + 1}, {label}: {args.events / took:,.0f} orders/s; CPU "
                    f"{meter.per(args.events, 'ms')} per order; load {load_average()}; "
                    f"RSS {rss_mib():.0f} MiB (peak {peak_rss_mib():.0f})"
                )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    asyncio.run(main(parser.parse_args()))
