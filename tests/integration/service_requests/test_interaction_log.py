"""The interaction log: threads, append-only corrections, orphans kept and flagged, idempotent retries."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from sr_builders import interaction, open_request, unique

from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.service_requests.v1 import service_request_pb2 as pb
from isthmus_client.api.service_requests.v1 import service_requests_pb2 as rpc

pytestmark = pytest.mark.postgres


async def test_interaction_for_unknown_case_is_kept_and_flagged(service: Any) -> None:
    stub = service.stub
    claimed = unique("no-such-case")
    logged = (
        await stub.LogInteraction(
            interaction(claimed, pb.DIRECTION_INBOUND, "Where is my refund?", customer_id=unique("cust"))
        )
    ).interaction
    assert logged.orphaned
    assert logged.claimed_service_request_id == claimed
    assert logged.service_request_id == ""
    orphans = await stub.ListInteractions(rpc.ListInteractionsRequest(orphaned_only=True, page_size=500))
    assert logged.interaction_id in {i.interaction_id for i in orphans.interactions}
    kept = next(i for i in orphans.interactions if i.interaction_id == logged.interaction_id)
    assert kept.body == "Where is my refund?"


async def test_thread_is_append_only_with_corrections_as_new_entries(service: Any) -> None:
    stub = service.stub
    sr = (await stub.OpenServiceRequest(open_request(unique("cust")))).service_request
    first = (
        await stub.LogInteraction(
            interaction(sr.service_request_id, pb.DIRECTION_OUTBOUND, "Refund of 30 EUR")
        )
    ).interaction
    fix = (
        await stub.LogInteraction(
            interaction(
                sr.service_request_id, pb.DIRECTION_INTERNAL, "Meant 35 EUR", corrects_id=first.interaction_id
            )
        )
    ).interaction
    reply = (
        await stub.LogInteraction(
            interaction(
                sr.service_request_id, pb.DIRECTION_INBOUND, "Thanks", in_reply_to_id=first.interaction_id
            )
        )
    ).interaction
    thread = await stub.ListInteractions(
        rpc.ListInteractionsRequest(service_request_id=sr.service_request_id)
    )
    assert [i.body for i in thread.interactions] == ["Refund of 30 EUR", "Meant 35 EUR", "Thanks"]
    assert thread.interactions[1].corrects_id == first.interaction_id
    assert reply.in_reply_to_id == first.interaction_id
    assert fix.customer_id == sr.customer_id  # taken from the case
    by_customer = await stub.ListInteractions(
        rpc.ListInteractionsRequest(customer_id=sr.customer_id, page_size=2)
    )
    assert len(by_customer.interactions) == 2 and by_customer.next_page_token
    rest = await stub.ListInteractions(
        rpc.ListInteractionsRequest(
            customer_id=sr.customer_id, page_size=2, page_token=by_customer.next_page_token
        )
    )
    assert [i.body for i in rest.interactions] == ["Thanks"] and rest.next_page_token == ""

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.LogInteraction(
            interaction(sr.service_request_id, pb.DIRECTION_INTERNAL, "x", corrects_id=unique("missing"))
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "interaction.corrects_id" in (caught.value.details() or "")


async def test_resent_interaction_is_logged_once(service: Any) -> None:
    stub = service.stub
    sr = (await stub.OpenServiceRequest(open_request(unique("cust")))).service_request
    request = interaction(
        sr.service_request_id,
        pb.DIRECTION_INBOUND,
        "Call log line 7",
        source_system="callcenter",
        external_id=unique("call"),
    )
    first, again = await stub.LogInteraction(request), await stub.LogInteraction(request)
    assert again.interaction.interaction_id == first.interaction.interaction_id
    assert (first.outcome, again.outcome) == (
        common_pb2.WRITE_OUTCOME_APPLIED,
        common_pb2.WRITE_OUTCOME_REPLAYED,
    )
    keyed = interaction(sr.service_request_id, pb.DIRECTION_OUTBOUND, "Sorry")
    keyed.request_id = unique("key")
    first, again = await stub.LogInteraction(keyed), await stub.LogInteraction(keyed)
    assert again.interaction.interaction_id == first.interaction.interaction_id
    assert again.outcome == common_pb2.WRITE_OUTCOME_REPLAYED
    keyed.interaction.body = "Sorry!"
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.LogInteraction(keyed)
    assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert "interaction.body differs" in (caught.value.details() or "")
