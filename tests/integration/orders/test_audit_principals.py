"""Orders, loyalty and service requests record the authenticated client beside the actor a call names.

A request's actor is what the caller claims (an agent on whose behalf it acts); the token's client is
what the hub knows. Both go into every audit record (`Actor.principal`), including writes that share a
group-commit transaction with another client's, and a principal a request sends itself is ignored.
"""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from isthmus.platform import config, hub
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.loyalty.v1 import loyalty_pb2, loyalty_pb2_grpc
from isthmus_client.api.orders.v1 import order_pb2, orders_pb2, orders_pb2_grpc
from isthmus_client.api.service_requests.v1 import service_request_pb2 as srp
from isthmus_client.api.service_requests.v1 import service_requests_pb2 as sr_api
from isthmus_client.api.service_requests.v1 import service_requests_pb2_grpc

from .conftest import new_order

pytestmark = pytest.mark.postgres

CLIENTS = {
    "shop-app": {"token": "shop-app-token-0123456789", "scopes": ["orders:*"]},
    "erp-app": {"token": "erp-app-token-01234567890", "scopes": ["orders:*"]},
    "crm-app": {"token": "crm-app-token-01234567890", "scopes": ["loyalty:*", "service_requests:*"]},
}
AGENT = common_pb2.Actor(kind=common_pb2.ACTOR_KIND_USER, id="agent-7", principal="spoofed")


def bearer(client: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {CLIENTS[client]['token']}"),)


async def test_every_audit_record_names_the_calling_client_beside_the_actor(pg_url: str) -> None:
    settings = config.load(
        {
            "ISTHMUS_DATABASE_URL": pg_url,
            "ISTHMUS_AUTH_TOKENS": json.dumps(CLIENTS),
            "ISTHMUS_GRPC_PORT": "0",
            "ISTHMUS_METRICS_PORT": "0",
        }
    )
    customer = str(uuid.uuid4())
    async with hub.running(settings, ["orders", "loyalty", "service-requests"]) as h, h.channel() as channel:
        orders = orders_pb2_grpc.OrderServiceStub(channel)
        # Two clients at once: their creates may share a group-commit transaction.
        shop, erp = await asyncio.gather(
            orders.CreateOrder(new_order(customer, actor=AGENT), metadata=bearer("shop-app")),
            orders.CreateOrder(new_order(customer), metadata=bearer("erp-app")),
        )
        history = await orders.ListOrderHistoryEntries(
            orders_pb2.ListOrderHistoryEntriesRequest(customer_id=customer), metadata=bearer("shop-app")
        )
        by_order = {e.order_id: e.actor for e in history.order_history_entries}
        assert (by_order[shop.order.order_id].principal, by_order[shop.order.order_id].id) == (
            "shop-app",
            "agent-7",
        ), "the client's name, not the one the request sent"
        assert by_order[erp.order.order_id].principal == "erp-app"
        assert all(e.kind == order_pb2.ORDER_HISTORY_KIND_PLACED for e in history.order_history_entries)

        loyalty = loyalty_pb2_grpc.LoyaltyServiceStub(channel)
        adjusted = await loyalty.AdjustPoints(
            loyalty_pb2.AdjustPointsRequest(
                customer_id=customer, points=50, reason="goodwill", request_id=str(uuid.uuid4()), actor=AGENT
            ),
            metadata=bearer("crm-app"),
        )
        assert (adjusted.ledger_entry.actor.principal, adjusted.ledger_entry.actor.id) == (
            "crm-app",
            "agent-7",
        )
        ledger = await loyalty.ListLedgerEntries(
            loyalty_pb2.ListLedgerEntriesRequest(customer_id=customer), metadata=bearer("crm-app")
        )
        assert [e.actor.principal for e in ledger.ledger_entries] == ["crm-app"], "as stored"

        cases = service_requests_pb2_grpc.ServiceRequestServiceStub(channel)
        opened = await cases.OpenServiceRequest(
            sr_api.OpenServiceRequestRequest(
                customer_id=customer,
                channel=srp.CHANNEL_PHONE,
                kind=srp.SERVICE_REQUEST_KIND_INQUIRY,
                subject="Where is my parcel?",
                actor=AGENT,
            ),
            metadata=bearer("crm-app"),
        )
        case_id = opened.service_request.service_request_id
        logged = await cases.LogInteraction(
            sr_api.LogInteractionRequest(
                interaction=srp.Interaction(
                    service_request_id=case_id,
                    customer_id=customer,
                    channel=srp.CHANNEL_PHONE,
                    direction=srp.DIRECTION_OUTBOUND,
                    body="Called back",
                    author=AGENT,
                )
            ),
            metadata=bearer("crm-app"),
        )
        read = await cases.GetServiceRequest(
            sr_api.GetServiceRequestRequest(service_request_id=case_id), metadata=bearer("crm-app")
        )
    assert (read.service_request.opened_by.principal, read.service_request.opened_by.id) == (
        "crm-app",
        "agent-7",
    )
    assert logged.interaction.author.principal == "crm-app"
