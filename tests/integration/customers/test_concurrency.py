"""Concurrent upserts of one source id: the loser gets ABORTED and nothing of it is written."""

from __future__ import annotations

import asyncio

import grpc
import psycopg
import pytest
from sqlalchemy import text

from isthmus.customers.store import Repository
from isthmus.platform import config, db
from isthmus_client.api.customers.v1 import customers_pb2 as api
from isthmus_client.api.customers.v1 import records_pb2 as pb
from isthmus_client.errors import CONCURRENT_WRITE, error_info

from .helpers import person, tag_birth_date, tag_number, upsert

pytestmark = pytest.mark.postgres


async def test_upsert_of_a_source_id_another_transaction_holds_is_aborted_and_writes_nothing(
    master, pg_url, uid
):
    first = await upsert(master, person("erp", f"K-{uid}", "Hans", "Kurz", email=f"hk{uid}@example.com"))
    with psycopg.connect(pg_url, options="-c search_path=customers") as other:
        other.execute(
            "SELECT 1 FROM source_records WHERE source_system = 'erp' AND source_id = %s FOR UPDATE",
            (f"K-{uid}",),
        )
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await upsert(master, person("erp", f"K-{uid}", "Hans", "Kurz-Lang", email=f"hk{uid}@example.com"))
        assert err.value.code() == grpc.StatusCode.ABORTED
        batch = await master.BatchUpsertSourceRecords(
            api.BatchUpsertSourceRecordsRequest(
                records=[
                    person("erp", f"K-{uid}", "Hans", "Kurz-Lang"),
                    person("webshop", f"K2-{uid}", "Hanna", f"Other{uid}", email=f"o{uid}@example.com"),
                ]
            )
        )
        other.rollback()
    assert batch.results[0].error.code == grpc.StatusCode.ABORTED.value[0]
    assert error_info(batch.results[0].error)[0] == CONCURRENT_WRITE
    assert batch.results[1].outcome == pb.MATCH_OUTCOME_NEW_CUSTOMER
    customer = (await master.GetCustomer(api.GetCustomerRequest(customer_id=first.customer_id))).customer
    assert (customer.version, customer.name.family_name) == (1, "Kurz")


async def test_racing_upserts_of_one_source_id_end_with_one_record_and_no_internal_errors(master, uid):
    variants = [
        person("webshop", f"RACE-{uid}", "Rita", f"Name{i}", email=f"rita{uid}@example.com") for i in range(6)
    ]
    outcomes = await asyncio.gather(*(upsert(master, v) for v in variants), return_exceptions=True)
    for o in outcomes:
        if isinstance(o, grpc.aio.AioRpcError):
            assert o.code() == grpc.StatusCode.ABORTED
    winners = [o for o in outcomes if not isinstance(o, BaseException)]
    assert winners
    assert len({w.customer_id for w in winners}) == 1
    looked = await master.GetCustomerBySourceId(
        api.GetCustomerBySourceIdRequest(source_system="webshop", source_id=f"RACE-{uid}")
    )
    assert len(looked.customer.sources) == 1


async def test_the_same_person_arriving_from_two_systems_at_once_becomes_one_customer(master, uid):
    """Neither transaction sees the other's new customer; without a guard both would create one."""
    people = [("Tom", "Ashdown"), ("Uma", "Brightwell"), ("Vic", "Castellano"), ("Wim", "Dragomir")]
    records = [
        person(
            system,
            f"TW-{system}-{uid}-{n}",
            given,
            f"{family}{uid}",
            email=f"{given.lower()}{uid}@example.com",
            dob=(1950 + n, n + 1, n + 1),
        )
        for n, (given, family) in enumerate(people)
        for system in ("erp", "webshop")
    ]

    async def upsert_retrying(record: pb.SourceRecord) -> api.UpsertResult:
        for _ in range(10):  # ABORTED asks the client to retry, as connectors do
            try:
                return await upsert(master, record)
            except grpc.aio.AioRpcError as exc:
                if exc.code() != grpc.StatusCode.ABORTED:
                    raise
        raise AssertionError("still ABORTED after 10 tries")

    results = await asyncio.gather(*(upsert_retrying(r) for r in records))
    for n in range(len(people)):
        erp, shop = results[2 * n], results[2 * n + 1]
        assert erp.customer_id == shop.customer_id, (erp, shop)


def _crowd(uid: str, n: int, system: str = "erp") -> list[pb.SourceRecord]:
    """``n`` different people, each with an email, a phone, a birth date and an address (phone,
    postcode and birth date the uid's own)."""
    seed = tag_number(uid, 800)
    return [
        person(
            system,
            f"CROWD-{uid}-{i}",
            f"Given{i}x{uid}",
            f"Family{i}x{uid}",
            email=f"crowd{i}.{uid}@example.com",
            phone=f"+49301{seed:03d}{i:04d}",
            dob=tag_birth_date(uid, i),
            street=f"Weg {i}",
            postcode=f"{10000 + seed * 100 + i % 100}",
        )
        for i in range(n)
    ]


async def test_a_bulk_batch_takes_one_ingest_lock_not_one_per_blocking_key(pg_url: str) -> None:
    # 1,000 people hold some 9,000 blocking keys: locked one by one they can overflow PostgreSQL's lock
    # table ("out of shared memory"), which is sized for tens of locks per transaction.
    engine = db.async_engine(config.load({"ISTHMUS_DATABASE_URL": pg_url}), "customers")
    held = text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
    try:
        for keys, expected in (({f"k{i}" for i in range(10)}, 11), ({f"k{i}" for i in range(9000)}, 1)):
            async with db.session_factory(engine)() as session, session.begin():
                await Repository(session).lock_keys(keys)
                assert (await session.execute(held)).scalar_one() == expected, len(keys)
    finally:
        await engine.dispose()


async def test_a_bulk_batch_and_a_single_upsert_of_the_same_person_make_one_customer(master, uid):
    """The batch holds the ingest lock exclusively, the single record shares it: they take turns."""
    for round_ in range(3):
        tag = f"{uid}r{round_}"
        batch = _crowd(tag, 40)  # more keys than are locked one by one
        copy = pb.SourceRecord()
        copy.CopyFrom(batch[-1])
        copy.source_system, copy.source_id = "webshop", f"SOLO-{tag}"

        async def single(copy: pb.SourceRecord) -> api.UpsertResult:
            for _ in range(10):
                try:
                    return await upsert(master, copy)
                except grpc.aio.AioRpcError as exc:
                    if exc.code() != grpc.StatusCode.ABORTED:
                        raise
            raise AssertionError("still ABORTED after 10 tries")

        bulk, solo = await asyncio.gather(
            master.BatchUpsertSourceRecords(api.BatchUpsertSourceRecordsRequest(records=batch)), single(copy)
        )
        assert bulk.results[-1].customer_id == solo.customer_id
