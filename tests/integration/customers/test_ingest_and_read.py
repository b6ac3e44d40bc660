"""Upsert through gRPC on PostgreSQL: resolution, idempotency, lineage, lookup, bad input."""

from __future__ import annotations

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2

from isthmus.customers.batch_io import CandidateReads
from isthmus_client.api.customers.v1 import customers_pb2 as api
from isthmus_client.api.customers.v1 import records_pb2 as pb
from isthmus_client.errors import FIELD_INVALID, STATUS_DETAILS_KEY, error_info, field_violations, rpc_error

from .helpers import person, upsert

pytestmark = pytest.mark.postgres


async def test_same_email_across_systems_links_to_one_golden_customer(master, uid):
    a = await upsert(master, person("erp", f"A-{uid}", "ANNA", "schmidt", email=f"Anna.{uid}@Example.com"))
    b = await upsert(
        master, person("webshop", f"w-{uid}", "Anna", "Schmidt", email=f"anna.{uid}@example.COM")
    )
    assert a.outcome == pb.MATCH_OUTCOME_NEW_CUSTOMER
    assert b.outcome == pb.MATCH_OUTCOME_LINKED_DETERMINISTIC
    assert b.customer_id == a.customer_id
    customer = (await master.GetCustomer(api.GetCustomerRequest(customer_id=a.customer_id))).customer
    assert customer.name.given_name == "Anna"
    assert {(s.source_system, s.source_id) for s in customer.sources} == {
        ("erp", f"A-{uid}"),
        ("webshop", f"w-{uid}"),
    }
    given = next(entry for entry in customer.lineage if entry.field == "name.given_name")
    assert (given.source_system, given.raw_value, given.rule) == (
        "erp",
        "ANNA schmidt",
        pb.SURVIVORSHIP_RULE_SOURCE_PRIORITY,
    )


async def test_reingesting_the_same_record_changes_nothing(master, uid):
    record = person("erp", f"R-{uid}", "Jonas", "Becker", phone="030 1234567")
    first = await upsert(master, record)
    again = await upsert(master, record)
    assert again.outcome == pb.MATCH_OUTCOME_UNCHANGED
    assert again.customer_id == first.customer_id
    before = (await master.GetCustomer(api.GetCustomerRequest(customer_id=first.customer_id))).customer
    assert before.version == 1
    assert before.phones[0].number == "+49301234567"


async def test_typo_and_nickname_with_same_birth_date_and_address_link_probabilistically(master, uid):
    street = f"Hauptstr. {len(uid)}"
    a = await upsert(
        master, person("erp", f"P-{uid}", f"{uid}William", "Meyer", street=street, postcode="10115")
    )
    b = await upsert(
        master, person("callcenter", f"c-{uid}", f"{uid}William", "Meier", street=street, postcode="10115")
    )
    assert b.outcome == pb.MATCH_OUTCOME_LINKED_PROBABILISTIC
    assert b.customer_id == a.customer_id
    assert b.score >= 12


async def test_lookup_by_source_id_returns_the_golden_customer_and_not_found_for_unknown(master, uid):
    a = await upsert(master, person("erp", f"L-{uid}", "Lena", "Vogel", email=f"lena{uid}@example.org"))
    found = await master.GetCustomerBySourceId(
        api.GetCustomerBySourceIdRequest(source_system="erp", source_id=f"L-{uid}")
    )
    assert found.customer_id == a.customer_id
    assert found.customer.emails[0].address == f"lena{uid}@example.org"
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await master.GetCustomerBySourceId(
            api.GetCustomerBySourceIdRequest(source_system="erp", source_id=f"nope-{uid}")
        )
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize(
    ("record", "field"),
    [
        (pb.SourceRecord(source_system="erp", source_id="x"), "record.name"),
        (
            pb.SourceRecord(source_system="mainframe", source_id="x", name=pb.PersonName(full_name="A B")),
            "record.source_system",
        ),
        (
            pb.SourceRecord(source_system="erp", source_id="x\x00", name=pb.PersonName(full_name="A B")),
            "record.source_id",
        ),
        (
            pb.SourceRecord(source_system="erp", source_id="", name=pb.PersonName(full_name="A B")),
            "record.source_id",
        ),
    ],
)
async def test_bad_records_are_refused_naming_the_field(master, record, field):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await upsert(master, record)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in err.value.details()


async def test_a_batch_answers_every_record_and_a_bad_one_does_not_fail_the_others(master, uid):
    good = person("webshop", f"B1-{uid}", "Karl", "Lang", email=f"karl{uid}@example.net")
    dup = person("erp", f"B2-{uid}", "Carl", "Lang", email=f"karl{uid}@example.net")
    bad = pb.SourceRecord(
        source_system="webshop", source_id="", name=pb.PersonName(given_name="No", family_name="Id")
    )
    response = await master.BatchUpsertSourceRecords(
        api.BatchUpsertSourceRecordsRequest(records=[good, bad, dup], batch_id="b1")
    )
    assert [r.outcome for r in response.results] == [
        pb.MATCH_OUTCOME_NEW_CUSTOMER,
        pb.MATCH_OUTCOME_REJECTED,
        pb.MATCH_OUTCOME_LINKED_DETERMINISTIC,
    ]
    assert response.results[2].customer_id == response.results[0].customer_id
    # The path is the record's own, not the request's ("records[1].source_id").
    assert field_violations(response.results[1].error)[0][0] == "source_id"
    assert (response.accepted_count, response.rejected_count, response.batch_id) == (2, 1, "b1")


async def test_a_refused_batch_item_is_the_status_its_own_call_would_have_ended_with(master, uid):
    # Rule 11 (docs/api.md): a google.rpc.Status with the call's code, message and details (an
    # ErrorInfo, a BadRequest); only the field paths are the record's own, not the request's.
    good = person("webshop", f"ST1-{uid}", "Greta", "Stein", email=f"greta{uid}@example.net")
    bad = pb.SourceRecord(source_system="webshop", name=pb.PersonName(given_name="No", family_name="Id"))
    response = await master.BatchUpsertSourceRecords(api.BatchUpsertSourceRecordsRequest(records=[good, bad]))
    accepted, refused = response.results
    assert accepted.outcome == pb.MATCH_OUTCOME_NEW_CUSTOMER and not accepted.HasField("error")
    assert refused.outcome == pb.MATCH_OUTCOME_REJECTED
    status = refused.error
    assert isinstance(status, status_pb2.Status)
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    info, bad_request = error_details_pb2.ErrorInfo(), error_details_pb2.BadRequest()
    assert [d.Unpack(info) or d.Unpack(bad_request) for d in status.details] == [True, True]
    assert (info.domain, info.reason) == ("isthmus", FIELD_INVALID)
    assert [v.field for v in bad_request.field_violations] == ["source_id"]

    with pytest.raises(grpc.aio.AioRpcError) as alone:
        await master.UpsertSourceRecord(api.UpsertSourceRecordRequest(record=bad))
    call = _status_of(alone.value)
    assert (status.code, status.message) == (call.code, call.message.replace("record.", ""))
    assert [d.type_url for d in status.details] == [d.type_url for d in call.details]
    assert error_info(status) == error_info(alone.value)
    assert field_violations(status) == [
        (f.removeprefix("record."), d) for f, d in field_violations(alone.value)
    ]

    # The client turns the item's status into the exception the call raised.
    as_call = rpc_error(status)
    assert isinstance(as_call, grpc.RpcError)
    assert as_call.code() == alone.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error_info(as_call) == error_info(alone.value)
    assert field_violations(as_call) == field_violations(status)


def _status_of(error: grpc.aio.AioRpcError) -> status_pb2.Status:
    (details,) = [v for k, v in error.trailing_metadata() or () if k == STATUS_DETAILS_KEY]
    return status_pb2.Status.FromString(details)


async def test_a_name_only_record_becomes_its_own_flagged_customer(master, uid):
    a = await upsert(master, person("erp", f"N1-{uid}", f"{uid}Otto", "Klein", dob=None))
    b = await upsert(master, person("webshop", f"N2-{uid}", f"{uid}Otto", "Klein", dob=None))
    assert a.customer_id != b.customer_id
    assert pb.QUALITY_FLAG_INSUFFICIENT_MATCH_DATA in b.quality_flags


async def test_search_filters_exactly_ranks_free_text_and_pages(master, uid):
    ids = []
    for i in range(3):
        r = await upsert(
            master,
            person(
                "erp",
                f"S{i}-{uid}",
                ["Sina", "Paul", "Yusuf"][i],
                f"Searchfam{uid}",
                email=f"s{i}{uid}@ex.com",
                dob=(1970 + i, 1, 1),
            ),
        )
        ids.append(r.customer_id)
    by_email = await master.SearchCustomers(api.SearchCustomersRequest(email=f"S1{uid}@EX.com"))
    assert [c.customer_id for c in by_email.customers] == [ids[1]]
    page1 = await master.SearchCustomers(
        api.SearchCustomersRequest(family_name=f"searchfam{uid}", page_size=2)
    )
    page2 = await master.SearchCustomers(
        api.SearchCustomersRequest(
            family_name=f"searchfam{uid}", page_size=2, page_token=page1.next_page_token
        )
    )
    assert sorted(c.customer_id for c in [*page1.customers, *page2.customers]) == sorted(ids)
    assert not page2.next_page_token
    # A customer shown merged away while someone pages: the next page starts after the last id shown,
    # so none is skipped (by position, the customers after it would each move one place up).
    for i in range(3):
        more = person("erp", f"S{i}-late-{uid}", "Lena", f"Searchfam{uid}", email=f"l{i}{uid}@ex.com",
                      dob=(1990 + i, 1, 1))  # fmt: skip
        ids.append((await upsert(master, more)).customer_id)
    shown, token = [c.customer_id for c in page1.customers], page1.next_page_token
    await master.MergeCustomers(
        api.MergeCustomersRequest(surviving_id=ids[-1], merged_ids=[shown[0]], reason="the same person")
    )
    while token:
        page = await master.SearchCustomers(
            api.SearchCustomersRequest(family_name=f"searchfam{uid}", page_size=2, page_token=token)
        )
        shown, token = shown + [c.customer_id for c in page.customers], page.next_page_token
    assert shown == sorted(ids)
    fuzzy = await master.SearchCustomers(api.SearchCustomersRequest(query=f"yusuf searchfam{uid}"))
    assert fuzzy.customers[0].customer_id == ids[2]
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await master.SearchCustomers(api.SearchCustomersRequest(page_token="garbage!"))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def _letters(i: int) -> str:
    return "".join("abcdefghij"[int(d)] for d in str(i)).capitalize()


async def test_a_large_batch_links_across_its_slices_and_to_stored_customers(master, uid):
    """A batch's candidates are read a slice at a time, each while the slice before is resolved:
    records find customers made earlier in the same batch, in other slices, and stored ones.

    The people differ by their emails (the link) and family names alone: no birth dates, which
    near-alike names with near-alike dates would rightly send to review."""
    stored = [
        person("erp", f"S{i}-{uid}", "Greta", f"Stor{_letters(i)}", email=f"s{i}.{uid}@example.org", dob=None)
        for i in range(20)
    ]
    before = await master.BatchUpsertSourceRecords(api.BatchUpsertSourceRecordsRequest(records=stored))
    n = CandidateReads.SLICE + 10
    firsts = [
        person("erp", f"F{i}-{uid}", "Hanne", f"Sli{_letters(i)}", email=f"f{i}.{uid}@example.org", dob=None)
        for i in range(n)
    ]
    seconds = [
        person(
            "webshop",
            f"W{i}-{uid}",
            "Hanne",
            f"Sli{_letters(i)}",
            email=f"f{i}.{uid}@example.org",
            dob=None,
        )
        for i in range(n)
    ]
    copies = [
        person(
            "webshop",
            f"C{i}-{uid}",
            "Greta",
            f"Stor{_letters(i)}",
            email=f"s{i}.{uid}@example.org",
            dob=None,
        )
        for i in range(20)
    ]
    response = await master.BatchUpsertSourceRecords(
        api.BatchUpsertSourceRecordsRequest(records=firsts + seconds + copies)
    )
    results = list(response.results)
    assert len(results) == 2 * n + 20 > 2 * CandidateReads.SLICE  # three slices
    first, second, copy = results[:n], results[n : 2 * n], results[2 * n :]
    assert {r.outcome for r in first} == {pb.MATCH_OUTCOME_NEW_CUSTOMER}
    assert len({r.customer_id for r in first}) == n
    assert [r.customer_id for r in second] == [r.customer_id for r in first]
    assert {r.outcome for r in second + copy} == {pb.MATCH_OUTCOME_LINKED_DETERMINISTIC}
    assert [r.customer_id for r in copy] == [r.customer_id for r in before.results]


async def test_a_stream_answers_its_batches_in_order_each_seeing_the_ones_before(master, uid):
    # The stream normalises each batch while the one before is applied; a record in a later batch
    # must still find the customer an earlier batch made, and the refresh must come after the insert.
    first = person("erp", f"S1-{uid}", "Lotte", "Brandt", email=f"lotte{uid}@example.org")
    copy = person("webshop", f"S2-{uid}", "Lotte", "Brandt", email=f"lotte{uid}@example.org")
    moved = person(
        "erp",
        f"S1-{uid}",
        "Lotte",
        "Brandt",
        email=f"lotte{uid}@example.org",
        street="Am Markt 3",
        postcode="04109",
    )
    bad = pb.SourceRecord(source_system="erp", source_id=f"S3-{uid}\x00", name=pb.PersonName(given_name="N"))
    batches = [[first], [copy, bad], [moved]]

    async def requests():
        for n, records in enumerate(batches):
            yield api.StreamSourceRecordsRequest(records=records, batch_id=f"s{n}")

    answers = [r async for r in master.StreamSourceRecords(requests())]
    assert [a.batch_id for a in answers] == ["s0", "s1", "s2"]
    created, (linked, refused), (refreshed,) = answers[0].results[0], answers[1].results, answers[2].results
    assert linked.outcome == pb.MATCH_OUTCOME_LINKED_DETERMINISTIC
    assert linked.customer_id == refreshed.customer_id == created.customer_id
    assert refused.outcome == pb.MATCH_OUTCOME_REJECTED
    assert field_violations(refused.error)[0][0] == "source_id"
    customer = (await master.GetCustomer(api.GetCustomerRequest(customer_id=created.customer_id))).customer
    assert [a.address.postal_code for a in customer.addresses] == ["04109"]


async def test_an_oversized_batch_ends_the_stream_after_the_batches_before_it(master, uid):
    ok = person("erp", f"O1-{uid}", "Jonas", "Vogt", email=f"jonas{uid}@example.org")
    filler = [person("erp", f"O-{uid}-{i}", "X", "Y") for i in range(1001)]

    async def requests():
        yield api.StreamSourceRecordsRequest(records=[ok], batch_id="fine")
        yield api.StreamSourceRecordsRequest(records=filler, batch_id="too big")

    answers = []
    with pytest.raises(grpc.aio.AioRpcError) as err:
        async for answer in master.StreamSourceRecords(requests()):
            answers.append(answer)
    assert [a.batch_id for a in answers] == ["fine"]
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "records" in err.value.details() and "1001" in err.value.details()
    found = await master.GetCustomerBySourceId(
        api.GetCustomerBySourceIdRequest(source_system="erp", source_id=f"O1-{uid}")
    )
    assert found.customer_id == answers[0].results[0].customer_id
