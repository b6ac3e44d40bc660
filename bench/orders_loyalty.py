"""Orders created and paid per second through gRPC, until loyalty has awarded their points.

The production shape: ``isthmus migrate``, then ``isthmus serve orders`` and ``isthmus serve
loyalty`` as fresh processes for each round, bearer-token authentication on, on a private PostgreSQL
and RabbitMQ (bench/servers.py). Concurrent clients each create an order and pay it, for a fixed
time; a poller notes when each order's points became visible in loyalty's ledger. The clock stops
when the last paid order's points are visible: the work is durable and its events delivered.

The anchor, alternated with the service in the same run: bare asyncpg transactions writing the rows
the use case wrote (bench/rows.py), as many at once as there were clients: the database work the use
case cannot avoid. Both print CPU per order for every process of the run.

    .venv/bin/python bench/orders_loyalty.py [--seconds 20] [--concurrency 64] [--rounds 2]

With ``ISTHMUS_BENCH_PROFILE=DIR`` each round also writes py-spy profiles of the two services over
the measured phase (``bench/measure.py: Profiler``; summarise with ``bench/hot.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import grpc
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rows
from measure import Meter, Profiler, batch_sizes, load_average
from procs import serving
from scratch import scratch_database, scratch_vhost
from servers import Server, servers

from isthmus_client import aio_connect
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.loyalty.v1 import loyalty_pb2
from isthmus_client.api.orders.v1 import order_pb2, orders_pb2, orders_pb2_grpc

TOKEN = "bench-orders-" + uuid.uuid4().hex
TOKENS = json.dumps({"shop": {"token": TOKEN, "scopes": ["orders:*", "loyalty:*"]}})


def customer(n: int) -> str:
    """The n-th customer's id (golden customer ids are UUIDs)."""
    return f"00000000-0000-4000-8000-{n:012d}"


def request(customer_id: str) -> orders_pb2.CreateOrderRequest:
    def eur(amount: str) -> common_pb2.Money:
        return common_pb2.Money(amount=amount, currency_code="EUR")

    return orders_pb2.CreateOrderRequest(
        source_system="webshop",
        external_order_id=uuid.uuid4().hex,
        customer_id=customer_id,
        channel=order_pb2.ORDER_CHANNEL_WEB,
        currency_code="EUR",
        lines=[
            order_pb2.OrderLine(sku="TV", quantity=1, unit_price=eur("399.99"), category="electronics"),
            order_pb2.OrderLine(sku="CABLE", quantity=2, unit_price=eur("9.95"), category="accessories"),
        ],
        adjustments=[order_pb2.Adjustment(kind=order_pb2.ADJUSTMENT_KIND_TAX, amount=eur("79.77"))],
    )


async def drive(
    port: int, database_url: str, args: argparse.Namespace, pids: dict[str, int], sampler: rows.Sampler
) -> dict[str, Any]:
    paid_at: dict[str, float] = {}
    visible_at: dict[str, float] = {}
    errors: list[str] = []
    stop = asyncio.Event()
    clients_done = asyncio.Event()

    async def poll() -> None:
        last = 0
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
            while True:
                found = await (
                    await conn.execute(
                        "SELECT seq, doc FROM loyalty.loyalty_ledger"
                        " WHERE seq > %s AND kind = 1 ORDER BY seq",
                        (last,),
                    )
                ).fetchall()
                now = time.perf_counter()
                for seq, doc in found:
                    last = max(last, seq)
                    visible_at.setdefault(loyalty_pb2.LedgerEntry.FromString(doc).reason.order_id, now)
                if clients_done.is_set() and all(o in visible_at for o in paid_at):
                    return
                await asyncio.sleep(0.005)

    async def client(stub: orders_pb2_grpc.OrderServiceStub, rng: random.Random) -> None:
        while not stop.is_set():
            try:
                created = await stub.CreateOrder(request(customer(rng.randrange(args.customers))))
                order = created.order
                await stub.PayOrder(
                    orders_pb2.PayOrderRequest(
                        order_id=order.order_id,
                        expected_version=1,
                        amount=order.total,
                        payment_reference="p",
                    )
                )
                paid_at[order.order_id] = time.perf_counter()
            except grpc.aio.AioRpcError as error:
                errors.append(error.code().name)

    async with aio_connect(f"127.0.0.1:{port}", token=TOKEN) as channel:
        stub = orders_pb2_grpc.OrderServiceStub(channel)
        warm = random.Random(0)
        stop.set()
        await client(stub, warm)  # one call each, for the channel and the server's first statements
        stop.clear()
        poller = asyncio.create_task(poll())
        sampling = asyncio.create_task(sampler.run(clients_done))
        meter = Meter({**pids, "load generator": os.getpid()})
        profiler = Profiler({name: pids[name] for name in ("orders", "loyalty")})
        profiler.start()
        meter.start()
        started = time.perf_counter()
        clients = [asyncio.create_task(client(stub, random.Random(i))) for i in range(args.concurrency)]
        await asyncio.sleep(args.seconds)
        stop.set()
        await asyncio.gather(*clients)
        clients_done.set()
        client_phase = time.perf_counter() - started
        try:
            await asyncio.wait_for(poller, timeout=300)
        except TimeoutError:
            poller.cancel()
        meter.stop()
        profiler.stop()
        await sampling
    delays = sorted(visible_at[o] - t for o, t in paid_at.items() if o in visible_at)
    missing = len(paid_at) - len(delays)
    last_visible = max(visible_at.values(), default=started)
    quantiles = statistics.quantiles(delays, n=100) if len(delays) > 1 else [float("nan")] * 99
    return {
        "orders": len(paid_at),
        "errors": len(errors),
        "error_codes": sorted(set(errors)),
        "rate": len(paid_at) / max(last_visible - started, client_phase),
        "client_rate": len(paid_at) / client_phase,
        "p50_ms": quantiles[49] * 1000,
        "p99_ms": quantiles[98] * 1000,
        "missing": missing,
        "cpu": meter.per(len(paid_at)),
        "run_ms": meter.run_total() * 1000 / max(1, len(paid_at)),
    }


def service_round(pg: Server, mq: Server, args: argparse.Namespace) -> tuple[dict[str, Any], Any]:
    """One measured round on fresh processes; returns the result and the rows written per order."""
    with scratch_database(pg.url) as database_url, scratch_vhost(mq.host, mq.node) as amqp_url:
        env = {
            "ISTHMUS_DATABASE_URL": database_url,
            "ISTHMUS_AMQP_URL": amqp_url,
            "ISTHMUS_AUTH_TOKENS": TOKENS,
            "ISTHMUS_DB_POOL_SIZE": "20",
        }
        with serving(["orders", "loyalty"], env) as served:
            pids = {"postgres": pg.pid, "rabbitmq": mq.pid, **{n: s.pid for n, s in served.items()}}
            schemas = ["orders", "loyalty"]
            before = asyncio.run(rows.counters(database_url, schemas))
            sampler = rows.Sampler(database_url, schemas)
            result = asyncio.run(drive(served["orders"].port, database_url, args, pids, sampler))
            after = asyncio.run(rows.counters(database_url, schemas))
            profile = rows.per_unit(before, after, result["orders"])
            for name, s in served.items():
                result.update({f"batch:{name}.{b}": v for b, v in batch_sizes(s.metrics_port).items()})
        templates = sampler.rows
        group = max(1, round(result.get("batch:orders.write_order", 1)))
        anchor = anchor_round(pg, database_url, profile, templates, result["orders"], group)
    return result, (profile, anchor)


def anchor_round(
    pg: Server, database_url: str, profile: Any, templates: Any, orders: int, group: int
) -> dict[str, Any]:
    replay = rows.RowReplay(profile, templates)
    asyncio.run(replay.prepare(database_url))
    meter = Meter({"postgres": pg.pid, "anchor client": os.getpid()})
    meter.start()
    started = time.perf_counter()
    # As many transactions at once as the service's pool allowed, each as large as its mean group commit.
    asyncio.run(rows.replay(database_url, replay, orders, group, connections=20))
    elapsed = time.perf_counter() - started
    meter.stop()
    return {"rate": orders / elapsed, "cpu": meter.per(orders), "run_ms": meter.run_total() * 1000 / orders}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=2, help="service and anchor rounds, alternated")
    args = parser.parse_args()

    results: list[tuple[dict[str, Any], Any]] = []
    with servers() as found:
        for n in range(args.rounds):
            result, (profile, anchor) = service_round(found["postgres"], found["rabbitmq"], args)
            results.append((result, anchor))
            print(
                f"round {n + 1} service: {result['rate']:.0f} orders/s until points visible "
                f"({result['client_rate']:.0f}/s while clients ran), {result['orders']} orders, "
                f"{result['errors']} errors {result['error_codes']}; CPU per order: {result['cpu']}",
                flush=True,
            )
            print(
                f"round {n + 1} anchor:  {anchor['rate']:.0f} orders/s of bare asyncpg writes; "
                f"CPU per order: {anchor['cpu']}",
                flush=True,
            )
            if n == 0:
                shape = ", ".join(f"{t} +{w.inserts}/~{w.updates}/-{w.deletes}" for t, w in profile.items())
                print(f"rows per order (insert/update/delete), from pg_stat_user_tables: {shape}")
            print(
                f"round {n + 1} OrderPaid -> points visible: p50 {result['p50_ms']:.0f} ms, "
                f"p99 {result['p99_ms']:.0f} ms; never visible: {result['missing']}",
                flush=True,
            )

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"load average at the end: {load_average()}")
    print(f"shape: isthmus serve orders + loyalty, auth on, {args.concurrency} clients, {args.seconds:g} s")
    rates = [r["rate"] for r, _ in results]
    cpu = [r["run_ms"] for r, _ in results]
    print(f"orders/s: {', '.join(f'{x:.0f}' for x in rates)} (target >= 500)")
    print(f"run CPU per order: {', '.join(f'{x:.2f}' for x in cpu)} ms (target <= 3)")
    throughput = ", ".join(f"{r['rate'] / a['rate']:.2f}" for r, a in results)
    cpu_ratio = ", ".join(f"{a['run_ms'] / r['run_ms']:.2f}" for r, a in results)
    print(f"service / anchor throughput: {throughput}")
    print(f"anchor / service CPU per order: {cpu_ratio}")
    sizes = ", ".join(f"{k[6:]} {v:.1f}" for k, v in results[-1][0].items() if k.startswith("batch:"))
    print(f"mean commands per group-commit batch (last round): {sizes}")
    print(
        f"reproduce: .venv/bin/python bench/orders_loyalty.py --seconds {args.seconds:g} "
        f"--concurrency {args.concurrency} --customers {args.customers} --rounds {args.rounds}"
    )


if __name__ == "__main__":
    main()
