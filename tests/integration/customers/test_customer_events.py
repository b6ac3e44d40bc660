"""Every change to a golden customer publishes its event, once, in order (through the outbox)."""

from __future__ import annotations

import pytest

from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.customers.v1 import customers_pb2 as api

from .helpers import STEWARD, person, upsert

pytestmark = pytest.mark.postgres


async def test_create_update_merge_unmerge_and_erase_each_record_their_event(master, published, uid):
    a = await upsert(master, person("erp", f"EV1-{uid}", "Olga", f"{uid}Ev", email=f"o{uid}@example.com"))
    await upsert(
        master,
        person(
            "webshop", f"EV2-{uid}", "Olga", f"{uid}Ev", email=f"o{uid}@example.com", phone="+49 171 7654321"
        ),
    )
    b = await upsert(
        master,
        person("callcenter", f"EV3-{uid}", "Piet", f"{uid}Zz", phone="+49 171 1112223", dob=(1950, 1, 1)),
    )
    await master.MergeCustomers(
        api.MergeCustomersRequest(
            surviving_id=a.customer_id, merged_ids=[b.customer_id], reason="same", actor=STEWARD
        )
    )
    await master.UnmergeCustomer(
        api.UnmergeCustomerRequest(
            customer_id=a.customer_id, restore_ids=[b.customer_id], reason="not", actor=STEWARD
        )
    )
    erased = await master.EraseCustomer(api.EraseCustomerRequest(customer_id=b.customer_id, reason="GDPR"))
    again = await master.EraseCustomer(api.EraseCustomerRequest(customer_id=b.customer_id, reason="GDPR"))
    assert (erased.outcome, again.outcome) == (
        common_pb2.WRITE_OUTCOME_APPLIED,
        common_pb2.WRITE_OUTCOME_REPLAYED,
    )
    assert again.erase_time == erased.erase_time
    assert await published.types_for([a.customer_id]) == [
        "customers.CustomerCreated",
        "customers.CustomerUpdated",
        "customers.CustomersMerged",
        "customers.CustomerUnmerged",
        "customers.CustomerUpdated",
    ]
    assert await published.types_for([b.customer_id]) == [
        "customers.CustomerCreated",
        "customers.CustomerUpdated",
        "customers.CustomerErased",
    ]
    # An unmerge changes the host's golden record and gives the restored customer its own back: each
    # is a CustomerUpdated (write-back corrects the source systems), with the records each holds now.
    host, restored = (
        [e for e in published.events if e.type == "customers.CustomerUpdated" and e.aggregate_id == c][-1]
        for c in (a.customer_id, b.customer_id)
    )
    assert [(s.source_system, s.source_id) for s in host.payload.customer.sources] == [
        ("erp", f"EV1-{uid}"),
        ("webshop", f"EV2-{uid}"),
    ]
    assert [(s.source_system, s.source_id) for s in restored.payload.customer.sources] == [
        ("callcenter", f"EV3-{uid}")
    ]
    assert restored.payload.customer.name.given_name == "Piet"
    assert list(restored.payload.changed_fields) == [
        "birth_date",
        "name.family_name",
        "name.given_name",
        "phones[0].number",
    ], "all it holds: it was gone"
    assert list(host.payload.changed_fields) == ["phones[1].number"], "the restored customer's phone left"
    # The merge's event carries every record the survivor holds after it, the moved one included.
    (merge,) = [
        e
        for e in published.events
        if e.type == "customers.CustomersMerged" and e.aggregate_id == a.customer_id
    ]
    assert [(s.source_system, s.source_id) for s in merge.payload.customer.sources] == [
        ("callcenter", f"EV3-{uid}"),
        ("erp", f"EV1-{uid}"),
        ("webshop", f"EV2-{uid}"),
    ]


async def test_unchanged_reingest_records_no_event(master, published, uid):
    record = person("erp", f"EV4-{uid}", "Ute", f"{uid}Same", email=f"u{uid}@example.com")
    a = await upsert(master, record)
    await upsert(master, record)
    assert await published.types_for([a.customer_id]) == ["customers.CustomerCreated"]
