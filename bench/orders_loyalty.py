"""Orders created and paid per second through gRPC, and the delay from OrderPaid to points in loyalty.

Child processes run the orders and loyalty components, each in its own process as ``isthmus serve``
does, on a fresh PostgreSQL database and a fresh RabbitMQ vhost; this process drives them with concurrent
clients that each create an order and pay it, for a fixed time. Beside the load, a poller reads
loyalty's ledger every few milliseconds and notes when each order's EARN entry became visible (the
entry ``GetAccount`` and ``ListLedger`` read); the delay is measured from the moment ``PayOrder``
returned to the client. After the load it waits until every paid order has earned its points.

    .venv/bin/python bench/orders_loyalty.py [--seconds 20] [--concurrency 32] [--customers 5000]

Needs PostgreSQL (ISTHMUS_BENCH_PG_URL, default postgresql://postgres@127.0.0.1:5432/postgres) and
RabbitMQ (ISTHMUS_BENCH_AMQP, default guest:guest@127.0.0.1:5672, vhost made with rabbitmqctl).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import platform
import random
import shutil
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import grpc
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import Meter, batch_sizes
from scratch import free_port, scratch_database, scratch_vhost

from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.loyalty.v1 import loyalty_pb2
from isthmus_client.api.orders.v1 import order_pb2, orders_pb2, orders_pb2_grpc


def _serve(
    names: list[str], port: int, database_url: str, amqp_url: str | None, ready, stop, metrics_port: int = 0
) -> None:  # child
    async def main() -> None:
        from isthmus.platform import config, hub, logs
        from isthmus.platform.collector import tune_gc

        env = {
            "ISTHMUS_DATABASE_URL": database_url,
            "ISTHMUS_AUTH_DISABLED": "true",
            "ISTHMUS_GRPC_HOST": "127.0.0.1",
            "ISTHMUS_GRPC_PORT": str(port),
            "ISTHMUS_METRICS_PORT": str(metrics_port),
            "ISTHMUS_DB_POOL_SIZE": "20",
        }
        if amqp_url:
            env["ISTHMUS_AMQP_URL"] = amqp_url
        settings = config.load(env)
        logs.configure("WARNING", "json")
        if metrics_port:
            from isthmus.platform.metrics import serve_metrics

            serve_metrics(metrics_port)
        async with hub.running(settings, names):
            tune_gc()  # as `isthmus serve` does
            ready.set()
            await asyncio.to_thread(stop.wait)

    asyncio.run(main())


def request(customer_id: str) -> orders_pb2.CreateOrderRequest:
    def eur(amount: str) -> common_pb2.Money:
        return common_pb2.Money(amount=amount, currency_code="EUR")

    return orders_pb2.CreateOrderRequest(
        source_system="bench",
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
    port: int, database_url: str, args: argparse.Namespace, pids: dict[str, int]
) -> dict[str, Any]:
    paid_at: dict[str, float] = {}
    visible_at: dict[str, float] = {}
    errors = 0
    stop = asyncio.Event()
    clients_done = asyncio.Event()

    async def poll() -> None:
        last = 0
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
            while True:
                rows = await (
                    await conn.execute(
                        "SELECT seq, doc FROM loyalty.loyalty_ledger"
                        " WHERE seq > %s AND kind = 1 ORDER BY seq",
                        (last,),
                    )
                ).fetchall()
                now = time.perf_counter()
                for seq, doc in rows:
                    last = max(last, seq)
                    visible_at.setdefault(loyalty_pb2.LedgerEntry.FromString(doc).reason.order_id, now)
                if clients_done.is_set() and all(o in visible_at for o in paid_at):
                    return
                await asyncio.sleep(0.005)

    async def client(stub: orders_pb2_grpc.OrderServiceStub) -> None:
        nonlocal errors
        rng = random.Random()
        while not stop.is_set():
            try:
                created = await stub.CreateOrder(request(f"bench-{rng.randrange(args.customers)}"))
                order = created.order
                await stub.PayOrder(
                    orders_pb2.PayOrderRequest(
                        order_id=order.order_id, expected_version=1, amount=order.total, payment_reference="p"
                    )
                )
                paid_at[order.order_id] = time.perf_counter()
            except grpc.aio.AioRpcError:
                errors += 1

    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = orders_pb2_grpc.OrderServiceStub(channel)
        for _ in range(20):  # warm up connections and caches
            await client_once(stub)
        poller = asyncio.create_task(poll())
        meter = Meter({**pids, "load generator": os.getpid()})
        meter.start()
        started = time.perf_counter()
        clients = [asyncio.create_task(client(stub)) for _ in range(args.concurrency)]
        await asyncio.sleep(args.seconds)
        stop.set()
        await asyncio.gather(*clients)
        clients_done.set()
        elapsed = time.perf_counter() - started
        try:
            await asyncio.wait_for(poller, timeout=120)
        except TimeoutError:
            poller.cancel()
        meter.stop()
    delays = sorted(visible_at[o] - t for o, t in paid_at.items() if o in visible_at)
    missing = len(paid_at) - len(delays)

    def pct(p: float) -> float:
        return delays[min(len(delays) - 1, int(p * len(delays)))] * 1000 if delays else float("nan")

    return {
        "orders": len(paid_at),
        "errors": errors,
        "orders_per_s": len(paid_at) / elapsed,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "max_ms": delays[-1] * 1000 if delays else float("nan"),
        "mean_ms": statistics.fmean(delays) * 1000 if delays else float("nan"),
        "missing": missing,
        "cpu": meter.per(len(paid_at)),
    }


async def client_once(stub: orders_pb2_grpc.OrderServiceStub) -> None:
    created = await stub.CreateOrder(request("bench-warmup"))
    await stub.PayOrder(
        orders_pb2.PayOrderRequest(
            order_id=created.order.order_id,
            expected_version=1,
            amount=created.order.total,
            payment_reference="w",
        )
    )


def run(args: argparse.Namespace, database_url: str, amqp_url: str | None) -> dict[str, Any]:
    port = free_port()
    ctx = multiprocessing.get_context("spawn")
    stop = ctx.Event()
    # With RabbitMQ, each component runs in its own process as in Kubernetes (`isthmus serve`);
    # without it, both share one process and the in-process bus (`isthmus up`).
    shapes = [(["orders"], port), (["loyalty"], free_port())] if amqp_url else [(["orders", "loyalty"], port)]
    servers = []
    metrics_ports = [free_port() for _ in shapes]
    for (names, server_port), metrics_port in zip(shapes, metrics_ports, strict=True):
        ready = ctx.Event()
        process = ctx.Process(
            target=_serve,
            args=(names, server_port, database_url, amqp_url, ready, stop, metrics_port),
            daemon=True,
        )
        process.start()
        servers.append((process, ready))
    try:
        for _process, ready in servers:
            if not ready.wait(120):
                sys.exit("server did not start")
        pids = {
            "+".join(names): process.pid or 0
            for (names, _p), (process, _r) in zip(shapes, servers, strict=True)
        }
        result = asyncio.run(drive(port, database_url, args, pids))
        for metrics_port in metrics_ports:
            result.update({f"batch:{name}": size for name, size in batch_sizes(metrics_port).items()})
        return result
    finally:
        stop.set()
        for process, _ready in servers:
            process.join(30)
            if process.is_alive():
                process.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--customers", type=int, default=5000)
    args = parser.parse_args()

    with contextlib.ExitStack() as scratch:
        database_url = scratch.enter_context(scratch_database())
        amqp_url = scratch.enter_context(scratch_vhost()) if shutil.which("rabbitmqctl") else None
        result = run(args, database_url, amqp_url)

    bus = (
        "RabbitMQ, orders and loyalty in separate processes"
        if amqp_url
        else "in-process bus, orders and loyalty in one process (RabbitMQ adapter not available)"
    )
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"backends: PostgreSQL, {bus}; {args.concurrency} concurrent clients, {args.seconds:g} s")
    print(f"orders created+paid: {result['orders']} ({result['errors']} errors)")
    print(f"throughput: {result['orders_per_s']:.0f} orders/s created and paid")
    print(
        f"OrderPaid -> points visible: p50 {result['p50_ms']:.0f} ms, p99 {result['p99_ms']:.0f} ms, "
        f"max {result['max_ms']:.0f} ms, mean {result['mean_ms']:.0f} ms; never visible: {result['missing']}"
    )
    print(f"CPU per order created+paid (with its events): {result['cpu']}")
    sizes = ", ".join(f"{k[6:]} {v:.1f}" for k, v in result.items() if k.startswith("batch:"))
    print(f"mean commands per group-commit batch: {sizes}")
    print(
        f"reproduce: .venv/bin/python bench/orders_loyalty.py --seconds {args.seconds:g} "
        f"--concurrency {args.concurrency} --customers {args.customers}"
    )


if __name__ == "__main__":
    main()
