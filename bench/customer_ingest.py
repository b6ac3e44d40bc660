"""Bulk ingestion speed of the customer master, in the production shape, and GetCustomer latency.

A private PostgreSQL and RabbitMQ (bench/servers.py). A master of ``--seed-customers`` golden customers
is seeded through the API by one server process, then ``--records`` more as its history (half of them
duplicates, which a model can be trained on; ``--models learned`` trains one with ``isthmus customers
train``), vacuumed and analysed, and kept as a template. Each round ingests the same ``--records``
records, half of them true duplicates (another system's copy, with the usual corruptions) of people
the master holds, half new people, into a fresh copy of that master, after a PostgreSQL restart (its
caches empty), by a fresh ``isthmus serve customers`` (bearer tokens on) with the round's model: the
rounds differ only by their model and the machine's moment, so alternating models compares them. A
subscriber consumes every customer event as a component would (bench/subscriber.py). The clock stops
when the last event of the round is committed by the subscriber: the records are durable and their
events delivered. After each round, bare asyncpg transactions write the rows the round wrote
(bench/rows.py): the floor. Last, GetCustomer for customers this server process has never read (cold),
then the same again (warm).

    .venv/bin/python bench/customer_ingest.py                      # 100,000 present, 2 x 20,000 ingested
    .venv/bin/python bench/customer_ingest.py --rounds 4 --models builtin,learned   # the models alternated
    .venv/bin/python bench/customer_ingest.py --seed-customers 20000 --records 10000   # quicker
    .venv/bin/python bench/customer_ingest.py --backfill 1000000   # long: slices of 100,000, memory
    .venv/bin/python bench/customer_ingest.py --backfill 400000 --anchor   # each slice beside its floor
    .venv/bin/python bench/customer_ingest.py --backfill 1000000 --replicas 2   # two streams, two servers

With ``ISTHMUS_BENCH_PROFILE=DIR`` each round also writes a py-spy profile of the server over the
ingest (``bench/measure.py: Profiler``; summarise with ``bench/hot.py``). ``--statements`` prints
PostgreSQL's statements per record over each round (pg_stat_statements on the private cluster).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rows
from measure import Meter, Profiler, command_line, load_average
from people import SYSTEMS, Person, copy_of, make_person
from procs import (
    collections,
    collections_between,
    ingest_phases,
    matching_between,
    matching_work,
    phases_between,
    serving,
)
from scratch import database_mib, scratch_database, scratch_vhost, vacuum
from servers import PrivatePostgres, Server, private_rabbitmq
from subscriber import subscribed

from isthmus_client import aio_connect
from isthmus_client.api.customers.v1 import customers_pb2 as api
from isthmus_client.api.customers.v1 import customers_pb2_grpc
from isthmus_client.api.customers.v1 import records_pb2 as pb

TOKEN = "bench-ingest-" + uuid.uuid4().hex
TOKENS = json.dumps({"connectors": {"token": TOKEN, "scopes": ["customers:read", "customers:write"]}})
STREAM_OPTIONS = [("grpc.max_send_message_length", 64 << 20)]
ROUND = "round"  # the measured rounds' duplicates' source ids start with it


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class People:
    """Everyone the master has been sent, so a duplicate is always of a person really present."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.present: list[int] = []
        self.next_pid = 0

    def person(self, pid: int) -> Person:
        return make_person(random.Random(pid), pid)

    def new(self, count: int) -> list[pb.SourceRecord]:
        out = []
        for pid in range(self.next_pid, self.next_pid + count):
            out.append(copy_of(random.Random(pid), self.person(pid), "erp", f"p-{pid}", first=True))
            self.present.append(pid)
        self.next_pid += count
        return out

    def mixed(self, count: int, tag: str) -> list[pb.SourceRecord]:
        """Half duplicates of present people from another system, half new people, interleaved."""
        present = list(self.present)
        out: list[pb.SourceRecord] = []
        news = iter(self.new(count - count // 2))
        for i in range(count):
            if i % 2 == 0 and present:
                pid = self.rng.choice(present)
                system = SYSTEMS[1 + i % 4 // 2]
                out.append(copy_of(self.rng, self.person(pid), system, f"{tag}-{i}", first=False))
            else:
                out.append(next(news))
        return out


async def stream(
    stub: customers_pb2_grpc.CustomerMasterServiceStub, records: list[pb.SourceRecord], batch: int
) -> int:
    async def requests() -> AsyncIterator[api.StreamSourceRecordsRequest]:
        for i in range(0, len(records), batch):
            yield api.StreamSourceRecordsRequest(records=records[i : i + batch], batch_id=str(i))

    rejected = 0
    async for response in stub.StreamSourceRecords(requests()):
        rejected += response.rejected_count
    return rejected


def outbox_rows(database_url: str) -> int:
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM customers.outbox").fetchone()
    return int(row[0]) if row else 0


async def delivered(database_url: str, subscriber: Any, expected: int) -> None:
    """Until the outbox is empty and the subscriber has committed ``expected`` events."""
    while (  # noqa: ASYNC110 (the state is in other processes)
        await asyncio.to_thread(outbox_rows, database_url)
        or await asyncio.to_thread(subscriber.committed) < expected
    ):
        await asyncio.sleep(0.02)


def isthmus_cli(env: dict[str, str], *args: str) -> str:
    """Runs an ``isthmus`` command against the bench's master; its output."""
    command = [str(Path(sys.executable).parent / "isthmus"), *args]
    done = subprocess.run(command, env={**os.environ, **env}, check=True, capture_output=True, text=True)
    return done.stdout


def env_for(database_url: str, amqp_url: str) -> dict[str, str]:
    return {
        "ISTHMUS_DATABASE_URL": database_url,
        "ISTHMUS_AMQP_URL": amqp_url,
        "ISTHMUS_AUTH_TOKENS": TOKENS,
        "ISTHMUS_CUSTOMERS_DEFAULT_REGION": "DE",
    }


async def plain_stream(port: int, records: list[pb.SourceRecord], batch: int) -> tuple[int, float]:
    """``records`` streamed to the server on ``port``: (records rejected, seconds taken)."""
    started = time.perf_counter()
    async with aio_connect(f"127.0.0.1:{port}", token=TOKEN, options=STREAM_OPTIONS) as channel:
        rejected = await stream(customers_pb2_grpc.CustomerMasterServiceStub(channel), records, batch)
    return rejected, time.perf_counter() - started


async def seed(port: int, people: People, count: int, batch: int) -> float:
    """``count`` new people streamed in slices of 50,000 (not all made at once); seconds taken."""
    started, done = time.perf_counter(), 0
    while done < count:
        n = min(50_000, count - done)
        await plain_stream(port, people.new(n), batch)
        done += n
    return time.perf_counter() - started


async def ingest_round(
    ports: list[int],
    database_url: str,
    records: list[pb.SourceRecord],
    batch: int,
    meter: Meter,
    subscriber: Any,
    sampler: rows.Sampler | None = None,
) -> tuple[int, float]:
    """``records`` in batches of ``batch``, the batches dealt in turn to a stream to each port, until
    every event they made is consumed: (records rejected, seconds taken)."""
    stop = asyncio.Event()
    sampling = asyncio.create_task(sampler.run(stop)) if sampler else None
    try:
        async with contextlib.AsyncExitStack() as stack:
            stubs = [
                customers_pb2_grpc.CustomerMasterServiceStub(
                    await stack.enter_async_context(
                        aio_connect(f"127.0.0.1:{port}", token=TOKEN, options=STREAM_OPTIONS)
                    )
                )
                for port in ports
            ]
            batches = [records[i : i + batch] for i in range(0, len(records), batch)]
            shares = [[r for b in batches[k :: len(stubs)] for r in b] for k in range(len(stubs))]
            already = await asyncio.to_thread(subscriber.committed)
            before = await rows.counters(database_url, ["customers"])
            meter.start()
            started = time.perf_counter()
            streams = (stream(stub, share, batch) for stub, share in zip(stubs, shares, strict=True))
            rejected = sum(await asyncio.gather(*streams))
            after = await rows.counters(database_url, ["customers"])
            outbox = (
                after.get("customers.outbox", (0, 0, 0))[0] - before.get("customers.outbox", (0, 0, 0))[0]
            )
            await delivered(database_url, subscriber, already + outbox)
            elapsed = time.perf_counter() - started
            meter.stop()
        return rejected, elapsed
    finally:
        stop.set()
        if sampling:
            await sampling


async def reads(port: int, ids: list[str]) -> dict[str, float]:
    """GetCustomer for each id once (cold for this process), then again (warm)."""
    out: dict[str, float] = {}
    async with aio_connect(f"127.0.0.1:{port}", token=TOKEN) as channel:
        stub = customers_pb2_grpc.CustomerMasterServiceStub(channel)
        for kind in ("cold", "warm"):
            latencies = []
            for cid in ids:
                t0 = time.perf_counter()
                await stub.GetCustomer(api.GetCustomerRequest(customer_id=cid))
                latencies.append((time.perf_counter() - t0) * 1000)
            latencies.sort()
            out[f"{kind} p50"] = statistics.median(latencies)
            out[f"{kind} p99"] = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return out


def unread_customers(database_url: str, count: int, rng: random.Random) -> list[str]:
    """Ids of seeded customers, read straight from the database so the server has not seen them."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        found = [r[0] for r in conn.execute("SELECT customer_id FROM customers.customers")]
    return rng.sample(found, min(count, len(found)))


def deciding_models(database_url: str, prefix: str) -> str:
    """Which match model linked the records whose source ids start with ``prefix``, with how many."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        found = conn.execute(
            "SELECT match_model, count(*) FROM customers.source_records"
            " WHERE source_id LIKE %s AND match_model IS NOT NULL GROUP BY 1 ORDER BY 1",
            (prefix + "%",),
        ).fetchall()
    return ", ".join(f"{model} {count}" for model, count in found) or "none"


def main(args: argparse.Namespace) -> None:
    print(f"command: {command_line()}", flush=True)
    cluster = PrivatePostgres(**(rows.STATEMENTS if args.statements else {}))
    try:
        pg = cluster.start()
        with (
            private_rabbitmq() as mq,
            scratch_database(pg.url) as database_url,
            scratch_vhost(mq.host, mq.node) as amqp_url,
        ):
            if args.backfill:
                backfill(args, pg, mq, database_url, amqp_url)
            else:
                measure(args, cluster, mq, database_url, amqp_url)
    finally:
        cluster.remove()


def meter_for(servers: list[int], pg: Server, mq: Server, subscriber: int) -> Meter:
    """The run's processes; the servers as ``server``, or ``server 1``, ``server 2``... for replicas."""
    named = (
        {"server": servers[0]} if len(servers) == 1 else {f"server {i + 1}": p for i, p in enumerate(servers)}
    )
    pids = {**named, "postgres": pg.pid, "rabbitmq": mq.pid, "subscriber": subscriber}
    return Meter({**pids, "client": os.getpid()})


def servers_cpu(meter: Meter) -> float:
    """The CPU seconds of the run's server processes together."""
    return sum(v for k, v in meter.used.items() if k.startswith("server"))


@dataclass
class Measured:
    rejected: int
    elapsed: float
    profile: Any  # rows written per record, by table (rows.per_unit)
    sampled: Any  # a row of each table, for the anchor (rows.Sampler), when sampled
    statements: list[tuple[str, int, float, int, float]]  # with --statements


def measured_round(
    args: argparse.Namespace,
    pg: Server,
    servers: list[Any],
    subscriber: Any,
    database_url: str,
    records: list[pb.SourceRecord],
    meter: Meter,
    name: str,
    sample: bool,
) -> Measured:
    """``records`` streamed to ``servers`` (replicas: the batches dealt to each in turn) under
    ``meter`` (and a py-spy profile named ``name`` of each, when profiling), with the rows they wrote
    and, with ``--statements``, PostgreSQL's statements."""
    sampler = rows.Sampler(database_url, ["customers"]) if sample else None
    before = asyncio.run(rows.counters(database_url, ["customers"]))
    if args.statements:
        asyncio.run(rows.reset_statements(pg.url))
    profiler = Profiler(
        {name if len(servers) == 1 else f"{name}-{i + 1}": s.pid for i, s in enumerate(servers)}
    )
    profiler.start()
    rejected, elapsed = asyncio.run(
        ingest_round([s.port for s in servers], database_url, records, args.batch, meter, subscriber, sampler)
    )
    profiler.stop()
    found = asyncio.run(rows.statements(pg.url)) if args.statements else []
    after = asyncio.run(rows.counters(database_url, ["customers"]))
    profile = rows.per_unit(before, after, len(records))
    return Measured(rejected, elapsed, profile, sampler.rows if sampler else {}, found)


def anchor_round(pg: Server, database_url: str, profile: Any, sampled: Any, records: int, batch: int) -> Any:
    """The round's rows written again with bare asyncpg, ``batch`` records a transaction."""
    replay = rows.RowReplay(profile, sampled)
    asyncio.run(replay.prepare(database_url))
    anchor = Meter({"postgres": pg.pid, "anchor client": os.getpid()})
    anchor.start()
    started = time.perf_counter()
    asyncio.run(rows.replay(database_url, replay, records, batch, connections=1))
    seconds = time.perf_counter() - started
    anchor.stop()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA anchor CASCADE")
    return records / seconds, anchor


def measure(
    args: argparse.Namespace, cluster: PrivatePostgres, mq: Server, database_url: str, amqp_url: str
) -> None:
    """Seeds the master once (``--seed-customers`` people, then a mix of ``--records`` as its history:
    duplicates a model can be trained on), trains the learned model when a round needs it, and keeps
    that master as a template. Each round ingests the same records into a fresh copy of it, after a
    PostgreSQL restart, with a fresh server: rounds differ only by their model and the machine's
    moment, so alternating models compares them."""
    env = env_for(database_url, amqp_url)
    people = People(11)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    with subscribed(database_url, amqp_url, ["customers.#"]), serving(["customers"], env) as served:
        seconds = asyncio.run(seed(served["customers"].port, people, args.seed_customers, args.batch))
        print(f"seeded {args.seed_customers} golden customers, {args.seed_customers / seconds:.0f} records/s")
        history = people.mixed(args.records, "history")
        rejected, elapsed = asyncio.run(plain_stream(served["customers"].port, history, args.batch))
        print(f"then {len(history)} records (half duplicates), {rejected} rejected, in {elapsed:.1f} s")
    learned = ""  # the trained model's version
    if "learned" in models:
        trained = isthmus_cli(env, "customers", "train")
        learned = trained.split()[1]
        print(trained.strip(), flush=True)
    vacuumed, autovacuum = vacuum(database_url)
    print(f"VACUUM (ANALYZE) in {vacuumed:.1f} s (autovacuum: {autovacuum}); each round ingests into a copy")
    template = database_url.rsplit("/", 1)[1]
    records = people.mixed(args.records, ROUND)
    results: list[tuple[str, float, float, float]] = []
    for n in range(args.rounds):
        model = models[n % len(models)]
        version = learned if model == "learned" else "builtin"
        with scratch_database(cluster.url, template=template) as copy:
            pg = cluster.restart()
            copy_env = env_for(copy, amqp_url)
            isthmus_cli(copy_env, "customers", "model", "activate", version, "--actor", "bench")
            print(f"round {n + 1}: match model {version} ({model}), load {load_average()}", flush=True)
            results.append((model, *ingest_once(args, (pg, mq), copy, amqp_url, records, n)))
    print(f"load average at the end: {load_average()}")
    rates = ", ".join(f"{r:.0f}" for _, r, _, _ in results)
    cpu = ", ".join(f"{c:.3f} ({m})" for m, _, c, _ in results)
    ratios = ", ".join(f"{r / a:.2f}" for _, r, _, a in results)
    print(f"records/s by round: {rates} (target >= 1,000); server CPU per record: {cpu} ms (target <= 0.6)")
    print(f"service / anchor throughput by round: {ratios}")
    for model in dict.fromkeys(models):
        mine = [c for m, _, c, _ in results if m == model]
        if mine:
            print(f"{model}: server CPU per record, median of {len(mine)}: {statistics.median(mine):.3f} ms")


def ingest_once(
    args: argparse.Namespace,
    servers: tuple[Server, Server],
    database_url: str,
    amqp_url: str,
    records: list[pb.SourceRecord],
    n: int,
) -> tuple[float, float, float]:
    """One round: ``records`` streamed to a fresh server on ``database_url``, GetCustomer cold and
    warm, the floor; (records/s, server ms of CPU per record, the floor's records/s)."""
    count, (pg, mq) = len(records), servers
    with (
        subscribed(database_url, amqp_url, ["customers.#"]) as subscriber,
        serving(["customers"], env_for(database_url, amqp_url)) as served,
    ):
        server = served["customers"]
        rss_before = rss_mib(server.pid)
        meter = meter_for([server.pid], pg, mq, subscriber.pid)
        gc_before, work_before = collections(server), matching_work(server)
        phases_before = ingest_phases(server)
        measured = measured_round(
            args, pg, [server], subscriber, database_url, records, meter, f"customers-round{n + 1}", True
        )
        gc_during = collections_between(gc_before, collections(server))
        work = matching_between(work_before, matching_work(server), count)
        phases = phases_between(phases_before, ingest_phases(server), count)
        rejected, elapsed, profile = measured.rejected, measured.elapsed, measured.profile
        rss_after = rss_mib(server.pid)
        ids = unread_customers(database_url, args.gets, random.Random(n))
        latencies = asyncio.run(reads(server.port, ids))
    deciders = deciding_models(database_url, f"{ROUND}-")
    anchor_rate, anchor_cpu = anchor_round(pg, database_url, profile, measured.sampled, count, args.batch)
    print(
        f"round {n + 1}: {count} records (half duplicates of present customers) in {elapsed:.1f} s: "
        f"{count / elapsed:.0f} records/s until every event was consumed, {rejected} rejected; "
        f"CPU per record (ms): {meter.per(count)}; server RSS {rss_before:.0f} -> {rss_after:.0f} MiB, "
        f"{gc_during}; {work}; duplicates linked by model {deciders}",
        flush=True,
    )
    print(f"round {n + 1} {phases}", flush=True)
    print(
        f"round {n + 1} anchor: {anchor_rate:.0f} records/s of bare asyncpg writes of the round's rows "
        f"({args.batch} records a transaction); CPU per record: {anchor_cpu.per(count)}"
    )
    print(
        f"round {n + 1} GetCustomer, {len(ids)} customers this process never read: "
        f"cold p50 {latencies['cold p50']:.2f} ms, p99 {latencies['cold p99']:.2f} ms; "
        f"warm p50 {latencies['warm p50']:.2f} ms, p99 {latencies['warm p99']:.2f} ms",
        flush=True,
    )
    if n == 0:
        shape = rows.shape(profile)
        print(f"rows per record (insert/update/delete, pg_stat_user_tables, rounded): {shape}")
    if measured.statements:
        rows.print_statements(measured.statements, count, "record")
    return count / elapsed, 1000 * meter.used["server"] / count, anchor_rate


def backfill(args: argparse.Namespace, pg: Server, mq: Server, database_url: str, amqp_url: str) -> None:
    """Stream ``--backfill`` records in slices of 100,000 into one server process (``--replicas``:
    several, each a stream of its own, the batches dealt to them in turn); after the first slice,
    half of each slice are duplicates of people sent earlier in the backfill. Per slice: records/s
    until the slice's events are consumed, CPU per record and server memory (the replicas' matching
    work and ingest phases summed). After each slice the database is vacuumed and analysed, as
    autovacuum would (its defaults vacuum a table once a fifth of it is new); that time is printed
    apart."""
    env = env_for(database_url, amqp_url)
    people = People(5)
    started, done, slowest = time.perf_counter(), 0, float("inf")
    with contextlib.ExitStack() as stack:
        subscriber = stack.enter_context(subscribed(database_url, amqp_url, ["customers.#"]))
        servers = [
            stack.enter_context(serving(["customers"], env))["customers"] for _ in range(args.replicas)
        ]

        def summed(read: Any) -> Any:
            found = [read(server) for server in servers]
            if isinstance(found[0], dict):
                return {k: sum(f.get(k, 0.0) for f in found) for k in found[0]}
            return tuple(map(sum, zip(*found, strict=True)))

        while done < args.backfill:
            n = min(100_000, args.backfill - done)
            records = people.mixed(n, f"b{done}") if done else people.new(n)
            meter = meter_for([s.pid for s in servers], pg, mq, subscriber.pid)
            work_before, phases_before = summed(matching_work), summed(ingest_phases)
            name = f"customers-{done + n}"
            measured = measured_round(
                args, pg, servers, subscriber, database_url, records, meter, name, args.anchor
            )
            elapsed = measured.elapsed
            done += n
            slowest = min(slowest, n / elapsed)
            vacuumed, _ = vacuum(database_url)
            rss = ", ".join(f"{rss_mib(s.pid):.0f}" for s in servers)
            print(
                f"{done:>9} records  {n / elapsed:6.0f} records/s in this slice  "
                f"server RSS {rss:>6} MiB  CPU per record: {meter.per(n)}  "
                f"then vacuum {vacuumed:4.0f} s, database {database_mib(database_url):,.0f} MiB",
                flush=True,
            )
            print(f"          {matching_between(work_before, summed(matching_work), n)}", flush=True)
            print(f"          {phases_between(phases_before, summed(ingest_phases), n)}", flush=True)
            if args.anchor:
                floor = (measured.profile, measured.sampled)
                _rate, anchor = anchor_round(pg, database_url, *floor, n, args.batch)
                print(
                    "          anchor, bare asyncpg writing the slice's rows: "
                    f"CPU per record {anchor.per(n)}; "
                    f"server / anchor run {servers_cpu(meter) / anchor.run_total():.2f}, "
                    f"postgres / anchor's postgres {meter.used['postgres'] / anchor.used['postgres']:.2f}",
                    flush=True,
                )
            if measured.statements:
                rows.print_statements(measured.statements, n, "record", top=4)
    total = time.perf_counter() - started
    print(f"total {done} records in {total:.0f} s, vacuums included; slowest slice {slowest:.0f} records/s")
    print(f"load average at the end: {load_average()}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed-customers", type=int, default=100_000)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--gets", type=int, default=2000, help="customers read cold, then warm")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--backfill", type=int, default=0, help="long mode: stream this many records")
    parser.add_argument(
        "--replicas",
        type=int,
        default=1,
        help="backfill: server processes, each taking every Nth batch on a stream of its own",
    )
    parser.add_argument(
        "--anchor",
        action="store_true",
        help="backfill: after each slice, write its rows again with bare asyncpg (the machine's speed"
        " at that point, to compare slices by)",
    )
    parser.add_argument(
        "--statements",
        action="store_true",
        help="count PostgreSQL's statements per record (pg_stat_statements on the private cluster)",
    )
    parser.add_argument(
        "--models",
        default="builtin",
        help="match models by round, in turn: builtin, learned (trained with `isthmus customers train`"
        " on the master once a round has brought duplicates), or builtin,learned to alternate them",
    )
    main(parser.parse_args())
