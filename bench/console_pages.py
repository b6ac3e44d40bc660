"""How fast the console renders the review queue, a review and the 360 page with many customers in the master.

The hub runs as `isthmus up` (bearer tokens, a fresh database on a private PostgreSQL, in-process
events) and the console as `isthmus serve console`, each its own process. The master is loaded with
one source record per person (``--customers``, default 100,000) plus pairs that open match reviews.
Then, alternated in the same run:

* queue: GET /reviews, the review queue's first page (25 reviews, most valuable customers first,
  each with both customers' names);
* review: GET /reviews/<id> for a random open review (the console lists the candidate's reviews,
  reads both customers in full, and looks for the next review);
* 360: GET /customers/<id> for a random customer (the 360, the full customer, its history);
* baseline: the 360 page's API calls made straight from this process, without the console.

Each prints p50/p95/max in ms, CPU per page for the console, the hub and PostgreSQL, and the load
average. The target is p95 under 100 ms for each page.

    .venv/bin/python bench/console_pages.py                      # 100,000 customers, 300 requests each
    .venv/bin/python bench/console_pages.py --customers 20000    # quicker
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
import urllib.request

import grpc
import httpx
import rows
from measure import Meter, load_average, wait_idle
from people import copy_of, make_person
from procs import BIN, wait_serving
from scratch import free_port, scratch_database, vacuum
from servers import servers

from isthmus_client import Hub, connect
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.customers.v1 import customers_pb2 as api
from isthmus_client.api.customers.v1 import records_pb2 as pb

TOKEN = "bench-steward-token-0123456789"
BATCH = 1000


def _review_pair(i: int) -> list[pb.SourceRecord]:
    """Same name, birth dates a digit apart, other address and phone: between the thresholds."""
    out = []
    for n, (system, street, postcode, day, phone) in enumerate(
        (("erp", "Am Markt 1", "20095", 17, "+49 40 1"), ("webshop", "Seeweg 9", "80331", 18, "+49 89 7"))
    ):
        r = pb.SourceRecord(
            source_system=system,
            source_id=f"RV-{i}-{n}",
            name=pb.PersonName(given_name=f"Review{i}", family_name=f"Pair{i}"),
        )
        r.birth_date.CopyFrom(common_pb2.Date(year=1980, month=5, day=day))
        r.phones.add(number=f"{phone}{i:06d}")
        r.addresses.add(
            address=common_pb2.PostalAddress(address_lines=[street], postal_code=postcode, region_code="DE")
        )
        out.append(r)
    return out


def load(hub: Hub, customers: int, reviews: int) -> None:
    rng = random.Random(11)
    started = time.monotonic()
    batch: list[pb.SourceRecord] = []
    refused = 0
    for pid in range(customers):
        batch.append(copy_of(rng, make_person(rng, pid), "erp", f"P-{pid}", first=True))
        if len(batch) == BATCH or pid == customers - 1:
            done = hub.customers.BatchUpsertSourceRecords(
                api.BatchUpsertSourceRecordsRequest(records=batch), timeout=300
            )
            refused += done.rejected_count
            batch = []
            if pid % 20_000 < BATCH:
                print(f"  loaded {pid + 1:,} records ({time.monotonic() - started:.0f} s)", flush=True)
    print(f"  {customers - refused:,} records accepted, {refused} refused", flush=True)
    for i in range(reviews):
        for record in _review_pair(i):
            hub.customers.UpsertSourceRecord(api.UpsertSourceRecordRequest(record=record))


def _wait_http(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit("the console exited while starting")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"{url} did not answer")


class Browser:
    """Enough of a browser for the console: its Secure cookie carried by hand over http."""

    def __init__(self, base: str) -> None:
        self.client = httpx.Client(base_url=base, timeout=30)
        self.cookie = ""

    def call(self, method: str, path: str, **kw: object) -> httpx.Response:
        response = self.client.request(method, path, headers={"cookie": self.cookie}, **kw)  # type: ignore[arg-type]
        self.cookie = response.headers["set-cookie"].split(";", 1)[0]
        return response

    def sign_in(self) -> None:
        found = re.search(r'name="csrf" value="([^"]+)"', self.call("GET", "/signin").text)
        assert found is not None
        signed = self.call("POST", "/signin", data={"csrf": found[1], "token": TOKEN, "next": "/reviews"})
        assert signed.status_code == 303 and signed.headers["location"] == "/reviews", signed.text[-500:]


STATEMENT_PAGES = 50


def _summary(name: str, times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    p95 = ms[int(0.95 * (len(ms) - 1))]
    p50 = statistics.median(ms)
    return f"{name:<18} n={len(ms):>4}  p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  max {ms[-1]:6.1f} ms"


def main(args: argparse.Namespace) -> None:
    pg_settings = rows.STATEMENTS if args.statements else None
    with (
        servers(rabbitmq=False, pg_settings=pg_settings) as found,
        scratch_database(found["postgres"].url) as db,
    ):
        grpc_port, console_port = free_port(), free_port()
        env = {
            **os.environ,
            "ISTHMUS_DATABASE_URL": db,
            "ISTHMUS_AUTH_TOKENS": json.dumps({"bench": {"token": TOKEN, "scopes": ["*"]}}),
            "ISTHMUS_LOG_LEVEL": "WARNING",
            "ISTHMUS_CONSOLE_SECRET_KEY": "bench-secret-key-bench-secret-key-0000",
            "ISTHMUS_CONSOLE_HUB_TARGET": f"127.0.0.1:{grpc_port}",
            "ISTHMUS_CONSOLE_PORT": str(console_port),
        }
        env.pop("ISTHMUS_AMQP_URL", None)
        hub_args = ["up", "--grpc-port", str(grpc_port), "--metrics-port", "0", "--console-port", "0"]
        with (
            subprocess.Popen([BIN / "isthmus", *hub_args], env=env, stderr=subprocess.DEVNULL) as hub_process,
            subprocess.Popen([BIN / "isthmus", "serve", "console"], env=env) as console_process,
        ):
            try:
                wait_serving(grpc_port, hub_process)
                base = f"http://127.0.0.1:{console_port}"
                _wait_http(base + "/healthz", console_process)
                stubs = Hub(connect(f"127.0.0.1:{grpc_port}", token=TOKEN))
                print(f"loading {args.customers:,} customers and {args.reviews} review pairs...", flush=True)
                load(stubs, args.customers, args.reviews)
                # The other contexts consume the load's events (a profile per customer in the value
                # context): pages are measured once the hub is idle, not on top of that work.
                waited = wait_idle(hub_process.pid)
                print(f"  the hub consumed the load's events in {waited:.0f} s", flush=True)
                # As autovacuum would in time: without statistics the planner takes the review
                # queue's 8,000 open reviews for a few dozen and plans their joins accordingly.
                vacuumed, autovacuum = vacuum(db)
                print(f"  VACUUM (ANALYZE) in {vacuumed:.1f} s (autovacuum: {autovacuum})", flush=True)
                pg = found["postgres"]
                statements = pg.url if args.statements else ""
                run(args, stubs, Browser(base), pg.pid, hub_process.pid, console_process.pid, statements)
            finally:
                console_process.terminate()
                hub_process.terminate()


def run(
    args: argparse.Namespace, stubs: Hub, browser: Browser, pg: int, hub: int, console: int, pg_url: str = ""
) -> None:
    rng = random.Random(5)
    reviews = list(stubs.customers.ListMatchReviews(api.ListMatchReviewsRequest(page_size=500)).match_reviews)
    customers = _sample_customers(stubs, rng, args.customers)
    assert reviews and customers, "nothing to look at"
    browser.sign_in()
    for review in reviews[:5]:  # warm up: templates, channels, caches
        browser.call("GET", f"/reviews/{review.review_id}", params={"c": review.candidate_customer_id})
    kinds = {"queue": [], "review": [], "360": [], "baseline": []}  # type: dict[str, list[float]]
    meters = {k: Meter({"console": console, "hub": hub, "postgres": pg}) for k in kinds}
    used: dict[str, dict[str, float]] = {k: {} for k in kinds}
    calls: dict[str, list[float]] = {}  # the baseline's calls, each on its own
    for _ in range(args.requests):
        for kind in kinds:  # alternated, so the machine's load falls on all three alike
            meter = meters[kind]
            meter.start()
            started = time.perf_counter()
            page(kind, stubs, browser, rng, reviews, customers, calls)
            kinds[kind].append(time.perf_counter() - started)
            for name, value in meter.stop().items():
                used[kind][name] = used[kind].get(name, 0.0) + value
    print(f"\n{args.customers:,} customers, {len(reviews)} open reviews; load average {load_average()}")
    for kind, times in kinds.items():
        cpu = used[kind]
        per = ", ".join(
            f"{k} {cpu.get(k, 0) * 1000 / len(times):.2f}" for k in ("console", "hub", "postgres")
        )
        print(f"{_summary(kind, times)}  CPU per page (ms): {per}")
    print("the baseline's calls, each:")
    for method, times in calls.items():
        print(f"  {_summary(method, times)}")
    if pg_url:
        # Apart from the timed run: each page's statements, counted on PostgreSQL page by page.
        for kind in kinds:
            asyncio.run(rows.reset_statements(pg_url))
            for _ in range(STATEMENT_PAGES):
                page(kind, stubs, browser, rng, reviews, customers, {})
            rows.print_statements(
                asyncio.run(rows.statements(pg_url)), STATEMENT_PAGES, f"{kind} page", top=6
            )
    print(
        "\n    .venv/bin/python bench/console_pages.py "
        f"--customers {args.customers} --requests {args.requests}" + (" --statements" if pg_url else "")
    )


def page(
    kind: str,
    stubs: Hub,
    browser: Browser,
    rng: random.Random,
    reviews: list[pb.MatchReview],
    customers: list[str],
    calls: dict[str, list[float]],
) -> None:
    """One page of ``kind``, or for the baseline the 360 page's API calls (each timed into ``calls``)."""
    if kind == "queue":
        response = browser.call("GET", "/reviews")
        assert response.status_code == 200, response.text[-500:]
    elif kind == "review":
        review = rng.choice(reviews)
        response = browser.call(
            "GET", f"/reviews/{review.review_id}", params={"c": review.candidate_customer_id}
        )
        assert response.status_code == 200, response.text[-500:]
    elif kind == "360":
        response = browser.call("GET", f"/customers/{rng.choice(customers)}")
        assert response.status_code == 200, response.text[-500:]
    else:
        cid = rng.choice(customers)
        for method, request in (
            ("GetCustomer360", api.GetCustomer360Request(customer_id=cid, timeline_page_size=20)),
            ("GetCustomer", api.GetCustomerRequest(customer_id=cid, view=pb.CUSTOMER_VIEW_FULL)),
            ("ListHistoryEntries", api.ListHistoryEntriesRequest(customer_id=cid, page_size=500)),
        ):
            one = time.perf_counter()
            getattr(stubs.customers, method)(request)
            calls.setdefault(method, []).append(time.perf_counter() - one)


def _sample_customers(stubs: Hub, rng: random.Random, customers: int) -> list[str]:
    """Customers drawn from the whole master, not the first page of a search."""
    out = []
    for pid in rng.sample(range(customers), min(300, customers)):
        request = api.GetCustomerBySourceIdRequest(source_system="erp", source_id=f"P-{pid}")
        try:
            out.append(stubs.customers.GetCustomerBySourceId(request).customer_id)
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.NOT_FOUND:  # the few records the master refused
                raise
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--reviews", type=int, default=50, help="pairs that open a match review")
    parser.add_argument("--requests", type=int, default=300, help="requests of each kind")
    parser.add_argument(
        "--statements",
        action="store_true",
        help=f"then count each page's statements over {STATEMENT_PAGES} more of it (pg_stat_statements)",
    )
    main(parser.parse_args())
