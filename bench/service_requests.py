"""Service requests: cases opened + interactions logged per second through gRPC, and the latency of
ListServiceRequests for customers with 1,000 cases each in a large store.

The production shape: ``isthmus serve service-requests`` as fresh processes (``--replicas`` of them on
one database, as a Deployment with that many pods), bearer tokens on, a private PostgreSQL and
RabbitMQ (bench/servers.py). First the store is filled: one case opened through gRPC is copied in
SQL with varied customers, times and categories; ``--heavy`` customers hold 1,000 cases each,
scattered through the table as real cases would be. Then concurrent clients each open a case and log
an interaction on it, for a fixed time; the clock stops when every event of those writes is
published. The anchor, alternated in the same run: bare asyncpg transactions writing the rows those
writes wrote (bench/rows.py). Last, a fresh server process lists the first page of each heavy
customer once (cold: nothing of that customer read before by this process) and then again (warm),
after a first call of its own (``lists``).

    .venv/bin/python bench/service_requests.py [--store 100000] [--seconds 15] [--concurrency 32]
    .venv/bin/python bench/service_requests.py --store 1000000     # a large store (slow to fill)
    .venv/bin/python bench/service_requests.py --replicas 2        # two service processes, one database

With ``ISTHMUS_BENCH_PROFILE=DIR`` each round also writes py-spy profiles of the service processes
over the write phase (``bench/measure.py: Profiler``; summarise with ``bench/hot.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
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
from isthmus_client.api.service_requests.v1 import service_request_pb2 as pb
from isthmus_client.api.service_requests.v1 import service_requests_pb2 as rpc
from isthmus_client.api.service_requests.v1 import service_requests_pb2_grpc

TOKEN = "bench-cases-" + uuid.uuid4().hex
TOKENS = json.dumps({"call-center": {"token": TOKEN, "scopes": ["service_requests:*"]}})

HEAVY = "bench-heavy-"  # + n: the customers holding 1,000 cases each
FIRST_CALL = "bench-first-call"  # a customer with three cases
CATEGORIES = ["delivery", "billing", "returns", "product", "account", "warranty"]


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


def fill(database_url: str, template_id: str, store: int, heavy: int) -> float:
    """Copies the template case ``store - 1`` times in SQL. Every ``store // (heavy * 1000)``-th copy
    belongs to a heavy customer (round robin), so each one's 1,000 cases are spread through the table
    and through time; the others belong to 200,000 customers with a few cases each."""
    started = time.perf_counter()
    stride = max(1, (store - 1) // (heavy * 1000))
    with psycopg.connect(database_url, autocommit=True) as conn:
        columns = [
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'service_requests'"
                " AND table_name = 'service_requests' ORDER BY ordinal_position"
            )
        ]
        heavy_case = f"g %% {stride} = 0 AND g / {stride} <= {heavy * 1000}"
        categories = "ARRAY[" + ", ".join(f"'{c}'" for c in CATEGORIES) + "]"
        override = {
            "id": "t.id || '-' || g",
            "customer_id": (
                f"CASE WHEN {heavy_case} THEN '{HEAVY}' || ((g / {stride}) %% {heavy}) "
                "ELSE 'seed-' || (g * 7919 %% 200000) END"
            ),
            "opened_at": "t.opened_at - g * interval '37 seconds'",
            "category": f"({categories})[1 + g %% {len(CATEGORIES)}]",
            "subject": "'case ' || g",
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
        conn.execute("VACUUM (ANALYZE) service_requests.service_requests")
    return time.perf_counter() - started


def outbox_backlog(database_url: str) -> int:
    """Events written but not yet confirmed by the broker."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM service_requests.outbox").fetchone()
    return int(row[0]) if row else 0


def wait_for_empty_outbox(database_url: str) -> None:
    while outbox_backlog(database_url):
        time.sleep(0.1)


async def writes(
    ports: list[int], database_url: str, args: argparse.Namespace, pids: dict[str, int], sampler: rows.Sampler
) -> dict[str, Any]:
    """Concurrent clients open a case and log an interaction on it; until every event is published."""
    async with contextlib.AsyncExitStack() as stack:
        stubs = [
            service_requests_pb2_grpc.ServiceRequestServiceStub(
                await stack.enter_async_context(aio_connect(f"127.0.0.1:{port}", token=TOKEN))
            )
            for port in ports
        ]
        done = errors = 0
        latencies: list[float] = []
        stop = asyncio.Event()

        async def client(n: int) -> None:
            nonlocal done, errors
            stub = stubs[n % len(stubs)]  # clients spread over the replicas
            i = 0
            while not stop.is_set():
                i += 1
                try:
                    t0 = time.perf_counter()
                    case = (
                        await stub.OpenServiceRequest(open_request(f"bench-{n}-{i % 500}"))
                    ).service_request
                    t1 = time.perf_counter()
                    await stub.LogInteraction(interaction(case.service_request_id))
                    latencies.extend((t1 - t0, time.perf_counter() - t1))
                    done += 2
                except grpc.aio.AioRpcError:
                    errors += 1

        await stubs[0].OpenServiceRequest(open_request("bench-warm-up"))
        sampling = asyncio.create_task(sampler.run(stop))
        meter = Meter({**pids, "load generator": os.getpid()})
        services = {n.replace(" ", "-"): pid for n, pid in pids.items() if n.startswith("service-requests")}
        profiler = Profiler(services)
        profiler.start()
        meter.start()
        started = time.perf_counter()
        clients = [asyncio.create_task(client(n)) for n in range(args.concurrency)]
        await asyncio.sleep(args.seconds)
        stop.set()
        await asyncio.gather(*clients)
        client_phase = time.perf_counter() - started
        backlog = await asyncio.to_thread(outbox_backlog, database_url)
        await asyncio.to_thread(wait_for_empty_outbox, database_url)
        elapsed = time.perf_counter() - started
        meter.stop()
        profiler.stop()
        await sampling
    latencies.sort()
    return {
        "writes": done,
        "errors": errors,
        "rate": done / elapsed,
        "client_rate": done / client_phase,
        "backlog": backlog,
        "p50": 1000 * statistics.median(latencies),
        "p99": 1000 * latencies[int(len(latencies) * 0.99) - 1],
        "cpu": meter.per(done),
        "run_ms": 1000 * meter.run_total() / max(1, done),
    }


async def lists(port: int, heavy: int) -> dict[str, float]:
    """The first page of each heavy customer, cold (first read by this process), then warm.

    Before them the process lists a page and the next of a customer with three cases: its first call
    of each kind prepares the statement (SQLAlchemy compiles it, PostgreSQL parses and plans it on the
    connection), a cost a process pays once, not for each customer it has not read. With 50 customers
    the p99 is the slowest call, so it would otherwise be that first call whatever the reads cost;
    the first call's time is reported on its own."""
    async with aio_connect(f"127.0.0.1:{port}", token=TOKEN) as channel:
        stub = service_requests_pb2_grpc.ServiceRequestServiceStub(channel)
        found: dict[str, list[float]] = {"cold": [], "warm": [], "second page": []}
        request = rpc.ListServiceRequestsRequest(customer_id=FIRST_CALL, page_size=2)
        t0 = time.perf_counter()
        page = await stub.ListServiceRequests(request)
        first_call = (time.perf_counter() - t0) * 1000
        assert page.next_page_token, "three cases, two a page"
        request.page_token = page.next_page_token
        await stub.ListServiceRequests(request)
        for kind in ("cold", "warm"):
            for n in range(heavy):
                request = rpc.ListServiceRequestsRequest(customer_id=f"{HEAVY}{n}")
                t0 = time.perf_counter()
                page = await stub.ListServiceRequests(request)
                found[kind].append((time.perf_counter() - t0) * 1000)
                assert len(page.service_requests) == 50 and page.next_page_token, (
                    "a heavy customer holds 1,000"
                )
                if kind == "warm":
                    request.page_token = page.next_page_token
                    t0 = time.perf_counter()
                    await stub.ListServiceRequests(request)
                    found["second page"].append((time.perf_counter() - t0) * 1000)
    out: dict[str, float] = {"first call": first_call}
    for kind, values in found.items():
        values.sort()
        out[f"{kind} p50"] = statistics.median(values)
        out[f"{kind} p99"] = values[min(len(values) - 1, int(len(values) * 0.99))]
    return out


def one_round(pg: Server, mq: Server, args: argparse.Namespace) -> dict[str, Any]:
    with scratch_database(pg.url) as database_url, scratch_vhost(mq.host, mq.node) as amqp_url:
        env = {
            "ISTHMUS_DATABASE_URL": database_url,
            "ISTHMUS_AMQP_URL": amqp_url,
            "ISTHMUS_AUTH_TOKENS": TOKENS,
            "ISTHMUS_DB_POOL_SIZE": "20",
        }
        names = ["service-requests"] * args.replicas
        with serving(["service-requests"], env) as first:
            port = first["service-requests"].port

            async def template() -> str:
                async with aio_connect(f"127.0.0.1:{port}", token=TOKEN) as channel:
                    stub = service_requests_pb2_grpc.ServiceRequestServiceStub(channel)
                    for _ in range(3):  # listed by the fresh process's first call (``lists``)
                        await stub.OpenServiceRequest(open_request(FIRST_CALL))
                    return (
                        (await stub.OpenServiceRequest(open_request("bench-template"))).service_request
                    ).service_request_id

            fill_seconds = fill(database_url, asyncio.run(template()), args.store, args.heavy)
        with contextlib.ExitStack() as stack:
            replicas = [stack.enter_context(serving([name], env))[name] for name in names]
            pids = {"postgres": pg.pid, "rabbitmq": mq.pid}
            pids.update({f"service-requests {i + 1}": r.pid for i, r in enumerate(replicas)})
            schemas = ["service_requests"]
            before = asyncio.run(rows.counters(database_url, schemas))
            sampler = rows.Sampler(database_url, schemas)
            result = asyncio.run(writes([r.port for r in replicas], database_url, args, pids, sampler))
            # The unit of work is a pair: a case opened and an interaction logged on it.
            after = asyncio.run(rows.counters(database_url, schemas))
            profile = rows.per_unit(before, after, result["writes"] // 2)
            result.update({f"batch:{b}": v for b, v in batch_sizes(replicas[0].metrics_port).items()})
        with serving(["service-requests"], env) as fresh:
            result.update(asyncio.run(lists(fresh["service-requests"].port, args.heavy)))
        replay = rows.RowReplay(profile, sampler.rows)
        asyncio.run(replay.prepare(database_url))
        meter = Meter({"postgres": pg.pid, "anchor client": os.getpid()})
        group = max(1, round(sum(v for k, v in result.items() if k.startswith("batch:")) / 2 or 1))
        meter.start()
        started = time.perf_counter()
        asyncio.run(rows.replay(database_url, replay, result["writes"] // 2, group, connections=20))
        anchor_seconds = time.perf_counter() - started
        meter.stop()
    result["fill_seconds"] = fill_seconds
    result["anchor_rate"] = result["writes"] / anchor_seconds
    result["anchor_cpu"] = meter.per(result["writes"])
    result["anchor_run_ms"] = 1000 * meter.run_total() / max(1, result["writes"])
    result["profile"] = profile
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", type=int, default=100_000, help="cases in the store (default 100,000)")
    parser.add_argument("--heavy", type=int, default=50, help="customers holding 1,000 cases each")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--replicas", type=int, default=1, help="service processes on the one database")
    parser.add_argument("--rounds", type=int, default=2, help="service and anchor rounds, alternated")
    args = parser.parse_args()
    if args.store <= args.heavy * 1000:
        sys.exit("--store must be above --heavy x 1,000 cases")

    results = []
    with servers() as found:
        for n in range(args.rounds):
            r = one_round(found["postgres"], found["rabbitmq"], args)
            results.append(r)
            print(
                f"round {n + 1} writes: {r['rate']:,.0f}/s until published ({r['client_rate']:,.0f}/s while "
                f"clients ran; {r['errors']} errors; {r['backlog']} events unpublished when they stopped); "
                f"CPU per write: {r['cpu']}; latency p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms",
                flush=True,
            )
            print(
                f"round {n + 1} anchor: {r['anchor_rate']:,.0f}/s of bare asyncpg writes; "
                f"CPU per write: {r['anchor_cpu']}"
            )
            print(
                f"round {n + 1} ListServiceRequests, {args.heavy} customers of 1,000 cases, page 1 of 50: "
                f"the fresh process's first call {r['first call']:.1f} ms, then cold p50 {r['cold p50']:.1f}"
                f" / p99 {r['cold p99']:.1f} ms, warm p50 {r['warm p50']:.1f} / "
                f"p99 {r['warm p99']:.1f} ms; second page p99 {r['second page p99']:.1f} ms",
                flush=True,
            )
    shape = rows.shape(results[0]["profile"])
    print(f"rows per case opened + interaction logged (insert/update/delete; pg_stat_user_tables): {shape}")
    print(f"store: {args.store:,} cases (filled in {results[0]['fill_seconds']:.0f} s)")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"load average at the end: {load_average()}")
    ratios = ", ".join(f"{r['rate'] / r['anchor_rate']:.2f}" for r in results)
    print(f"service / anchor throughput: {ratios}")
    print(
        f"reproduce: .venv/bin/python bench/service_requests.py --store {args.store} --heavy {args.heavy} "
        f"--seconds {args.seconds:g} --concurrency {args.concurrency} --replicas {args.replicas} "
        f"--rounds {args.rounds}"
    )


if __name__ == "__main__":
    main()
