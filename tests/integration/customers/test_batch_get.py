"""BatchGetCustomers: the customers of a known set of ids in one call, each what GetCustomer returns for
its id, in request order, read with the statements of one customer; an id that names nothing fails
the call, and its ids are checked as GetCustomer checks its own."""

from __future__ import annotations

import uuid

import grpc
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from isthmus.customers.api import CustomerMaster
from isthmus.kernel.errors import InvalidArgument, NotFound
from isthmus.platform.config import Settings
from isthmus_client.api.customers.v1 import customers_pb2 as api
from isthmus_client.api.customers.v1 import records_pb2 as pb
from isthmus_client.errors import NOT_FOUND, error_info, field_violations

from .helpers import STEWARD, person
from .helpers import upsert as upsert_rpc
from .test_match_models import service, upsert
from .test_search_pages import get, statements

GIVEN = ["Ada", "Bela", "Cem", "Dora", "Emil", "Frida", "Gustav", "Hilde", "Ivo", "Jana"]
VIEWS = (pb.CUSTOMER_VIEW_FULL, pb.CUSTOMER_VIEW_BASIC, pb.CUSTOMER_VIEW_UNSPECIFIED)


async def batch(master: CustomerMaster, ids: list[str], view: int) -> list[pb.Customer]:
    request = api.BatchGetCustomersRequest(customer_ids=ids, view=view)  # type: ignore[arg-type]
    return list((await master.BatchGetCustomers(request, None)).customers)


async def some_customers(master: CustomerMaster, n: int, uid: str) -> list[str]:
    """``n`` customers of one family, each with an email, the first with a second record linked to it."""
    family = f"Stapel{uid}"
    ids = []
    for i, given in enumerate(GIVEN[:n]):
        record = person("erp", f"B{i}-{uid}", given, family, email=f"b{i}{uid}@example.com", dob=None)
        ids.append((await upsert(master, record)).customer_id)
    twin = person("webshop", f"B0w-{uid}", GIVEN[0], family, email=f"b0{uid}@example.com", dob=None)
    assert (await upsert(master, twin)).customer_id == ids[0]
    assert len(set(ids)) == n
    return ids


async def test_each_customer_is_what_get_customer_returns_in_request_order(
    backend: tuple[AsyncEngine, Settings],
) -> None:
    master = service(backend)
    uid = uuid.uuid4().hex[:8]
    a, b, c, m = await some_customers(master, 4, uid)
    await master.MergeCustomers(
        api.MergeCustomersRequest(surviving_id=a, merged_ids=[m], reason="same person", actor=STEWARD), None
    )
    asked = [c, a, m, a, b, c]  # a merged-away id, and ids given twice
    for view in VIEWS:
        found = await batch(master, asked, view)
        assert [x.customer_id for x in found] == asked
        for cid, customer in zip(asked, found, strict=True):
            assert customer == await get(master, cid, view)
    full = {x.customer_id: x for x in await batch(master, asked, pb.CUSTOMER_VIEW_FULL)}
    assert (full[m].state, full[m].merged_into_id) == (pb.CUSTOMER_STATE_MERGED, a)  # not followed
    assert {s.source_id for s in full[a].sources} == {f"B0-{uid}", f"B0w-{uid}", f"B3-{uid}"}
    assert full[a].lineage and not (await batch(master, [a], pb.CUSTOMER_VIEW_BASIC))[0].lineage


async def test_a_batch_costs_the_statements_of_one_get_customer(
    backend: tuple[AsyncEngine, Settings],
) -> None:
    master = service(backend)
    engine, _ = backend
    ids = await some_customers(master, 10, uuid.uuid4().hex[:8])
    for view in (pb.CUSTOMER_VIEW_FULL, pb.CUSTOMER_VIEW_BASIC):
        with statements(engine) as one:
            await get(master, ids[0], view)
        with statements(engine) as two:
            assert len(await batch(master, ids[:2], view)) == 2
        with statements(engine) as ten:
            assert len(await batch(master, [*ids, ids[3]], view)) == 11
        assert len(two) == len(ten) == len(one), ten
        if engine.dialect.name == "postgresql":  # the ids are one array parameter: the same statements
            assert two == ten


async def test_the_handler_refuses_what_get_customer_refuses(backend: tuple[AsyncEngine, Settings]) -> None:
    master = service(backend)
    (a,) = await some_customers(master, 1, uuid.uuid4().hex[:8])
    unknown = str(uuid.uuid4())
    with pytest.raises(NotFound) as missing:
        await batch(master, [a, unknown, a, unknown], pb.CUSTOMER_VIEW_BASIC)
    assert missing.value.metadata == {"field": "customer_ids[1]"}
    assert f"{unknown} (customer_ids[1]), {unknown} (customer_ids[3])" in missing.value.message
    for ids, violations in (
        ([], [("customer_ids", "is required")]),
        ([a] * 501, [("customer_ids", "at most 500 ids per request, got 501")]),
        ([a, "", " "], [("customer_ids[1]", "is required"), ("customer_ids[2]", "is required")]),
        ([a, "x" * 129], [("customer_ids[1]", "is longer than 128 characters")]),
    ):
        with pytest.raises(InvalidArgument) as refused:
            await batch(master, ids, pb.CUSTOMER_VIEW_BASIC)
        assert refused.value.violations == violations
    assert len(await batch(master, [a] * 500, pb.CUSTOMER_VIEW_BASIC)) == 500


# Through gRPC, on PostgreSQL: the chassis, its checks and the status a client sees.


async def test_over_grpc_an_erased_customer_comes_back_erased(master, uid) -> None:  # type: ignore[no-untyped-def]
    a = (await upsert_rpc(master, person("erp", f"G1-{uid}", "Gerda", f"Gross{uid}", dob=None))).customer_id
    erased = person("erp", f"G2-{uid}", "Edgar", f"Ernst{uid}", email=f"e{uid}@x.example")
    e = await upsert_rpc(master, erased)
    await master.EraseCustomer(api.EraseCustomerRequest(customer_id=e.customer_id, reason="GDPR art. 17"))
    asked = [e.customer_id, a, e.customer_id]
    for view in VIEWS:
        request = api.BatchGetCustomersRequest(customer_ids=asked, view=view)
        found = (await master.BatchGetCustomers(request)).customers
        assert [x.customer_id for x in found] == asked
        for cid, customer in zip(asked, found, strict=True):
            one = await master.GetCustomer(api.GetCustomerRequest(customer_id=cid, view=view))
            assert customer == one.customer
    assert found[0].state == pb.CUSTOMER_STATE_ERASED and not found[0].emails and not found[0].name.given_name


async def test_over_grpc_an_unknown_id_is_not_found_naming_it_and_bad_ids_are_invalid(master, uid) -> None:  # type: ignore[no-untyped-def]
    a = (await upsert_rpc(master, person("erp", f"H1-{uid}", "Hanna", f"Hell{uid}", dob=None))).customer_id
    unknown = str(uuid.uuid4())

    async def refused(ids: list[str]) -> grpc.aio.AioRpcError:
        with pytest.raises(grpc.aio.AioRpcError) as exc:
            await master.BatchGetCustomers(api.BatchGetCustomersRequest(customer_ids=ids))
        return exc.value

    missing = await refused([a, unknown])
    assert missing.code() == grpc.StatusCode.NOT_FOUND
    assert error_info(missing) == (NOT_FOUND, {"field": "customer_ids[1]"})
    assert unknown in (missing.details() or "")
    for ids, violations in (
        ([], [("customer_ids", "is required")]),
        ([a] * 501, [("customer_ids", "at most 500 ids per request, got 501")]),
        ([a, "  "], [("customer_ids[1]", "is required")]),
        ([a, "x" * 129], [("customer_ids[1]", "is longer than 128 characters")]),
        ([a, "x\x00y"], [("customer_ids[1]", "contains the control character U+0000 at position 1")]),
    ):
        exc = await refused(ids)
        assert exc.code() == grpc.StatusCode.INVALID_ARGUMENT, exc
        assert field_violations(exc) == violations
        if len(ids) == 2:  # the id GetCustomer refuses the same way
            with pytest.raises(grpc.aio.AioRpcError) as one:
                await master.GetCustomer(api.GetCustomerRequest(customer_id=ids[1]))
            assert one.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert field_violations(one.value) == [("customer_id", violations[0][1])]
