"""The engagement profiles of a batch of the master's customer events are read and written with a few
statements for the whole batch, with what the same events one by one give (segments entered, later
events of the batch seeing earlier ones); an event whose profile cannot be stored (a region code
longer than any country code) is dead-lettered alone, with its reason, and the rest of its batch is
applied. PostgreSQL, the in-process bus: the shape of ``isthmus up``."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from google.protobuf.message import Message
from sqlalchemy import select

from isthmus.platform import config, hub
from isthmus.platform.db import session_factory
from isthmus.platform.events import create_bus, record_event
from isthmus.platform.events.tables import dead_letters
from isthmus.platform.events.testing import FAST, Statements
from isthmus.value import segments
from isthmus.value.engagement import Engagement
from isthmus.value.engagement_events import OutboxPublisher, value_facts_reader
from isthmus.value.engagement_tables import engagement_profiles, trigger_occurrences
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.customers.v1 import records_pb2 as pb
from isthmus_client.api.events.v1 import customers_pb2 as ev
from isthmus_client.api.events.v1 import envelope_pb2

pytestmark = pytest.mark.postgres

QUEUE = "isthmus.value.engagement-customers"
EMAIL = pb.Consent(channel=pb.CONSENT_CHANNEL_EMAIL, status=pb.CONSENT_STATUS_GRANTED)


def settings(database: str) -> config.Settings:
    return config.load(
        {
            "ISTHMUS_DATABASE_URL": database,
            "ISTHMUS_AUTH_DISABLED": "true",
            "ISTHMUS_GRPC_PORT": "0",
            "ISTHMUS_METRICS_PORT": "0",
        }
    )


def customer(customer_id: str, country: str = "DE", city: str = "Hamburg") -> pb.Customer:
    found = pb.Customer(customer_id=customer_id, birth_date=common_pb2.Date(year=1980, month=5, day=17))
    found.addresses.add(
        address=common_pb2.PostalAddress(
            address_lines=["Am Markt 1"], locality=city, postal_code="20095", region_code=country
        ),
        primary=True,
    )
    return found


async def publish(h: hub.Hub, *messages: Message) -> None:
    """The master records these in one transaction: their events go out together."""
    sessions = session_factory(h.runtime.engine("customers"))
    async with sessions() as session, session.begin():
        for message in messages:
            found = getattr(message, "customer", None)
            aggregate = found.customer_id if found is not None else message.customer_id  # type: ignore[attr-defined]
            await record_event(session, message, aggregate_id=aggregate)


async def profiles(h: hub.Hub) -> dict[str, Any]:
    async with h.runtime.engine("value").connect() as conn:
        rows = (await conn.execute(select(engagement_profiles))).mappings().all()
    return {r["customer_id"]: r for r in rows}


def running(database: str) -> Any:
    on_pg = settings(database)
    return hub.running(on_pg, ["customers", "value"], bus=create_bus(on_pg, FAST))


async def test_a_batch_of_new_customers_gets_its_profiles_in_a_few_statements(pg_database: str) -> None:
    ids = [str(uuid.uuid4()) for _ in range(60)]
    async with running(pg_database) as h:
        await h.runtime.bus.drain(timeout=20)
        with Statements(h.runtime.engine("value")) as seen:
            await publish(h, *(ev.CustomerCreated(customer=customer(c)) for c in ids))
            await h.runtime.bus.drain(timeout=30)
        stored = await profiles(h)
    assert sorted(stored) == sorted(ids)
    assert {(r["country"], r["city"], r["postal_code"], r["birth_date"]) for r in stored.values()} == {
        ("DE", "Hamburg", "20095", date(1980, 5, 17))
    }
    # Event by event this read the profile, made it, wrote the address and read the segments: four
    # statements per customer (240). A batch reads and writes its profiles once each.
    assert len(seen.naming("engagement_profiles") + seen.naming("segment_versions")) <= 3 * 3


async def test_a_batch_of_new_customers_is_decided_against_the_segments_in_a_few_statements(
    pg_database: str,
) -> None:
    ids = [str(uuid.uuid4()) for _ in range(40)]
    async with running(pg_database) as h:
        sessions = session_factory(h.runtime.engine("value"))
        async with sessions() as session, session.begin():
            e = Engagement(session, h.runtime.clock, OutboxPublisher(), value_facts_reader("EUR"))
            made = []
            for name, city in (("Germans", ""), ("Kiel", "Kiel")):
                field, value = ("city", city) if city else ("country", "DE")
                rule = segments.parse_rule({"field": field, "op": "eq", "value": value})
                made.append(await e.create_segment(name, "", rule))
                await e.publish_segment(made[-1])
        await h.runtime.bus.drain(timeout=20)
        with Statements(h.runtime.engine("value")) as seen:
            await publish(h, *(ev.CustomerCreated(customer=customer(c)) for c in ids))
            await h.runtime.bus.drain(timeout=30)
        async with sessions() as session:
            e = Engagement(session, h.runtime.clock, OutboxPublisher(), value_facts_reader("EUR"))
            germans = [c for c, _, _ in await e.members(made[0], "", 100)]
            in_kiel = await e.members(made[1], "", 100)
        async with h.runtime.engine("value").connect() as conn:
            occurred = (await conn.execute(select(trigger_occurrences.c.customer_id))).scalars().all()
    assert sorted(germans) == sorted(ids) and in_kiel == []
    assert sorted(occurred) == sorted(ids), "each entry triggers the campaigns once"
    # Event by event: the profile made, read with its value facts, its memberships read, its entry
    # and its occurrence written, the campaigns asked (7 statements a customer, 280). A batch: a few.
    tables = ("engagement_profiles", "value_customers", "segment_members", "trigger_occurrences", "campaigns")
    assert len([t for t in seen.texts if any(name in t for name in tables)]) <= 3 * 8


async def test_a_batch_enters_segments_and_sees_its_own_earlier_events_as_one_by_one_would(
    pg_database: str,
) -> None:
    germans, austrian, movers = [str(uuid.uuid4()) for _ in range(5)], str(uuid.uuid4()), str(uuid.uuid4())
    async with running(pg_database) as h:
        sessions = session_factory(h.runtime.engine("value"))
        async with sessions() as session, session.begin():
            e = Engagement(session, h.runtime.clock, OutboxPublisher(), value_facts_reader("EUR"))
            rule = segments.parse_rule(
                {
                    "all": [
                        {"field": "country", "op": "eq", "value": "DE"},
                        {"field": "consents", "op": "contains", "value": "EMAIL"},
                    ]
                }
            )
            segment_id = await e.create_segment("Mailable Germans", "", rule)
            await e.publish_segment(segment_id)
        await publish(
            h,
            *(ev.CustomerCreated(customer=customer(c)) for c in germans),
            ev.CustomerCreated(customer=customer(austrian, "AT", "Wien")),
            ev.CustomerCreated(customer=customer(movers, "AT", "Wien")),
            # Later in the same batch: the mover moves to Germany, and everyone but one consents.
            ev.CustomerUpdated(customer=customer(movers, "DE", "Kiel")),
            *(ev.ConsentChanged(customer_id=c, consent=EMAIL) for c in [*germans[1:], austrian, movers]),
        )
        await h.runtime.bus.drain(timeout=30)
        async with sessions() as session:
            e = Engagement(session, h.runtime.clock, OutboxPublisher(), value_facts_reader("EUR"))
            members = [c for c, _, _ in await e.members(segment_id, "", 100)]
        stored = await profiles(h)
    assert sorted(members) == sorted([*germans[1:], movers])
    assert (stored[movers]["country"], stored[movers]["city"]) == ("DE", "Kiel")
    assert stored[austrian]["consents"] == '["EMAIL"]' and stored[germans[0]]["consents"] == "[]"


async def test_an_event_whose_profile_cannot_be_stored_is_dead_lettered_alone_and_the_rest_applied(
    pg_database: str,
) -> None:
    good = [str(uuid.uuid4()) for _ in range(5)]
    bad = str(uuid.uuid4())
    async with running(pg_database) as h:
        await h.runtime.bus.drain(timeout=20)
        await publish(
            h,
            *(ev.CustomerCreated(customer=customer(c)) for c in good[:2]),
            ev.CustomerCreated(customer=customer(bad, "DEUTSCHLAND")),  # country holds 8 characters
            *(ev.CustomerCreated(customer=customer(c)) for c in good[2:]),
        )
        await h.runtime.bus.drain(timeout=30)
        stored = await profiles(h)
        async with h.runtime.engine("value").connect() as conn:
            [dead] = (await conn.execute(select(dead_letters))).all()
    assert sorted(stored) == sorted(good)
    assert dead.consumer == QUEUE
    assert dead.attempts == FAST.max_attempts
    assert "value too long" in dead.reason
    payload = envelope_pb2.EventEnvelope.FromString(dead.body).payload
    assert ev.CustomerCreated.FromString(payload).customer.customer_id == bad
