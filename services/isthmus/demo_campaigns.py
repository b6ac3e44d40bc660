"""The demo's campaign chapter: a cart campaign is tested and promoted, the shop reports two abandoned
carts, one customer gets a message request and the other, with an open complaint, is held back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from isthmus.connectors.engine import Syncer
from isthmus.connectors.hub import GrpcHub
from isthmus.connectors.idmap import SqlIdMap
from isthmus.connectors.plugins import get_plugin_manager
from isthmus.connectors.runtime import ConnectorRuntime, Instance
from isthmus.connectors.state import SqlStateStore
from isthmus_client.api.customers.v1 import customers_pb2, customers_pb2_grpc, records_pb2
from isthmus_client.api.value.v1 import campaigns_pb2 as pb
from isthmus_client.api.value.v1 import campaigns_pb2_grpc

SHOP = "webshop"


async def golden_of(stub: Any, metadata: Sequence[tuple[str, str]], shop_id: int) -> str:
    found = await stub.GetCustomerBySourceId(
        customers_pb2.GetCustomerBySourceIdRequest(source_system=SHOP, source_id=str(shop_id)),
        metadata=metadata,
    )
    return str(found.customer_id)


async def run(
    engine: Any,
    channel: grpc.aio.Channel,
    shop: Any,
    instance: Instance,
    shoppers: Sequence[int],
    out: Callable[[str], None],
    settle: Callable[[], Awaitable[Any]],
    metadata: Sequence[tuple[str, str]] = (),
) -> dict[str, Any]:
    """``shoppers``: the shop's ids of the customers who leave a cart."""
    campaigns = campaigns_pb2_grpc.CampaignServiceStub(channel)
    customers = customers_pb2_grpc.CustomerMasterServiceStub(channel)
    out("\nA campaign for abandoned carts (defined, tested against live data, promoted):")
    created = await campaigns.CreateCampaign(
        pb.CreateCampaignRequest(
            campaign=pb.Campaign(
                name="Your basket is waiting",
                trigger=pb.CAMPAIGN_TRIGGER_CART_ABANDONED,
                channel=records_pb2.CONSENT_CHANNEL_EMAIL,
                template_id="cart-reminder",
                schedule=pb.CampaignSchedule(delay={"seconds": 3600}),
                control_percent=0,
            )
        ),
        metadata=metadata,
    )
    campaign_id = created.campaign.campaign_id
    tested = await campaigns.TestCampaign(pb.TestCampaignRequest(campaign_id=campaign_id), metadata=metadata)
    out(f"  tested: {tested.result.evaluated} customers with an abandoned cart in the last 7 days")
    await campaigns.PromoteCampaign(pb.PromoteCampaignRequest(campaign_id=campaign_id), metadata=metadata)

    names: dict[str, str] = {}
    now = Timestamp()
    now.FromDatetime(datetime.now(UTC))
    for shop_id in shoppers:
        golden = await golden_of(customers, metadata, shop_id)
        found = (
            await customers.GetCustomer(
                customers_pb2.GetCustomerRequest(customer_id=golden), metadata=metadata
            )
        ).customer
        names[golden] = f"{found.name.given_name} {found.name.family_name}".strip()
        # Both signed up for the shop's newsletter: marketing e-mail is allowed.
        await customers.SetConsent(
            customers_pb2.SetConsentRequest(
                customer_id=golden,
                channel=records_pb2.CONSENT_CHANNEL_EMAIL,
                status=records_pb2.CONSENT_STATUS_GRANTED,
                source="webshop:newsletter-signup",
                give_time=now,
            ),
            metadata=metadata,
        )
        shop.add_cart(shop_id, [("OIL-5", "Olive oil 5l", 1, "39.90"), ("BAS-2", "Basket", 1, "24.00")])
    await settle()

    plugins = get_plugin_manager({})
    token = dict(metadata).get("authorization", "").removeprefix("Bearer ") or None
    syncer = Syncer(SqlStateStore(engine), GrpcHub(channel, SqlIdMap(engine), token=token), plugins)
    connectors = ConnectorRuntime([instance], plugins, syncer)
    try:
        (result,) = await connectors.sync(instance.name, ["carts"], progress=False)
    finally:
        connectors.close()
    out(f"  the shop reports {result.accepted} abandoned carts")
    await settle()

    listed = await campaigns.ListCampaignDecisions(
        pb.ListCampaignDecisionsRequest(campaign_id=campaign_id), metadata=metadata
    )
    summary: dict[str, Any] = {"messages": 0, "held_back": 0}
    for d in sorted(listed.campaign_decisions, key=lambda d: names.get(d.customer_id, d.customer_id)):
        who = names.get(d.customer_id, d.customer_id)
        if d.outcome == pb.CAMPAIGN_OUTCOME_SEND:
            summary["messages"] += 1
            out(f"  {who:<14} CampaignMessageRequested: e-mail 'cart-reminder', message {d.message_id}")
        else:
            summary["held_back"] += 1
            outcome = pb.CampaignOutcome.Name(d.outcome).removeprefix("CAMPAIGN_OUTCOME_").lower()
            out(f"  {who:<14} held back ({outcome}): {d.reason}")
    return summary
