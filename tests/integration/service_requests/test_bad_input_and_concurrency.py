"""Bad input: INVALID_ARGUMENT naming fields; illegal moves FAILED_PRECONDITION; stale versions ABORTED."""

from __future__ import annotations

import uuid
from typing import Any

import grpc
import pytest
from sr_builders import assign, open_request, status, unique

from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.service_requests.v1 import service_request_pb2 as pb
from isthmus_client.api.service_requests.v1 import service_requests_pb2 as rpc
from isthmus_client.errors import error_info, field_violations

pytestmark = pytest.mark.postgres


async def failure(call: Any) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value


async def test_open_with_missing_fields_names_each_field(service: Any) -> None:
    error = await failure(service.stub.OpenServiceRequest(rpc.OpenServiceRequestRequest(order_line_id="l-1")))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    # The fields the proto marks required are refused first, all at once ...
    assert [f for f, _ in field_violations(error)] == ["customer_id", "channel", "kind"]
    # ... then what the method requires in context: an order line needs its order.
    given = rpc.OpenServiceRequestRequest(order_line_id="l-1")
    given.MergeFrom(rpc.OpenServiceRequestRequest(customer_id=str(uuid.uuid4()), subject="Broken"))
    given.channel, given.kind = 1, 1  # type: ignore[assignment]
    error = await failure(service.stub.OpenServiceRequest(given))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [f for f, _ in field_violations(error)] == ["order_id"]


async def test_list_and_log_validation_names_fields(service: Any) -> None:
    stub = service.stub
    error = await failure(stub.ListServiceRequests(rpc.ListServiceRequestsRequest(page_size=-1, states=[0])))
    assert {f for f, _ in field_violations(error)} == {"states[0]", "page_size"}
    error = await failure(stub.ListServiceRequests(rpc.ListServiceRequestsRequest(page_token="garbage")))
    assert [f for f, _ in field_violations(error)] == ["page_token"]
    error = await failure(
        stub.LogInteraction(rpc.LogInteractionRequest(interaction=pb.Interaction(body=" ")))
    )
    assert [f for f, _ in field_violations(error)] == [
        "interaction.direction",
        "interaction.channel",
        "interaction.customer_id",
        "interaction.body",
    ]
    error = await failure(stub.ListInteractions(rpc.ListInteractionsRequest()))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_illegal_transition_names_the_current_state(service: Any) -> None:
    stub = service.stub
    sr = (await stub.OpenServiceRequest(open_request(unique("cust")))).service_request
    error = await failure(
        stub.ChangeServiceRequestState(status(sr, pb.SERVICE_REQUEST_STATE_RESOLVED, resolution_code="X"))
    )
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "is NEW: cannot move to RESOLVED" in (error.details() or "")
    assert error_info(error) == ("ILLEGAL_TRANSITION", {"state": "NEW"})
    error = await failure(stub.ChangeServiceRequestState(status(sr, pb.SERVICE_REQUEST_STATE_RESOLVED)))
    assert [f for f, _ in field_violations(error)] == ["resolution_code"]


async def test_stale_expected_version_is_aborted_and_unknown_case_not_found(service: Any) -> None:
    stub = service.stub
    sr = (await stub.OpenServiceRequest(open_request(unique("cust")))).service_request
    await stub.AssignServiceRequest(assign(sr, agent_id="agent-1"))
    error = await failure(
        stub.AssignServiceRequest(assign(sr, agent_id="agent-2"))
    )  # sr.version is stale now
    assert error.code() == grpc.StatusCode.ABORTED
    assert error_info(error) == ("VERSION_STALE", {"current_version": "2"})
    error = await failure(
        stub.GetServiceRequest(rpc.GetServiceRequestRequest(service_request_id=unique("nope")))
    )
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert error_info(error) == ("NOT_FOUND", {})


async def test_open_is_idempotent_on_request_id_and_source_id(service: Any) -> None:
    stub = service.stub
    request = open_request(unique("cust"), request_id=unique("key"))
    opened = await stub.OpenServiceRequest(request)
    again = await stub.OpenServiceRequest(request)
    assert again.service_request.service_request_id == opened.service_request.service_request_id
    assert (opened.outcome, again.outcome) == (
        common_pb2.WRITE_OUTCOME_APPLIED,
        common_pb2.WRITE_OUTCOME_REPLAYED,
    )
    request.subject = "Something else"
    error = await failure(stub.OpenServiceRequest(request))
    assert error.code() == grpc.StatusCode.ALREADY_EXISTS and "subject differs" in (error.details() or "")
    assert error_info(error) == ("KEY_REUSED", {"field": "subject"})
    sourced = open_request(unique("cust"), source_system="callcenter", external_id=unique("case"))
    opened, again = await stub.OpenServiceRequest(sourced), await stub.OpenServiceRequest(sourced)
    assert again.service_request.service_request_id == opened.service_request.service_request_id
    assert again.outcome == common_pb2.WRITE_OUTCOME_REPLAYED
    sourced.description = "Another case under the same source key"
    error = await failure(stub.OpenServiceRequest(sourced))
    assert error_info(error) == ("KEY_REUSED", {"field": "description"}), "compared, not taken on trust"


async def test_a_state_change_retried_by_request_id_answers_as_the_first(service: Any) -> None:
    stub = service.stub
    sr = (await stub.OpenServiceRequest(open_request(unique("cust")))).service_request
    assign = rpc.AssignServiceRequestRequest(
        service_request_id=sr.service_request_id,
        assignee=pb.Assignee(queue="billing"),
        request_id=unique("assign"),
    )
    first, again = await stub.AssignServiceRequest(assign), await stub.AssignServiceRequest(assign)
    assert again.service_request == first.service_request
    assert (first.outcome, again.outcome) == (
        common_pb2.WRITE_OUTCOME_APPLIED,
        common_pb2.WRITE_OUTCOME_REPLAYED,
    )
    assign.assignee.queue = "returns"
    error = await failure(stub.AssignServiceRequest(assign))
    assert error_info(error) == ("KEY_REUSED", {"field": "assignee.queue"})
    change = rpc.ChangeServiceRequestStateRequest(
        service_request_id=sr.service_request_id,
        target_state=pb.SERVICE_REQUEST_STATE_PENDING_CUSTOMER,
        request_id=unique("wait"),
    )
    waiting = await stub.ChangeServiceRequestState(change)
    replayed = await stub.ChangeServiceRequestState(change)
    assert replayed.service_request.version == waiting.service_request.version
    assert replayed.outcome == common_pb2.WRITE_OUTCOME_REPLAYED


async def test_customer_listing_pages_newest_first_without_gaps(service: Any) -> None:
    stub, clock = service.stub, service.clock
    customer = unique("cust")
    opened = []
    for _ in range(5):
        opened.append(
            ((await stub.OpenServiceRequest(open_request(customer))).service_request).service_request_id
        )
        clock.advance(__import__("datetime").timedelta(minutes=1))
    seen, token = [], ""
    while True:
        page = await stub.ListServiceRequests(
            rpc.ListServiceRequestsRequest(customer_id=customer, page_size=2, page_token=token)
        )
        seen += [c.service_request_id for c in page.service_requests]
        if not (token := page.next_page_token):
            break
    assert seen == opened[::-1]
    error = await failure(
        stub.ListServiceRequests(
            rpc.ListServiceRequestsRequest(customer_id=unique("other"), page_token=token or "x")
        )
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
