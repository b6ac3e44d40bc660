"""A batch of refreshed source records (their content changed since they were ingested): each stored
copy is the new one and so is what GetCustomer reads back, the batch writes the records with one
statement whatever its size, and a record another writer changed since it was read aborts the write."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from isthmus.customers.api import CustomerMaster
from isthmus.customers.store import Repository
from isthmus.customers.tables import source_records
from isthmus.kernel.errors import Conflict
from isthmus.platform.config import Settings
from isthmus.platform.db import session_factory
from isthmus_client.api.customers.v1 import customers_pb2 as api
from isthmus_client.api.customers.v1 import records_pb2 as pb

from .helpers import person, tag_birth_date, tag_number
from .test_match_models import service
from .test_search_pages import statements


def _people(tag: str, n: int, *, moved: bool = False) -> list[pb.SourceRecord]:
    """``n`` different people, each with a phone and an address; ``moved``, each with another of both
    (phone, postcode and birth date the tag's own)."""
    seed = tag_number(tag, 4000)
    return [
        person(
            "erp",
            f"F{i}-{tag}",
            f"Given{i}x{tag}",
            f"Family{i}x{tag}",
            email=f"fresh{i}.{tag}@example.com",
            phone=f"+4930{seed:05d}{i:02d}{int(moved)}",
            dob=tag_birth_date(tag, i),
            street=f"{'Neuer' if moved else 'Alter'} Weg {i}",
            postcode=f"{10000 + seed * 20 + 2 * i + int(moved)}",
        )
        for i in range(n)
    ]


async def _batch(master: CustomerMaster, records: list[pb.SourceRecord]) -> list[api.UpsertResult]:
    request = api.BatchUpsertSourceRecordsRequest(records=records)
    return list((await master.BatchUpsertSourceRecords(request, None)).results)


def _source_updates(seen: list[str]) -> list[str]:
    return [s for s in seen if " ".join(s.split()).upper().startswith("UPDATE SOURCE_RECORDS")]


async def test_a_batch_of_refreshed_records_is_stored_and_read_back_with_one_update(
    backend: tuple[AsyncEngine, Settings],
) -> None:
    master = service(backend)
    engine, _ = backend
    updates: dict[int, list[str]] = {}
    for n in (2, 6):
        tag = f"{uuid.uuid4().hex[:8]}n{n}"
        first = await _batch(master, _people(tag, n))
        assert [r.outcome for r in first] == [pb.MATCH_OUTCOME_NEW_CUSTOMER] * n
        moved = _people(tag, n, moved=True)
        with statements(engine) as seen:
            second = await _batch(master, moved)
        assert [r.outcome for r in second] == [pb.MATCH_OUTCOME_REFRESHED] * n
        assert [r.customer_id for r in second] == [r.customer_id for r in first]
        updates[n] = _source_updates(seen)

        async with session_factory(engine)() as session:
            stored = await Repository(session).source_rows([(r.source_system, r.source_id) for r in moved])
        for record, result in zip(moved, second, strict=True):
            row = stored[(record.source_system, record.source_id)]
            assert row.version == 2
            assert [p["raw"] for p in row.data["phones"]] == [record.phones[0].number]
            assert [a["lines"] for a in row.data["addresses"]] == [
                list(record.addresses[0].address.address_lines)
            ]
            request = api.GetCustomerRequest(customer_id=result.customer_id, view=pb.CUSTOMER_VIEW_FULL)
            customer = (await master.GetCustomer(request, None)).customer
            assert customer.version == 2
            assert [p.number for p in customer.phones] == [record.phones[0].number]
            assert [list(a.address.address_lines) for a in customer.addresses] == [
                list(record.addresses[0].address.address_lines)
            ]
            assert [a.address.postal_code for a in customer.addresses] == [
                record.addresses[0].address.postal_code
            ]
            lineage = {e.field: e for e in customer.lineage}
            phone = lineage["phones[0].number"]
            assert (phone.raw_value, phone.source_id) == (record.phones[0].number, record.source_id)
            [source] = customer.sources
            assert source.observe_time.ToDatetime() == row.observed_at.replace(tzinfo=None)
    assert len(updates[2]) == len(updates[6]) == 1, updates


async def _stored(engine: AsyncEngine, ids: list[str]) -> dict[str, dict[str, Any]]:
    async with session_factory(engine)() as session:
        found = await session.execute(select(source_records).where(source_records.c.source_id.in_(ids)))
        return {r["source_id"]: dict(r) for r in found.mappings()}


@pytest.mark.parametrize("stale", [1, 3])
async def test_a_record_changed_since_it_was_read_aborts_the_whole_write(
    backend: tuple[AsyncEngine, Settings], stale: int
) -> None:
    master = service(backend)
    engine, _ = backend
    tag = uuid.uuid4().hex[:8]
    records = _people(tag, stale)
    await _batch(master, records)
    ids = [r.source_id for r in records]
    before = await _stored(engine, ids)
    rows = []
    for i, sid in enumerate(ids):
        row = {k: v for k, v in before[sid].items() if k not in ("match_model", "match_comparisons")}
        # The last one as if another writer had moved it on since it was read.
        read_at = row["version"] - 1 if i == len(ids) - 1 else row["version"]
        rows.append(({**row, "score": 0.5, "version": read_at + 1}, read_at))
    async with session_factory(engine)() as session:
        with pytest.raises(Conflict) as err:
            async with session.begin():
                await Repository(session).update_sources(rows)
    if stale == 1:
        assert str(err.value) == f"source record erp/{ids[0]} changed concurrently; retry"
    else:
        assert str(err.value) == "a source record in this batch changed concurrently; retry"
    assert await _stored(engine, ids) == before  # nothing of the batch is kept
    async with session_factory(engine)() as session, session.begin():
        await Repository(session).update_sources(rows[:-1])
    after = await _stored(engine, ids)
    assert [after[sid]["score"] for sid in ids[:-1]] == [0.5] * (stale - 1)
    assert [after[sid]["version"] for sid in ids[:-1]] == [2] * (stale - 1)
