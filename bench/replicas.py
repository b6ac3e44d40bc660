"""Throughput with one and with two replicas of the customer master, and of orders + loyalty, with the
CPU each record costs every process involved.

Each replica is an ``isthmus serve <component>`` process, as a pod of the chart's Deployment would be,
all on one PostgreSQL database and one RabbitMQ vhost (the run's own servers, see servers.py, so their
CPU is charged to it). Rounds alternate one and two replicas, so drift of the shared machine falls on
both alike; the figures of every round are printed.

* customer master: ``--people`` people arrive as 1-4 records each from three systems, in shuffled
  batches of ``--batch`` through ``BatchUpsertSourceRecords``, ``--concurrency`` at a time, spread over the
  replicas; the same records in every round. Throughput is records resolved per second. The golden
  customers made are counted: two replicas resolving overlapping people at once must make as many as
  one does.
  With ``--present N`` each round starts from a copy of a master of N people (one server seeded it
  through the API before the rounds, then it was vacuumed and analysed), so that the records meet
  candidates as they do in a large master; the round's people are others (namesakes among them).
* orders + loyalty: ``--orders`` orders created and paid through ``--concurrency`` clients spread over
  the orders replicas; the loyalty replicas share the OrderPaid queue. Throughput is orders per second
  until the last one's points are in the ledger.

On this machine (two cores, shared) two replicas cannot run faster than the cores allow: read the CPU
per record to judge a larger machine. A record's cost is its service's, PostgreSQL's, RabbitMQ's and
the load generator's CPU divided by the records.

    .venv/bin/python bench/replicas.py [--people 1500] [--orders 1500] [--rounds 2] [--concurrency 16]
    .venv/bin/python bench/replicas.py --workload customers --present 100000 --people 20000 \
        --batch 1000 --concurrency 2
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import Meter, load_average
from orders_loyalty import customer, request
from people import generate
from scratch import free_port, scratch_database, scratch_vhost, vacuum
from servers import servers

from isthmus_client import aio_connect
from isthmus_client.api.customers.v1 import customers_pb2 as api
from isthmus_client.api.customers.v1 import customers_pb2_grpc
from isthmus_client.api.orders.v1 import orders_pb2, orders_pb2_grpc

BIN = Path(sys.executable).parent


TOKEN = "bench-replicas-" + uuid.uuid4().hex
TOKENS = json.dumps({"bench": {"token": TOKEN, "scopes": ["customers:*", "orders:*", "loyalty:*"]}})


@dataclass
class Round:
    workload: str
    replicas: int
    items: int
    seconds: float
    cpu: str
    run_ms: float
    extra: str


def _env(database_url: str, amqp_url: str, port: int) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "ISTHMUS_DATABASE_URL": database_url,
        "ISTHMUS_AMQP_URL": amqp_url,
        "ISTHMUS_AUTH_TOKENS": TOKENS,
        "ISTHMUS_GRPC_HOST": "127.0.0.1",
        "ISTHMUS_GRPC_PORT": str(port),
        "ISTHMUS_METRICS_PORT": "0",
        "ISTHMUS_LOG_LEVEL": "WARNING",
        "ISTHMUS_CUSTOMERS_DEFAULT_REGION": "DE",
        "ISTHMUS_DATA_DIR": "/tmp",
    }


@contextlib.contextmanager
def deployment(
    components: list[str], replicas: int, database_url: str, amqp_url: str
) -> Iterator[dict[str, list[tuple[int, int]]]]:
    """Migrate (the chart's Job), then ``replicas`` serve processes per component.

    Yields {component: [(port, pid), ...]}."""
    isthmus = str(BIN / "isthmus")
    for component in components:
        subprocess.run(
            [isthmus, "migrate", component],
            env=_env(database_url, amqp_url, 0),
            check=True,
            capture_output=True,
        )
    started: dict[str, list[tuple[int, subprocess.Popen[bytes]]]] = {}
    try:
        for component in components:
            for _ in range(replicas):
                port = free_port()
                process = subprocess.Popen(
                    [isthmus, "serve", component],
                    env=_env(database_url, amqp_url, port),
                    stderr=subprocess.DEVNULL,
                )
                started.setdefault(component, []).append((port, process))
        for component, pods in started.items():
            for port, process in pods:
                _wait_serving(port, process, component)
        yield {c: [(port, p.pid) for port, p in pods] for c, pods in started.items()}
    finally:
        for pods in started.values():
            for _, process in pods:
                process.terminate()
        for pods in started.values():
            for _, process in pods:
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()


def _wait_serving(port: int, process: subprocess.Popen[bytes], component: str) -> None:
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    deadline = time.monotonic() + 120
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if process.poll() is not None:
                sys.exit(f"{component} exited before serving")
            with contextlib.suppress(grpc.RpcError):
                if stub.Check(health_pb2.HealthCheckRequest(), timeout=1).status == 1:
                    return
            time.sleep(0.2)
    sys.exit(f"{component} did not serve within 120 s")


def _pids(pods: dict[str, list[tuple[int, int]]], extra: dict[str, int]) -> dict[str, int]:
    named = {f"{c}-{i + 1}": pid for c, found in pods.items() for i, (_, pid) in enumerate(found)}
    return {**named, **extra, "load generator": os.getpid()}


@contextlib.asynccontextmanager
async def channels(ports: list[int]) -> AsyncIterator[list[grpc.aio.Channel]]:
    """A client channel to each replica, with the bench's bearer token (authentication on)."""
    async with contextlib.AsyncExitStack() as stack:
        yield [await stack.enter_async_context(aio_connect(f"127.0.0.1:{p}", token=TOKEN)) for p in ports]


def golden_customers(database_url: str) -> int:
    """The active golden customers of the master on ``database_url``."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(*) FROM customers.customers WHERE state = 1").fetchone()
    return int(row[0]) if row else 0


async def customers_round(
    args: argparse.Namespace,
    pods: dict[str, list[tuple[int, int]]],
    backends: dict[str, int],
    database_url: str,
) -> Round:
    records = [record for _pid, record in generate(args.people, seed=11)]
    batches = [records[i : i + args.batch] for i in range(0, len(records), args.batch)]
    queue: asyncio.Queue[list[Any]] = asyncio.Queue()
    for batch in batches:
        queue.put_nowait(batch)
    rejected = 0
    async with channels([port for port, _ in pods["customers"]]) as opened:
        stubs = [customers_pb2_grpc.CustomerMasterServiceStub(c) for c in opened]

        async def client(n: int) -> None:
            nonlocal rejected
            stub = stubs[n % len(stubs)]  # clients spread over the replicas, as a Service's connections are
            while not queue.empty():
                batch = queue.get_nowait()
                response = await stub.BatchUpsertSourceRecords(
                    api.BatchUpsertSourceRecordsRequest(records=batch)
                )
                rejected += sum(1 for r in response.results if r.HasField("error"))

        meter = Meter(_pids(pods, backends))
        meter.start()
        started = time.perf_counter()
        await asyncio.gather(*(client(n) for n in range(args.concurrency)))
        elapsed = time.perf_counter() - started
        meter.stop()
    golden = golden_customers(database_url)
    return Round(
        "customer master", len(pods["customers"]), len(records), elapsed, meter.per(len(records)),
        meter.run_total() * 1000 / len(records), f"golden customers {golden}, rejected {rejected}",
    )  # fmt: skip


async def orders_round(
    args: argparse.Namespace,
    pods: dict[str, list[tuple[int, int]]],
    backends: dict[str, int],
    database_url: str,
) -> Round:
    counter = iter(range(args.orders))
    async with channels([port for port, _ in pods["orders"]]) as opened:
        stubs = [orders_pb2_grpc.OrderServiceStub(c) for c in opened]

        async def client(n: int) -> None:
            stub = stubs[n % len(stubs)]
            rng = random.Random(n)
            for _ in counter:
                created = await stub.CreateOrder(request(customer(rng.randrange(1000))))
                order = created.order
                await stub.PayOrder(
                    orders_pb2.PayOrderRequest(
                        order_id=order.order_id, expected_version=order.version, amount=order.total,
                        payment_reference=uuid.uuid4().hex,
                    )
                )  # fmt: skip

        meter = Meter(_pids(pods, backends))
        meter.start()
        started = time.perf_counter()
        await asyncio.gather(*(client(n) for n in range(args.concurrency)))
        paid = time.perf_counter() - started
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
            while True:  # until loyalty has awarded every order (one EARN entry each)
                row = await (
                    await conn.execute("SELECT count(*) FROM loyalty.loyalty_ledger WHERE kind = 1")
                ).fetchone()
                if row and row[0] >= args.orders:
                    break
                if time.perf_counter() - started > 600:
                    sys.exit(f"loyalty awarded {row[0] if row else 0} of {args.orders} orders in 600 s")
                await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
        meter.stop()
    replicas = len(pods["orders"])
    return Round(
        "orders + loyalty", replicas, args.orders, elapsed, meter.per(args.orders),
        meter.run_total() * 1000 / args.orders,
        f"created and paid in {paid:.1f} s ({args.orders / paid:.0f} orders/s), "
        f"points for all after {elapsed:.1f} s",
    )  # fmt: skip


async def seed(port: int, people: int, batch: int) -> None:
    """``people`` people (1-4 records each) through one replica, one batch after another; their
    source ids apart from any round's."""
    records = [record for _pid, record in generate(people, seed=5)]
    for record in records:
        record.source_id = f"present-{record.source_id}"
    async with channels([port]) as (channel,):
        stub = customers_pb2_grpc.CustomerMasterServiceStub(channel)
        for i in range(0, len(records), batch):
            await stub.BatchUpsertSourceRecords(
                api.BatchUpsertSourceRecordsRequest(records=records[i : i + batch])
            )


@contextlib.contextmanager
def present_master(args: argparse.Namespace, backends: dict[str, Any]) -> Iterator[str | None]:
    """The name of a database holding a master of ``--present`` people, vacuumed and analysed, for
    each round to copy; None without ``--present``."""
    if not args.present:
        yield None
        return
    pg, mq = backends["postgres"], backends["rabbitmq"]
    with scratch_database(pg.url) as database_url, scratch_vhost(mq.host, node=mq.node) as amqp_url:
        started = time.perf_counter()
        with deployment(["customers"], 1, database_url, amqp_url) as pods:
            asyncio.run(seed(pods["customers"][0][0], args.present, args.batch))
        took, _ = vacuum(database_url)
        print(
            f"present: {args.present} people seeded, {golden_customers(database_url)} golden customers, in "
            f"{time.perf_counter() - started:.0f} s (vacuumed in {took:.0f} s)",
            flush=True,
        )
        yield database_url.rsplit("/", 1)[1]


def one_round(
    args: argparse.Namespace, workload: str, replicas: int, backends: dict[str, Any], template: str | None
) -> Round:
    pg, mq = backends["postgres"], backends["rabbitmq"]
    pids = {"postgres": pg.pid, "rabbitmq": mq.pid}
    copy = template if workload == "customers" else None
    with scratch_database(pg.url, copy) as database_url, scratch_vhost(mq.host, node=mq.node) as amqp_url:
        if workload == "customers":
            with deployment(["customers"], replicas, database_url, amqp_url) as pods:
                return asyncio.run(customers_round(args, pods, pids, database_url))
        with deployment(["orders", "loyalty"], replicas, database_url, amqp_url) as pods:
            return asyncio.run(orders_round(args, pods, pids, database_url))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--people", type=int, default=1500, help="people for the customer master (default 1,500)"
    )
    parser.add_argument(
        "--batch", type=int, default=50, help="records per BatchUpsertSourceRecords (default 50)"
    )
    parser.add_argument("--orders", type=int, default=1500, help="orders created and paid (default 1,500)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--rounds", type=int, default=2, help="alternations of one and two replicas (default 2)"
    )
    parser.add_argument("--workload", choices=["customers", "orders", "both"], default="both")
    parser.add_argument(
        "--present",
        type=int,
        default=0,
        help="people in the customer master before each round (default none)",
    )
    args = parser.parse_args()

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"load average before: {load_average()}")
    workloads = ["customers", "orders"] if args.workload == "both" else [args.workload]
    results: list[Round] = []
    with servers() as backends, present_master(args, backends) as template:
        for _ in range(args.rounds):
            for workload in workloads:
                for replicas in (1, 2):
                    result = one_round(args, workload, replicas, backends, template)
                    results.append(result)
                    print(
                        f"{result.workload}, {result.replicas} replica(s): {result.items} in "
                        f"{result.seconds:.1f} s = {result.items / result.seconds:.0f}/s; {result.extra}; "
                        f"load {load_average()}",
                        flush=True,
                    )
                    print(f"    CPU per record, ms: {result.cpu}", flush=True)
    print("\nmedian throughput per second (and the run's CPU per record):")
    for workload in ("customer master", "orders + loyalty"):
        for replicas in (1, 2):
            found = sorted(
                (r.items / r.seconds, r.run_ms)
                for r in results
                if (r.workload, r.replicas) == (workload, replicas)
            )
            if found:
                rate, cpu = found[len(found) // 2]
                print(f"  {workload:<17} {replicas} replica(s): {rate:7.0f}/s   {cpu:.2f} ms CPU per record")
    print(f"load average after: {load_average()}")
    print(
        f"reproduce: .venv/bin/python bench/replicas.py --people {args.people} --batch {args.batch} "
        f"--orders {args.orders} --concurrency {args.concurrency} --rounds {args.rounds} "
        f"--workload {args.workload}" + (f" --present {args.present}" if args.present else "")
    )


if __name__ == "__main__":
    main()
