"""The demo's call-center chapter. An agent script is defined, rehearsed and published; both shoppers
call, and the agent follows it with each: the offer is made to one and skipped for the other, whose
complaint is open; each call is logged on the customer's record, and where each heard of the shop is
kept as a trait. A segment of those who heard of it on TV, and a phone campaign for it, put a thank-you
call on the call center's list; an agent makes it, and the campaign's report counts it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from isthmus.demo_campaigns import golden_of
from isthmus_client.api.customers.v1 import customers_pb2, customers_pb2_grpc, records_pb2
from isthmus_client.api.service_requests.v1 import scripts_pb2 as pb
from isthmus_client.api.service_requests.v1 import scripts_pb2_grpc
from isthmus_client.api.service_requests.v1 import service_request_pb2 as srp
from isthmus_client.api.value.v1 import campaigns_pb2 as cpb
from isthmus_client.api.value.v1 import campaigns_pb2_grpc

NAME = "Inbound call"
STEPS = [
    pb.ScriptStep(
        step_id="greet",
        prompt="Good morning {customer_name}, thank you for calling. How can I help?",
        answers=[
            pb.ScriptAnswer(value="order", label="About an order", next_step_id="order"),
            pb.ScriptAnswer(value="complaint", label="A complaint", next_step_id="listen"),
        ],
    ),
    pb.ScriptStep(step_id="order", prompt="Which order is it about?", free_text=True, next_step_id="offer"),
    pb.ScriptStep(
        step_id="listen", prompt="I am sorry. What happened?", free_text=True, next_step_id="heard"
    ),
    pb.ScriptStep(
        step_id="offer",
        prompt="Olive oil is 10% off this week for loyalty members. Shall I add a bottle?",
        answers=[pb.ScriptAnswer(value="yes"), pb.ScriptAnswer(value="no")],
        pitch=True,
        next_step_id="heard",
    ),
    pb.ScriptStep(
        step_id="heard",
        prompt="May I ask where you first heard of us?",
        answers=[
            pb.ScriptAnswer(value="tv", label="TV"),
            pb.ScriptAnswer(value="friend", label="A friend"),
            pb.ScriptAnswer(value="web", label="Online"),
        ],
        capture="heard_from",
        next_step_id="close",
    ),
    pb.ScriptStep(step_id="close", prompt="Is there anything else I can do for you, {customer_name}?"),
]
# What the callers say at each step; where each heard of the shop, by caller.
ANSWERS = {"greet": "order", "order": "INV-24-001", "offer": "yes", "close": ""}
HEARD = {0: "tv", 1: "friend"}

THANKS = [
    pb.ScriptStep(
        step_id="thanks",
        prompt="Hello {customer_name}, this is the shop: thank you for finding us through our TV spot!",
        next_step_id="offer",
    ),
    pb.ScriptStep(
        step_id="offer",
        prompt="As a thank-you, your next order ships free. Shall I note that?",
        answers=[pb.ScriptAnswer(value="yes"), pb.ScriptAnswer(value="no")],
        pitch=True,
    ),
]


async def _follow(
    scripts: Any, run: pb.ScriptRun, answers: dict[str, str], metadata: Sequence[tuple[str, str]]
) -> pb.ScriptRun:
    while run.state == pb.SCRIPT_RUN_STATE_IN_PROGRESS:
        step_id = run.screen.step_id
        request = pb.AnswerScriptStepRequest(run_id=run.run_id, step_id=step_id, answer=answers[step_id])
        run = (await scripts.AnswerScriptStep(request, metadata=metadata)).run
    return run


def _said(run: pb.ScriptRun) -> str:
    steps = []
    for e in run.entries:
        if e.kind == pb.SCRIPT_ENTRY_KIND_SKIPPED:
            steps.append(f"{e.step_id} skipped ({e.reason})")
        else:
            steps.append(f"{e.step_id}: {e.label or e.answer}" if e.answer else e.step_id)
    return "; ".join(steps)


async def _published(scripts: Any, name: str, steps: list[pb.ScriptStep], metadata: Any) -> str:
    created = await scripts.CreateScript(pb.CreateScriptRequest(name=name, steps=steps), metadata=metadata)
    script_id = str(created.script.script_id)
    await scripts.PublishScript(pb.PublishScriptRequest(script_id=script_id, version=1), metadata=metadata)
    return script_id


async def run(
    channel: grpc.aio.Channel,
    shoppers: Sequence[int],
    out: Callable[[str], None],
    settle: Callable[[], Awaitable[Any]],
    metadata: Sequence[tuple[str, str]] = (),
) -> dict[str, Any]:
    """``shoppers``: the shop's ids of the customers who call about an order."""
    customers = customers_pb2_grpc.CustomerMasterServiceStub(channel)
    scripts = scripts_pb2_grpc.ScriptServiceStub(channel)
    segments = campaigns_pb2_grpc.SegmentServiceStub(channel)
    campaigns = campaigns_pb2_grpc.CampaignServiceStub(channel)
    callers = []
    for shop_id in shoppers:
        golden = await golden_of(customers, metadata, shop_id)
        request = customers_pb2.GetCustomerRequest(customer_id=golden)
        found = (await customers.GetCustomer(request, metadata=metadata)).customer
        callers.append((golden, f"{found.name.given_name} {found.name.family_name}".strip()))

    # Marketing set up before the calls: who heard of the shop on TV gets a thank-you call (the first
    # caller agreed to marketing calls when they signed up).
    thanks_id = await _published(scripts, "Thank-you call", THANKS, metadata)
    rule = '{"field": "traits.heard_from", "op": "eq", "value": "tv"}'
    segment = await segments.CreateSegment(
        cpb.CreateSegmentRequest(name="Heard of us on TV", rule=rule), metadata=metadata
    )
    segment_id = segment.segment.segment_id
    await segments.PublishSegment(cpb.PublishSegmentRequest(segment_id=segment_id), metadata=metadata)
    created = await campaigns.CreateCampaign(
        cpb.CreateCampaignRequest(
            campaign=cpb.Campaign(
                name="Thank our TV viewers",
                trigger=cpb.CAMPAIGN_TRIGGER_SEGMENT_ENTERED,
                segment_id=segment_id,
                channel=records_pb2.CONSENT_CHANNEL_PHONE,
                template_id=thanks_id,
            )
        ),
        metadata=metadata,
    )
    campaign_id = created.campaign.campaign_id
    await campaigns.TestCampaign(cpb.TestCampaignRequest(campaign_id=campaign_id), metadata=metadata)
    await campaigns.PromoteCampaign(cpb.PromoteCampaignRequest(campaign_id=campaign_id), metadata=metadata)
    now = Timestamp()
    now.FromDatetime(datetime.now(UTC))
    await customers.SetConsent(
        customers_pb2.SetConsentRequest(
            customer_id=callers[0][0],
            channel=records_pb2.CONSENT_CHANNEL_PHONE,
            status=records_pb2.CONSENT_STATUS_GRANTED,
            source="webshop:signup",
            give_time=now,
        ),
        metadata=metadata,
    )
    # The consent reaches the campaign engine before the calls' traits do (each on its own queue).
    await settle()

    out(f"\nThe call center's script {NAME!r} (defined, rehearsed, published), followed with each caller:")
    script_id = await _published(scripts, NAME, STEPS, metadata)
    rehearsal = await scripts.StartScriptRun(
        pb.StartScriptRunRequest(
            script_id=script_id, customer_id=callers[0][0], version=1, rehearsal=True,
            direction=srp.DIRECTION_INBOUND,
        ),
        metadata=metadata,
    )  # fmt: skip
    await scripts.AbandonScriptRun(
        pb.AbandonScriptRunRequest(run_id=rehearsal.run.run_id, reason="rehearsed"), metadata=metadata
    )
    summary = {"calls": 0, "offers_skipped": 0, "campaign_calls": 0}
    for i, (customer_id, name) in enumerate(callers):
        started = await scripts.StartScriptRun(
            pb.StartScriptRunRequest(
                script_id=script_id,
                customer_id=customer_id,
                customer_name=name,
                direction=srp.DIRECTION_INBOUND,
            ),
            metadata=metadata,
        )
        done = await _follow(scripts, started.run, {**ANSWERS, "heard": HEARD[i]}, metadata)
        summary["calls"] += 1
        summary["offers_skipped"] += sum(e.kind == pb.SCRIPT_ENTRY_KIND_SKIPPED for e in done.entries)
        out(f"  {name:<14} {_said(done)}")
        out(f"  {'':<14} logged on the customer's record as interaction {done.interaction_id}")
    await settle()

    names = dict(callers)
    listed = await scripts.ListCalls(pb.ListCallsRequest(due_only=True), metadata=metadata)
    out("\nCaptured 'heard_from: tv' put the caller in the segment 'Heard of us on TV'; its phone campaign")
    out("asked the call center for these calls, and an agent made them:")
    for call in listed.calls:
        started = await scripts.StartScriptRun(
            pb.StartScriptRunRequest(
                script_id=call.script_id,
                customer_id=call.customer_id,
                customer_name=names.get(call.customer_id, ""),
                direction=srp.DIRECTION_OUTBOUND,
                call_id=call.call_id,
            ),
            metadata=metadata,
        )
        done = await _follow(scripts, started.run, {"thanks": "", "offer": "yes"}, metadata)
        summary["campaign_calls"] += 1
        out(f"  {names.get(call.customer_id, call.customer_id):<14} {_said(done)}")
    await settle()
    report = await campaigns.GetCampaignReport(
        cpb.GetCampaignReportRequest(campaign_id=campaign_id), metadata=metadata
    )
    out(f"  campaign 'Thank our TV viewers': {report.sent} call requested, {report.opened} reached")
    return summary
