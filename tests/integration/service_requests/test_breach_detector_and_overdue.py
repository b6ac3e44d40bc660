"""The SLA breach detector reports each breach once, not once per scan; overdue listings follow it."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sr_builders import berlin, interaction, open_request, unique

from isthmus.service_requests import breaches
from isthmus_client.api.events.v1 import service_requests_pb2 as ev
from isthmus_client.api.service_requests.v1 import service_request_pb2 as pb
from isthmus_client.api.service_requests.v1 import service_requests_pb2 as rpc

pytestmark = pytest.mark.postgres
RESPONSE = ev.SlaBreached.SLA_BREACH_KIND_RESPONSE
RESOLUTION = ev.SlaBreached.SLA_BREACH_KIND_RESOLUTION


async def test_breach_detector_fires_once_per_case_not_once_per_scan(service: Any) -> None:
    stub, clock = service.stub, service.clock
    clock.set(berlin(2026, 12, 28, 9, 0))  # Monday: HIGH response due 11:00, resolution 17:00
    customer = unique("cust")
    cases = [(await stub.OpenServiceRequest(open_request(customer))).service_request for _ in range(3)]
    ids = [c.service_request_id for c in cases]
    # One case got its answer in time: no response breach for it.
    await stub.LogInteraction(interaction(ids[2], pb.DIRECTION_OUTBOUND, "We are on it"))

    def fired() -> Counter[tuple[str, int]]:
        found = service.recorder.of("SlaBreached")
        return Counter(
            (e.service_request.service_request_id, e.breach)
            for e in found
            if e.service_request.service_request_id in ids
        )

    uows = service.uows()
    breached_before = REGISTRY.get_sample_value("isthmus_service_requests_sla_breaches_total") or 0.0
    await breaches.scan(uows, berlin(2026, 12, 28, 10, 59))
    assert fired() == Counter()

    clock.set(berlin(2026, 12, 28, 11, 1))
    listing = rpc.ListServiceRequestsRequest(customer_id=customer, overdue=True)
    overdue = await stub.ListServiceRequests(listing)
    assert {c.service_request_id for c in overdue.service_requests} == set(ids[:2])
    for minutes in range(3):  # three scans, one report per breach
        await breaches.scan(uows, clock() + timedelta(minutes=minutes))
    assert fired() == Counter({(ids[0], RESPONSE): 1, (ids[1], RESPONSE): 1})
    got = (
        await stub.GetServiceRequest(rpc.GetServiceRequestRequest(service_request_id=ids[0]))
    ).service_request
    assert got.sla.response_breached and not got.sla.resolution_breached

    # Resolution was due at 17:00 for all three: one more report each, once.
    clock.set(berlin(2026, 12, 28, 17, 30))
    await breaches.scan(uows, clock())
    await breaches.scan(uows, clock() + timedelta(hours=1))
    assert fired() == Counter(
        {(ids[0], RESPONSE): 1, (ids[1], RESPONSE): 1, **{(i, RESOLUTION): 1 for i in ids}}
    )
    breached = REGISTRY.get_sample_value("isthmus_service_requests_sla_breaches_total") or 0.0
    assert breached - breached_before >= 5, "each breach counted for the SLA figures"


async def test_about_to_breach_listing_is_soonest_due_first(service: Any) -> None:
    stub, clock = service.stub, service.clock
    clock.set(berlin(2026, 12, 28, 9, 0))
    queue = unique("queue")
    opened = []
    for priority in (pb.PRIORITY_LOW, pb.PRIORITY_URGENT, pb.PRIORITY_HIGH):
        request = open_request(unique("c"), priority=priority, assignee=pb.Assignee(queue=queue))
        opened.append((await stub.OpenServiceRequest(request)).service_request)
    clock.set(berlin(2026, 12, 28, 9, 30))
    soon = rpc.ListServiceRequestsRequest(queue=queue, overdue=True)
    soon.due_within.FromTimedelta(timedelta(hours=2))
    found = await stub.ListServiceRequests(soon)
    # URGENT's response is due 10:00, HIGH's 11:00; LOW's 17:00 is beyond the window.
    assert [c.service_request_id for c in found.service_requests] == [
        opened[1].service_request_id,
        opened[2].service_request_id,
    ]
    breached_only = await stub.ListServiceRequests(rpc.ListServiceRequestsRequest(queue=queue, overdue=True))
    assert list(breached_only.service_requests) == []


async def test_cases_opened_and_resolved_are_counted_for_the_business_once(service: Any) -> None:
    stub = service.stub

    def figure(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    before = (
        figure("isthmus_service_requests_opened_total", kind="complaint", channel="phone"),
        figure("isthmus_service_requests_resolved_total", kind="complaint"),
    )
    request = open_request(unique("cust"), request_id=unique("open"))
    case = (await stub.OpenServiceRequest(request)).service_request
    await stub.OpenServiceRequest(request)  # replayed
    case = (
        await stub.AssignServiceRequest(
            rpc.AssignServiceRequestRequest(
                service_request_id=case.service_request_id, assignee=pb.Assignee(agent_id="a-1")
            )
        )
    ).service_request
    resolve = rpc.ChangeServiceRequestStateRequest(
        service_request_id=case.service_request_id,
        target_state=pb.SERVICE_REQUEST_STATE_RESOLVED,
        resolution_code="REPLACED",
        request_id=unique("resolve"),
    )
    await stub.ChangeServiceRequestState(resolve)
    await stub.ChangeServiceRequestState(resolve)  # replayed
    after = (
        figure("isthmus_service_requests_opened_total", kind="complaint", channel="phone"),
        figure("isthmus_service_requests_resolved_total", kind="complaint"),
    )
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1]
