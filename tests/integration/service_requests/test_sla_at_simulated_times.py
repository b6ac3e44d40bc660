"""SLA due times over a weekend, a holiday and a PENDING_CUSTOMER pause, at simulated times, over gRPC."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

import pytest
from sr_builders import assign, berlin, interaction, open_request, status, unique

from isthmus.service_requests import breaches
from isthmus_client.api.service_requests.v1 import service_request_pb2 as pb
from isthmus_client.api.service_requests.v1 import service_requests_pb2 as rpc

pytestmark = pytest.mark.postgres


def at(stamp: object) -> object:
    return stamp.ToDatetime(tzinfo=UTC)  # type: ignore[attr-defined]


async def test_sla_skips_holiday_and_weekend_and_pauses_while_pending_customer(service: Any) -> None:
    stub, clock = service.stub, service.clock
    sr = (
        await stub.OpenServiceRequest(open_request(unique("cust")))
    ).service_request  # Thu 24 Dec 16:00, HIGH: 2h / 8h
    assert at(sr.sla.response_due_time) == berlin(2026, 12, 28, 10, 0)  # 1h Thu, holiday, weekend, 1h Mon
    assert at(sr.sla.resolution_due_time) == berlin(2026, 12, 28, 16, 0)

    case_id = sr.service_request_id
    sr = (await stub.AssignServiceRequest(assign(sr, queue="care"))).service_request
    clock.set(berlin(2026, 12, 28, 9, 30))
    sr = (
        await stub.ChangeServiceRequestState(status(sr, pb.SERVICE_REQUEST_STATE_PENDING_CUSTOMER))
    ).service_request
    assert sr.sla.paused and at(sr.sla.pause_time) == berlin(2026, 12, 28, 9, 30)

    # Nothing breaches while the clock stands, however long the customer takes.
    clock.set(berlin(2026, 12, 30, 14, 0))
    await breaches.scan(service.uows(), clock())
    assert [
        e for e in service.recorder.of("SlaBreached") if e.service_request.service_request_id == case_id
    ] == []

    # The customer's answer on Wednesday 14:00 restarts the clock with the 6.5h that were left.
    await stub.LogInteraction(interaction(sr.service_request_id, pb.DIRECTION_INBOUND, "Still nothing here"))
    sr = (
        await stub.GetServiceRequest(rpc.GetServiceRequestRequest(service_request_id=sr.service_request_id))
    ).service_request
    assert sr.state == pb.SERVICE_REQUEST_STATE_OPEN
    assert not sr.sla.paused
    assert sr.sla.paused_total.ToTimedelta() == timedelta(days=2, hours=4, minutes=30)
    assert at(sr.sla.resolution_due_time) == berlin(2026, 12, 31, 12, 30)  # 3h Wed + 3.5h Thu
    assert at(sr.sla.first_response_time) == berlin(2026, 12, 28, 9, 30)
