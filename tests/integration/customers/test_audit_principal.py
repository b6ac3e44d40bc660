"""The audit trail names the authenticated API client behind every change, not only the claimed actor."""

from __future__ import annotations

import json

import pytest

from isthmus.platform import config, hub
from isthmus_client.api.customers.v1 import customers_pb2 as api
from isthmus_client.api.customers.v1 import customers_pb2_grpc
from isthmus_client.api.customers.v1 import records_pb2 as pb

from .helpers import STEWARD, person

pytestmark = pytest.mark.postgres

CLIENTS = {
    "erp-connector": {"token": "erp-connector-token-0123", "scopes": ["customers:write"]},
    "steward-app": {"token": "steward-app-token-456789", "scopes": ["customers:*"]},
}


def bearer(client: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {CLIENTS[client]['token']}"),)


async def test_history_records_which_client_made_each_change(pg_url, uid):
    settings = config.load(
        {
            "ISTHMUS_DATABASE_URL": pg_url,
            "ISTHMUS_AUTH_TOKENS": json.dumps(CLIENTS),
            "ISTHMUS_GRPC_PORT": "0",
            "ISTHMUS_METRICS_PORT": "0",
        }
    )
    async with hub.running(settings, ["customers"]) as h, h.channel() as channel:
        master = customers_pb2_grpc.CustomerMasterServiceStub(channel)
        a, b = [
            (
                await master.UpsertSourceRecord(
                    api.UpsertSourceRecordRequest(record=record), metadata=bearer("erp-connector")
                )
            ).result
            for record in (
                person("erp", f"AU1-{uid}", "Ida", f"{uid}Audit", email=f"i{uid}@example.com"),
                person("erp", f"AU2-{uid}", "Ida", f"{uid}Audit", email=f"i2{uid}@example.org", dob=None),
            )
        ]
        await master.MergeCustomers(
            api.MergeCustomersRequest(
                surviving_id=a.customer_id, merged_ids=[b.customer_id], reason="same person", actor=STEWARD
            ),
            metadata=bearer("steward-app"),
        )
        history = await master.ListHistoryEntries(
            api.ListHistoryEntriesRequest(customer_id=a.customer_id), metadata=bearer("steward-app")
        )
    by_kind = {e.kind: e for e in history.history_entries}
    assert by_kind[pb.HISTORY_ENTRY_KIND_CREATED].principal == "erp-connector"
    merged = by_kind[pb.HISTORY_ENTRY_KIND_MERGED]
    assert (merged.principal, merged.actor.id, merged.reason) == ("steward-app", "steward-1", "same person")
