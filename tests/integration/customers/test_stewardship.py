"""Merge, unmerge, match reviews, consent, history, export and erasure through gRPC on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import grpc
import psycopg
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.customers.v1 import customers_pb2 as api
from isthmus_client.api.customers.v1 import customers_pb2_grpc
from isthmus_client.api.customers.v1 import records_pb2 as pb
from isthmus_client.errors import error_info

from .conftest import Clock, Published, running_master
from .helpers import STEWARD, person, upsert

pytestmark = pytest.mark.postgres


# This module's own database: its review pairs (same name, birth dates a digit apart) must not meet
# the many people of similar names the other modules leave in the shared one.
@pytest.fixture(scope="module")
def pg_url(pg_module_database: str) -> str:
    return pg_module_database


@pytest.fixture(scope="module")
def published() -> Published:
    return Published()


@pytest.fixture(scope="module")
async def master(
    pg_url: str, clock: Clock, published: Published
) -> AsyncIterator[customers_pb2_grpc.CustomerMasterServiceStub]:
    async with running_master(pg_url, clock, published) as stub:
        yield stub


@pytest.fixture(autouse=True)
def records_stay_with_active_customers(pg_url: str) -> Iterator[None]:
    """After every steward action, each source record still belongs to an active customer (candidate
    lookups rely on it and do not read the customers' state), and each blocking key to a source
    record of the same customer."""
    yield
    with psycopg.connect(pg_url, options="-c search_path=customers") as conn:
        stray = conn.execute(
            "SELECT s.source_system, s.source_id, c.state FROM source_records s"
            " LEFT JOIN customers c USING (customer_id)"
            " WHERE c.state IS DISTINCT FROM %s",
            (pb.CUSTOMER_STATE_ACTIVE,),
        ).fetchall()
        stray_keys = conn.execute(
            "SELECT k.key, k.source_system, k.source_id FROM blocking_keys k"
            " LEFT JOIN source_records s USING (source_system, source_id)"
            " WHERE s.customer_id IS DISTINCT FROM k.customer_id"
        ).fetchall()
    assert stray == []
    assert stray_keys == []


async def two_customers(master, uid):
    # No birth date on the first: other tests' Ida Brandts (names a few characters apart) stay apart.
    a = await upsert(
        master, person("erp", f"M1-{uid}", "Ida", f"Brandt{uid}", email=f"ida{uid}@a.example", dob=None)
    )
    b = await upsert(
        master, person("webshop", f"M2-{uid}", "Ida", "Brandt", email=f"ib{uid}@b.example", dob=(1970, 1, 2))
    )
    assert a.customer_id != b.customer_id
    return a.customer_id, b.customer_id


async def test_merge_moves_sources_and_unmerge_restores_both_customers(master, uid):
    keep, gone = await two_customers(master, uid)
    merged = await master.MergeCustomers(
        api.MergeCustomersRequest(
            surviving_id=keep, merged_ids=[gone], reason="same person, phoned in", actor=STEWARD
        )
    )
    assert {s.source_id for s in merged.customer.sources} == {f"M1-{uid}", f"M2-{uid}"}
    assert len(merged.customer.emails) == 2
    old = (await master.GetCustomer(api.GetCustomerRequest(customer_id=gone))).customer
    assert (old.state, old.merged_into_id, len(old.emails)) == (pb.CUSTOMER_STATE_MERGED, keep, 0)
    looked = await master.GetCustomerBySourceId(
        api.GetCustomerBySourceIdRequest(source_system="webshop", source_id=f"M2-{uid}")
    )
    assert looked.customer_id == keep

    undone = await master.UnmergeCustomer(
        api.UnmergeCustomerRequest(
            customer_id=keep, restore_ids=[gone], reason="different birthdays", actor=STEWARD
        )
    )
    assert [s.source_id for s in undone.customer.sources] == [f"M1-{uid}"]
    assert undone.restored[0].state == pb.CUSTOMER_STATE_ACTIVE
    assert [s.source_id for s in undone.restored[0].sources] == [f"M2-{uid}"]
    history = await master.ListHistoryEntries(api.ListHistoryEntriesRequest(customer_id=keep))
    kinds = [e.kind for e in history.history_entries]
    assert kinds[:2] == [pb.HISTORY_ENTRY_KIND_UNMERGED, pb.HISTORY_ENTRY_KIND_MERGED]
    assert history.history_entries[1].reason == "same person, phoned in"
    assert history.history_entries[1].actor.id == "steward-1"
    assert history.history_entries[1].related_customer_ids == [gone]


async def test_unmerge_sends_records_that_arrived_after_the_merge_where_they_match_best(master, uid):
    family = f"Lind{uid}"  # no other test's people share these name keys
    keep = await upsert(
        master, person("erp", f"L1-{uid}", "Mara", family, email=f"m1{uid}@a.example", dob=None)
    )
    gone = await upsert(
        master, person("webshop", f"L2-{uid}", "Mara", family, email=f"m2{uid}@b.example", dob=(1970, 1, 2))
    )
    assert gone.outcome == pb.MATCH_OUTCOME_REVIEW_OPENED  # names alike, emails not: a steward decides
    await master.MergeCustomers(
        api.MergeCustomersRequest(
            surviving_id=keep.customer_id, merged_ids=[gone.customer_id], reason="alike", actor=STEWARD
        )
    )
    # Two more copies link to the merged customer: one by the merged-away customer's email, one by
    # the survivor's own.
    like_gone = person(
        "callcenter", f"L3-{uid}", "Mara", family, email=f"m2{uid}@b.example", dob=(1970, 1, 2)
    )
    like_keep = person("callcenter", f"L4-{uid}", "Mara", family, email=f"m1{uid}@a.example", dob=None)
    assert (await upsert(master, like_gone)).customer_id == keep.customer_id
    assert (await upsert(master, like_keep)).customer_id == keep.customer_id

    undone = await master.UnmergeCustomer(
        api.UnmergeCustomerRequest(
            customer_id=keep.customer_id, restore_ids=[gone.customer_id], reason="two people", actor=STEWARD
        )
    )

    assert {s.source_id for s in undone.customer.sources} == {f"L1-{uid}", f"L4-{uid}"}
    assert {s.source_id for s in undone.restored[0].sources} == {f"L2-{uid}", f"L3-{uid}"}
    looked = await master.GetCustomerBySourceId(
        api.GetCustomerBySourceIdRequest(source_system="callcenter", source_id=f"L3-{uid}")
    )
    assert looked.customer_id == gone.customer_id


async def test_merge_retry_with_same_key_returns_first_result_and_other_request_is_already_exists(
    master, uid
):
    keep, gone = await two_customers(master, uid)
    request = api.MergeCustomersRequest(surviving_id=keep, merged_ids=[gone], reason="dup", request_id=uid)
    first = await master.MergeCustomers(request)
    again = await master.MergeCustomers(request)
    assert again.merge_id == first.merge_id
    assert (first.outcome, again.outcome) == (
        common_pb2.WRITE_OUTCOME_APPLIED,
        common_pb2.WRITE_OUTCOME_REPLAYED,
    )
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await master.MergeCustomers(
            api.MergeCustomersRequest(surviving_id=gone, merged_ids=[keep], reason="x", request_id=uid)
        )
    assert err.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert error_info(err.value) == ("KEY_REUSED", {"field": "surviving_id"})


@pytest.mark.parametrize(
    ("request_", "code", "field"),
    [
        (
            api.MergeCustomersRequest(merged_ids=["x"], reason="r"),
            grpc.StatusCode.INVALID_ARGUMENT,
            "surviving_id",
        ),
        (
            api.MergeCustomersRequest(surviving_id="a", reason="r"),
            grpc.StatusCode.INVALID_ARGUMENT,
            "merged_ids",
        ),
        (
            api.MergeCustomersRequest(surviving_id="a", merged_ids=["b"]),
            grpc.StatusCode.INVALID_ARGUMENT,
            "reason",
        ),
        (
            api.MergeCustomersRequest(surviving_id="nope", merged_ids=["b"], reason="r"),
            grpc.StatusCode.NOT_FOUND,
            "",
        ),
    ],
)
async def test_bad_merge_requests_get_the_right_status(master, request_, code, field):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await master.MergeCustomers(request_)
    assert err.value.code() == code
    assert field in err.value.details()


async def test_stale_expected_version_on_merge_is_aborted(master, uid):
    keep, gone = await two_customers(master, uid)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await master.MergeCustomers(
            api.MergeCustomersRequest(surviving_id=keep, merged_ids=[gone], reason="r", expected_version=99)
        )
    assert err.value.code() == grpc.StatusCode.ABORTED


async def review_pair(master, uid):
    # Same name, birth dates one digit apart, different address and phone: between the thresholds.
    # Birth date and house numbers come from the uid: the other pairs in this database have names
    # only a few letters apart, and must not share an address and a birth date with this one.
    n = int(uid, 16)
    # Days 1-8: the day and the next differ in one digit.
    year, month, day = 1930 + n % 60, 1 + n // 60 % 12, 1 + n // 720 % 8
    a = await upsert(
        master,
        person(
            "erp",
            f"V1-{uid}",
            f"{uid}Greta",
            f"{uid}Hahn",
            street=f"Am Markt {n % 997 + 1}",
            postcode="20095",
            dob=(year, month, day),
            phone=f"+49 40 1{int(uid[:6], 16) % 10**6:06d}",
        ),
    )
    b = await upsert(
        master,
        person(
            "webshop",
            f"V2-{uid}",
            f"{uid}Greta",
            f"{uid}Hahn",
            street=f"Seeweg {n // 997 % 997 + 1}",
            postcode="80331",
            dob=(year, month, day + 1),
            phone=f"+49 89 7{int(uid[:6], 16) % 10**6:06d}",
        ),
    )
    assert b.outcome == pb.MATCH_OUTCOME_REVIEW_OPENED, b
    return a, b


async def test_validate_only_shows_the_merged_golden_record_and_changes_nothing(master, uid):
    a, b = await review_pair(master, uid)
    (review,) = (
        await master.ListMatchReviews(api.ListMatchReviewsRequest(customer_id=a.customer_id))
    ).match_reviews
    before = await master.ListHistoryEntries(api.ListHistoryEntriesRequest(customer_id=a.customer_id))
    preview = await master.ResolveMatchReview(
        api.ResolveMatchReviewRequest(
            review_id=review.review_id, decision=api.MATCH_DECISION_MATCH, actor=STEWARD, validate_only=True
        )
    )
    assert preview.review.state == pb.MATCH_REVIEW_STATE_MATCHED
    assert preview.customer.customer_id == a.customer_id
    assert sorted(s.source_id for s in preview.customer.sources) == [f"V1-{uid}", f"V2-{uid}"]
    assert {entry.source_id for entry in preview.customer.lineage} == {f"V1-{uid}", f"V2-{uid}"}
    # Nothing happened: the review is open, both customers active, no history written.
    (still,) = (
        await master.ListMatchReviews(api.ListMatchReviewsRequest(customer_id=a.customer_id))
    ).match_reviews
    assert (still.state, still.version) == (pb.MATCH_REVIEW_STATE_OPEN, review.version)
    candidate = (await master.GetCustomer(api.GetCustomerRequest(customer_id=b.customer_id))).customer
    assert candidate.state == pb.CUSTOMER_STATE_ACTIVE
    after = await master.ListHistoryEntries(api.ListHistoryEntriesRequest(customer_id=a.customer_id))
    assert after.history_entries == before.history_entries


async def test_review_between_thresholds_is_listed_explained_and_match_merges(master, uid):
    a, b = await review_pair(master, uid)
    listed = await master.ListMatchReviews(api.ListMatchReviewsRequest(customer_id=a.customer_id))
    (review,) = listed.match_reviews
    assert review.review_id == b.match_review_id
    assert (review.candidate_customer_id, review.existing_customer_id) == (b.customer_id, a.customer_id)
    compared = {c.comparator for c in review.comparisons}
    assert compared >= {"given_name", "family_name", "date_of_birth", "postal_address"}
    assert pb.QUALITY_FLAG_PENDING_REVIEW in b.quality_flags
    resolved = await master.ResolveMatchReview(
        api.ResolveMatchReviewRequest(
            review_id=review.review_id,
            decision=api.MATCH_DECISION_MATCH,
            actor=STEWARD,
            expected_version=review.version,
        )
    )
    assert resolved.review.state == pb.MATCH_REVIEW_STATE_MATCHED
    assert resolved.customer.customer_id == a.customer_id
    assert len(resolved.customer.sources) == 2
    assert pb.QUALITY_FLAG_PENDING_REVIEW not in resolved.customer.quality_flags
    again = await master.ResolveMatchReview(
        api.ResolveMatchReviewRequest(review_id=review.review_id, decision=api.MATCH_DECISION_MATCH)
    )
    assert again.review.state == pb.MATCH_REVIEW_STATE_MATCHED
    assert (resolved.outcome, again.outcome) == (
        common_pb2.WRITE_OUTCOME_APPLIED,
        common_pb2.WRITE_OUTCOME_REPLAYED,
    )
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await master.ResolveMatchReview(
            api.ResolveMatchReviewRequest(review_id=review.review_id, decision=api.MATCH_DECISION_NO_MATCH)
        )
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_no_match_keeps_both_customers(master, uid):
    a, b = await review_pair(master, uid)
    resolved = await master.ResolveMatchReview(
        api.ResolveMatchReviewRequest(
            review_id=b.match_review_id, decision=api.MATCH_DECISION_NO_MATCH, note="twins"
        )
    )
    assert resolved.review.state == pb.MATCH_REVIEW_STATE_NOT_MATCHED
    assert resolved.customer.customer_id == b.customer_id
    open_reviews = await master.ListMatchReviews(api.ListMatchReviewsRequest(customer_id=a.customer_id))
    assert not open_reviews.match_reviews


def at(seconds: int) -> Timestamp:
    return Timestamp(seconds=seconds)


async def test_consent_latest_statement_wins_and_older_one_is_only_recorded(master, uid):
    a = await upsert(master, person("erp", f"C-{uid}", "Uwe", "Roth", email=f"uwe{uid}@example.com"))
    base = 1_700_000_000
    signup = api.SetConsentRequest(
        customer_id=a.customer_id,
        channel=pb.CONSENT_CHANNEL_EMAIL,
        status=pb.CONSENT_STATUS_GRANTED,
        source="webshop:signup",
        give_time=at(base),
    )
    first = await master.SetConsent(signup)
    c = first.customer
    assert c.consents[0].status == pb.CONSENT_STATUS_GRANTED
    again = await master.SetConsent(signup)  # the same statement: one fact
    assert (first.outcome, again.outcome) == (
        common_pb2.WRITE_OUTCOME_APPLIED,
        common_pb2.WRITE_OUTCOME_REPLAYED,
    )
    assert again.customer.version == c.version
    c = (
        await master.SetConsent(
            api.SetConsentRequest(
                customer_id=a.customer_id,
                channel=pb.CONSENT_CHANNEL_EMAIL,
                status=pb.CONSENT_STATUS_WITHDRAWN,
                source="callcenter",
                give_time=at(base - 100),
            )
        )
    ).customer
    assert c.consents[0].status == pb.CONSENT_STATUS_GRANTED
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await master.SetConsent(
            api.SetConsentRequest(
                customer_id=a.customer_id,
                channel=pb.CONSENT_CHANNEL_EMAIL,
                status=pb.CONSENT_STATUS_GRANTED,
                give_time=at(base),
            )
        )
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "source" in err.value.details()


async def test_export_holds_raw_source_copies_and_history(master, uid):
    a = await upsert(master, person("erp", f"X-{uid}", " jörg ", "MÜLLER", phone="+49 171 2345678"))
    export = await master.ExportCustomer(api.ExportCustomerRequest(customer_id=a.customer_id, actor=STEWARD))
    assert export.customer.name.given_name == "Jörg"
    assert export.source_records[0].name.given_name == " jörg "
    assert export.history[-1].kind == pb.HISTORY_ENTRY_KIND_CREATED


async def test_erase_leaves_tombstones_and_reingest_needs_a_lawful_basis(master, uid):
    a = await upsert(master, person("erp", f"E-{uid}", "Eva", "Lorenz", email=f"eva{uid}@example.com"))
    erased = await master.EraseCustomer(
        api.EraseCustomerRequest(
            customer_id=a.customer_id, reason="GDPR art. 17", request_reference="PR-1", actor=STEWARD
        )
    )
    assert [(t.source_system, t.source_id) for t in erased.tombstones] == [("erp", f"E-{uid}")]
    gone = (await master.GetCustomer(api.GetCustomerRequest(customer_id=a.customer_id))).customer
    assert gone.state == pb.CUSTOMER_STATE_ERASED
    assert not gone.name.given_name and not gone.emails and not gone.lineage
    history = await master.ListHistoryEntries(api.ListHistoryEntriesRequest(customer_id=a.customer_id))
    assert all(not e.changes for e in history.history_entries)
    looked = await master.GetCustomerBySourceId(
        api.GetCustomerBySourceIdRequest(source_system="erp", source_id=f"E-{uid}")
    )
    assert looked.erased

    again = person("erp", f"E-{uid}", "Eva", "Lorenz", email=f"eva{uid}@example.com")
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await upsert(master, again)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "lawful_basis" in err.value.details()

    again.lawful_basis = "contract:2025-0042"
    back = await upsert(master, again)
    assert back.outcome == pb.MATCH_OUTCOME_NEW_CUSTOMER
    assert back.customer_id != a.customer_id
    repeat = await master.EraseCustomer(api.EraseCustomerRequest(customer_id=a.customer_id, reason="again"))
    assert repeat.erase_time == erased.erase_time
