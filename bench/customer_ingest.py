"""Bulk ingestion speed of the customer master: gRPC streaming into PostgreSQL, with a master already
holding many golden customers, and GetCustomer latency; opt-in long backfill for memory flatness.

The server runs as its own process (`isthmus serve customers`), as in production; this script is the
client. A scratch database and RabbitMQ vhost are created and dropped (needs rabbitmqctl).

    .venv/bin/python bench/customer_ingest.py                      # 100,000 golden present, 20,000 ingested
    .venv/bin/python bench/customer_ingest.py --seed-customers 20000 --records 10000   # quicker
    .venv/bin/python bench/customer_ingest.py --backfill 1000000   # long: memory through 1M records
    .venv/bin/python bench/customer_ingest.py --seed-template isthmus_seed_100k   # A/B: seed once, copy
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import Meter
from people import SYSTEMS, copy_of, make_person
from scratch import PG_ADMIN, database_url, free_port, scratch_database, scratch_vhost, vacuum

from isthmus_client.api.customers.v1 import customers_pb2 as api
from isthmus_client.api.customers.v1 import customers_pb2_grpc
from isthmus_client.api.customers.v1 import records_pb2 as pb

BIN = Path(sys.executable).parent


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def mixed_records(count: int, seeded: int, rng: random.Random, offset: int) -> list[pb.SourceRecord]:
    """Half copies of people already in the master (from another system, corrupted), half new people."""
    out = []
    for i in range(count):
        if seeded and i % 2 == 0:
            pid = rng.randrange(seeded)
            person = make_person(random.Random(pid), pid)
            system = SYSTEMS[1 + i % 2]
            out.append(copy_of(rng, person, system, f"dup-{offset + i}", first=False))
        else:
            pid = 10_000_000 + offset + i
            out.append(copy_of(rng, make_person(rng, pid), SYSTEMS[i % 3], f"new-{pid}", first=True))
    return out


async def stream(
    stub: customers_pb2_grpc.CustomerMasterServiceStub, records: list[pb.SourceRecord], batch: int
) -> tuple[int, float]:
    async def requests() -> AsyncIterator[api.UpsertSourceRecordsRequest]:
        for i in range(0, len(records), batch):
            yield api.UpsertSourceRecordsRequest(records=records[i : i + batch], batch_id=str(i))

    rejected = 0
    start = time.perf_counter()
    async for response in stub.StreamSourceRecords(requests()):
        rejected += response.rejected_count
    return rejected, time.perf_counter() - start


async def main(args: argparse.Namespace) -> None:
    with scratch_vhost() as amqp_url:
        template = args.seed_template
        if template:
            await ensure_template(args, template, amqp_url)
        with scratch_database(args.pg_url, template) as url:
            await measure(args, url, amqp_url, seeded_in=template)


def server_env(database_url: str, amqp_url: str, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "ISTHMUS_DATABASE_URL": database_url,
        "ISTHMUS_AMQP_URL": amqp_url,
        "ISTHMUS_AUTH_DISABLED": "true",
        "ISTHMUS_GRPC_PORT": str(port),
        "ISTHMUS_METRICS_PORT": "0",
        "ISTHMUS_LOG_LEVEL": "WARNING",
        "ISTHMUS_CUSTOMERS_DEFAULT_REGION": "DE",
    }


@contextlib.asynccontextmanager
async def serving(
    database_url: str, amqp_url: str
) -> AsyncIterator[tuple[customers_pb2_grpc.CustomerMasterServiceStub, int]]:
    """Migrates the database, runs `isthmus serve customers` on it; yields a stub and the server's pid."""
    port = free_port()
    env = server_env(database_url, amqp_url, port)
    isthmus = str(BIN / "isthmus")
    await asyncio.to_thread(subprocess.run, [isthmus, "migrate", "customers"], env=env, check=True)
    server = subprocess.Popen([isthmus, "serve", "customers"], env=env)  # noqa: ASYNC220
    try:
        async with grpc.aio.insecure_channel(
            f"127.0.0.1:{port}", options=[("grpc.max_send_message_length", 64 << 20)]
        ) as channel:
            await asyncio.wait_for(channel.channel_ready(), 30)
            yield customers_pb2_grpc.CustomerMasterServiceStub(channel), server.pid
    finally:
        server.terminate()
        server.wait(30)


async def seed(stub: customers_pb2_grpc.CustomerMasterServiceStub, args: argparse.Namespace) -> float:
    """Streams ``--seed-customers`` people, one record each; returns the seconds it took."""
    seeded = 0
    seed_time = 0.0
    while seeded < args.seed_customers:
        n = min(50_000, args.seed_customers - seeded)
        chunk = [
            copy_of(
                random.Random(pid), make_person(random.Random(pid), pid), "erp", f"seed-{pid}", first=True
            )
            for pid in range(seeded, seeded + n)
        ]
        _, t = await stream(stub, chunk, args.batch)
        seed_time += t
        seeded += n
    return seed_time


async def ensure_template(args: argparse.Namespace, name: str, amqp_url: str) -> None:
    """A database seeded once and copied for each run (`--seed-template`): runs compared back to back
    then start from the same master without seeding it again. Its comment records what was seeded."""
    wanted = f"seed-customers={args.seed_customers}"
    with psycopg.connect(args.pg_url, autocommit=True) as admin:
        row = admin.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
        if row is not None:
            if row[0] != wanted:
                sys.exit(f"template {name} holds {row[0]}, not {wanted}: drop it or choose another name")
            return
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        async with serving(database_url(args.pg_url, name), amqp_url) as (stub, _pid):
            seconds = await seed(stub, args)
        await asyncio.to_thread(vacuum, database_url(args.pg_url, name))
    except BaseException:
        with psycopg.connect(args.pg_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        raise
    with psycopg.connect(args.pg_url, autocommit=True) as admin:
        admin.execute(f"COMMENT ON DATABASE \"{name}\" IS '{wanted}'")
    print(f"seeded template {name}: {args.seed_customers} at {args.seed_customers / seconds:.0f} records/s")


async def measure(args: argparse.Namespace, url: str, amqp_url: str, seeded_in: str | None) -> None:
    async with serving(url, amqp_url) as (stub, pid):
        rng = random.Random(11)
        if args.backfill:
            await backfill(stub, pid, url, args)
            return
        seeded = args.seed_customers
        seed_time = None if seeded_in else await seed(stub, args)
        vacuumed, autovacuum = await asyncio.to_thread(vacuum, url)
        records = mixed_records(args.records, seeded, rng, 0)
        rss_before = rss_mib(pid)
        meter = Meter({"server": pid, "client": os.getpid()})
        meter.start()
        rejected, elapsed = await stream(stub, records, args.batch)
        meter.stop()
        rss_after = rss_mib(pid)
        ids = []
        for _ in range(400):
            found = await stub.LookupBySourceId(
                api.LookupBySourceIdRequest(source_system="erp", source_id=f"seed-{rng.randrange(seeded)}")
            )
            ids.append(found.customer_id)
        latencies = []
        for i in range(args.gets):
            cid = ids[i % len(ids)]
            t0 = time.perf_counter()
            await stub.GetCustomer(api.GetCustomerRequest(customer_id=cid))
            latencies.append((time.perf_counter() - t0) * 1000)
    latencies.sort()
    print(f"command: {' '.join(['.venv/bin/python', *sys.argv])}")
    how = (
        f"copied from template {seeded_in}"
        if seed_time is None
        else f"seeded at {seeded / seed_time:.0f} records/s"
    )
    print(f"golden customers present: {seeded} ({how})")
    print(f"then VACUUM (ANALYZE) in {vacuumed:.1f} s (the server's autovacuum: {autovacuum})")
    print(
        f"ingested {len(records)} records (half duplicates of present customers) in {elapsed:.1f} s: "
        f"{len(records) / elapsed:.0f} records/s, {rejected} rejected"
    )
    print(f"CPU per record ingested (ms): {meter.per(len(records))}")
    print(
        f"GetCustomer over {len(latencies)} calls: p50 {statistics.median(latencies):.2f} ms, "
        f"p99 {latencies[int(len(latencies) * 0.99) - 1]:.2f} ms"
    )
    print(f"server RSS {rss_before:.0f} MiB before, {rss_after:.0f} MiB after the ingest")


async def backfill(
    stub: customers_pb2_grpc.CustomerMasterServiceStub,
    pid: int,
    database_url: str,
    args: argparse.Namespace,
) -> None:
    """Stream ``--backfill`` records in slices, printing throughput and server memory per slice.

    After each slice the database is vacuumed and analysed, as autovacuum would (its defaults
    vacuum a table once a fifth of it is new); the time is printed apart and counted in the total.
    """
    rng = random.Random(5)
    done, slice_size, start = 0, 100_000, time.perf_counter()
    print(f"command: {' '.join(['.venv/bin/python', *sys.argv])}")
    while done < args.backfill:
        n = min(slice_size, args.backfill - done)
        records = mixed_records(n, done, rng, done)
        _, t = await stream(stub, records, args.batch)
        done += n
        vacuumed, _ = await asyncio.to_thread(vacuum, database_url)
        print(
            f"{done:>9} records  {n / t:6.0f} records/s in this slice  server RSS {rss_mib(pid):6.0f} MiB"
            f"  then vacuum {vacuumed:4.0f} s",
            flush=True,
        )
    print(f"total {done} records in {time.perf_counter() - start:.0f} s, vacuums included")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--pg-url", default=PG_ADMIN, help="a database on the server to use (a scratch one is made)"
    )
    parser.add_argument("--seed-customers", type=int, default=100_000)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--gets", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument(
        "--seed-template",
        metavar="NAME",
        help="seed a database of this name once and copy it for each run (drop it when the stored"
        " form changes)",
    )
    parser.add_argument(
        "--backfill", type=int, default=0, help="long mode: stream this many records, report memory"
    )
    asyncio.run(main(parser.parse_args()))
