"""A household that shows late: a son's record without a birth date, linked to his father of the same
name because the father was all the master knew, moves once the son's own record shows the household."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from isthmus.customers import ingest
from isthmus_client.api.customers.v1 import customers_pb2 as api
from isthmus_client.api.customers.v1 import records_pb2 as pb

from .helpers import STEWARD, person, upsert

pytestmark = pytest.mark.postgres


def home(uid: str) -> dict[str, str]:
    """An address and a landline of this test's own (tests share one database)."""
    n = int(uid[:6], 16)
    return {
        "street": "Lindenallee 4",
        "postcode": f"{10000 + n % 90000}",
        "phone": f"+49 30 55{n % 100000:05d}",
    }


def households() -> dict[str, float]:
    return {
        fate: REGISTRY.get_sample_value("isthmus_customers_households_total", {"fate": fate}) or 0.0
        for fate in ("reexamined", "read", "moved", "to_review")
    }


def counted_since(before: dict[str, float]) -> dict[str, float]:
    return {fate: n - before[fate] for fate, n in households().items()}


async def sources(master, customer_id: str) -> set[str]:  # type: ignore[no-untyped-def]
    customer = (await master.GetCustomer(api.GetCustomerRequest(customer_id=customer_id))).customer
    return {s.source_id for s in customer.sources}


async def full(master, customer_id: str) -> pb.Customer:  # type: ignore[no-untyped-def]
    return (
        await master.GetCustomer(api.GetCustomerRequest(customer_id=customer_id, view=pb.CUSTOMER_VIEW_FULL))
    ).customer


async def test_a_sons_undated_record_moves_to_him_when_his_own_record_shows_the_household(
    master, published, clock, uid
):  # type: ignore[no-untyped-def]
    family, son_mail = f"Becker{uid}", f"hans.jr.{uid}@example.com"
    father = await upsert(
        master,
        person(
            "erp", f"F1-{uid}", "Hans", family, dob=(1961, 3, 4), email=f"hb{uid}@example.de", **home(uid)
        ),
    )
    clock.advance(seconds=1)
    # Only the father is known: the son's first record, without a birth date, links to him.
    early = await upsert(
        master, person("webshop", f"S0-{uid}", "Hans", family, dob=None, email=son_mail, **home(uid))
    )
    assert early.customer_id == father.customer_id
    clock.advance(seconds=1)

    # The son's own record: his birth date says he is someone else, his home that he lives there.
    before = households()
    son = await upsert(
        master,
        person("callcenter", f"S1-{uid}", "Hans", family, dob=(1990, 7, 8), email=son_mail, **home(uid)),
    )

    assert son.outcome == pb.MATCH_OUTCOME_NEW_CUSTOMER
    assert son.customer_id != father.customer_id
    assert counted_since(before) == {"reexamined": 1, "read": 1, "moved": 1, "to_review": 0}
    assert await sources(master, father.customer_id) == {f"F1-{uid}"}
    assert await sources(master, son.customer_id) == {f"S0-{uid}", f"S1-{uid}"}
    [member] = (await full(master, father.customer_id)).household
    assert member.customer_id == son.customer_id
    assert member.reason == "different dates of birth"

    # The move explains itself: the link names the customer it is with now and what made it.
    moved = await master.GetCustomerBySourceId(
        api.GetCustomerBySourceIdRequest(source_system="webshop", source_id=f"S0-{uid}")
    )
    assert moved.customer_id == son.customer_id
    assert {c.comparator for c in moved.reference.comparisons} >= {"email_exact", "given_name"}
    history = await master.ListHistoryEntries(api.ListHistoryEntriesRequest(customer_id=father.customer_id))
    entry = history.history_entries[0]
    assert entry.kind == pb.HISTORY_ENTRY_KIND_SOURCE_RECORD_APPLIED
    assert f"webshop/S0-{uid} moved to {son.customer_id}" in entry.reason
    assert "email_exact" in entry.reason
    assert list(entry.related_customer_ids) == [son.customer_id]
    assert entry.actor.id == "customer-master"
    history = await master.ListHistoryEntries(api.ListHistoryEntriesRequest(customer_id=son.customer_id))
    assert f"moved from {father.customer_id}" in history.history_entries[0].reason
    assert (await published.types_for([father.customer_id]))[-1] == "customers.CustomerUpdated"
    assert (await published.types_for([son.customer_id]))[-1] == "customers.CustomerUpdated"


async def test_a_record_either_of_two_could_be_leaves_for_a_review(master, clock, uid):  # type: ignore[no-untyped-def]
    family = f"Wagner{uid}"
    father = await upsert(master, person("erp", f"F1-{uid}", "Peter", family, dob=(1958, 1, 2), **home(uid)))
    clock.advance(seconds=1)
    # Names, address and the landline: what the whole household shares, nothing of one person.
    early = await upsert(master, person("webshop", f"X0-{uid}", "Peter", family, dob=None, **home(uid)))
    assert early.customer_id == father.customer_id
    clock.advance(seconds=1)

    before = households()
    son = await upsert(
        master, person("callcenter", f"S1-{uid}", "Peter", family, dob=(1986, 9, 10), **home(uid))
    )

    assert counted_since(before) == {"reexamined": 1, "read": 1, "moved": 0, "to_review": 1}
    assert await sources(master, father.customer_id) == {f"F1-{uid}"}
    assert await sources(master, son.customer_id) == {f"S1-{uid}"}
    moved = await master.GetCustomerBySourceId(
        api.GetCustomerBySourceIdRequest(source_system="webshop", source_id=f"X0-{uid}")
    )
    own = moved.customer_id
    assert own not in (father.customer_id, son.customer_id)
    assert moved.reference.link_outcome == pb.MATCH_OUTCOME_REVIEW_OPENED
    reviews = await master.ListMatchReviews(api.ListMatchReviewsRequest(customer_id=own))
    [review] = reviews.match_reviews
    assert (review.candidate_customer_id, review.existing_customer_id) == (own, father.customer_id)
    assert "only what the household shares" in review.uncertain
    created = (await master.GetCustomer(api.GetCustomerRequest(customer_id=own))).customer
    assert pb.QUALITY_FLAG_PENDING_REVIEW in created.quality_flags
    history = await master.ListHistoryEntries(api.ListHistoryEntriesRequest(customer_id=own))
    assert [e.kind for e in history.history_entries] == [pb.HISTORY_ENTRY_KIND_CREATED]
    assert f"moved out of {father.customer_id}" in history.history_entries[0].reason


async def test_a_stewards_match_is_not_undone_when_the_household_shows(master, clock, uid):  # type: ignore[no-untyped-def]
    family, son_mail = f"Krause{uid}", f"jk.{uid}@example.com"
    father = await upsert(
        master,
        person(
            "erp", f"F1-{uid}", "Jan", family, dob=(1960, 5, 6), email=f"jan{uid}@example.de", **home(uid)
        ),
    )
    clock.advance(seconds=1)
    # Names alone agree: a steward decides, and says it is the father.
    early = await upsert(master, person("webshop", f"S0-{uid}", "Jan", family, dob=None, email=son_mail))
    assert early.outcome == pb.MATCH_OUTCOME_REVIEW_OPENED
    await master.ResolveMatchReview(
        api.ResolveMatchReviewRequest(
            review_id=early.match_review_id, decision=api.MATCH_DECISION_MATCH, actor=STEWARD, note="checked"
        )
    )
    assert await sources(master, father.customer_id) == {f"F1-{uid}", f"S0-{uid}"}
    clock.advance(seconds=1)

    son = await upsert(
        master,
        person("callcenter", f"S1-{uid}", "Jan", family, dob=(1992, 2, 3), email=son_mail, **home(uid)),
    )

    # The record's e-mail is the son's, but a steward placed it: it stays.
    assert son.customer_id != father.customer_id
    assert await sources(master, father.customer_id) == {f"F1-{uid}", f"S0-{uid}"}
    assert await sources(master, son.customer_id) == {f"S1-{uid}"}
    assert [m.customer_id for m in (await full(master, son.customer_id)).household] == [father.customer_id]


async def test_a_record_matching_father_and_son_joins_the_one_whose_own_e_mail_it_holds(master, clock, uid):  # type: ignore[no-untyped-def]
    family, father_mail = f"Lange{uid}", f"ol{uid}@example.de"
    father = await upsert(
        master, person("erp", f"F1-{uid}", "Otto", family, dob=(1955, 4, 5), email=father_mail, **home(uid))
    )
    son = await upsert(
        master,
        person(
            "erp", f"S1-{uid}", "Otto", family, dob=(1984, 6, 7), email=f"o{uid}@example.com", **home(uid)
        ),
    )
    assert son.customer_id != father.customer_id
    clock.advance(seconds=1)

    # No birth date: names, address and landline fit both; the e-mail is the father's alone.
    late = await upsert(
        master, person("webshop", f"F2-{uid}", "Otto", family, dob=None, email=father_mail, **home(uid))
    )

    assert late.outcome == pb.MATCH_OUTCOME_LINKED_DETERMINISTIC
    assert late.customer_id == father.customer_id
    # What the household shares alone still waits for a steward.
    shared = await upsert(master, person("webshop", f"X2-{uid}", "Otto", family, dob=None, **home(uid)))
    assert shared.outcome == pb.MATCH_OUTCOME_REVIEW_OPENED


async def test_a_record_matching_two_people_and_a_copy_either_could_be_joins_its_own_and_bridges_nothing(
    master, clock, uid
):  # type: ignore[no-untyped-def]
    family, daughter_mail = f"Muller{uid}", f"delia.{uid}@example.com"
    address = {k: v for k, v in home(uid).items() if k != "phone"}
    mother = await upsert(master, person("erp", f"M1-{uid}", "Delia", family, dob=(1975, 2, 6), **home(uid)))
    daughter = await upsert(
        master,
        person("webshop", f"D1-{uid}", "Delia", family, dob=(2006, 12, 11), email=daughter_mail, **address),
    )
    assert daughter.customer_id != mother.customer_id
    clock.advance(seconds=1)
    # A copy of the mother's, names transposed, no birth date: it could be either's; a steward decides.
    either = await upsert(master, person("callcenter", f"M2-{uid}", family, "Delia", dob=None, **home(uid)))
    assert either.outcome == pb.MATCH_OUTCOME_REVIEW_OPENED
    clock.advance(seconds=1)

    # The daughter's copy: her e-mail, the home's landline. It links to all three customers; the
    # e-mail is the daughter's own, so it joins her, and shows nothing about the copy either could be.
    late = await upsert(
        master, person("erp", f"D2-{uid}", "Delia", family, dob=None, email=daughter_mail, **home(uid))
    )

    assert late.customer_id == daughter.customer_id
    assert await sources(master, daughter.customer_id) == {f"D1-{uid}", f"D2-{uid}"}
    assert await sources(master, either.customer_id) == {f"M2-{uid}"}
    assert await sources(master, mother.customer_id) == {f"M1-{uid}"}


async def test_a_twins_record_joins_the_twin_whose_e_mail_it_holds_not_the_one_sharing_the_birth_date(
    master, uid
):  # type: ignore[no-untyped-def]
    family, mail = f"Allen{uid}", f"joe.{uid}@example.com"
    mobile = f"+49 172 {int(uid[:6], 16) % 10_000_000:07d}"
    address = {k: v for k, v in home(uid).items() if k != "phone"}
    joe = await upsert(
        master,
        person(
            "callcenter", f"J1-{uid}", "Joe", family, dob=(1979, 4, 13), email=mail, phone=mobile, **address
        ),
    )
    joshua = await upsert(
        master,
        person(
            "erp", f"J2-{uid}", "Joshua", family, dob=(1979, 4, 13), email=f"jo.{uid}@example.de", **address
        ),
    )
    assert joshua.customer_id != joe.customer_id

    # "Joseph" is near "Joshua" and a nickname away from "Joe"; the birth date is both twins'.
    joseph = await upsert(
        master,
        person("erp", f"J3-{uid}", "Joseph", family, dob=(1979, 4, 13), email=mail, phone=mobile, **address),
    )

    assert joseph.outcome == pb.MATCH_OUTCOME_LINKED_DETERMINISTIC
    assert joseph.customer_id == joe.customer_id
    assert await sources(master, joshua.customer_id) == {f"J2-{uid}"}


async def test_a_household_whose_people_their_records_tell_apart_is_not_read_again(
    master, clock, uid, monkeypatch
):  # type: ignore[no-untyped-def]
    """Nearly every household a master shows: the son's birth date and given name say he is not his
    father. Nothing could move, so nothing is read again (``households.could_move``)."""
    calls = []
    original = ingest.reexamine

    async def spied(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args[1])
        return await original(*args, **kwargs)

    monkeypatch.setattr(ingest, "reexamine", spied)
    family = f"Krause{uid}"
    father = await upsert(master, person("erp", f"F1-{uid}", "Dieter", family, dob=(1955, 6, 7), **home(uid)))
    clock.advance(seconds=1)
    before = households()

    son = await upsert(master, person("webshop", f"S1-{uid}", "Jonas", family, dob=(1984, 2, 3), **home(uid)))

    assert son.customer_id != father.customer_id
    [member] = (await full(master, father.customer_id)).household
    assert member.customer_id == son.customer_id
    assert counted_since(before) == {"reexamined": 1, "read": 0, "moved": 0, "to_review": 0}
    assert calls == []
    assert await sources(master, father.customer_id) == {f"F1-{uid}"}
