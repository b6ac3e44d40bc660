"""Domain objects to protobuf resources (used by the API answers and the event payloads alike)."""

from __future__ import annotations

from isthmus.kernel.timestamps import duration, ts
from isthmus.service_requests.domain import Actor, Assignee, Interaction, ServiceRequest, Shipment, State
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.service_requests.v1 import service_request_pb2 as pb


def actor(value: Actor) -> common_pb2.Actor:
    kind = f"ACTOR_KIND_{value.kind}" if value.kind else "ACTOR_KIND_UNSPECIFIED"
    return common_pb2.Actor(
        kind=kind, id=value.id, display_name=value.display_name, principal=value.principal
    )


def assignee(value: Assignee) -> pb.Assignee:
    return pb.Assignee(agent_id=value.agent_id, queue=value.queue)


def state(value: State) -> str:
    """The protobuf enum value's name: message constructors take names as well as numbers."""
    return f"SERVICE_REQUEST_STATE_{value}"


def service_request(sr: ServiceRequest) -> pb.ServiceRequest:
    sla = pb.Sla(
        response_due_time=ts(sr.response_due),
        resolution_due_time=ts(sr.resolution_due),
        first_response_time=ts(sr.first_response_at),
        paused=sr.paused,
        pause_time=ts(sr.paused_since),
        paused_total=duration(sr.paused_total),
        response_breached=sr.response_breached,
        resolution_breached=sr.resolution_breached,
        breach_time=ts(sr.breached_at),
    )
    return pb.ServiceRequest(
        service_request_id=sr.id,
        customer_id=sr.customer_id,
        order_id=sr.order_id,
        order_line_id=sr.order_line_id,
        channel=f"CHANNEL_{sr.channel}",
        kind=f"SERVICE_REQUEST_KIND_{sr.kind}",
        category=sr.category,
        sub_category=sr.sub_category,
        priority=f"PRIORITY_{sr.priority}",
        subject=sr.subject,
        description=sr.description,
        reason_codes=sr.reason_codes,
        state=state(sr.state),
        assignee=assignee(sr.assignee),
        sla=sla,
        resolution_code=sr.resolution_code,
        resolution_note=sr.resolution_note,
        source_system=sr.source_system,
        external_id=sr.external_id,
        opened_by=actor(sr.opened_by),
        open_time=ts(sr.opened_at),
        resolve_time=ts(sr.resolved_at),
        close_time=ts(sr.closed_at),
        reopen_count=sr.reopen_count,
        update_time=ts(sr.update_time),
        version=sr.version,
        shipment=shipment(sr.shipment),
    )


def shipment(value: Shipment | None) -> pb.Shipment | None:
    if value is None:
        return None
    message = pb.Shipment(
        carrier=value.carrier,
        tracking_number=value.tracking_number,
        warehouse=value.warehouse,
        manifest_number=value.manifest_number,
    )
    if value.shipped_at:
        message.ship_time.FromJsonString(value.shipped_at)
    return message


def interaction(i: Interaction) -> pb.Interaction:
    return pb.Interaction(
        interaction_id=i.id,
        service_request_id=i.service_request_id,
        customer_id=i.customer_id,
        direction=f"DIRECTION_{i.direction}",
        channel=f"CHANNEL_{i.channel}",
        author=actor(i.author),
        occur_time=ts(i.occurred_at),
        subject=i.subject,
        body=i.body,
        in_reply_to_id=i.in_reply_to_id,
        corrects_id=i.corrects_id,
        duration=duration(i.duration),
        source_system=i.source_system,
        external_id=i.external_id,
        orphaned=i.orphaned,
        claimed_service_request_id=i.claimed_service_request_id,
        create_time=ts(i.create_time),
    )
