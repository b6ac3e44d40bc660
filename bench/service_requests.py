"""Service requests: cases opened + interactions logged per second through gRPC, and the p99 of
ListServiceRequests for a customer with 1,000 cases in a large store.

The service runs in a child process as `isthmus serve service-requests` would (PostgreSQL, RabbitMQ
in a vhost of its own); this process drives it. First the store is filled: one case is opened through
gRPC as a template and copied in SQL (INSERT ... SELECT over generate_series, other customers, earlier
times), 1,000 of the copies for one customer. Then concurrent clients each open a case and log an
interaction on it, for a fixed time. Last, that customer's first page of cases is listed repeatedly.

    .venv/bin/python bench/service_requests.py [--store 100000] [--seconds 15] [--concurrency 32]
    .venv/bin/python bench/service_requests.py --store 1000000     # the issue's store size (slow to fill)
    .venv/bin/python bench/service_requests.py --replicas 2        # two service processes, one database

With ``--replicas`` the service runs as that many processes on the one database and vhost, as a
Deployment with that many pods would (one of them publishes the outbox); the clients are spread
over them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import platform
import shutil
import statistics
import sys
import time
from pathlib import Path

import grpc
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import batch_sizes, cpu_seconds
from orders_loyalty import _serve
from scratch import free_port, scratch_database, scratch_vhost

from isthmus_client.api.service_requests.v1 import service_request_pb2 as pb
from isthmus_client.api.service_requests.v1 import service_requests_pb2 as rpc
from isthmus_client.api.service_requests.v1 import service_requests_pb2_grpc

HEAVY = "bench-customer-with-1000-cases"


def open_request(customer_id: str) -> rpc.OpenServiceRequestRequest:
    return rpc.OpenServiceRequestRequest(
        customer_id=customer_id,
        channel=pb.CHANNEL_PHONE,
        kind=pb.SERVICE_REQUEST_KIND_COMPLAINT,
        priority=pb.PRIORITY_HIGH,
        category="delivery",
        subject="Parcel late",
        description="The parcel did not arrive on the promised day",
        reason_codes=["LATE_DELIVERY"],
    )


def interaction(case_id: str) -> rpc.LogInteractionRequest:
    return rpc.LogInteractionRequest(
        interaction=pb.Interaction(
            service_request_id=case_id,
            direction=pb.DIRECTION_INBOUND,
            channel=pb.CHANNEL_PHONE,
            body="Customer called to ask where the parcel is",
        )
    )


def fill(database_url: str, template_id: str, store: int) -> float:
    """Copies the template case ``store - 1`` times in SQL; 1,000 of the copies belong to HEAVY."""
    started = time.perf_counter()
    with psycopg.connect(database_url, autocommit=True) as conn:
        columns = [
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'service_requests'"
                " AND table_name = 'service_requests' ORDER BY ordinal_position"
            )
        ]
        override = {
            "id": "t.id || '-' || g",
            "customer_id": f"CASE WHEN g <= 1000 THEN '{HEAVY}' ELSE 'seed-' || (g %% 200000) END",
            "opened_at": "t.opened_at - g * interval '1 second'",
            "source_system": "NULL",
            "external_id": "NULL",
        }
        select = ", ".join(override.get(c, f"t.{c}") for c in columns)
        step = 100_000
        for first in range(1, store, step):
            last = min(store - 1, first + step - 1)
            conn.execute(
                f"INSERT INTO service_requests.service_requests ({', '.join(columns)}) "
                f"SELECT {select} FROM service_requests.service_requests t, "
                "generate_series(%s::bigint, %s::bigint) g WHERE t.id = %s",
                (first, last, template_id),
            )
        conn.execute("ANALYZE service_requests.service_requests")
    return time.perf_counter() - started


def outbox_backlog(database_url: str) -> int:
    """Events written but not yet confirmed by the broker."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM service_requests.outbox").fetchone()
    return int(row[0]) if row else 0


def wait_for_empty_outbox(database_url: str) -> None:
    while outbox_backlog(database_url):
        time.sleep(0.1)


async def drive(
    ports: list[int], database_url: str, args: argparse.Namespace, pids: list[int]
) -> dict[str, float]:
    async with contextlib.AsyncExitStack() as channels:
        stubs = [
            service_requests_pb2_grpc.ServiceRequestServiceStub(
                await channels.enter_async_context(grpc.aio.insecure_channel(f"127.0.0.1:{port}"))
            )
            for port in ports
        ]
        stub = stubs[0]
        template = await stub.OpenServiceRequest(open_request("bench-template"))
        fill_seconds = await asyncio.to_thread(fill, database_url, template.service_request_id, args.store)

        writes = errors = 0
        write_latencies: list[float] = []
        stop = asyncio.Event()

        async def client(n: int) -> None:
            nonlocal writes, errors
            stub = stubs[n % len(stubs)]  # clients spread over the replicas
            i = 0
            while not stop.is_set():
                i += 1
                try:
                    t0 = time.perf_counter()
                    case = await stub.OpenServiceRequest(open_request(f"bench-{n}-{i % 500}"))
                    t1 = time.perf_counter()
                    await stub.LogInteraction(interaction(case.service_request_id))
                    write_latencies.extend((t1 - t0, time.perf_counter() - t1))
                    writes += 2
                except grpc.aio.AioRpcError:
                    errors += 1

        cpu_before = sum(cpu_seconds(pid) for pid in pids)
        started = time.perf_counter()
        clients = [asyncio.create_task(client(n)) for n in range(args.concurrency)]
        await asyncio.sleep(args.seconds)
        stop.set()
        await asyncio.gather(*clients)
        elapsed = time.perf_counter() - started
        cpu = sum(cpu_seconds(pid) for pid in pids) - cpu_before
        backlog = await asyncio.to_thread(outbox_backlog, database_url)
        drained = time.perf_counter()
        await asyncio.to_thread(wait_for_empty_outbox, database_url)
        drain_seconds = time.perf_counter() - drained

        request = rpc.ListServiceRequestsRequest(customer_id=HEAVY)
        first = await stub.ListServiceRequests(request)
        assert len(first.service_requests) == 50 and first.next_page_token, (
            "the heavy customer has 1,000 cases"
        )
        latencies = []
        for _ in range(args.lists):
            t0 = time.perf_counter()
            await stub.ListServiceRequests(request)
            latencies.append((time.perf_counter() - t0) * 1000)
        deep = rpc.ListServiceRequestsRequest(customer_id=HEAVY, page_token=first.next_page_token)
        deep_latencies = []
        for _ in range(args.lists // 5):
            t0 = time.perf_counter()
            await stub.ListServiceRequests(deep)
            deep_latencies.append((time.perf_counter() - t0) * 1000)
    latencies.sort()
    deep_latencies.sort()
    write_latencies.sort()
    return {
        "backlog": backlog,
        "drain_seconds": drain_seconds,
        "write_p50": 1000 * statistics.median(write_latencies),
        "write_p99": 1000 * write_latencies[int(len(write_latencies) * 0.99) - 1],
        "fill_seconds": fill_seconds,
        "writes": writes,
        "errors": errors,
        "elapsed": elapsed,
        "cpu_per_write_ms": 1000 * cpu / max(1, writes),
        "p50": statistics.median(latencies),
        "p99": latencies[int(len(latencies) * 0.99) - 1],
        "deep_p99": deep_latencies[int(len(deep_latencies) * 0.99) - 1],
    }


def run(args: argparse.Namespace, database_url: str, amqp_url: str | None) -> dict[str, float]:
    ctx = multiprocessing.get_context("spawn")
    stop = ctx.Event()
    ports = [free_port() for _ in range(args.replicas)]
    metrics_ports = [free_port() for _ in range(args.replicas)]
    servers = []
    try:
        # One after the other: the first one migrates the schema (the chart's migration Job does it
        # before any pod starts).
        for port, metrics_port in zip(ports, metrics_ports, strict=True):
            ready = ctx.Event()
            server = ctx.Process(
                target=_serve,
                args=(["service-requests"], port, database_url, amqp_url, ready, stop, metrics_port),
                daemon=True,
            )
            server.start()
            servers.append(server)
            if not ready.wait(120):
                sys.exit("server did not start")
        pids = [server.pid for server in servers if server.pid is not None]
        result = asyncio.run(drive(ports, database_url, args, pids))
        for metrics_port in metrics_ports[:1]:  # the first replica's batches stand for all
            result.update({f"batch:{name}": size for name, size in batch_sizes(metrics_port).items()})
        return result
    finally:
        stop.set()
        for server in servers:
            server.join(30)
            if server.is_alive():
                server.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", type=int, default=100_000, help="cases in the store (default 100,000)")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--lists", type=int, default=1000, help="ListServiceRequests calls to time")
    parser.add_argument(
        "--replicas", type=int, default=1, help="service processes on the one database (default 1)"
    )
    args = parser.parse_args()
    if args.store < 1001:
        sys.exit("--store must be above 1,000 (one customer alone holds 1,000 cases)")

    with contextlib.ExitStack() as scratch:
        database_url = scratch.enter_context(scratch_database())
        amqp_url = scratch.enter_context(scratch_vhost()) if shutil.which("rabbitmqctl") else None
        result = run(args, database_url, amqp_url)

    rate = result["writes"] / result["elapsed"]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(
        f"backends: PostgreSQL, {'RabbitMQ' if amqp_url else 'in-process bus'}; "
        f"service replicas: {args.replicas} (a process each); "
        f"{args.concurrency} concurrent clients, {args.seconds:g} s"
    )
    print(f"store: {args.store:,} cases (filled in {result['fill_seconds']:.0f} s), {HEAVY} holds 1,000")
    print(
        f"writes (cases opened + interactions logged): {rate:,.0f}/s ({result['errors']:.0f} errors), "
        f"service CPU {result['cpu_per_write_ms']:.1f} ms per write (target >= 500/s); "
        f"write latency p50 {result['write_p50']:.1f} ms, p99 {result['write_p99']:.1f} ms"
    )
    sizes = ", ".join(f"{k[6:]} {v:.1f}" for k, v in result.items() if k.startswith("batch:"))
    print(f"mean commands per group-commit batch: {sizes}")
    print(
        f"events not yet published when the writes stopped: {result['backlog']:.0f} "
        f"(published {result['drain_seconds']:.1f} s later)"
    )
    print(
        f"ListServiceRequests for the customer with 1,000 cases, first page of 50: "
        f"p50 {result['p50']:.1f} ms, p99 {result['p99']:.1f} ms (target p99 < 20 ms); "
        f"second page p99 {result['deep_p99']:.1f} ms"
    )
    print(
        f"reproduce: .venv/bin/python bench/service_requests.py --store {args.store} "
        f"--seconds {args.seconds:g} --concurrency {args.concurrency} --replicas {args.replicas}"
    )


if __name__ == "__main__":
    main()
