"""GetCustomer360 for a large account against a small one: what the view costs as the orders and
the cases grow.

A private PostgreSQL (bench/servers.py) and the customers component in this process (tokens off,
in-process events). Two customers: one with ``--orders`` orders and ``--cases`` service requests in
the 360's read model, one with three orders and two cases; both are written by the component's own
projection, as its consumer writes them, in batches of 1,000 (orders paid, some refunded, some
cancelled, some in another currency; cases closed or resolved, one in 1,000 still open), then the
database is analysed. Then ``--calls`` GetCustomer360 calls for each customer over gRPC, the large account's
and the small one's phases alternated; printed per customer: latency p50/p95 and the CPU per call of
this process (client and server) and of PostgreSQL; and what loading the events through the
projection cost, CPU per event (the read model's writes, their indexes included). With ``--against
TREE`` each round runs this checkout's services and then ``TREE``'s (a git worktree of another
commit, its ``services`` first on the import path), each on a fresh cluster loaded alike.

    .venv/bin/python bench/c360_accounts.py
    .venv/bin/python bench/c360_accounts.py --orders 20000 --cases 20000 --rounds 2 --against /work/wt-before
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import Meter, in_checkout, load_average, print_medians
from servers import private_postgres

BATCH = 1000
SMALL = (3, 2)  # the small account's orders and cases


def _order(customer_id: str, n: int) -> Any:
    from google.protobuf.timestamp_pb2 import Timestamp

    from isthmus_client.api.common.v1 import common_pb2
    from isthmus_client.api.orders.v1 import order_pb2

    currency = "JPY" if n % 10 == 0 else "EUR"
    total = f"{1000 + n}" if currency == "JPY" else f"{10 + n % 90}.{n % 100:02d}"
    cancelled = n % 17 == 0
    placed = Timestamp(seconds=1_700_000_000 + n * 60)
    o = order_pb2.Order(
        order_id=str(uuid.uuid4()),
        source_system="webshop",
        external_order_id=f"W-{n}",
        customer_id=customer_id,
        channel=order_pb2.ORDER_CHANNEL_WEB,
        state=order_pb2.ORDER_STATE_CANCELLED if cancelled else order_pb2.ORDER_STATE_PAID,
        currency_code=currency,
        total=common_pb2.Money(amount=total, currency_code=currency),
        place_time=placed,
        pay_time=Timestamp(seconds=placed.seconds + 30),
        version=3,
    )
    if n % 7 == 0 and currency == "EUR":
        o.refunded_total.CopyFrom(common_pb2.Money(amount="1.50", currency_code=currency))
    return o


def _case_event(customer_id: str, n: int) -> tuple[str, str, Any]:
    from google.protobuf.timestamp_pb2 import Timestamp

    from isthmus_client.api.events.v1 import service_requests_pb2 as sev
    from isthmus_client.api.service_requests.v1 import service_request_pb2 as srp

    state = (
        srp.SERVICE_REQUEST_STATE_OPEN
        if n % 1000 == 0
        else (srp.SERVICE_REQUEST_STATE_RESOLVED if n % 3 == 0 else srp.SERVICE_REQUEST_STATE_CLOSED)
    )
    sr = srp.ServiceRequest(
        service_request_id=str(uuid.uuid4()),
        customer_id=customer_id,
        channel=srp.CHANNEL_PHONE,
        kind=srp.SERVICE_REQUEST_KIND_INQUIRY,
        priority=srp.PRIORITY_NORMAL,
        subject=f"Question {n} about an invoice",
        state=state,
        version=2,
    )
    sr.open_time.CopyFrom(Timestamp(seconds=1_700_000_000 + n * 60))
    sr.sla.resolution_due_time.CopyFrom(Timestamp(seconds=1_700_000_000 + n * 60 + 86_400))
    changed = sev.ServiceRequestStateChanged(
        service_request=sr, from_state=srp.SERVICE_REQUEST_STATE_NEW, to_state=state
    )
    return sr.service_request_id, "ServiceRequestStateChanged", changed


def _order_event(customer_id: str, n: int) -> tuple[str, str, Any]:
    from isthmus_client.api.events.v1 import orders_pb2 as oev

    o = _order(customer_id, n)
    return o.order_id, "OrderPaid", oev.OrderPaid(order=o)


async def _load(engine: Any, customer_id: str, orders: int, cases: int) -> None:
    from isthmus.customers.tables import view360_tables
    from isthmus.customers.view360 import Projection
    from isthmus.platform.db import session_factory
    from isthmus.platform.events import Event

    projection = Projection(view360_tables)
    sessions = session_factory(engine)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    work = [(n, "orders", _order_event) for n in range(orders)] + [
        (n, "service_requests", _case_event) for n in range(cases)
    ]
    for first in range(0, len(work), BATCH):
        events = []
        for n, source, make in work[first : first + BATCH]:
            key, name, payload = make(customer_id, n)
            events.append(
                Event(
                    str(uuid.uuid4()),
                    f"{source}.{name}",
                    start + timedelta(minutes=n),
                    key,
                    "",
                    "",
                    1,
                    f"isthmus.events.v1.{name}",
                    source,
                    payload,
                )
            )
        async with sessions() as session, session.begin():
            finish = await projection.prepare(session, events)
            for e in events:
                await projection.handle(session, e)
            await finish()


async def _child(orders: int, cases: int, calls: int) -> dict[str, Any]:
    import psycopg

    from isthmus.customers.bootstrap import SCHEMA
    from isthmus.platform import config, hub
    from isthmus_client.api.customers.v1 import customers_pb2 as api
    from isthmus_client.api.customers.v1 import customers_pb2_grpc
    from isthmus_client.api.customers.v1 import records_pb2 as pb

    found: dict[str, Any] = {}
    with private_postgres() as pg:
        settings = config.load(
            {
                "ISTHMUS_DATABASE_URL": pg.url,
                "ISTHMUS_AUTH_DISABLED": "true",
                "ISTHMUS_GRPC_PORT": "0",
                "ISTHMUS_METRICS_PORT": "0",
                "ISTHMUS_SHUTDOWN_GRACE_SECONDS": "1",
            }
        )
        async with hub.running(settings, ["customers"]) as h, h.channel() as channel:
            master = customers_pb2_grpc.CustomerMasterServiceStub(channel)
            ids = {}
            for kind, given in (("large", "Gerda"), ("small", "Hanno")):
                record = pb.SourceRecord(
                    source_system="erp",
                    source_id=f"{kind}-account",
                    name=pb.PersonName(given_name=given, family_name="Kontor"),
                )
                record.emails.add(address=f"{kind}@example.com")
                reply = await master.UpsertSourceRecord(api.UpsertSourceRecordRequest(record=record))
                ids[kind] = reply.result.customer_id
            began = time.monotonic()
            engine = h.runtime.engine(SCHEMA)
            loading = Meter({"process": os.getpid(), "postgres": pg.pid})
            loading.start()
            await _load(engine, ids["large"], orders, cases)
            await _load(engine, ids["small"], *SMALL)
            used = loading.stop()
            events = orders + cases + sum(SMALL)
            found["load"] = {
                "seconds": time.monotonic() - began,
                "events": events,
                **{name: used[name] * 1e6 / events for name in ("process", "postgres", "other")},
            }
            with psycopg.connect(pg.url, autocommit=True) as conn:
                conn.execute("VACUUM (ANALYZE)")
            request = {k: api.GetCustomer360Request(customer_id=v) for k, v in ids.items()}
            for kind in ("large", "small"):  # once each before the clock: connections, caches
                view = (await master.GetCustomer360(request[kind])).customer360
                found[f"{kind}_orders"] = view.orders.order_count
                found[f"{kind}_cases"] = len(view.service_requests.open) + len(view.service_requests.recent)
            times: dict[str, list[float]] = {"large": [], "small": []}
            cpu: dict[str, dict[str, float]] = {"large": {}, "small": {}}
            for _ in range(2):  # the phases alternated
                for kind in ("large", "small"):
                    meter = Meter({"process": os.getpid(), "postgres": pg.pid})
                    meter.start()
                    for _ in range(calls // 2):
                        t0 = time.perf_counter()
                        await master.GetCustomer360(request[kind])
                        times[kind].append((time.perf_counter() - t0) * 1000)
                    for name, seconds in meter.stop().items():
                        cpu[kind][name] = cpu[kind].get(name, 0.0) + seconds
            for kind in ("large", "small"):
                ms = sorted(times[kind])
                found[kind] = {
                    "p50": statistics.median(ms),
                    "p95": ms[int(0.95 * (len(ms) - 1))],
                    "process": cpu[kind]["process"] * 1000 / len(ms),
                    "postgres": cpu[kind]["postgres"] * 1000 / len(ms),
                    "other": cpu[kind]["other"] * 1000 / len(ms),
                }
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--cases", type=int, default=0)
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--against", default="", help="a git worktree of another commit, run alternated")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(_child(args.orders, args.cases, args.calls))))
        return
    trees: list[tuple[str, Path | None]] = [("this checkout", None)]
    if args.against:
        trees.append((f"@{args.against}", Path(args.against)))
    sizes = ["--orders", str(args.orders), "--cases", str(args.cases), "--calls", str(args.calls)]
    command = [sys.executable, __file__, "--child", *sizes]
    print(f"load average before: {load_average()}")
    medians: dict[str, list[float]] = {}
    loads: dict[str, list[float]] = {}
    for r in range(1, args.rounds + 1):
        for label, tree in trees:
            found = in_checkout(tree, "services", command)
            for kind in ("large", "small"):
                f = found[kind]
                print(
                    f"round {r} {label} {kind:5} ({found[f'{kind}_orders']:>6} orders,"
                    f" {found[f'{kind}_cases']:>3} cases shown): GetCustomer360 p50"
                    f" {f['p50']:6.1f} ms, p95 {f['p95']:6.1f} ms; CPU per call: process (client and"
                    f" server) {f['process']:.2f}, postgres {f['postgres']:.2f} ms (rest of the machine"
                    f" meanwhile {f['other']:.2f})",
                    flush=True,
                )
                medians.setdefault(f"{label} {kind}: process + postgres CPU per call", []).append(
                    f["process"] + f["postgres"]
                )
            load = found["load"]
            print(
                f"round {r} {label} loading: {load['events']} events through the projection in"
                f" {load['seconds']:.1f} s; CPU per event: process {load['process']:.0f}, postgres"
                f" {load['postgres']:.0f} us (rest of the machine meanwhile {load['other']:.0f})",
                flush=True,
            )
            loads.setdefault(f"{label} loading: postgres CPU per event", []).append(load["postgres"])
            loads.setdefault(f"{label} loading: process + postgres CPU per event", []).append(
                load["process"] + load["postgres"]
            )
    print(f"load average after: {load_average()}")
    print_medians(medians, "ms")
    print_medians(loads, "us", digits=0)
    against = f" --against {args.against}" if args.against else ""
    sized = " ".join(sizes)
    print(f"reproduce: .venv/bin/python bench/c360_accounts.py {sized} --rounds {args.rounds}{against}")


if __name__ == "__main__":
    main()
