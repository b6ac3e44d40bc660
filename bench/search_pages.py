"""SearchCustomers: a page of customers read together; its latency and the server's CPU per page.

A private PostgreSQL and RabbitMQ (bench/servers.py). ``--customers`` people are ingested through the
API, then as many records again, half of them another system's copies of people present (so a
customer holds records with what linked them), half new people. Each round, a fresh ``isthmus serve
customers`` (tokens on) lists ``--pages`` pages of ``--page-size`` customers (no filter: customers
in id order, page after page through the page tokens, as a steward's list shows them), first in the
FULL view (each record with the comparisons that linked it, the household), then in the BASIC one.
Printed per view: each page's latency (p50, p99) and the CPU per page of the server and of
PostgreSQL. With ``--against TREE`` each round runs this checkout's services and then ``TREE``'s (a
git worktree of another commit, its ``services`` first on the server's import path) on the same
database: the code before a change alternated with the code after it.

    .venv/bin/python bench/search_pages.py
    .venv/bin/python bench/search_pages.py --rounds 3 --against /work/wt-before
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from customer_ingest import TOKEN, People, env_for, plain_stream, seed
from measure import Meter, command_line, load_average
from procs import serving
from scratch import scratch_database, scratch_vhost, vacuum
from servers import Server, servers

from isthmus_client import aio_connect
from isthmus_client.api.customers.v1 import customers_pb2 as api
from isthmus_client.api.customers.v1 import customers_pb2_grpc
from isthmus_client.api.customers.v1 import records_pb2 as pb

VIEWS = {"FULL": pb.CUSTOMER_VIEW_FULL, "BASIC": pb.CUSTOMER_VIEW_BASIC}


async def pages(port: int, view: int, count: int, size: int) -> list[float]:
    """``count`` pages of ``size`` customers, one after another; each page's seconds."""
    took = []
    async with aio_connect(f"127.0.0.1:{port}", token=TOKEN) as channel:
        stub = customers_pb2_grpc.CustomerMasterServiceStub(channel)
        await channel.channel_ready()  # connecting is not a page's time
        token = ""
        for _ in range(count):
            started = time.perf_counter()
            found = await stub.SearchCustomers(
                api.SearchCustomersRequest(view=view, page_size=size, page_token=token)  # type: ignore[arg-type]
            )
            took.append(time.perf_counter() - started)
            if len(found.customers) != size or not found.next_page_token:
                raise SystemExit(f"page of {len(found.customers)}: seed more customers (--customers)")
            token = found.next_page_token
    return took


def one_round(args: argparse.Namespace, pg: Server, env: dict[str, str], label: str) -> dict[str, float]:
    """Every view's pages through a fresh server; per view, CPU per page of server + PostgreSQL (ms)."""
    out: dict[str, float] = {}
    with serving(["customers"], env) as served:
        server = served["customers"]
        asyncio.run(pages(server.port, pb.CUSTOMER_VIEW_BASIC, 1, args.page_size))  # the channel, once
        for name, view in VIEWS.items():
            meter = Meter({"server": server.pid, "postgres": pg.pid})
            meter.start()
            took = sorted(asyncio.run(pages(server.port, view, args.pages, args.page_size)))
            meter.stop()
            p99 = took[min(len(took) - 1, int(len(took) * 0.99))]
            print(
                f"{label} {name:5}: {args.pages} pages of {args.page_size}: p50 "
                f"{statistics.median(took) * 1000:6.1f} ms, p99 {p99 * 1000:6.1f} ms; CPU per page: "
                f"{meter.per(args.pages)}",
                flush=True,
            )
            out[name] = meter.run_total() * 1000 / args.pages
    return out


def main(args: argparse.Namespace) -> None:
    print(f"command: {command_line()}", flush=True)
    with servers() as found:
        pg, mq = found["postgres"], found["rabbitmq"]
        with scratch_database(pg.url) as database_url, scratch_vhost(mq.host, mq.node) as amqp_url:
            env = env_for(database_url, amqp_url)
            people = People(23)
            with serving(["customers"], env) as served:
                port = served["customers"].port
                seconds = asyncio.run(seed(port, people, args.customers, 1000))
                asyncio.run(plain_stream(port, people.mixed(args.customers, "more"), 1000))
            vacuum(database_url)
            print(f"{2 * args.customers} records ingested ({seconds:.0f} s for the first half)", flush=True)
            trees: list[tuple[str, dict[str, str]]] = [("this checkout", env)]
            if args.against:
                tree = Path(args.against).resolve()
                trees.append((f"@{tree}", {**env, "PYTHONPATH": str(tree / "services")}))
            found_cpu: dict[str, list[float]] = {}
            for n in range(args.rounds):
                print(f"round {n + 1}, load {load_average()}", flush=True)
                for label, tree_env in trees:
                    for view, cpu in one_round(args, pg, tree_env, label).items():
                        found_cpu.setdefault(f"{label} {view}", []).append(cpu)
    print(f"load average at the end: {load_average()}")
    for label, values in found_cpu.items():
        each = ", ".join(f"{v:.2f}" for v in values)
        print(f"{label}: run CPU per page, median {statistics.median(values):.2f} ms ({each})")
    print(f"reproduce: {command_line()}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--page-size", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--against", default="", help="a git worktree of another commit, run alternated")
    main(parser.parse_args())
