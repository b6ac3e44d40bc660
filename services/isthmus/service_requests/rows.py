"""Cases and interactions to and from their table rows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from isthmus.service_requests.domain import (
    Actor,
    Assignee,
    Channel,
    Direction,
    Interaction,
    Kind,
    Priority,
    ServiceRequest,
    Shipment,
    State,
)


def actor_of(data: dict[str, str] | None) -> Actor:
    data = data or {}
    return Actor(
        data.get("kind", ""), data.get("id", ""), data.get("display_name", ""), data.get("principal", "")
    )


def actor_json(actor: Actor) -> dict[str, str]:
    found = {"kind": actor.kind, "id": actor.id, "display_name": actor.display_name}
    return {**found, "principal": actor.principal} if actor.principal else found


def case_row(sr: ServiceRequest) -> dict[str, Any]:
    return {
        "id": sr.id,
        "customer_id": sr.customer_id,
        "order_id": sr.order_id,
        "order_line_id": sr.order_line_id,
        "channel": sr.channel.value,
        "kind": sr.kind.value,
        "category": sr.category,
        "sub_category": sr.sub_category,
        "priority": sr.priority.value,
        "subject": sr.subject,
        "description": sr.description,
        "reason_codes": list(sr.reason_codes),
        "state": sr.state.value,
        "assignee_agent_id": sr.assignee.agent_id or None,
        "assignee_queue": sr.assignee.queue or None,
        "response_due": sr.response_due,
        "resolution_due": sr.resolution_due,
        "first_response_at": sr.first_response_at,
        "paused_since": sr.paused_since,
        "paused_total_ms": int(sr.paused_total / timedelta(milliseconds=1)),
        "response_breached": sr.response_breached,
        "resolution_breached": sr.resolution_breached,
        "breached_at": sr.breached_at,
        "next_due_at": sr.next_due_at,
        "breach_check_at": sr.breach_check_at,
        "resolution_code": sr.resolution_code,
        "resolution_note": sr.resolution_note,
        "source_system": sr.source_system or None,
        "external_id": sr.external_id or None,
        "opened_by": actor_json(sr.opened_by),
        "opened_at": sr.opened_at,
        "resolved_at": sr.resolved_at,
        "closed_at": sr.closed_at,
        "reopen_count": sr.reopen_count,
        "update_time": sr.update_time or sr.opened_at,
        "version": sr.version,
        "erased": sr.erased,
        "shipment": sr.shipment.json() if sr.shipment is not None else None,
    }


def case(row: Any) -> ServiceRequest:
    m = row._mapping
    return ServiceRequest(
        id=m["id"],
        customer_id=m["customer_id"],
        order_id=m["order_id"],
        order_line_id=m["order_line_id"],
        channel=Channel(m["channel"]),
        kind=Kind(m["kind"]),
        category=m["category"],
        sub_category=m["sub_category"],
        priority=Priority(m["priority"]),
        subject=m["subject"],
        description=m["description"],
        reason_codes=list(m["reason_codes"] or []),
        state=State(m["state"]),
        assignee=Assignee(m["assignee_agent_id"] or "", m["assignee_queue"] or ""),
        response_due=m["response_due"],
        resolution_due=m["resolution_due"],
        first_response_at=m["first_response_at"],
        paused_since=m["paused_since"],
        paused_total=timedelta(milliseconds=m["paused_total_ms"]),
        response_breached=m["response_breached"],
        resolution_breached=m["resolution_breached"],
        breached_at=m["breached_at"],
        resolution_code=m["resolution_code"],
        resolution_note=m["resolution_note"],
        source_system=m["source_system"] or "",
        external_id=m["external_id"] or "",
        opened_by=actor_of(m["opened_by"]),
        opened_at=m["opened_at"],
        resolved_at=m["resolved_at"],
        closed_at=m["closed_at"],
        reopen_count=m["reopen_count"],
        update_time=m["update_time"],
        version=m["version"],
        erased=m["erased"],
        shipment=Shipment.of(m["shipment"]),
    )


def interaction_row(i: Interaction) -> dict[str, Any]:
    return {
        "id": i.id,
        "service_request_id": i.service_request_id or None,
        "customer_id": i.customer_id or None,
        "direction": i.direction.value,
        "channel": i.channel.value,
        "author": actor_json(i.author),
        "occurred_at": i.occurred_at,
        "subject": i.subject,
        "body": i.body,
        "in_reply_to_id": i.in_reply_to_id or None,
        "corrects_id": i.corrects_id or None,
        "duration_ms": None if i.duration is None else int(i.duration / timedelta(milliseconds=1)),
        "source_system": i.source_system or None,
        "external_id": i.external_id or None,
        "orphaned": i.orphaned,
        "claimed_service_request_id": i.claimed_service_request_id or None,
        "create_time": i.create_time,
    }


def interaction(row: Any) -> Interaction:
    m = row._mapping
    return Interaction(
        id=m["id"],
        service_request_id=m["service_request_id"] or "",
        customer_id=m["customer_id"] or "",
        direction=Direction(m["direction"]),
        channel=Channel(m["channel"]),
        author=actor_of(m["author"]),
        occurred_at=m["occurred_at"],
        subject=m["subject"],
        body=m["body"],
        in_reply_to_id=m["in_reply_to_id"] or "",
        corrects_id=m["corrects_id"] or "",
        duration=None if m["duration_ms"] is None else timedelta(milliseconds=m["duration_ms"]),
        source_system=m["source_system"] or "",
        external_id=m["external_id"] or "",
        orphaned=m["orphaned"],
        claimed_service_request_id=m["claimed_service_request_id"] or "",
        create_time=m["create_time"],
    )
