"""Match models in a running master: a stored link names the model and the comparisons that made it, a
model activated in the database is followed (and rolled back), and households are linked, not merged."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from isthmus.customers import models
from isthmus.customers.api import CustomerMaster
from isthmus.customers.bootstrap import follow_model
from isthmus.customers.deps import Deps, settings_from_env
from isthmus.customers.matching import BUILTIN, MatchModel
from isthmus.platform.config import Settings
from isthmus.platform.db import session_factory
from isthmus_client.api.customers.v1 import customers_pb2 as api
from isthmus_client.api.customers.v1 import records_pb2 as pb

from .helpers import person


def service(backend: tuple[AsyncEngine, Settings]) -> CustomerMaster:
    engine, settings = backend
    return CustomerMaster(
        Deps(settings_from_env(settings.extra), session_factory(engine), lambda: datetime.now(UTC))
    )


async def upsert(master: CustomerMaster, record: pb.SourceRecord) -> api.UpsertResult:
    response = await master.BatchUpsertSourceRecords(
        api.BatchUpsertSourceRecordsRequest(records=[record]), None
    )
    return response.results[0]


async def reference(master: CustomerMaster, system: str, sid: str) -> pb.SourceReference:
    found = await master.GetCustomerBySourceId(
        api.GetCustomerBySourceIdRequest(source_system=system, source_id=sid), None
    )
    return found.reference


async def until(condition, seconds: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the service did not switch models")


async def test_a_link_names_its_model_and_comparisons_and_a_model_change_is_followed_and_rolled_back(
    backend: tuple[AsyncEngine, Settings],
) -> None:
    master = service(backend)
    deps = master.deps
    uid = uuid.uuid4().hex[:8]
    family = f"Quast{uid}"
    email = f"q{uid}@example.com"
    first = await upsert(master, person("erp", f"M1-{uid}", "Helga", family, email=email))
    second = await upsert(master, person("webshop", f"M2-{uid}", "Helga", family, email=email))
    assert second.customer_id == first.customer_id

    linked = await reference(master, "webshop", f"M2-{uid}")
    assert linked.match_model == BUILTIN
    levels = {c.comparator: c.level for c in linked.comparisons}
    assert levels["email_exact"] == "exact" and levels["date_of_birth"] == "exact"
    assert (await reference(master, "erp", f"M1-{uid}")).match_model == ""  # it founded the customer

    # An operator stores and activates a model; the running service follows it.
    async with deps.sessions() as session, session.begin():
        builtin = deps.settings.match.builtin_model().to_json()
        stored = await models.add(
            session, MatchModel.from_json(builtin), "imported", "ops@example", deps.clock()
        )
        await models.activate(session, stored.version, "ops@example", deps.clock(), "test")
    follower = asyncio.create_task(follow_model(deps, every=0.02))
    try:
        await until(lambda: deps.matcher.model.version == stored.version)
        await upsert(master, person("callcenter", f"M3-{uid}", "Helga", family, email=email))
        assert (await reference(master, "callcenter", f"M3-{uid}")).match_model == stored.version
        # The earlier link still names the model that made it.
        assert (await reference(master, "webshop", f"M2-{uid}")).match_model == BUILTIN

        async with deps.sessions() as session, session.begin():
            await models.activate(session, BUILTIN, "ops@example", deps.clock(), "roll back")
        await until(lambda: deps.matcher.model.version == BUILTIN)
    finally:
        follower.cancel()
    async with deps.sessions() as session:
        changes = [(action, version) for _, action, version, _, _ in await models.log(session)]
    assert changes[-3:] == [
        ("imported", stored.version),
        ("activated", stored.version),
        ("activated", BUILTIN),
    ]


async def test_twins_are_two_customers_of_one_household(backend: tuple[AsyncEngine, Settings]) -> None:
    master = service(backend)
    uid = uuid.uuid4().hex[:8]
    family, phone = f"Zwilling{uid}", "+49 30 5550177"
    home = {"phone": phone, "street": "Lindenallee 4", "postcode": "10115", "dob": (2001, 3, 4)}
    lena = await upsert(master, person("erp", f"T1-{uid}", "Lena", family, **home))  # type: ignore[arg-type]
    jonas = await upsert(master, person("webshop", f"T2-{uid}", "Jonas", family, **home))  # type: ignore[arg-type]

    assert jonas.outcome == pb.MATCH_OUTCOME_NEW_CUSTOMER
    assert jonas.customer_id != lena.customer_id
    full = (
        await master.GetCustomer(
            api.GetCustomerRequest(customer_id=lena.customer_id, view=pb.CUSTOMER_VIEW_FULL), None
        )
    ).customer
    [member] = full.household
    assert member.customer_id == jonas.customer_id
    assert member.reason == "different given names"
    assert "phone_exact: exact" in member.shared and "postal_address: exact" in member.shared
    assert (member.found_by.source_system, member.found_by.source_id) == ("webshop", f"T2-{uid}")
    other = (
        await master.GetCustomer(
            api.GetCustomerRequest(customer_id=jonas.customer_id, view=pb.CUSTOMER_VIEW_FULL), None
        )
    ).customer
    assert [m.customer_id for m in other.household] == [lena.customer_id]
