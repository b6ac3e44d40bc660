"""Domain objects to protobuf resources (used by the API answers and the event payloads alike)."""

from __future__ import annotations

from isthmus.kernel.timestamps import duration, ts
from isthmus.service_requests.calls import Call
from isthmus.service_requests.domain import Actor, Assignee, Interaction, ServiceRequest, Shipment, State
from isthmus.service_requests.scripts import Entry, Run, Script, Step, Version
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.service_requests.v1 import scripts_pb2 as spb
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


# -- agent scripts ----------------------------------------------------------------------------------


def step(value: Step) -> spb.ScriptStep:
    return spb.ScriptStep(
        step_id=value.step_id,
        prompt=value.prompt,
        answers=[
            spb.ScriptAnswer(value=a.value, label=a.label, next_step_id=a.next_step_id, end=a.end)
            for a in value.answers
        ],
        free_text=value.free_text,
        next_step_id=value.next_step_id,
        pitch=value.pitch,
        tiers=value.tiers,
        capture=value.capture,
    )


def script_version(value: Version) -> spb.ScriptVersion:
    return spb.ScriptVersion(
        version=value.number,
        steps=[step(s) for s in value.steps],
        actor=actor(value.actor),
        create_time=ts(value.created_at),
        note=value.note,
    )


def script(value: Script, published: Version | None = None, draft: Version | None = None) -> spb.Script:
    return spb.Script(
        script_id=value.id,
        name=value.name,
        description=value.description,
        published_version=value.published_version,
        latest_version=value.latest_version,
        published=script_version(published) if published is not None else None,
        draft=script_version(draft) if draft is not None else None,
        create_time=ts(value.created_at),
        publish_time=ts(value.published_at),
        publisher=actor(value.published_by) if value.published_by is not None else None,
    )


def _entry(e: Entry) -> spb.ScriptEntry:
    return spb.ScriptEntry(
        step_id=e.step_id,
        prompt=e.prompt,
        kind=f"SCRIPT_ENTRY_KIND_{e.kind}",
        answer=e.answer,
        label=e.label,
        reason=e.reason,
        occur_time=ts(e.at),
        taken_back_at=e.taken_back_at,
    )


def script_run(run: Run, version: Version) -> spb.ScriptRun:
    screen = None
    if run.current_step:
        shown = version.step(run.current_step)
        screen = spb.ScriptScreen(
            step_id=shown.step_id,
            prompt=run.render(shown.prompt),
            answers=[
                spb.ScriptAnswer(value=a.value, label=a.shown, next_step_id=a.next_step_id, end=a.end)
                for a in shown.answers
            ],
            free_text=shown.free_text,
            statement=shown.statement,
        )
    return spb.ScriptRun(
        run_id=run.id,
        script_id=run.script_id,
        script_name=run.script_name,
        version=run.version,
        customer_id=run.customer_id,
        service_request_id=run.service_request_id,
        state=f"SCRIPT_RUN_STATE_{run.state}",
        screen=screen,
        entries=[_entry(e) for e in run.entries],
        rehearsal=run.rehearsal,
        interaction_id=run.interaction_id,
        agent=actor(run.agent),
        start_time=ts(run.started_at),
        end_time=ts(run.ended_at),
        abandon_reason=run.abandon_reason,
        channel=f"CHANNEL_{run.channel}",
        direction=f"DIRECTION_{run.direction}",
        call_id=run.call_id,
    )


def call(c: Call) -> spb.Call:
    return spb.Call(
        call_id=c.id,
        campaign_id=c.campaign_id,
        customer_id=c.customer_id,
        script_id=c.script_id,
        state=f"CALL_STATE_{c.state}",
        due_time=ts(c.due_at),
        attempts=c.attempts,
        run_id=c.run_id,
        note=c.note,
        reference=c.reference,
        request_time=ts(c.requested_at),
        agent_id=c.agent_id,
    )
