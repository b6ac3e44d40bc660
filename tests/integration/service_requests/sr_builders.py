"""Request builders shared by the service-requests integration tests."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from google.protobuf.timestamp_pb2 import Timestamp

from isthmus_client.api.service_requests.v1 import service_request_pb2 as pb
from isthmus_client.api.service_requests.v1 import service_requests_pb2 as rpc

BERLIN = ZoneInfo("Europe/Berlin")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def ts(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def open_request(customer_id: str, **overrides: object) -> rpc.OpenServiceRequestRequest:
    fields: dict[str, object] = {
        "customer_id": customer_id,
        "channel": pb.CHANNEL_PHONE,
        "kind": pb.SERVICE_REQUEST_KIND_COMPLAINT,
        "priority": pb.PRIORITY_HIGH,
        "category": "delivery",
        "sub_category": "late parcel",
        "subject": "Parcel two weeks late",
        "description": "Customer Jane Roe says the parcel never arrived at Hauptstr. 1",
        "reason_codes": ["LATE_DELIVERY"],
    }
    fields.update(overrides)
    return rpc.OpenServiceRequestRequest(**fields)  # type: ignore[arg-type]


def status(sr: pb.ServiceRequest, target: int, **overrides: object) -> rpc.ChangeServiceRequestStateRequest:
    return rpc.ChangeServiceRequestStateRequest(
        service_request_id=sr.service_request_id,
        expected_version=sr.version,
        target_state=target,
        **overrides,
    )  # type: ignore[arg-type]


def interaction(case_id: str, direction: int, body: str, **overrides: object) -> rpc.LogInteractionRequest:
    return rpc.LogInteractionRequest(
        interaction=pb.Interaction(
            service_request_id=case_id, direction=direction, channel=pb.CHANNEL_EMAIL, body=body, **overrides
        )  # type: ignore[arg-type]
    )


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


def assign(sr: pb.ServiceRequest, **assignee: str) -> rpc.AssignServiceRequestRequest:
    return rpc.AssignServiceRequestRequest(
        service_request_id=sr.service_request_id,
        expected_version=sr.version,
        assignee=pb.Assignee(**assignee),
    )
