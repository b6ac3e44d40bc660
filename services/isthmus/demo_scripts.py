"""The demo's call-center chapter: an agent script is defined, rehearsed and published; both shoppers
call, and the agent follows it with each: the offer is made to one and skipped for the other, whose
complaint is open. Each call is logged on the customer's record."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import grpc

from isthmus.demo_campaigns import golden_of
from isthmus_client.api.customers.v1 import customers_pb2, customers_pb2_grpc
from isthmus_client.api.service_requests.v1 import scripts_pb2 as pb
from isthmus_client.api.service_requests.v1 import scripts_pb2_grpc
from isthmus_client.api.service_requests.v1 import service_request_pb2 as srp

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
        step_id="listen", prompt="I am sorry. What happened?", free_text=True, next_step_id="close"
    ),
    pb.ScriptStep(
        step_id="offer",
        prompt="Olive oil is 10% off this week for loyalty members. Shall I add a bottle?",
        answers=[pb.ScriptAnswer(value="yes"), pb.ScriptAnswer(value="no")],
        pitch=True,
        next_step_id="close",
    ),
    pb.ScriptStep(step_id="close", prompt="Is there anything else I can do for you, {customer_name}?"),
]
# What each caller says at each step.
ANSWERS = {"greet": "order", "order": "INV-24-001", "offer": "yes", "close": ""}


async def run(
    channel: grpc.aio.Channel,
    shoppers: Sequence[int],
    out: Callable[[str], None],
    metadata: Sequence[tuple[str, str]] = (),
) -> dict[str, Any]:
    """``shoppers``: the shop's ids of the customers who call about an order."""
    customers = customers_pb2_grpc.CustomerMasterServiceStub(channel)
    callers = []
    for shop_id in shoppers:
        golden = await golden_of(customers, metadata, shop_id)
        request = customers_pb2.GetCustomerRequest(customer_id=golden)
        found = (await customers.GetCustomer(request, metadata=metadata)).customer
        callers.append((golden, f"{found.name.given_name} {found.name.family_name}".strip()))
    scripts = scripts_pb2_grpc.ScriptServiceStub(channel)
    out(f"\nThe call center's script {NAME!r} (defined, rehearsed, published), followed with each caller:")
    created = await scripts.CreateScript(pb.CreateScriptRequest(name=NAME, steps=STEPS), metadata=metadata)
    script_id = created.script.script_id
    rehearsal = await scripts.StartScriptRun(
        pb.StartScriptRunRequest(
            script_id=script_id,
            customer_id=callers[0][0],
            version=1,
            rehearsal=True,
            direction=srp.DIRECTION_INBOUND,
        ),
        metadata=metadata,
    )
    await scripts.AbandonScriptRun(
        pb.AbandonScriptRunRequest(run_id=rehearsal.run.run_id, reason="rehearsed"), metadata=metadata
    )
    await scripts.PublishScript(pb.PublishScriptRequest(script_id=script_id, version=1), metadata=metadata)

    summary = {"calls": 0, "offers_skipped": 0}
    for customer_id, name in callers:
        started = await scripts.StartScriptRun(
            pb.StartScriptRunRequest(
                script_id=script_id,
                customer_id=customer_id,
                customer_name=name,
                direction=srp.DIRECTION_INBOUND,
            ),
            metadata=metadata,
        )
        run_ = started.run
        while run_.state == pb.SCRIPT_RUN_STATE_IN_PROGRESS:
            step_id = run_.screen.step_id
            answer = ANSWERS[step_id]
            reply = await scripts.AnswerScriptStep(
                pb.AnswerScriptStepRequest(run_id=run_.run_id, step_id=step_id, answer=answer),
                metadata=metadata,
            )
            run_ = reply.run
        steps = []
        for e in run_.entries:
            if e.kind == pb.SCRIPT_ENTRY_KIND_SKIPPED:
                steps.append(f"{e.step_id} skipped ({e.reason})")
                summary["offers_skipped"] += 1
            else:
                steps.append(f"{e.step_id}: {e.label or e.answer}" if e.answer else e.step_id)
        summary["calls"] += 1
        out(f"  {name:<14} {'; '.join(steps)}")
        out(f"  {'':<14} logged on the customer's record as interaction {run_.interaction_id}")
    return summary
