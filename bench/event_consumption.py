"""What the hub spends consuming the customer master's ``CustomerCreated`` events, per event.

After a bulk load the other contexts consume one ``CustomerCreated`` per new customer: the value
context makes the customer's engagement profile, the orders context learns the customer (and
resolves orders that were waiting for them). This measures that work alone, in the shape of the
finding that prompted it: ``isthmus up`` (every component in one process, in-process events) on a
fresh database of a private PostgreSQL, bearer tokens on.

Each round gets a fresh database (``isthmus migrate``) and a fresh process. ``--events`` envelopes,
built as the customer master builds them (a golden customer with name, e-mail, phone, address,
birth date and source reference), wait in a staging table. Once the process is up and idle, the
clock starts and one ``INSERT ... SELECT`` moves them into the customer master's outbox, as a
committed load would leave them; the process's relay finds them by polling. The clock stops when
both subscriptions have committed every event in their inbox and the outbox is empty (published
and settled): the work is durable. CPU is read from /proc for the process, PostgreSQL (and RabbitMQ)
and this script, each on its own.

Two kinds of round alternate, ``--rounds`` times each:

* hub: ``isthmus up``, the real consumers;
* anchor: a process running the same bus (relay, the two subscriptions' queues, inbox, a batch of
  deliveries per transaction) with handlers that do nothing: what consuming these events costs
  before any context does anything with them.

With ``--segments N`` the hub has N published segments (through SegmentService) before the events
come, and decides every new profile against them: customers enter segments, which the value context
announces (``value.SegmentEntered``) and its campaigns hear.

    .venv/bin/python bench/event_consumption.py [--events 10000] [--rounds 2] [--segments 0] [--rabbitmq]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import Meter, load_average, wait_idle
from people import make_person
from procs import BIN, migrate, wait_serving
from scratch import free_port, scratch_database, scratch_vhost
from servers import Server, servers

from isthmus.platform import db
from isthmus.platform.config import Settings
from isthmus.platform.events import Event, Subscription, create_bus
from isthmus.platform.events.envelope import new_envelope
from isthmus_client import connect
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.customers.v1 import records_pb2 as pb
from isthmus_client.api.events.v1 import customers_pb2 as ev
from isthmus_client.api.value.v1 import campaigns_pb2, campaigns_pb2_grpc

SPAWN = multiprocessing.get_context("spawn")
TOKEN = "bench-consumption-" + uuid.uuid4().hex
# The subscriptions of `isthmus up` that bind customers.CustomerCreated, by the schema of their inbox.
QUEUES = {"value": "isthmus.value.engagement-customers", "orders": "isthmus.orders.customers"}
KEYS = ("customers.CustomerCreated",)


# -- the events -------------------------------------------------------------------------------------


def created(rng: random.Random, n: int, at: datetime) -> tuple[str, str, bytes]:
    """(event id, customer id, envelope) of the n-th new customer, as the master's ingest records it."""
    p = make_person(rng, n)
    customer_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    customer = pb.Customer(
        customer_id=customer_id,
        state=pb.CUSTOMER_STATE_ACTIVE,
        version=1,
        name=pb.PersonName(given_name=p.given, family_name=p.family),
        emails=[pb.EmailAddress(address=p.email, primary=True)],
        phones=[pb.PhoneNumber(number=p.phone, primary=True)],
        addresses=[
            pb.Address(
                address=common_pb2.PostalAddress(
                    address_lines=[f"{p.street} {p.number}"],
                    locality=p.city,
                    postal_code=p.postcode,
                    region_code="DE",
                ),
                primary=True,
            )
        ],
        birth_date=common_pb2.Date(year=p.dob[0], month=p.dob[1], day=p.dob[2]),
        sources=[pb.SourceReference(source_system="erp", source_id=f"P-{n}")],
    )
    customer.create_time.FromDatetime(at)
    customer.update_time.FromDatetime(at)
    cause = pb.SourceReference(source_system="erp", source_id=f"P-{n}")
    envelope = new_envelope(
        ev.CustomerCreated(customer=customer, source_record=cause),
        aggregate_id=customer_id,
        correlation_id="",
        causation_id="",
        producer="customers",
        occurred_at=at,
    )
    return envelope.event_id, customer_id, envelope.SerializeToString()


def events(count: int) -> list[tuple[str, str, bytes]]:
    rng, at = random.Random(25), datetime.now(UTC)
    return [created(rng, n, at) for n in range(count)]


def stage(database_url: str, rows: list[tuple[str, str, bytes]]) -> None:
    """The events, ready to be moved into the outbox in one statement."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE public.bench_staging (seq serial PRIMARY KEY, event_id text, aggregate_id text,"
            " envelope bytea)"
        )
        columns = "public.bench_staging (event_id, aggregate_id, envelope)"
        with conn.cursor() as cur, cur.copy(f"COPY {columns} FROM STDIN") as copy:
            for event_id, customer_id, envelope in rows:
                copy.write_row((event_id, customer_id, envelope))


RELEASE = (
    "INSERT INTO customers.outbox (event_id, type, aggregate_id, envelope, created_at)"
    " SELECT event_id, 'customers.CustomerCreated', aggregate_id, envelope, now()"
    " FROM public.bench_staging ORDER BY seq"
)


def caught_up(conn: psycopg.Connection[Any], count: int) -> bool:
    for schema, queue in QUEUES.items():
        found = conn.execute(f"SELECT count(*) FROM {schema}.inbox WHERE consumer = %s", (queue,)).fetchone()
        if found is None or found[0] < count:
            return False
    left = conn.execute("SELECT count(*) FROM customers.outbox").fetchone()
    return left is not None and left[0] == 0


def dead_letters(conn: psycopg.Connection[Any]) -> int:
    total = 0
    for schema in QUEUES:
        found = conn.execute(f"SELECT count(*) FROM {schema}.dead_letters").fetchone()
        total += found[0] if found else 0
    return total


# -- the anchor: the same bus, handlers that do nothing ----------------------------------------------


async def _anchor(settings: Settings, report: Connection) -> None:
    engines = {schema: db.async_engine(settings, schema) for schema in ("customers", *QUEUES)}

    async def nothing(_session: Any, _event: Event) -> None:
        return None

    bus = create_bus(settings)
    bus.add_relay("customers", engines["customers"])
    for schema, queue in QUEUES.items():
        purpose = queue.rsplit(".", 1)[1]
        bus.subscribe(schema, engines[schema], Subscription(purpose, KEYS, nothing))
    await bus.start()
    report.send("ready")
    await asyncio.to_thread(report.recv)  # until told to stop
    await bus.stop()
    for engine in engines.values():
        await engine.dispose()


def anchor_process(settings: Settings, report: Connection) -> None:
    asyncio.run(_anchor(settings, report))


@contextmanager
def anchor(database_url: str, amqp_url: str | None, _segments: int) -> Iterator[int]:
    settings = Settings(database_url=database_url, amqp_url=amqp_url)
    ours, theirs = SPAWN.Pipe()
    child = SPAWN.Process(target=anchor_process, args=(settings, theirs), daemon=True)
    child.start()
    try:
        if not ours.poll(120) or ours.recv() != "ready":
            raise RuntimeError("the anchor process did not start")
        yield child.pid or 0
    finally:
        ours.send("stop")
        child.join(60)
        if child.is_alive():
            child.kill()


# Segments over what a new customer's profile says, published before the events come: every new
# profile is decided against each (all the generated customers live in Germany, one in twelve in
# Hamburg, none has consented yet).
RULES = (
    {"field": "country", "op": "eq", "value": "DE"},
    {"field": "city", "op": "eq", "value": "Hamburg"},
    {"field": "consents", "op": "contains", "value": "EMAIL"},
)


def publish_segments(port: int, count: int) -> None:
    with connect(f"127.0.0.1:{port}", token=TOKEN) as channel:
        stub = campaigns_pb2_grpc.SegmentServiceStub(channel)
        for n in range(count):
            rule = json.dumps(RULES[n % len(RULES)])
            made = stub.CreateSegment(campaigns_pb2.CreateSegmentRequest(name=f"bench {n}", rule=rule))
            stub.PublishSegment(campaigns_pb2.PublishSegmentRequest(segment_id=made.segment.segment_id))


@contextmanager
def hub(database_url: str, amqp_url: str | None, segments: int) -> Iterator[int]:
    port = free_port()
    env = {
        **os.environ,
        "ISTHMUS_DATABASE_URL": database_url,
        "ISTHMUS_AUTH_TOKENS": json.dumps({"bench": {"token": TOKEN, "scopes": ["*"]}}),
        "ISTHMUS_LOG_LEVEL": "WARNING",
    }
    env.pop("ISTHMUS_AMQP_URL", None)
    if amqp_url:
        env["ISTHMUS_AMQP_URL"] = amqp_url
    args = ["up", "--grpc-port", str(port), "--metrics-port", "0", "--console-port", "0"]
    with subprocess.Popen([BIN / "isthmus", *args], env=env, stderr=subprocess.DEVNULL) as process:
        try:
            wait_serving(port, process)
            publish_segments(port, segments)
            yield process.pid
        finally:
            process.terminate()


# -- a round ------------------------------------------------------------------------------------------


def one_round(
    kind: str, pg: Server, mq: Server | None, rows: list[tuple[str, str, bytes]], segments: int
) -> dict[str, Any]:
    count = len(rows)
    with scratch_database(pg.url) as database_url, _vhost(mq) as amqp_url:
        env = {"ISTHMUS_DATABASE_URL": database_url, **({"ISTHMUS_AMQP_URL": amqp_url} if amqp_url else {})}
        migrate([], env)
        stage(database_url, rows)
        start = hub if kind == "hub" else anchor
        with (
            start(database_url, amqp_url, segments) as pid,
            psycopg.connect(database_url, autocommit=True) as conn,
        ):
            wait_idle(pid)  # start-up done: only the events' work is measured
            pids = {kind: pid, "postgres": pg.pid, "bench": os.getpid()}
            if mq is not None:
                pids["rabbitmq"] = mq.pid
            meter = Meter(pids)
            meter.start()
            began = time.perf_counter()
            conn.execute(RELEASE)
            while not caught_up(conn, count):
                time.sleep(0.1)
            elapsed = time.perf_counter() - began
            meter.stop()
            dead = dead_letters(conn)
    return {
        "rate": count / elapsed,
        "seconds": elapsed,
        "cpu": meter.per(count),
        "process_ms": meter.used[kind] * 1000 / count,
        "postgres_ms": meter.used["postgres"] * 1000 / count,
        "run_ms": meter.run_total() * 1000 / count,
        "dead": dead,
        "load": load_average(),
    }


@contextmanager
def _vhost(mq: Server | None) -> Iterator[str | None]:
    if mq is None:
        yield None
        return
    with scratch_vhost(mq.host, mq.node) as url:
        yield url


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=10_000, help="CustomerCreated events per round")
    parser.add_argument("--rounds", type=int, default=2, help="hub and anchor rounds, alternated")
    parser.add_argument("--rabbitmq", action="store_true", help="events through a private RabbitMQ")
    parser.add_argument(
        "--segments", type=int, default=0, help="published segments every new profile is decided against"
    )
    args = parser.parse_args()

    rows = events(args.events)
    results: dict[str, list[dict[str, Any]]] = {"hub": [], "anchor": []}
    with servers(rabbitmq=args.rabbitmq) as found:
        pg, mq = found["postgres"], found.get("rabbitmq")
        for n in range(args.rounds):
            for kind in ("hub", "anchor"):
                r = one_round(kind, pg, mq, rows, args.segments)
                results[kind].append(r)
                print(
                    f"round {n + 1} {kind:<6}: {r['rate']:,.0f} events/s ({r['seconds']:.1f} s), "
                    f"dead letters {r['dead']}; CPU per event (ms): {r['cpu']}; load average {r['load']}",
                    flush=True,
                )

    bus = "RabbitMQ" if args.rabbitmq else "in-process events"
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"load average at the end: {load_average()}")
    print(
        f"shape: isthmus up on PostgreSQL, {bus}, {args.events:,} CustomerCreated events a round, "
        f"{args.segments} published segments"
    )
    for kind, found_rounds in results.items():
        each = ", ".join(
            f"{r['process_ms']:.3f}, postgres {r['postgres_ms']:.3f}, run {r['run_ms']:.3f}"
            for r in found_rounds
        )
        print(f"{kind} CPU per event (ms), the process, postgres, the whole run, per round: {each}")
    ratios = ", ".join(
        f"{h['run_ms'] / a['run_ms']:.2f}" for h, a in zip(results["hub"], results["anchor"], strict=True)
    )
    print(f"hub / anchor run CPU per event, per round: {ratios}")
    flags = f"--events {args.events} --rounds {args.rounds} --segments {args.segments}"
    flags += " --rabbitmq" if args.rabbitmq else ""
    print(f"reproduce: .venv/bin/python bench/event_consumption.py {flags}")


if __name__ == "__main__":
    main()
