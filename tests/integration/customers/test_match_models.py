"""Match models in a running master: a stored link names the model and the comparisons that made it, a
model activated in the database is followed (and rolled back), and households are linked, not merged."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from isthmus.customers import models
from isthmus.customers.api import CustomerMaster
from isthmus.customers.bootstrap import follow_model
from isthmus.customers.deps import Deps, settings_from_env
from isthmus.customers.matching import BUILTIN, MatchModel
from isthmus.platform import config, hub
from isthmus.platform.config import Settings
from isthmus.platform.db import async_engine, session_factory
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


async def test_an_operator_trains_activates_exports_and_rolls_back_a_model_from_the_command_line(
    tmp_path: Path,
) -> None:
    settings = config.load({"ISTHMUS_DATA_DIR": str(tmp_path), "ISTHMUS_AUTH_DISABLED": "true"})
    await asyncio.to_thread(hub.migrate, settings, ["customers"])
    engine = async_engine(settings, "customers")
    try:
        master = service((engine, settings))
        # 150 people, each known to two systems, the second copy with a typo in half of them.
        for n in range(150):
            family = f"Family{n % 61}x{n}"
            dob = (1940 + n % 50, 1 + n % 12, 1 + n % 28)
            address = {"street": f"Weg {n}", "postcode": f"{10000 + n}"}
            copy = family if n % 2 else family[:-1] + "q"
            for system, sid, name in (("erp", f"E{n}", family), ("webshop", f"S{n}", copy)):
                result = await upsert(master, person(system, sid, f"Given{n % 37}", name, dob=dob, **address))
                assert result.customer_id, result
    finally:
        await engine.dispose()

    env = {**os.environ, "ISTHMUS_DATA_DIR": str(tmp_path), "ISTHMUS_LOG_FORMAT": "json"}

    def isthmus(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "isthmus", "customers", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        return done

    trained = isthmus("train", "--activate", "--actor", "ops", "--random-pairs", "20000")
    assert trained.stdout.startswith("model 1 (active): "), trained.stdout
    listed = isthmus("model", "list").stdout
    assert listed.startswith("in force: 1\n") and "*    1  trained" in listed, listed
    model = MatchModel.from_json(json.loads(isthmus("model", "export", "1", str(tmp_path / "m.json")) and
                                            (tmp_path / "m.json").read_text()), version="1")  # fmt: skip
    assert model.weight("date_of_birth", "exact") > model.weight("date_of_birth", "different")
    assert "date_of_birth" in isthmus("model", "show", "1").stdout

    isthmus("model", "activate", BUILTIN, "--actor", "ops", "--note", "roll back")
    listed = isthmus("model", "list").stdout
    assert listed.startswith(f"in force: {BUILTIN}\n") and "roll back" in listed, listed


async def test_training_reads_the_stored_records_in_the_order_of_their_keys_not_of_their_rows(
    backend: tuple[AsyncEngine, Settings],
) -> None:
    # Training samples pairs by position: were the records read in the order the database keeps its
    # rows (which merges and vacuum rearrange), one deployment's data would train different models.
    engine = backend[0]
    master = service(backend)
    family = f"Keyorder{uuid.uuid4().hex[:8]}"
    givens = {"k1": "Anna", "k2": "Bruno", "k3": "Clara", "k4": "Dieter", "k5": "Emil"}
    for sid in ("k5", "k1", "k4", "k2", "k3"):  # rows written out of key order
        assert (await upsert(master, person("erp", sid, givens[sid], family))).customer_id
    async with session_factory(engine)() as session:
        features = await models.stored_features(session)
    ours = [f.given_full for f in features if f.family == family.lower()]
    assert ours == [givens[sid].lower() for sid in sorted(givens)]
