"""The console's review pages read the customers they show with one BatchGetCustomers call a page, not
a call per customer (50 for a queue page of 25 reviews), and still show a review whose customer is
gone. The console runs in process against a customer master on SQLite; every call it makes to the
API is counted by a client interceptor on its channels."""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest

from isthmus.console import backend as console_backend
from isthmus.console.app import create_app
from isthmus.console.session import COOKIE, Sealer, Session
from isthmus.console.settings import COMPONENTS, ConsoleSettings
from isthmus.platform import config, hub
from isthmus_client import aio_connect
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.customers.v1 import customers_pb2 as api
from isthmus_client.api.customers.v1 import customers_pb2_grpc
from isthmus_client.api.customers.v1 import records_pb2 as pb

KEY = b"console-test-secret-key-0123456789abcdef"
STEWARD = ["customers:read", "customers:admin"]
READER = ["customers:read"]
# More reviews than a queue page shows.
GIVEN = [
    *("Anna", "Berta", "Clara", "Dora", "Emma", "Frida", "Greta", "Hanna", "Ida", "Jana", "Karla", "Lena"),
    *("Mia", "Nora", "Olga", "Paula", "Rita", "Sara", "Tina", "Ute", "Vera", "Wilma", "Xenia", "Yara"),
    *("Zoe", "Ada", "Bea", "Cora", "Edda", "Fee"),
]
PAIRS = len(GIVEN)


class Calls(grpc.aio.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    """The API methods the console called, by name."""

    def __init__(self) -> None:
        self.made: Counter[str] = Counter()

    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        method = details.method.decode() if isinstance(details.method, bytes) else details.method
        self.made[method.rsplit("/", 1)[1]] += 1
        return await continuation(details, request)


@dataclass
class Hub:
    stub: customers_pb2_grpc.CustomerMasterServiceStub
    port: int
    database: Path
    reviews: dict[int, pb.MatchReview]  # each pair's review, by the pair's number


def pair(i: int) -> list[pb.SourceRecord]:
    """Same name, birth dates a day apart, another address and phone: a review for a steward. Each
    pair has a given name and a birth year of its own, and all share one family name."""
    out = []
    for system, street, postcode, day, phone in (
        ("erp", "Am Markt 1", "20095", 17, "+49 40 1"),
        ("webshop", "Seeweg 9", "80331", 18, "+49 89 7"),
    ):
        record = pb.SourceRecord(
            source_system=system,
            source_id=f"R{i}-{system}",
            name=pb.PersonName(given_name=GIVEN[i], family_name="Hahn"),
        )
        record.birth_date.CopyFrom(common_pb2.Date(year=1930 + 2 * i, month=5, day=day))
        record.phones.add(number=f"{phone}{i:06d}")
        record.addresses.add(
            address=common_pb2.PostalAddress(address_lines=[street], postal_code=postcode, region_code="DE")
        )
        out.append(record)
    return out


@pytest.fixture(scope="module")
async def master(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Hub]:
    folder = tmp_path_factory.mktemp("console-reviews")
    settings = config.load(
        {
            "ISTHMUS_DATA_DIR": str(folder),
            "ISTHMUS_AUTH_DISABLED": "true",
            "ISTHMUS_GRPC_PORT": "0",
            "ISTHMUS_METRICS_PORT": "0",
            # Every pair to a steward, however rare its name is in this small master.
            "ISTHMUS_CUSTOMERS_MATCH_CONFIG": '{"upper_threshold": 40}',
        }
    )
    async with hub.running(settings, ["customers"]) as h, h.channel() as channel:
        stub = customers_pb2_grpc.CustomerMasterServiceStub(channel)
        for i in range(PAIRS):
            for record in pair(i):
                done = await stub.UpsertSourceRecord(api.UpsertSourceRecordRequest(record=record))
            assert done.result.outcome == pb.MATCH_OUTCOME_REVIEW_OPENED, done.result
        listed = await stub.ListMatchReviews(api.ListMatchReviewsRequest(page_size=500))
        # A pair's record may open a review with another pair's customer too: a name and a birth year
        # alike.
        reviews = {
            int(r.candidate_record.source_id[1:].split("-")[0]): r
            for r in listed.match_reviews
            if r.candidate_record.source_system == "webshop"
        }
        assert len(reviews) == PAIRS
        yield Hub(stub, h.port, folder / "customers.sqlite", reviews)


@pytest.fixture
async def console(
    master: Hub, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Callable[..., Any], Calls]]:
    """``get(path, scopes)``: the page as a signed-in user with those scopes sees it; and the calls."""
    calls = Calls()

    def counted(target: str, **kwargs: Any) -> grpc.aio.Channel:
        return aio_connect(target, **kwargs, interceptors=[calls])

    monkeypatch.setattr(console_backend, "aio_connect", counted)
    settings = ConsoleSettings(secret_key=KEY, targets={c: f"127.0.0.1:{master.port}" for c in COMPONENTS})
    app = create_app(settings)
    sealer = Sealer(KEY)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://console.test") as client:

        async def get(path: str, scopes: list[str]) -> httpx.Response:
            session = Session(user="Sam Steward", subject="sam", scopes=scopes, via="open")
            session.expires = time.time() + 600
            client.cookies.set(COOKIE, sealer.seal(session))
            calls.made.clear()
            return await client.get(path)

        try:
            yield get, calls
        finally:
            await app.state.console.backend.close()


async def test_a_queue_page_reads_its_customers_with_one_call(master: Hub, console: Any) -> None:
    get, calls = console
    pages = {}
    for order in ("value", "age", "score"):
        page = pages[order] = await get(f"/reviews?order={order}", READER)
        assert page.status_code == 200, page.text[-500:]
        assert calls.made == {"ListMatchReviews": 1, "BatchGetCustomers": 1}, order
        assert page.text.count('<tr data-href="/reviews/') == 25
        assert "unknown customer" not in page.text
    # The oldest review's row names both customers, as the API has them.
    page, first = pages["age"], master.reviews[0]
    ids = [first.candidate_customer_id, first.existing_customer_id]
    both = await master.stub.BatchGetCustomers(
        api.BatchGetCustomersRequest(customer_ids=ids, view=pb.CUSTOMER_VIEW_BASIC)
    )
    for customer in both.customers:
        assert f"{customer.name.given_name} {customer.name.family_name}" in page.text


async def test_a_review_page_reads_both_customers_with_one_call(master: Hub, console: Any) -> None:
    get, calls = console
    review = master.reviews[3]
    page = await get(f"/reviews/{review.review_id}?c={review.candidate_customer_id}", STEWARD)
    assert page.status_code == 200, page.text[-500:]
    # The review, the next one, and the match's preview; the two customers in one call.
    assert calls.made == {"ListMatchReviews": 2, "BatchGetCustomers": 1, "ResolveMatchReview": 1}
    assert "unknown customer" not in page.text
    assert page.text.count("Dora Hahn") >= 2 and "R3-erp" in page.text and "R3-webshop" in page.text


async def test_a_review_whose_customer_is_gone_still_shows(master: Hub, console: Any) -> None:
    get, calls = console
    review = master.reviews[0]
    gone = "00000000-0000-7000-8000-00000000dead"
    moved = "UPDATE match_reviews SET existing_customer_id = ? WHERE review_id = ?"
    with sqlite3.connect(master.database) as db:
        db.execute(moved, (gone, review.review_id))
    try:
        page = await get("/reviews?order=age", READER)
        assert page.status_code == 200, page.text[-500:]
        # The batch is refused naming the id that is gone; the others are read again without it.
        assert calls.made == {"ListMatchReviews": 1, "BatchGetCustomers": 2}
        assert page.text.count("unknown customer") == 1
        assert page.text.count('<tr data-href="/reviews/') == 25

        page = await get(f"/reviews/{review.review_id}?c={review.candidate_customer_id}", READER)
        assert page.status_code == 200, page.text[-500:]
        assert calls.made == {"ListMatchReviews": 2, "BatchGetCustomers": 2}
        assert "unknown customer" in page.text and "Anna Hahn" in page.text
    finally:
        with sqlite3.connect(master.database) as db:
            db.execute(moved, (review.existing_customer_id, review.review_id))
