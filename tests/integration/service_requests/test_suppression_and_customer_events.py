"""Contact suppression follows open complaints; merges, unmerges and erasures from the customer master."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
import pytest
from sr_builders import interaction, open_request, status, unique

from isthmus.platform.events.testing import Statements
from isthmus_client.api.events.v1 import customers_pb2
from isthmus_client.api.service_requests.v1 import service_request_pb2 as pb
from isthmus_client.api.service_requests.v1 import service_requests_pb2 as rpc

pytestmark = pytest.mark.postgres
OPEN, RESOLVED = pb.SERVICE_REQUEST_STATE_OPEN, pb.SERVICE_REQUEST_STATE_RESOLVED


def changes(service: Any, customer_id: str) -> list[tuple[bool, list[str]]]:
    found = service.events("ContactSuppressionChanged")
    return [(e.suppressed, list(e.service_request_ids)) for e in found if e.customer_id == customer_id]


async def test_open_complaint_suppresses_contact_until_resolved(service: Any) -> None:
    stub, customer = service.stub, unique("cust")
    first = (await stub.OpenServiceRequest(open_request(customer))).service_request
    second = (await stub.OpenServiceRequest(open_request(customer, subject="Wrong colour"))).service_request
    (await stub.OpenServiceRequest(open_request(customer, kind=pb.SERVICE_REQUEST_KIND_INQUIRY)))
    await service.hub.runtime.bus.drain()
    assert changes(service, customer) == [(True, [first.service_request_id])]  # once, not per complaint
    got = await stub.GetContactSuppression(rpc.GetContactSuppressionRequest(customer_id=customer))
    assert got.suppressed and list(got.service_request_ids) == [
        first.service_request_id,
        second.service_request_id,
    ]

    for sr in (first, second):
        sr = (await stub.ChangeServiceRequestState(status(sr, OPEN))).service_request
        (await stub.ChangeServiceRequestState(status(sr, RESOLVED, resolution_code="REFUNDED")))
    await service.hub.runtime.bus.drain()
    assert changes(service, customer) == [(True, [first.service_request_id]), (False, [])]
    got = await stub.GetContactSuppression(rpc.GetContactSuppressionRequest(customer_id=customer))
    assert not got.suppressed and list(got.service_request_ids) == []
    resolved = [e.service_request.service_request_id for e in service.events("ServiceRequestResolved")]
    assert first.service_request_id in resolved and second.service_request_id in resolved


async def test_merge_moves_cases_and_unmerge_moves_them_back(service: Any) -> None:
    stub = service.stub
    survivor, merged = unique("cust"), unique("cust")
    kept = (
        await stub.OpenServiceRequest(open_request(survivor, kind=pb.SERVICE_REQUEST_KIND_INQUIRY))
    ).service_request
    moved = (await stub.OpenServiceRequest(open_request(merged))).service_request  # an open complaint
    note = (
        await stub.LogInteraction(interaction(moved.service_request_id, pb.DIRECTION_INBOUND, "Hello"))
    ).interaction

    merge_id = unique("merge")
    await service.publish(
        customers_pb2.CustomersMerged(surviving_id=survivor, merged_ids=[merged], merge_id=merge_id), survivor
    )
    listing = await stub.ListServiceRequests(rpc.ListServiceRequestsRequest(customer_id=survivor))
    assert {c.service_request_id for c in listing.service_requests} == {
        kept.service_request_id,
        moved.service_request_id,
    }
    assert (
        list(
            (
                await stub.ListServiceRequests(rpc.ListServiceRequestsRequest(customer_id=merged))
            ).service_requests
        )
        == []
    )
    thread = await stub.ListInteractions(rpc.ListInteractionsRequest(customer_id=survivor))
    assert [i.interaction_id for i in thread.interactions] == [note.interaction_id]
    # The complaint's suppression moved with it.
    assert changes(service, survivor) == [(True, [moved.service_request_id])]
    assert changes(service, merged)[-1] == (False, [])

    # A case opened for the survivor after the merge stays with it when the merge is undone.
    later = (
        await stub.OpenServiceRequest(open_request(survivor, kind=pb.SERVICE_REQUEST_KIND_RETURN))
    ).service_request
    await service.publish(
        customers_pb2.CustomerUnmerged(from_id=survivor, restored_ids=[merged], merge_id=merge_id), survivor
    )
    back = await stub.ListServiceRequests(rpc.ListServiceRequestsRequest(customer_id=merged))
    assert [c.service_request_id for c in back.service_requests] == [moved.service_request_id]
    stays = await stub.ListServiceRequests(rpc.ListServiceRequestsRequest(customer_id=survivor))
    assert {c.service_request_id for c in stays.service_requests} == {
        kept.service_request_id,
        later.service_request_id,
    }


async def test_erasure_blanks_personal_text_and_keeps_anonymised_records(service: Any) -> None:
    stub, customer = service.stub, unique("cust")
    sr = (await stub.OpenServiceRequest(open_request(customer))).service_request
    await stub.LogInteraction(
        interaction(sr.service_request_id, pb.DIRECTION_INBOUND, "I am Jane Roe, call me on 0170 1234567")
    )
    await service.publish(customers_pb2.CustomerErased(customer_id=customer), customer)
    got = (
        await stub.GetServiceRequest(rpc.GetServiceRequestRequest(service_request_id=sr.service_request_id))
    ).service_request
    assert (got.subject, got.description) == ("[erased]", "[erased]")
    assert got.category == "delivery" and list(got.reason_codes) == ["LATE_DELIVERY"]  # kept for statistics
    thread = await stub.ListInteractions(
        rpc.ListInteractionsRequest(service_request_id=sr.service_request_id)
    )
    assert [i.body for i in thread.interactions] == ["[erased]"]
    assert thread.interactions[0].direction == pb.DIRECTION_INBOUND


async def test_an_erasure_blanks_all_of_a_customers_cases_with_one_update(service: Any) -> None:
    """However many cases a customer opened, an erasure writes them with one statement."""
    for n in (2, 5):
        stub, customer = service.stub, unique("cust")
        cases = [(await stub.OpenServiceRequest(open_request(customer))).service_request for _ in range(n)]
        with Statements(service.hub.runtime.engine("service_requests")) as seen:
            await service.publish(customers_pb2.CustomerErased(customer_id=customer), customer)
        assert len(seen.naming("service_requests", "UPDATE")) == 1, seen.naming("service_requests", "UPDATE")
        for sr in cases:
            got = (
                await stub.GetServiceRequest(
                    rpc.GetServiceRequestRequest(service_request_id=sr.service_request_id)
                )
            ).service_request
            assert (got.subject, got.version) == ("[erased]", sr.version + 1)


async def _waiting_for_locks(conn: psycopg.AsyncConnection[Any], count: int) -> None:
    for _ in range(500):
        cur = await conn.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        row = await cur.fetchone()
        if row is not None and row[0] >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{count} transactions never waited for the suppression row")


async def test_concurrent_resolve_and_new_complaint_keep_the_customer_suppressed(
    service: Any, pg_url: str
) -> None:
    """The last writer of a suppression must count complaints committed while it waited for the row."""
    stub, customer = service.stub, unique("cust")
    first = (await stub.OpenServiceRequest(open_request(customer))).service_request
    first = (await stub.ChangeServiceRequestState(status(first, OPEN))).service_request
    async with (
        await psycopg.AsyncConnection.connect(pg_url) as holder,
        await psycopg.AsyncConnection.connect(pg_url, autocommit=True) as watcher,
    ):
        await holder.execute(
            "SELECT 1 FROM service_requests.contact_suppressions WHERE customer_id = %s FOR UPDATE",
            (customer,),
        )
        # A new complaint queues for the row first, then the resolution of the old one.
        opening = asyncio.ensure_future(stub.OpenServiceRequest(open_request(customer, subject="Second")))
        await _waiting_for_locks(watcher, 1)
        resolving = asyncio.ensure_future(
            stub.ChangeServiceRequestState(status(first, RESOLVED, resolution_code="REFUNDED"))
        )
        await _waiting_for_locks(watcher, 2)
        await holder.rollback()
        opened, _ = await asyncio.gather(opening, resolving)
        second = opened.service_request
    got = await stub.GetContactSuppression(rpc.GetContactSuppressionRequest(customer_id=customer))
    assert got.suppressed and list(got.service_request_ids) == [second.service_request_id]
