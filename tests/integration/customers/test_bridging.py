"""A record that links to two customers merges them, when nothing they hold says they are two people."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from isthmus_client.api.customers.v1 import customers_pb2 as api
from isthmus_client.api.customers.v1 import records_pb2 as pb

from .helpers import STEWARD, person, upsert

pytestmark = pytest.mark.postgres


def bridged_merges() -> float:
    return REGISTRY.get_sample_value("isthmus_customers_bridged_merges_total") or 0.0


async def lookup(master, system: str, sid: str) -> str:  # type: ignore[no-untyped-def]
    found = await master.GetCustomerBySourceId(
        api.GetCustomerBySourceIdRequest(source_system=system, source_id=sid)
    )
    return str(found.customer_id)


async def test_a_record_matching_two_customers_merges_them_into_the_older_one(master, published, clock, uid):
    email, phone = f"mk{uid}@example.com", "+49 171 5550101"
    a = await upsert(master, person("erp", f"B1-{uid}", "Maria", f"{uid}Keller", email=email, dob=None))
    clock.advance(seconds=1)
    b = await upsert(
        master,
        person(
            "webshop",
            f"B2-{uid}",
            "Maria",
            f"{uid}Keller",
            phone=phone,
            dob=None,
            street="Weg 1",
            postcode="10115",
        ),
    )
    # Name alone is too little to link on: the second record opened a review instead.
    assert b.outcome == pb.MATCH_OUTCOME_REVIEW_OPENED
    assert b.customer_id != a.customer_id

    # The third matches both, the second (same address too) best; the older customer survives.
    merged_before = bridged_merges()
    c = await upsert(
        master,
        person(
            "callcenter",
            f"B3-{uid}",
            "Maria",
            f"{uid}Keller",
            email=email,
            phone=phone,
            dob=None,
            street="Weg 1",
            postcode="10115",
        ),
    )

    assert c.customer_id == a.customer_id
    assert bridged_merges() - merged_before == 1  # operators see how often ingest merges
    assert await lookup(master, "webshop", f"B2-{uid}") == a.customer_id
    customer = (await master.GetCustomer(api.GetCustomerRequest(customer_id=a.customer_id))).customer
    assert {s.source_id for s in customer.sources} == {f"B1-{uid}", f"B2-{uid}", f"B3-{uid}"}
    assert [p.number for p in customer.phones] == ["+491715550101"]
    assert pb.QUALITY_FLAG_PENDING_REVIEW not in customer.quality_flags
    gone = (await master.GetCustomer(api.GetCustomerRequest(customer_id=b.customer_id))).customer
    assert (gone.state, gone.merged_into_id) == (pb.CUSTOMER_STATE_MERGED, a.customer_id)

    history = await master.ListHistoryEntries(api.ListHistoryEntriesRequest(customer_id=a.customer_id))
    merged = history.history_entries[0]
    assert merged.kind == pb.HISTORY_ENTRY_KIND_MERGED
    assert list(merged.related_customer_ids) == [b.customer_id]
    assert (merged.source_record.source_system, merged.source_record.source_id) == ("callcenter", f"B3-{uid}")
    assert f"callcenter/B3-{uid}" in merged.reason
    assert merged.actor.id == "customer-master"
    reviews = await master.ListMatchReviews(
        api.ListMatchReviewsRequest(customer_id=a.customer_id, state=pb.MATCH_REVIEW_STATE_SUPERSEDED)
    )
    assert [r.review_id for r in reviews.match_reviews] == [b.match_review_id]
    assert (await published.types_for([a.customer_id]))[-1] == "customers.CustomersMerged"

    # A steward can still take it apart: the moved records go back where they were.
    await master.UnmergeCustomer(
        api.UnmergeCustomerRequest(
            customer_id=a.customer_id, restore_ids=[b.customer_id], reason="two people", actor=STEWARD
        )
    )
    assert await lookup(master, "webshop", f"B2-{uid}") == b.customer_id


async def test_no_merge_when_the_customers_birth_dates_contradict_and_a_steward_decides_the_record(
    master, uid
):
    email, phone = f"jo{uid}@example.com", "+49 171 5550202"
    a = await upsert(master, person("erp", f"D1-{uid}", "Jonas", f"{uid}Vogt", email=email, dob=(1980, 1, 2)))
    b = await upsert(
        master, person("webshop", f"D2-{uid}", "Jonas", f"{uid}Vogt", phone=phone, dob=(1955, 7, 9))
    )
    assert b.customer_id != a.customer_id
    c = await upsert(
        master, person("callcenter", f"D3-{uid}", "Jonas", f"{uid}Vogt", email=email, phone=phone, dob=None)
    )
    # It matches each of two people (a father and his son of one name) as well: it joins neither.
    assert c.outcome == pb.MATCH_OUTCOME_REVIEW_OPENED
    assert c.customer_id not in (a.customer_id, b.customer_id)
    reviews = await master.ListMatchReviews(api.ListMatchReviewsRequest(customer_id=c.customer_id))
    assert "someone else" in reviews.match_reviews[0].uncertain
    assert await lookup(master, "erp", f"D1-{uid}") == a.customer_id
    assert await lookup(master, "webshop", f"D2-{uid}") == b.customer_id


async def test_no_merge_when_a_steward_said_the_records_are_not_that_customer(master, uid):
    email, phone = f"lu{uid}@example.com", "+49 171 5550303"
    a = await upsert(master, person("erp", f"N1-{uid}", "Lukas", f"{uid}Brand", email=email, dob=None))
    b = await upsert(master, person("webshop", f"N2-{uid}", "Lukas", f"{uid}Brand", phone=phone, dob=None))
    (review,) = (
        await master.ListMatchReviews(api.ListMatchReviewsRequest(customer_id=a.customer_id))
    ).match_reviews
    await master.ResolveMatchReview(
        api.ResolveMatchReviewRequest(
            review_id=review.review_id,
            decision=api.MATCH_DECISION_NO_MATCH,
            actor=STEWARD,
            expected_version=review.version,
            note="brothers",
        )
    )
    await upsert(
        master, person("callcenter", f"N3-{uid}", "Lukas", f"{uid}Brand", email=email, phone=phone, dob=None)
    )
    assert await lookup(master, "webshop", f"N2-{uid}") == b.customer_id


async def test_one_batch_can_create_two_customers_and_the_record_that_joins_them(master, uid):
    email, phone = f"ka{uid}@example.com", "+49 171 5550404"
    records = [
        person("erp", f"T1-{uid}", "Karin", f"{uid}Roth", email=email, dob=None),
        person("webshop", f"T2-{uid}", "Karin", f"{uid}Roth", phone=phone, dob=None),
        person("callcenter", f"T3-{uid}", "Karin", f"{uid}Roth", email=email, phone=phone, dob=None),
    ]
    answer = await master.BatchUpsertSourceRecords(api.BatchUpsertSourceRecordsRequest(records=records))
    (one,) = {r.customer_id for r in answer.results}
    assert [await lookup(master, r.source_system, r.source_id) for r in records] == [one] * 3


async def test_copies_whose_birth_dates_were_keyed_wrong_each_its_own_way_are_joined_by_a_record_near_both(
    master, uid
):
    family, email, phone = f"{uid}Wahner", f"mw{uid}@example.com", "+49 178 3460074"
    a = await upsert(
        master,
        person(
            "callcenter", f"W1-{uid}", "Maurizio", family, phone=phone, dob=(1975, 11, 26), street="Ring 1"
        ),
    )
    b = await upsert(
        master, person("webshop", f"W2-{uid}", "Maurizio", family, email=email, dob=(1970, 11, 22))
    )
    # Two digits apart: nothing yet says these are one person.
    assert b.customer_id != a.customer_id
    c = await upsert(
        master,
        person("erp", f"W3-{uid}", "Maurizio", family, email=email, phone=phone, dob=(1970, 11, 26)),
    )
    # One digit from each: each copy was keyed wrong once, and the record's e-mail and phone are both.
    assert c.outcome == pb.MATCH_OUTCOME_LINKED_DETERMINISTIC
    assert {
        await lookup(master, s, i) for s, i in (("callcenter", f"W1-{uid}"), ("webshop", f"W2-{uid}"))
    } == {c.customer_id}
