"""Orders created and paid per second through gRPC, until loyalty has awarded their points.

The production shape: ``isthmus migrate``, then ``isthmus serve orders`` and ``isthmus serve
loyalty`` as fresh processes for each round, bearer-token authentication on, on a private PostgreSQL
and RabbitMQ (bench/servers.py). Concurrent clients each create an order and pay it, for a fixed
time. A subscriber process consumes every event of both services as a component does (the platform's
consumer and inbox, bench/subscriber.py), as the customer master's 360 view does in production (it
subscribes to ``orders.*`` and ``loyalty.*``; the value context to some of them besides). A
probe process notes when each order's points became visible in loyalty's ledger (its CPU is printed
apart, not charged to the run; the PostgreSQL work of its reads is). The clock stops when the last
paid order's points are visible and the subscriber has committed every event: the work is durable
and its events delivered.

The anchors, alternated with the service in the same run, are what an order costs with no code of
ours: bare asyncpg transactions writing the rows the use case wrote (bench/rows.py), as many at once as
there were clients; a bare grpc.aio server answering the same two calls with the service's own
responses to the same load generator; and plain pika publishing the order's events with confirms, as
many per order as the outboxes sent, and consuming with acks the ones a service consumed. Their sum is
the floor of an order on this machine; each prints CPU per order for every process of its run.

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
import pika
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rows
from event_pipeline import SPAWN, _raw_publish, raw_consumer
from measure import Meter, Profiler, batch_sizes, load_average
from procs import serving
from scratch import scratch_database, scratch_vhost
from servers import Server, servers
from subscriber import COMPONENT as SUBSCRIBER
from subscriber import subscribed

from isthmus.platform.events.options import BusOptions
from isthmus.platform.events.rabbit import queue_arguments
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


async def one_order(stub: orders_pb2_grpc.OrderServiceStub, customer_id: str) -> tuple[Any, Any]:
    """An order created and paid, as a shop does it: the two responses."""
    created = await stub.CreateOrder(request(customer_id))
    order = created.order
    paid = await stub.PayOrder(
        orders_pb2.PayOrderRequest(
            order_id=order.order_id, expected_version=1, amount=order.total, payment_reference="p"
        )
    )
    return created, paid


def _probe(database_url: str, report: Any) -> None:  # child process
    """Notes when each order's points become visible in loyalty's ledger (``time.monotonic``, one
    clock for every process), until every order the parent names is; then sends what it saw. A
    process of its own, so that what watching costs is not charged to the run."""

    async def main() -> None:
        visible_at: dict[str, float] = {}
        delivered_at: float | None = None
        expected: set[str] | None = None
        deadline = float("inf")
        last = 0
        last_delivered, last_change = -1, 0.0
        # No prepared statement: a generic plan of ``seq > $1`` is a scan of the whole ledger.
        connect = psycopg.AsyncConnection.connect(database_url, autocommit=True, prepare_threshold=None)
        async with await connect as conn:
            report.send("ready")
            while True:
                # In seq order with a limit, kind filtered here: the primary key's index, whatever the
                # table's statistics (with kind in the query it was a scan of the whole ledger).
                found = await (
                    await conn.execute(
                        "SELECT seq, kind, doc FROM loyalty.loyalty_ledger"
                        " WHERE seq > %s ORDER BY seq LIMIT 100",
                        (last,),
                    )
                ).fetchall()
                now = time.monotonic()
                for seq, kind, doc in found:
                    last = max(last, seq)
                    if kind == 1:
                        order_id = loyalty_pb2.LedgerEntry.FromString(doc).reason.order_id
                        visible_at.setdefault(order_id, now)
                if expected is None and report.poll():
                    expected = set(report.recv())
                    deadline = now + 300
                if expected is not None and delivered_at is None and expected <= visible_at.keys():
                    # Every event both services recorded, committed by the subscriber's inbox: as many
                    # as the outboxes' ids, or (a transaction rolled back leaves a gap in the ids) both
                    # outboxes empty and nothing more committed for 0.2 s.
                    recorded, delivered, waiting = (
                        await (
                            await conn.execute(
                                "SELECT (SELECT last_value FROM orders.outbox_id_seq)"
                                " + (SELECT last_value FROM loyalty.outbox_id_seq),"
                                f" (SELECT count(*) FROM {SUBSCRIBER}.inbox),"
                                " (SELECT count(*) FROM orders.outbox)"
                                " + (SELECT count(*) FROM loyalty.outbox)"
                            )
                        ).fetchall()
                    )[0]
                    if delivered != last_delivered:
                        last_delivered, last_change = delivered, now
                    if delivered >= recorded or (not waiting and now - last_change >= 0.2):
                        delivered_at = last_change
                if expected is not None and (delivered_at is not None or now > deadline):
                    report.send((visible_at, delivered_at))
                    return
                if len(found) < 100:
                    await asyncio.sleep(0.005)

    asyncio.run(main())


async def drive(
    port: int, database_url: str, args: argparse.Namespace, pids: dict[str, int], sampler: rows.Sampler
) -> dict[str, Any]:
    paid_at: dict[str, float] = {}
    errors: list[str] = []
    stop = asyncio.Event()
    clients_done = asyncio.Event()
    responses: list[tuple[Any, Any]] = []

    async def client(stub: orders_pb2_grpc.OrderServiceStub, rng: random.Random) -> None:
        while not stop.is_set():
            try:
                created, paid = await one_order(stub, customer(rng.randrange(args.customers)))
                paid_at[created.order.order_id] = time.monotonic()
                if not responses:
                    responses.append((created, paid))
            except grpc.aio.AioRpcError as error:
                errors.append(error.code().name)

    ours, theirs = SPAWN.Pipe()
    probe = SPAWN.Process(target=_probe, args=(database_url, theirs), daemon=True)
    probe.start()
    try:
        if not await asyncio.to_thread(ours.poll, 60) or ours.recv() != "ready":
            raise RuntimeError("the visibility probe did not start")
        async with aio_connect(f"127.0.0.1:{port}", token=TOKEN) as channel:
            stub = orders_pb2_grpc.OrderServiceStub(channel)
            for sku in ("TV", "CABLE") if args.stock else ():  # the hub keeps their stock
                await stub.SetStockLevel(orders_pb2.SetStockLevelRequest(sku=sku, on_hand=args.stock))
            warm = random.Random(0)
            stop.set()
            await client(stub, warm)  # one call each, for the channel and the server's first statements
            stop.clear()
            sampling = asyncio.create_task(sampler.run(clients_done))
            meter = Meter(
                {**pids, "load generator": os.getpid(), "visibility probe": probe.pid or 0},
                apart=("visibility probe",),
            )
            profiler = Profiler({name: pids[name] for name in ("orders", "loyalty")})
            profiler.start()
            meter.start()
            started = time.monotonic()
            clients = [asyncio.create_task(client(stub, random.Random(i))) for i in range(args.concurrency)]
            await asyncio.sleep(args.seconds)
            stop.set()
            await asyncio.gather(*clients)
            clients_done.set()
            client_phase = time.monotonic() - started
            ours.send(list(paid_at))
            if not await asyncio.to_thread(ours.poll, 330):
                raise RuntimeError("the visibility probe never answered")
            visible_at, delivered_at = ours.recv()
            meter.stop()
            profiler.stop()
            await sampling
    finally:
        probe.terminate()
        probe.join(10)
    delays = sorted(visible_at[o] - t for o, t in paid_at.items() if o in visible_at)
    missing = len(paid_at) - len(delays)
    last_visible = max(visible_at.values(), default=started)
    if delivered_at is None:
        errors.append("EVENTS_NOT_DELIVERED")  # the subscriber missed events within the 300 s
    done = max(last_visible, delivered_at or last_visible)
    quantiles = statistics.quantiles(delays, n=100) if len(delays) > 1 else [float("nan")] * 99
    return {
        "orders": len(paid_at),
        "errors": len(errors),
        "error_codes": sorted(set(errors)),
        "rate": len(paid_at) / max(done - started, client_phase),
        "client_rate": len(paid_at) / client_phase,
        "p50_ms": quantiles[49] * 1000,
        "p99_ms": quantiles[98] * 1000,
        "missing": missing,
        "cpu": meter.per(len(paid_at)),
        "run_ms": meter.run_total() * 1000 / max(1, len(paid_at)),
        "responses": responses[0],
    }


def service_round(pg: Server, mq: Server, args: argparse.Namespace) -> tuple[dict[str, Any], Any]:
    """One measured round on fresh processes, then its anchors; returns the result, the rows written
    per order and the anchors' results."""
    with scratch_database(pg.url) as database_url, scratch_vhost(mq.host, mq.node) as amqp_url:
        env = {
            "ISTHMUS_DATABASE_URL": database_url,
            "ISTHMUS_AMQP_URL": amqp_url,
            "ISTHMUS_AUTH_TOKENS": TOKENS,
            "ISTHMUS_DB_POOL_SIZE": "20",
        }
        with (
            subscribed(database_url, amqp_url, ["orders.#", "loyalty.#"]) as subscriber,
            serving(["orders", "loyalty"], env) as served,
        ):
            pids = {"postgres": pg.pid, "rabbitmq": mq.pid, **{n: s.pid for n, s in served.items()}}
            pids["subscriber"] = subscriber.pid
            schemas = ["orders", "loyalty", SUBSCRIBER]
            if args.statements:
                asyncio.run(rows.reset_statements(pg.url))
            before = asyncio.run(rows.counters(database_url, schemas))
            sampler = rows.Sampler(database_url, schemas)
            result = asyncio.run(drive(served["orders"].port, database_url, args, pids, sampler))
            after = asyncio.run(rows.counters(database_url, schemas))
            if args.statements:
                result["statements"] = asyncio.run(rows.statements(pg.url))
            profile = rows.per_unit(before, after, result["orders"])
            for name, s in served.items():
                result.update({f"batch:{name}.{b}": v for b, v in batch_sizes(s.metrics_port).items()})
        templates = sampler.rows
        group = max(1, round(result.get("batch:orders.write_order", 1)))
        anchor = anchor_round(pg, database_url, profile, templates, result["orders"], group)
    published, consumed = events_per_order(profile)
    payload = result["responses"][1].order.SerializeToString()
    anchors = {
        "postgres": anchor,
        "grpc": grpc_anchor_round(result["responses"], args),
        "broker": broker_anchor_round(mq, result["orders"], published, consumed, payload),
    }
    return result, (profile, anchors)


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
    return _anchor(meter, orders, elapsed)


def _anchor(meter: Meter, orders: int, seconds: float) -> dict[str, Any]:
    """An anchor's figures: orders a second, and CPU per order by process and for the run."""
    return {"rate": orders / seconds, "cpu": meter.per(orders), "run_ms": meter.run_total() * 1000 / orders}


class _BareOrders(orders_pb2_grpc.OrderServiceServicer):
    """The two calls of an order answered with the service's own responses, and nothing else."""

    def __init__(self, created: bytes, paid: bytes) -> None:
        self.created = orders_pb2.CreateOrderResponse.FromString(created)
        self.paid = orders_pb2.PayOrderResponse.FromString(paid)

    async def CreateOrder(self, request: Any, context: Any) -> Any:
        return self.created

    async def PayOrder(self, request: Any, context: Any) -> Any:
        return self.paid


def _bare_server(created: bytes, paid: bytes, report: Any) -> None:  # child process
    async def main() -> None:
        server = grpc.aio.server()
        orders_pb2_grpc.add_OrderServiceServicer_to_server(_BareOrders(created, paid), server)
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        report.send(port)
        await asyncio.Event().wait()

    asyncio.run(main())


async def _bare_load(port: int, server_pid: int, args: argparse.Namespace) -> dict[str, Any]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = orders_pb2_grpc.OrderServiceStub(channel)
        await one_order(stub, customer(0))  # the connection
        done = 0
        stop_at = time.perf_counter() + args.seconds

        async def client(rng: random.Random) -> None:
            nonlocal done
            while time.perf_counter() < stop_at:
                await one_order(stub, customer(rng.randrange(args.customers)))
                done += 1

        meter = Meter({"bare grpc server": server_pid, "load generator": os.getpid()})
        meter.start()
        started = time.perf_counter()
        await asyncio.gather(*(client(random.Random(i)) for i in range(args.concurrency)))
        elapsed = time.perf_counter() - started
        meter.stop()
    return _anchor(meter, done, elapsed)


def grpc_anchor_round(responses: tuple[Any, Any], args: argparse.Namespace) -> dict[str, Any]:
    """The same load generator against a bare grpc.aio server: what the two calls cost gRPC."""
    created, paid = (r.SerializeToString() for r in responses)
    ours, theirs = SPAWN.Pipe()
    child = SPAWN.Process(target=_bare_server, args=(created, paid, theirs), daemon=True)
    child.start()
    try:
        if not ours.poll(60):
            raise RuntimeError("the bare gRPC server did not start")
        return asyncio.run(_bare_load(ours.recv(), child.pid or 0, args))
    finally:
        child.terminate()
        child.join(10)


def broker_anchor_round(
    mq: Server, orders: int, published: int, consumed: int, payload: bytes
) -> dict[str, Any]:
    """Plain pika: each order's events published with confirms (``published`` of them, the size of
    an order), the ``consumed`` deliveries (one per event and subscriber) to a quorum queue declared as
    the bus declares its own and acked, the rest confirmed and dropped (no queue bound)."""
    with scratch_vhost(mq.host, mq.node) as url:
        queue = f"bench.floor.{uuid.uuid4().hex[:8]}"
        # A queue as the bus declares its subscriptions' (quorum, delivery limit, dead-lettering at
        # least once, reject-publish): the guarantees are the product's, not overhead of its code.
        with pika.BlockingConnection(pika.URLParameters(url)) as conn:
            conn.channel().queue_declare(queue, durable=True, arguments=queue_arguments(queue, BusOptions()))
        # An event two subscribers consume is published twice here, once for each delivery.
        routes = [queue] * consumed + ["bench.unbound"] * max(0, published - consumed)
        published = len(routes)
        ours, theirs = SPAWN.Pipe()
        child = SPAWN.Process(
            target=raw_consumer, args=(url, queue, orders * consumed, 500, theirs), daemon=True
        )
        child.start()
        try:
            if not ours.poll(60) or ours.recv() != "ready":
                raise RuntimeError("the raw consumer did not start")
            meter = Meter({"rabbitmq": mq.pid, "publisher": os.getpid(), "consumer": child.pid or 0})
            meter.start()
            began = asyncio.run(_raw_publish(url, queue, orders * published, payload, 1000, routes))
            if consumed and not ours.poll(600):
                raise RuntimeError("the raw consumer never finished")
            finished = ours.recv() if consumed else time.time()
            meter.stop()
        finally:
            child.terminate()
            child.join(10)
    return _anchor(meter, orders, finished - began)


def events_per_order(profile: dict[str, rows.Writes]) -> tuple[int, int]:
    """(events published, events consumed) per order: outbox and inbox rows, all schemas."""
    published = sum(w.inserts for t, w in profile.items() if t.endswith(".outbox"))
    consumed = sum(w.inserts for t, w in profile.items() if t.endswith(".inbox"))
    return published, consumed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=2, help="service and anchor rounds, alternated")
    parser.add_argument(
        "--stock",
        type=int,
        default=0,
        help="count this many units of the bench's two articles first: every order then takes stock",
    )
    parser.add_argument(
        "--statements",
        action="store_true",
        help="count the service's statements per order (pg_stat_statements on the private cluster)",
    )
    args = parser.parse_args()

    results: list[tuple[dict[str, Any], dict[str, dict[str, Any]]]] = []
    with servers(pg_settings=rows.STATEMENTS if args.statements else None) as found:
        for n in range(args.rounds):
            result, (profile, anchors) = service_round(found["postgres"], found["rabbitmq"], args)
            results.append((result, anchors))
            print(
                f"round {n + 1} service: {result['rate']:.0f} orders/s until points visible "
                f"({result['client_rate']:.0f}/s while clients ran), {result['orders']} orders, "
                f"{result['errors']} errors {result['error_codes']}; CPU per order: {result['cpu']}",
                flush=True,
            )
            for name, what in (
                ("postgres", "bare asyncpg writes of the order's rows"),
                ("grpc", "the two calls on a bare grpc.aio server"),
                ("broker", "the order's events, plain pika with confirms and acks"),
            ):
                a = anchors[name]
                print(
                    f"round {n + 1} anchor {name}: {a['rate']:.0f} orders/s of {what}; "
                    f"CPU per order: {a['cpu']}",
                    flush=True,
                )
            floor = sum(a["run_ms"] for a in anchors.values())
            print(
                f"round {n + 1} floor: {floor:.3f} ms of run CPU per order (the three anchors' sum); "
                f"the service's run is {result['run_ms'] / floor:.2f} times it",
                flush=True,
            )
            if n == 0:
                shape = rows.shape(profile)
                print(f"rows per order (insert/update/delete), from pg_stat_user_tables: {shape}")
                published, consumed = events_per_order(profile)
                print(f"events per order: {published} published, {consumed} consumed")
            if "statements" in result:
                rows.print_statements(result["statements"], result["orders"], "order")
            print(
                f"round {n + 1} OrderPaid -> points visible: p50 {result['p50_ms']:.0f} ms, "
                f"p99 {result['p99_ms']:.0f} ms; never visible: {result['missing']}",
                flush=True,
            )

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"load average at the end: {load_average()}")
    kept = f", stock kept of both articles ({args.stock} units each)" if args.stock else ""
    print(
        f"shape: isthmus serve orders + loyalty, auth on, {args.concurrency} clients, "
        f"{args.seconds:g} s{kept}"
    )
    rates = [r["rate"] for r, _ in results]
    cpu = [r["run_ms"] for r, _ in results]
    print(f"orders/s: {', '.join(f'{x:.0f}' for x in rates)} (target >= 500)")
    print(f"run CPU per order: {', '.join(f'{x:.2f}' for x in cpu)} ms (target <= 3)")
    throughput = ", ".join(f"{r['rate'] / a['postgres']['rate']:.2f}" for r, a in results)
    cpu_ratio = ", ".join(f"{a['postgres']['run_ms'] / r['run_ms']:.2f}" for r, a in results)
    floors = [sum(x["run_ms"] for x in a.values()) for _, a in results]
    print(f"service / postgres anchor throughput: {throughput}")
    print(f"postgres anchor / service CPU per order: {cpu_ratio}")
    over = ", ".join(f"{r['run_ms'] / f:.2f}" for (r, _), f in zip(results, floors, strict=True))
    print(
        f"floor (the three anchors) per order: {', '.join(f'{f:.2f}' for f in floors)} ms; "
        f"service / floor: {over}; the 3 ms target is {', '.join(f'{3 / f:.2f}' for f in floors)} "
        "times the floor"
    )
    sizes = ", ".join(f"{k[6:]} {v:.1f}" for k, v in results[-1][0].items() if k.startswith("batch:"))
    print(f"mean commands per group-commit batch (last round): {sizes}")
    print(
        f"reproduce: .venv/bin/python bench/orders_loyalty.py --seconds {args.seconds:g} "
        f"--concurrency {args.concurrency} --customers {args.customers} --rounds {args.rounds}"
        + (" --statements" if args.statements else "")
        + (f" --stock {args.stock}" if args.stock else "")
    )


if __name__ == "__main__":
    main()
