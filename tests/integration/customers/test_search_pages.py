"""A page of search results is read together: each customer on it is what GetCustomer says of it (its
records with what linked them, its consents, its household, merges followed), and the page costs the
statements of one customer, not of each."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from isthmus.customers.api import CustomerMaster
from isthmus.platform.config import Settings
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.customers.v1 import customers_pb2 as api
from isthmus_client.api.customers.v1 import records_pb2 as pb

from .helpers import STEWARD, person
from .test_match_models import service, upsert


@contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """The SQL statements the engine runs meanwhile."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)


async def get(master: CustomerMaster, customer_id: str, view: int) -> pb.Customer:
    request = api.GetCustomerRequest(customer_id=customer_id, view=view)  # type: ignore[arg-type]
    return (await master.GetCustomer(request, None)).customer


async def search(master: CustomerMaster, family: str, view: int, **more: Any) -> list[pb.Customer]:
    request = api.SearchCustomersRequest(family_name=family, view=view, **more)  # type: ignore[arg-type]
    return list((await master.SearchCustomers(request, None)).customers)


async def test_each_customer_of_a_page_is_as_get_customer_reads_it(
    backend: tuple[AsyncEngine, Settings],
) -> None:
    master = service(backend)
    uid = uuid.uuid4().hex[:8]
    family = f"Seite{uid}"
    home = {"phone": "+49 30 5550188", "street": "Birkenweg 9", "postcode": "10117", "dob": (1999, 7, 8)}
    lena = await upsert(
        master, person("erp", f"P1-{uid}", "Lena", family, email=f"lena{uid}@example.com", **home)
    )  # type: ignore[arg-type]
    copy = await upsert(
        master,
        person("webshop", f"P4-{uid}", "Lena", family, email=f"lena{uid}@example.com", dob=(1999, 7, 8)),
    )
    assert copy.customer_id == lena.customer_id
    jonas = await upsert(master, person("webshop", f"P2-{uid}", "Jonas", family, **home))  # type: ignore[arg-type]
    # Jonas again, by name only: a customer of its own until a steward merges the twin's into it.
    again = await upsert(master, person("erp", f"P3-{uid}", "Jonas", family, dob=None))
    assert len({lena.customer_id, jonas.customer_id, again.customer_id}) == 3
    await master.MergeCustomers(
        api.MergeCustomersRequest(
            surviving_id=again.customer_id, merged_ids=[jonas.customer_id], reason="same Jonas", actor=STEWARD
        ),
        None,
    )
    await master.SetConsent(
        api.SetConsentRequest(
            customer_id=lena.customer_id,
            channel=pb.CONSENT_CHANNEL_EMAIL,
            status=pb.CONSENT_STATUS_GRANTED,
            source="webshop:signup",
            give_time=Timestamp(seconds=1_700_000_000),
            actor=common_pb2.Actor(kind=common_pb2.ACTOR_KIND_SYSTEM, id="webshop"),
        ),
        None,
    )

    page = await search(master, family, pb.CUSTOMER_VIEW_FULL)
    assert sorted(c.customer_id for c in page) == sorted([lena.customer_id, again.customer_id])
    for view in (pb.CUSTOMER_VIEW_FULL, pb.CUSTOMER_VIEW_BASIC):
        for found in await search(master, family, view):
            assert found == await get(master, found.customer_id, view)
    by_id = {c.customer_id: c for c in page}
    # The household found through the twin that is merged now: each side names the other as it is now.
    assert [m.customer_id for m in by_id[lena.customer_id].household] == [again.customer_id]
    assert [m.customer_id for m in by_id[again.customer_id].household] == [lena.customer_id]
    assert [c.source for c in by_id[lena.customer_id].consents] == ["webshop:signup"]
    assert not by_id[again.customer_id].consents
    assert {s.source_id for s in by_id[again.customer_id].sources} == {f"P2-{uid}", f"P3-{uid}"}
    linked = {s.source_id: s for s in by_id[lena.customer_id].sources}
    assert linked[f"P4-{uid}"].comparisons and linked[f"P4-{uid}"].match_model == "builtin"


async def test_a_page_costs_the_statements_of_one_customer(backend: tuple[AsyncEngine, Settings]) -> None:
    master = service(backend)
    engine, _ = backend
    uid = uuid.uuid4().hex[:8]
    family = f"Zaehl{uid}"
    for i, given in enumerate(["Ada", "Bela", "Cem", "Dora", "Emil"]):
        await upsert(master, person("erp", f"Z{i}-{uid}", given, family, email=f"z{i}{uid}@example.com"))
    for view in (pb.CUSTOMER_VIEW_FULL, pb.CUSTOMER_VIEW_BASIC):
        with statements(engine) as one:
            assert len(await search(master, family, view, page_size=1)) == 1
        with statements(engine) as five:
            assert len(await search(master, family, view, page_size=5)) == 5
        assert len(five) == len(one), five
