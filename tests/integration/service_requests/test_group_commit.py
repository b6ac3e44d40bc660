"""Concurrent writes share transactions (group commit): each caller still gets exactly its own result
or error, and what the batch wrote is what the same writes one by one would have written."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import grpc
import pytest
from prometheus_client import REGISTRY
from sr_builders import interaction, open_request, status, ts, unique

from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.service_requests.v1 import service_request_pb2 as pb
from isthmus_client.api.service_requests.v1 import service_requests_pb2 as rpc

pytestmark = pytest.mark.postgres
OPEN, PENDING = pb.SERVICE_REQUEST_STATE_OPEN, pb.SERVICE_REQUEST_STATE_PENDING_CUSTOMER
APPLIED, REPLAYED = common_pb2.WRITE_OUTCOME_APPLIED, common_pb2.WRITE_OUTCOME_REPLAYED


def batches(name: str) -> tuple[float, float]:
    """(batches, commands) the service has written as group commits so far."""
    labels = {"batch": name}
    count = REGISTRY.get_sample_value("isthmus_batch_commands_count", labels) or 0.0
    total = REGISTRY.get_sample_value("isthmus_batch_commands_sum", labels) or 0.0
    return count, total


async def test_concurrent_opens_each_get_their_case_and_suppression_counts_every_complaint(
    service: Any,
) -> None:
    stub = service.stub
    customers = [unique("cust") for _ in range(4)]
    requests = [open_request(customers[n % 4], subject=f"complaint {n}") for n in range(24)]
    requests += [open_request(customers[0], kind=pb.SERVICE_REQUEST_KIND_INQUIRY, subject="inquiry")]
    future = ts(service.clock() + timedelta(days=1))
    requests.insert(7, open_request(customers[1], subject="from the future", open_time=future))

    before = batches("open_service_request")
    results = await asyncio.gather(*(stub.OpenServiceRequest(r) for r in requests), return_exceptions=True)
    after = batches("open_service_request")
    assert after[1] - before[1] == len(requests)  # every request went through the batcher
    assert after[0] - before[0] < len(requests)  # and some of them shared a transaction

    refused = results.pop(7)
    assert isinstance(refused, grpc.aio.AioRpcError)
    assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT and "open_time" in refused.details()
    cases = [r.service_request for r in results if isinstance(r, rpc.OpenServiceRequestResponse)]
    assert len(cases) == len(results) == 25  # every other request succeeded
    assert [c.subject for c in cases] == [r.subject for r in requests if r.subject != "from the future"]
    assert len({c.service_request_id for c in cases}) == 25

    await service.hub.runtime.bus.drain()
    for customer in customers:
        complaints = [c for c in cases if c.customer_id == customer and c.subject.startswith("complaint")]
        got = await stub.GetContactSuppression(rpc.GetContactSuppressionRequest(customer_id=customer))
        assert got.suppressed
        assert sorted(got.service_request_ids) == sorted(c.service_request_id for c in complaints)
        changes = service.events("ContactSuppressionChanged")
        switched_on = [e for e in changes if e.customer_id == customer and e.suppressed]
        assert len(switched_on) == 1  # once per customer, however the complaints were batched
    opened = {e.service_request.service_request_id for e in service.events("ServiceRequestOpened")}
    assert {c.service_request_id for c in cases} <= opened


async def test_concurrent_interactions_update_their_cases_once_each(service: Any) -> None:
    stub = service.stub
    quiet = (await stub.OpenServiceRequest(open_request(unique("cust")))).service_request
    waiting = (await stub.OpenServiceRequest(open_request(unique("cust")))).service_request
    waiting = (await stub.ChangeServiceRequestState(status(waiting, OPEN))).service_request
    waiting = (await stub.ChangeServiceRequestState(status(waiting, PENDING))).service_request
    claimed = unique("no-such-case")

    requests = [interaction(quiet.service_request_id, pb.DIRECTION_OUTBOUND, f"answer {n}") for n in range(5)]
    requests += [interaction(waiting.service_request_id, pb.DIRECTION_INBOUND, "here is the photo")]
    requests += [interaction(claimed, pb.DIRECTION_INBOUND, "lost", customer_id=unique("cust"))]
    future = ts(service.clock() + timedelta(days=1))
    requests += [interaction(quiet.service_request_id, pb.DIRECTION_INTERNAL, "later", occur_time=future)]
    before = batches("log_interaction")
    results = await asyncio.gather(*(stub.LogInteraction(r) for r in requests), return_exceptions=True)
    after = batches("log_interaction")
    assert after[1] - before[1] == len(requests) and after[0] - before[0] < len(requests)

    bad = results.pop()
    assert isinstance(bad, grpc.aio.AioRpcError) and bad.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "interaction.occur_time" in bad.details()
    assert all(isinstance(r, rpc.LogInteractionResponse) for r in results), results
    results = [r.interaction for r in results]
    assert [r.body for r in results] == [r.interaction.body for r in requests[:-1]]
    assert results[-1].orphaned and results[-1].claimed_service_request_id == claimed
    assert {r.customer_id for r in results[:5]} == {quiet.customer_id}  # taken from the case

    after = (
        await stub.GetServiceRequest(
            rpc.GetServiceRequestRequest(service_request_id=quiet.service_request_id)
        )
    ).service_request
    first_answer = min(r.occur_time.ToDatetime() for r in results[:5])
    assert after.sla.first_response_time.ToDatetime() == first_answer  # the first of the five, once
    assert after.version == quiet.version + 1
    reopened = (
        await stub.GetServiceRequest(
            rpc.GetServiceRequestRequest(service_request_id=waiting.service_request_id)
        )
    ).service_request
    assert reopened.state == OPEN  # the customer answered: back with us
    thread = await stub.ListInteractions(
        rpc.ListInteractionsRequest(service_request_id=quiet.service_request_id, page_size=50)
    )
    assert sorted(i.body for i in thread.interactions) == [f"answer {n}" for n in range(5)]


async def test_writes_with_request_ids_share_transactions_and_each_retry_gets_its_first_answer(
    service: Any,
) -> None:
    stub = service.stub
    customer = unique("cust")
    ids = [unique("req") for _ in range(6)]
    opens = [open_request(customer, subject=f"case {n}", request_id=ids[n]) for n in range(6)]
    retry = rpc.OpenServiceRequestRequest()
    retry.CopyFrom(opens[2])  # a client's retry racing its first attempt
    reused = open_request(customer, subject="another case", request_id=ids[4])

    before = batches("open_service_request")
    results = await asyncio.gather(
        *(stub.OpenServiceRequest(r) for r in [*opens, retry, reused]), return_exceptions=True
    )
    after = batches("open_service_request")
    assert after[1] - before[1] == 8 and after[0] - before[0] < 8  # request ids no longer run alone

    # Calls of one gather reach the server in any order: of two requests under one id, one applies.
    same_id = [results[4], results[7]]
    refused = [r for r in same_id if isinstance(r, grpc.aio.AioRpcError)]
    assert len(refused) == 1, same_id
    assert refused[0].code() == grpc.StatusCode.ALREADY_EXISTS and "subject" in refused[0].details()
    [won] = [r for r in same_id if isinstance(r, rpc.OpenServiceRequestResponse)]
    assert all(isinstance(r, rpc.OpenServiceRequestResponse) for r in results[:4] + results[5:7]), results
    first, again = results[2], results[6]
    assert again.service_request == first.service_request
    assert {first.outcome, again.outcome} == {APPLIED, REPLAYED}
    applied = [results[n] for n in (0, 1, 3, 5)] + [won]
    assert {r.outcome for r in applied} == {APPLIED}
    cases = [r.service_request for r in [*applied, first]]
    assert len({c.service_request_id for c in cases}) == 6

    # Later retries replay from what the batch remembered, alone or in a batch of their own.
    winner = opens[4] if won is results[4] else reused
    sent = [opens[n] for n in (0, 1, 3, 5)] + [winner, opens[2]]
    later = await asyncio.gather(*(stub.OpenServiceRequest(r) for r in sent))
    assert [r.service_request for r in later] == cases
    assert {r.outcome for r in later} == {REPLAYED}

    case_id = cases[0].service_request_id
    notes = [interaction(case_id, pb.DIRECTION_OUTBOUND, f"note {n}") for n in range(4)]
    for n, note in enumerate(notes):
        note.request_id = unique(f"note{n}")
    before = batches("log_interaction")
    logged = await asyncio.gather(*(stub.LogInteraction(r) for r in [*notes, notes[1]]))
    after = batches("log_interaction")
    assert after[1] - before[1] == 5 and after[0] - before[0] < 5
    assert logged[4].interaction == logged[1].interaction
    assert {logged[1].outcome, logged[4].outcome} == {APPLIED, REPLAYED}
    assert len({r.interaction.interaction_id for r in logged}) == 4
    replayed = await stub.LogInteraction(notes[3])
    assert (replayed.interaction, replayed.outcome) == (logged[3].interaction, REPLAYED)
    thread = await stub.ListInteractions(
        rpc.ListInteractionsRequest(service_request_id=case_id, page_size=50)
    )
    assert sorted(i.body for i in thread.interactions) == [f"note {n}" for n in range(4)]
