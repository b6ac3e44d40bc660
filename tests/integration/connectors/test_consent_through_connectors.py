"""An opt-in or opt-out in a source system reaches the customer's consent through a connector.

The web shop's customer object carries its marketing consent per channel (state and the time the
customer opted in or out); the e-commerce connector turns it into canonical consent statements, and
the runtime hands them to the customer master's SetConsent for the golden customer, with the shop as
the source and the customer's own time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from isthmus_connector_ecommerce.simulator import ShopSimulator

from isthmus.connectors.runtime import ConnectorRuntime, Instance
from isthmus.platform import hub
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.customers.v1 import customers_pb2, customers_pb2_grpc
from isthmus_client.api.customers.v1 import records_pb2 as pb

from .test_refusals_and_replay import hub_settings, local_runtime

pytestmark = pytest.mark.postgres


def consents(customer: pb.Customer) -> dict[str, tuple[str, str, datetime, str]]:
    return {
        pb.ConsentChannel.Name(c.channel): (
            pb.ConsentStatus.Name(c.status),
            c.source,
            c.give_time.ToDatetime(tzinfo=UTC),
            c.recorded_by.id,
        )
        for c in customer.consents
    }


async def from_shop(
    master: customers_pb2_grpc.CustomerMasterServiceStub, source_id: object
) -> customers_pb2.GetCustomerBySourceIdResponse:
    """The golden customer of a shop customer."""
    request = customers_pb2.GetCustomerBySourceIdRequest(source_system="webshop", source_id=str(source_id))
    return await master.GetCustomerBySourceId(request)


@asynccontextmanager
async def synced(
    pg_database: str, shop: ShopSimulator
) -> AsyncIterator[tuple[customers_pb2_grpc.CustomerMasterServiceStub, ConnectorRuntime]]:
    """A hub with the customer master, and the connectors' runtime holding the shop as instance "shop"."""
    settings = hub_settings(pg_database)
    inst = Instance("shop", "ecommerce", {**shop.config(), "source_system": "webshop"}, 3600, ("customers",))
    try:
        async with hub.running(settings, ["customers"]) as h, h.channel() as channel:
            connectors = local_runtime(settings, channel, [inst])
            try:
                yield customers_pb2_grpc.CustomerMasterServiceStub(channel), connectors
            finally:
                connectors.close()
    finally:
        shop.close()


async def test_an_opt_in_and_a_later_opt_out_in_the_shop_reach_the_golden_customer(
    pg_database: str, tmp_path: Path
) -> None:
    shop = ShopSimulator(tmp_path, seed=0, rate_limit_every=0)
    mara = shop.add_customer("Mara", "Lind", "mara@lind.example")
    shop.set_marketing_consent(mara["id"], "email", "subscribed", "2024-03-01T10:00:00+00:00")
    shop.set_marketing_consent(
        mara["id"], "sms", "subscribed", "2024-03-02T11:00:00+00:00", opt_in_level="confirmed_opt_in"
    )
    async with synced(pg_database, shop) as (master, connectors):
        [result] = await connectors.sync("shop", progress=False)
        assert (result.accepted, result.rejected) == (1, 0)
        found = await from_shop(master, mara["id"])
        assert consents(found.customer) == {
            "CONSENT_CHANNEL_EMAIL": (
                "CONSENT_STATUS_GRANTED",
                "webshop:email_marketing_consent (single_opt_in)",
                datetime(2024, 3, 1, 10, tzinfo=UTC),
                "shop",
            ),
            "CONSENT_CHANNEL_SMS": (
                "CONSENT_STATUS_GRANTED",
                "webshop:sms_marketing_consent (confirmed_opt_in)",
                datetime(2024, 3, 2, 11, tzinfo=UTC),
                "shop",
            ),
        }
        email = next(c for c in found.customer.consents if c.channel == pb.CONSENT_CHANNEL_EMAIL)
        assert email.recorded_by.kind == common_pb2.ACTOR_KIND_CONNECTOR

        # She unsubscribes from the newsletter; the next sync carries the opt-out and its time.
        shop.set_marketing_consent(mara["id"], "email", "unsubscribed", "2024-06-15T08:30:00+00:00")
        [result] = await connectors.sync("shop", progress=False)
        assert (result.read, result.accepted, result.rejected) == (1, 1, 0)
        customer = (
            await master.GetCustomer(customers_pb2.GetCustomerRequest(customer_id=found.customer_id))
        ).customer
        now = consents(customer)
        assert now["CONSENT_CHANNEL_EMAIL"][:3] == (
            "CONSENT_STATUS_WITHDRAWN",
            "webshop:email_marketing_consent (single_opt_in)",
            datetime(2024, 6, 15, 8, 30, tzinfo=UTC),
        )
        assert now["CONSENT_CHANNEL_SMS"][0] == "CONSENT_STATUS_GRANTED"

        # A statement the master refuses (dated in the future) dead-letters its record, naming it.
        shop.set_marketing_consent(mara["id"], "sms", "unsubscribed", "2999-01-01T00:00:00+00:00")
        [result] = await connectors.sync("shop", progress=False)
        assert result.rejected == 1
        [letter] = await connectors.syncer.store.dead_letters("shop")
        assert "consents[1]" in letter.reason and "give_time" in letter.reason


async def test_in_one_batch_each_record_keeps_its_own_consent_outcome(
    pg_database: str, tmp_path: Path
) -> None:
    """Records stating no consent, good statements and a refused one, in one batch: each record's
    delivery is its own (a refused statement fails its record only)."""
    shop = ShopSimulator(tmp_path, seed=0, rate_limit_every=0)
    first = shop.add_customer("Ida", "Berg", "ida@berg.example")
    shop.set_marketing_consent(first["id"], "email", "subscribed", "2024-03-01T10:00:00+00:00")
    plain = shop.add_customer("Tore", "Dahl", "tore@dahl.example")
    last = shop.add_customer("Per", "Moe", "per@moe.example")
    shop.set_marketing_consent(last["id"], "sms", "subscribed", "2024-03-02T11:00:00+00:00")
    refused = shop.add_customer("Eva", "Holm", "eva@holm.example")
    shop.set_marketing_consent(refused["id"], "email", "subscribed", "2999-01-01T00:00:00+00:00")
    async with synced(pg_database, shop) as (master, connectors):
        [result] = await connectors.sync("shop", progress=False)
        assert (result.read, result.accepted, result.rejected) == (4, 3, 1)
        [letter] = await connectors.syncer.store.dead_letters("shop")
        assert letter.record_key == str(refused["id"]) and "consents[0]" in letter.reason
        for person, stated in (
            (first, {"CONSENT_CHANNEL_EMAIL"}),
            (plain, set()),
            (last, {"CONSENT_CHANNEL_SMS"}),
        ):
            assert set(consents((await from_shop(master, person["id"])).customer)) == stated, person
