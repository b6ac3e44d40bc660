"""Agent scripts through the API, on PostgreSQL: a script defined, rehearsed, published and followed
with customers; its pitch skipped for a customer with an open complaint and its tier step shown by the
tier the value service told; each ended run logged as the customer's interaction; the report; and the
customer master's merges and erasures reaching the runs."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import grpc
import pytest
from prometheus_client import REGISTRY
from sr_builders import open_request, unique

from isthmus.platform import config, hub
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.customers.v1 import records_pb2
from isthmus_client.api.events.v1 import customers_pb2, value_pb2
from isthmus_client.api.service_requests.v1 import scripts_pb2 as spb
from isthmus_client.api.service_requests.v1 import scripts_pb2_grpc
from isthmus_client.api.service_requests.v1 import service_request_pb2 as pb
from isthmus_client.api.service_requests.v1 import service_requests_pb2 as rpc
from isthmus_client.errors import field_violations

AGENT = common_pb2.Actor(kind=common_pb2.ACTOR_KIND_USER, id="agent-7", display_name="Kim")


def steps(offer: str = "May I tell you about this week's offer?") -> list[spb.ScriptStep]:
    return [
        spb.ScriptStep(step_id="greet", prompt="Good morning {customer_name}.", next_step_id="reason"),
        spb.ScriptStep(
            step_id="reason",
            prompt="What can I do for you?",
            answers=[
                spb.ScriptAnswer(value="complaint", label="A complaint", next_step_id="listen"),
                spb.ScriptAnswer(value="order", label="An order", next_step_id="vip"),
            ],
        ),
        spb.ScriptStep(step_id="listen", prompt="What happened?", free_text=True, next_step_id="vip"),
        spb.ScriptStep(
            step_id="vip", prompt="Your adviser is at your service.", tiers=["A"], next_step_id="offer"
        ),
        spb.ScriptStep(
            step_id="offer",
            prompt=offer,
            answers=[spb.ScriptAnswer(value="yes"), spb.ScriptAnswer(value="no")],
            pitch=True,
        ),
    ]


async def published(service: Any, name: str = "Inbound call") -> spb.Script:
    scripts = service.scripts
    script = (
        await scripts.CreateScript(spb.CreateScriptRequest(name=name, steps=steps(), actor=AGENT))
    ).script
    assert (script.published_version, script.latest_version, script.draft.version) == (0, 1, 1)
    return (
        await scripts.PublishScript(
            spb.PublishScriptRequest(script_id=script.script_id, version=1, actor=AGENT)
        )
    ).script


def start(script: spb.Script, customer_id: str, **more: Any) -> spb.StartScriptRunRequest:
    fields: dict[str, Any] = {
        "script_id": script.script_id,
        "customer_id": customer_id,
        "direction": pb.DIRECTION_INBOUND,
        "customer_name": "Ms Roe",
        "actor": AGENT,
    }
    return spb.StartScriptRunRequest(**(fields | more))


async def answer(service: Any, run: spb.ScriptRun, value: str = "") -> spb.ScriptRun:
    reply = await service.scripts.AnswerScriptStep(
        spb.AnswerScriptStepRequest(run_id=run.run_id, step_id=run.screen.step_id, answer=value)
    )
    assert reply.outcome == common_pb2.WRITE_OUTCOME_APPLIED
    return reply.run


async def test_a_run_skips_the_pitch_for_a_customer_with_an_open_complaint_and_is_logged(
    service: Any,
) -> None:
    script = await published(service)
    customer = unique("cust")
    case = (await service.stub.OpenServiceRequest(open_request(customer))).service_request  # a complaint

    run = (
        await service.scripts.StartScriptRun(
            start(script, customer, service_request_id=case.service_request_id)
        )
    ).run
    assert run.screen.prompt == "Good morning Ms Roe." and run.screen.statement
    run = await answer(service, run)
    assert [a.label for a in run.screen.answers] == ["A complaint", "An order"]
    service.clock.advance(timedelta(minutes=3))
    run = await answer(service, run, "complaint")
    assert run.screen.free_text
    run = await answer(service, run, "The parcel came broken")

    # No tier known (vip is for A) and an open complaint (offer is a pitch): the run has ended.
    assert run.state == spb.SCRIPT_RUN_STATE_COMPLETED and not run.HasField("screen")
    assert [(e.step_id, e.kind) for e in run.entries] == [
        ("greet", spb.SCRIPT_ENTRY_KIND_ANSWERED),
        ("reason", spb.SCRIPT_ENTRY_KIND_ANSWERED),
        ("listen", spb.SCRIPT_ENTRY_KIND_ANSWERED),
        ("vip", spb.SCRIPT_ENTRY_KIND_SKIPPED),
        ("offer", spb.SCRIPT_ENTRY_KIND_SKIPPED),
    ]
    assert run.entries[-1].reason == "a sales pitch, and the customer has an open complaint"

    # Logged on the case's thread: the customer's communication audit trail.
    thread = await service.stub.ListInteractions(
        rpc.ListInteractionsRequest(service_request_id=case.service_request_id)
    )
    logged = [i for i in thread.interactions if i.interaction_id == run.interaction_id]
    assert len(logged) == 1
    entry = logged[0]
    assert entry.subject == "Script 'Inbound call' (version 1) completed"
    assert "  -> The parcel came broken" in entry.body and "[offer] skipped" in entry.body
    assert entry.author.id == "agent-7" and entry.direction == pb.DIRECTION_INBOUND
    assert entry.duration.ToTimedelta() == timedelta(minutes=3)
    await service.hub.runtime.bus.drain()
    assert service.events("InteractionLogged")[-1].interaction.interaction_id == run.interaction_id

    # Replaying the last answer gives the run as it is; another answer to an ended run is refused.
    again = await service.scripts.AnswerScriptStep(
        spb.AnswerScriptStepRequest(run_id=run.run_id, step_id="listen", answer="The parcel came broken")
    )
    assert again.outcome == common_pb2.WRITE_OUTCOME_REPLAYED and again.run == run
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await service.scripts.AnswerScriptStep(
            spb.AnswerScriptStepRequest(run_id=run.run_id, step_id="listen", answer="Something else")
        )
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "is COMPLETED" in (refused.value.details() or "")


@pytest.mark.postgres
async def test_a_tier_a_customer_hears_the_adviser_and_the_offer(service: Any) -> None:
    script = await published(service)
    customer = unique("cust")
    await service.publish(
        value_pb2.CustomerTierChanged(customer_id=customer, to_tier=common_pb2.VALUE_TIER_A), customer
    )
    run = (await service.scripts.StartScriptRun(start(script, customer))).run
    run = await answer(service, await answer(service, run), "order")
    assert run.screen.step_id == "vip"
    run = await answer(service, run)
    assert run.screen.step_id == "offer" and [a.value for a in run.screen.answers] == ["yes", "no"]
    run = await answer(service, run, "yes")
    assert run.state == spb.SCRIPT_RUN_STATE_COMPLETED
    assert not any(e.kind == spb.SCRIPT_ENTRY_KIND_SKIPPED for e in run.entries)
    history = await service.stub.ListInteractions(rpc.ListInteractionsRequest(customer_id=customer))
    assert [i.interaction_id for i in history.interactions] == [run.interaction_id]


@pytest.mark.postgres
async def test_drafts_are_rehearsed_not_logged_and_runs_keep_their_version(service: Any) -> None:
    scripts = service.scripts
    customer = unique("cust")
    created = (await scripts.CreateScript(spb.CreateScriptRequest(name="Outbound", steps=steps()))).script
    with pytest.raises(grpc.aio.AioRpcError) as unpublished:
        await scripts.StartScriptRun(start(created, customer))
    assert unpublished.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "no published version" in (unpublished.value.details() or "")

    rehearsal = (await scripts.StartScriptRun(start(created, customer, version=1, rehearsal=True))).run
    rehearsal = await answer(service, await answer(service, rehearsal), "order")
    rehearsal = await answer(service, rehearsal, "no")
    assert rehearsal.state == spb.SCRIPT_RUN_STATE_COMPLETED and rehearsal.rehearsal
    assert rehearsal.interaction_id == ""
    history = await service.stub.ListInteractions(rpc.ListInteractionsRequest(customer_id=customer))
    assert list(history.interactions) == []

    await scripts.PublishScript(spb.PublishScriptRequest(script_id=created.script_id, version=1))
    ongoing = (await scripts.StartScriptRun(start(created, customer))).run
    revised = (
        await scripts.ReviseScript(
            spb.ReviseScriptRequest(
                script_id=created.script_id, steps=steps("A new offer?"), note="new offer"
            )
        )
    ).script
    assert (revised.published_version, revised.latest_version, revised.draft.note) == (1, 2, "new offer")
    with pytest.raises(grpc.aio.AioRpcError) as not_yet:
        await scripts.StartScriptRun(start(created, customer, version=2))
    assert not_yet.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "set rehearsal" in (not_yet.value.details() or "")

    again = await scripts.PublishScript(
        spb.PublishScriptRequest(script_id=created.script_id, version=2, actor=AGENT)
    )
    assert again.outcome == common_pb2.WRITE_OUTCOME_APPLIED and again.script.publisher.id == "agent-7"
    same = await scripts.PublishScript(spb.PublishScriptRequest(script_id=created.script_id, version=2))
    assert same.outcome == common_pb2.WRITE_OUTCOME_REPLAYED
    fresh = (await scripts.StartScriptRun(start(created, customer))).run
    fresh = await answer(service, await answer(service, fresh), "order")
    assert (fresh.version, fresh.screen.prompt) == (2, "A new offer?")
    ongoing = await answer(service, await answer(service, ongoing), "order")
    assert (ongoing.version, ongoing.screen.prompt) == (1, "May I tell you about this week's offer?")

    got = (await scripts.GetScript(spb.GetScriptRequest(script_id=created.script_id))).script
    assert got.published.version == 2 and not got.HasField("draft")
    listed = await scripts.ListScripts(spb.ListScriptsRequest(published_only=True, page_size=500))
    assert created.script_id in {s.script_id for s in listed.scripts}


@pytest.mark.postgres
async def test_bad_scripts_and_answers_name_their_fields(service: Any) -> None:
    scripts = service.scripts
    bad = [
        spb.ScriptStep(
            step_id="a", prompt="Hi {nickname}", answers=[spb.ScriptAnswer(value="x", next_step_id="z")]
        ),
        spb.ScriptStep(step_id="b", prompt="Never reached"),
    ]
    with pytest.raises(grpc.aio.AioRpcError) as nameless:
        await scripts.CreateScript(spb.CreateScriptRequest(name="", steps=bad))
    assert dict(field_violations(nameless.value)) == {"name": "is required"}
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await scripts.CreateScript(spb.CreateScriptRequest(name="Bad", steps=bad))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert set(dict(field_violations(refused.value))) == {
        "steps[0].prompt",
        "steps[0].answers[0].next_step_id",
    }

    with pytest.raises(grpc.aio.AioRpcError) as unreachable:
        await scripts.CreateScript(spb.CreateScriptRequest(name="x", steps=[bad[1], bad[1]]))
    assert set(dict(field_violations(unreachable.value))) == {"steps[1].step_id"}

    script = await published(service)
    customer, other = unique("cust"), unique("cust")
    for beyond in (
        scripts.PublishScript(spb.PublishScriptRequest(script_id=script.script_id, version=9)),
        scripts.StartScriptRun(start(script, customer, version=9, rehearsal=True)),
        scripts.GetScriptReport(spb.GetScriptReportRequest(script_id=script.script_id, version=9)),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as unknown:
            await beyond
        assert dict(field_violations(unknown.value)) == {
            "version": f"script {script.script_id} has versions 1 to 1"
        }
    elsewhere = (await service.stub.OpenServiceRequest(open_request(other))).service_request
    with pytest.raises(grpc.aio.AioRpcError) as foreign:
        await scripts.StartScriptRun(start(script, customer, service_request_id=elsewhere.service_request_id))
    assert dict(field_violations(foreign.value)) == {"service_request_id": "is a case of another customer"}
    with pytest.raises(grpc.aio.AioRpcError) as internal:
        await scripts.StartScriptRun(start(script, customer, direction=pb.DIRECTION_INTERNAL))
    assert set(dict(field_violations(internal.value))) == {"direction"}

    run = (await scripts.StartScriptRun(start(script, customer))).run
    run = await answer(service, run)
    with pytest.raises(grpc.aio.AioRpcError) as wrong:
        await scripts.AnswerScriptStep(
            spb.AnswerScriptStepRequest(run_id=run.run_id, step_id="reason", answer="?")
        )
    assert dict(field_violations(wrong.value)) == {
        "answer": "must be one of step 'reason''s answers: 'complaint', 'order'"
    }
    with pytest.raises(grpc.aio.AioRpcError) as stale:
        await scripts.AnswerScriptStep(
            spb.AnswerScriptStepRequest(run_id=run.run_id, step_id="greet", answer="x")
        )
    assert stale.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "shows step 'reason'" in (stale.value.details() or "")
    with pytest.raises(grpc.aio.AioRpcError) as missing:
        await scripts.GetScriptRun(spb.GetScriptRunRequest(run_id="no-such-run"))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.postgres
async def test_back_abandon_and_the_report(service: Any) -> None:
    scripts = service.scripts

    def ended(outcome: str) -> float:
        return (
            REGISTRY.get_sample_value("isthmus_service_requests_script_runs_total", {"outcome": outcome})
            or 0.0
        )

    before = ended("completed"), ended("abandoned")
    script = await published(service)
    customer = unique("cust")
    req = start(script, customer, request_id=unique("req"))
    first = await scripts.StartScriptRun(req)
    replay = await scripts.StartScriptRun(req)
    assert replay.outcome == common_pb2.WRITE_OUTCOME_REPLAYED and replay.run.run_id == first.run.run_id

    run = await answer(service, await answer(service, first.run), "complaint")
    run = (await scripts.BackScriptStep(spb.BackScriptStepRequest(run_id=run.run_id, step_id="listen"))).run
    assert run.screen.step_id == "reason" and run.entries[-1].kind == spb.SCRIPT_ENTRY_KIND_TAKEN_BACK
    assert run.entries[-1].taken_back_at == "listen"
    twice = await scripts.BackScriptStep(spb.BackScriptStepRequest(run_id=run.run_id, step_id="listen"))
    assert twice.outcome == common_pb2.WRITE_OUTCOME_REPLAYED and twice.run == run  # a retry, not twice back
    run = await answer(service, run, "order")
    abandoned = await scripts.AbandonScriptRun(
        spb.AbandonScriptRunRequest(run_id=run.run_id, reason="line dropped")
    )
    assert abandoned.run.state == spb.SCRIPT_RUN_STATE_ABANDONED
    again = await scripts.AbandonScriptRun(
        spb.AbandonScriptRunRequest(run_id=run.run_id, reason="line dropped")
    )
    assert again.outcome == common_pb2.WRITE_OUTCOME_REPLAYED
    history = await service.stub.ListInteractions(rpc.ListInteractionsRequest(customer_id=customer))
    (entry,) = history.interactions
    assert entry.subject.endswith("abandoned") and entry.body.endswith("Abandoned at [offer]: line dropped")

    # A second run, completed; a rehearsal, which does not count.
    other = (await scripts.StartScriptRun(start(script, customer))).run
    other = await answer(service, await answer(service, other), "order")
    await answer(service, other, "no")
    await scripts.StartScriptRun(start(script, customer, version=1, rehearsal=True))

    report = await scripts.GetScriptReport(spb.GetScriptReportRequest(script_id=script.script_id))
    assert (report.started, report.completed, report.abandoned) == (2, 1, 1)
    assert (ended("completed") - before[0], ended("abandoned") - before[1]) == (1, 1)  # replays not counted
    by_step = {s.step_id: s for s in report.steps}
    assert [s.step_id for s in report.steps] == ["greet", "reason", "listen", "vip", "offer"]
    assert by_step["reason"].shown == 2
    assert {a.answer: a.count for a in by_step["reason"].answers} == {"order": 2}  # the taken-back one not
    assert by_step["listen"].shown == 0  # left with the answer taken back, never shown again
    assert by_step["vip"].skipped == 2
    assert (by_step["offer"].shown, by_step["offer"].abandoned) == (2, 1)
    assert {a.answer: a.count for a in by_step["offer"].answers} == {"no": 1}


@pytest.mark.postgres
async def test_runs_follow_merges_and_erasure_blanks_what_was_said(service: Any) -> None:
    script = await published(service)
    survivor, merged = unique("cust"), unique("cust")
    run = (await service.scripts.StartScriptRun(start(script, merged))).run
    run = await answer(service, await answer(service, run), "complaint")
    run = await answer(service, run, "My number is 0170 1234567")

    merge_id = unique("merge")
    await service.publish(
        customers_pb2.CustomersMerged(surviving_id=survivor, merged_ids=[merged], merge_id=merge_id), survivor
    )
    moved = (await service.scripts.GetScriptRun(spb.GetScriptRunRequest(run_id=run.run_id))).run
    assert moved.customer_id == survivor
    await service.publish(
        customers_pb2.CustomerUnmerged(from_id=survivor, restored_ids=[merged], merge_id=merge_id), survivor
    )
    back = (await service.scripts.GetScriptRun(spb.GetScriptRunRequest(run_id=run.run_id))).run
    assert back.customer_id == merged

    await service.publish(customers_pb2.CustomerErased(customer_id=merged), merged)
    erased = (await service.scripts.GetScriptRun(spb.GetScriptRunRequest(run_id=run.run_id))).run
    assert {e.prompt for e in erased.entries} == {"[erased]"}
    assert [e.answer for e in erased.entries if e.step_id == "listen"] == ["[erased]"]
    assert [e.answer for e in erased.entries if e.step_id == "reason"] == ["complaint"]


async def _two_agents_answer_at_once(scripts: Any, run: spb.ScriptRun) -> list[Any]:
    """Two answers to the same screen at once: one is taken, the other told the screen moved on (or,
    when its write met the other's, to read again)."""
    calls = [
        scripts.AnswerScriptStep(spb.AnswerScriptStepRequest(run_id=run.run_id, step_id="reason", answer=a))
        for a in ("complaint", "order")
    ]
    return list(await asyncio.gather(*calls, return_exceptions=True))


@pytest.mark.postgres
async def test_two_answers_at_once_take_one_on_postgresql(service: Any) -> None:
    script = await published(service)
    for _ in range(5):
        run = (await service.scripts.StartScriptRun(start(script, unique("cust")))).run
        run = await answer(service, run)
        results = await _two_agents_answer_at_once(service.scripts, run)
        taken = [r for r in results if not isinstance(r, BaseException)]
        refused = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
        assert len(taken) == 1 and len(refused) == 1, results
        assert refused[0].code() in (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.ABORTED)
        got = (await service.scripts.GetScriptRun(spb.GetScriptRunRequest(run_id=run.run_id))).run
        assert [e.step_id for e in got.entries].count("reason") == 1


async def test_two_answers_at_once_take_one_on_sqlite(tmp_path: Path) -> None:
    settings = config.load(
        {
            "ISTHMUS_DATA_DIR": str(tmp_path),
            "ISTHMUS_AUTH_DISABLED": "true",
            "ISTHMUS_GRPC_PORT": "0",
            "ISTHMUS_METRICS_PORT": "0",
        }
    )
    async with hub.running(settings, ["service-requests"]) as h, h.channel() as channel:
        scripts = scripts_pb2_grpc.ScriptServiceStub(channel)
        created = (await scripts.CreateScript(spb.CreateScriptRequest(name="x", steps=steps()))).script
        await scripts.PublishScript(spb.PublishScriptRequest(script_id=created.script_id, version=1))
        for _ in range(5):
            run = (await scripts.StartScriptRun(start(created, unique("cust")))).run
            run = (
                await scripts.AnswerScriptStep(
                    spb.AnswerScriptStepRequest(run_id=run.run_id, step_id="greet", answer="")
                )
            ).run
            results = await _two_agents_answer_at_once(scripts, run)
            assert sum(not isinstance(r, BaseException) for r in results) == 1, results
            got = (await scripts.GetScriptRun(spb.GetScriptRunRequest(run_id=run.run_id))).run
            assert [e.step_id for e in got.entries].count("reason") == 1


def phone_call(customer: str, script_id: str, **more: Any) -> value_pb2.CampaignMessageRequested:
    fields: dict[str, Any] = {
        "message_id": unique("msg"),
        "campaign_id": "camp-1",
        "customer_id": customer,
        "channel": records_pb2.CONSENT_CHANNEL_PHONE,
        "template_id": script_id,
        "reference": "segment:seg-1:1",
    }
    return value_pb2.CampaignMessageRequested(**(fields | more))


async def calls(service: Any, *states: int, **more: Any) -> list[spb.Call]:
    request = spb.ListCallsRequest(states=list(states), page_size=500, **more)
    return list((await service.scripts.ListCalls(request)).calls)


@pytest.mark.postgres
async def test_a_phone_campaign_fills_the_call_list_and_each_call_is_made_with_its_script(
    service: Any,
) -> None:
    script = await published(service)
    customer = unique("cust")
    wanted = phone_call(customer, script.script_id)
    await service.publish(wanted, customer)
    await service.publish(wanted, customer)  # delivered twice: one call
    mail = phone_call(customer, script.script_id, channel=records_pb2.CONSENT_CHANNEL_EMAIL)
    await service.publish(mail, customer)  # another delivery system's
    later = phone_call(customer, script.script_id)
    later.send_after_time.FromDatetime(service.clock() + timedelta(days=1))
    await service.publish(later, customer)

    waiting = await calls(service, customer_id=customer)
    assert [c.call_id for c in waiting] == [wanted.message_id, later.message_id]  # soonest due first
    assert waiting[0].state == spb.CALL_STATE_WAITING and waiting[0].script_id == script.script_id
    assert [c.call_id for c in await calls(service, customer_id=customer, due_only=True)] == [
        wanted.message_id
    ]

    def make(**more: Any) -> spb.StartScriptRunRequest:
        fields = {"direction": pb.DIRECTION_OUTBOUND, "call_id": wanted.message_id, "customer_id": customer}
        return start(script, **(fields | more))

    for bad, field in (
        (make(direction=pb.DIRECTION_INBOUND), "direction"),
        (make(customer_id=unique("cust")), "customer_id"),
        (make(rehearsal=True, version=1), "call_id"),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await service.scripts.StartScriptRun(bad)
        assert set(dict(field_violations(refused.value))) == {field}

    # Not reached twice, then reached: made, and the campaign told (as a delivery system tells it).
    for attempt in (1, 2):
        run = (await service.scripts.StartScriptRun(make())).run
        assert run.call_id == wanted.message_id
        (on_it,) = await calls(service, spb.CALL_STATE_IN_PROGRESS, customer_id=customer)
        assert on_it.run_id == run.run_id
        with pytest.raises(grpc.aio.AioRpcError) as busy:
            await service.scripts.StartScriptRun(make())
        assert busy.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        await service.scripts.AbandonScriptRun(
            spb.AbandonScriptRunRequest(run_id=run.run_id, reason="no answer")
        )
        (again,) = [c for c in await calls(service, customer_id=customer) if c.call_id == wanted.message_id]
        assert (again.attempts, again.note) == (attempt, "no answer")
    run = (await service.scripts.StartScriptRun(make())).run
    run = await answer(service, await answer(service, run), "order")
    run = await answer(service, run, "yes")
    assert run.state == spb.SCRIPT_RUN_STATE_COMPLETED
    (made,) = await calls(service, spb.CALL_STATE_MADE, customer_id=customer)
    assert (made.call_id, made.run_id, made.attempts) == (wanted.message_id, run.run_id, 2)
    await service.hub.runtime.bus.drain()
    told = [e for e in service.events("CampaignMessageResponded") if e.message_id == wanted.message_id]
    assert [e.response for e in told] == [value_pb2.CampaignMessageResponded.MESSAGE_RESPONSE_OPENED]
    with pytest.raises(grpc.aio.AioRpcError) as done:
        await service.scripts.StartScriptRun(make())
    assert done.value.code() == grpc.StatusCode.FAILED_PRECONDITION and "is MADE" in (
        done.value.details() or ""
    )


@pytest.mark.postgres
async def test_calls_are_withdrawn_given_up_moved_with_merges_and_withdrawn_on_erasure(service: Any) -> None:
    script = await published(service)
    customer, survivor = unique("cust"), unique("cust")
    withdrawn, tried, moved = (phone_call(customer, script.script_id) for _ in range(3))
    for message in (withdrawn, tried, moved):
        await service.publish(message, customer)
    await service.publish(
        value_pb2.CampaignMessageWithdrawn(message_id=withdrawn.message_id, reason="open complaint"), customer
    )
    (gone,) = await calls(service, spb.CALL_STATE_WITHDRAWN, customer_id=customer)
    assert (gone.call_id, gone.note) == (withdrawn.message_id, "open complaint")

    for _ in range(3):
        run = (
            await service.scripts.StartScriptRun(
                start(script, customer, direction=pb.DIRECTION_OUTBOUND, call_id=tried.message_id)
            )
        ).run
        await service.scripts.AbandonScriptRun(spb.AbandonScriptRunRequest(run_id=run.run_id, reason="busy"))
    (given_up,) = await calls(service, spb.CALL_STATE_GIVEN_UP, customer_id=customer)
    assert (given_up.call_id, given_up.attempts) == (tried.message_id, 3)

    merge_id = unique("merge")
    await service.publish(
        customers_pb2.CustomersMerged(surviving_id=survivor, merged_ids=[customer], merge_id=merge_id),
        survivor,
    )
    assert [c.call_id for c in await calls(service, customer_id=survivor)] == [moved.message_id]
    await service.publish(
        customers_pb2.CustomerUnmerged(from_id=survivor, restored_ids=[customer], merge_id=merge_id), survivor
    )
    assert [c.call_id for c in await calls(service, customer_id=customer)] == [moved.message_id]

    await service.publish(customers_pb2.CustomerErased(customer_id=customer), customer)
    assert await calls(service, customer_id=customer) == []
    erased = await calls(service, spb.CALL_STATE_WITHDRAWN, customer_id=customer)
    assert {c.call_id: c.note for c in erased}[moved.message_id] == "customer erased"


@pytest.mark.postgres
async def test_a_scripts_versions_are_listed_newest_first_page_by_page(service: Any) -> None:
    scripts = service.scripts
    created = (await scripts.CreateScript(spb.CreateScriptRequest(name="Versions", steps=steps()))).script
    for n in range(2, 6):
        await scripts.ReviseScript(
            spb.ReviseScriptRequest(script_id=created.script_id, steps=steps(f"Offer {n}?"), note=f"v{n}")
        )
    first = await scripts.ListScriptVersions(
        spb.ListScriptVersionsRequest(script_id=created.script_id, page_size=3)
    )
    assert [v.version for v in first.versions] == [5, 4, 3] and first.versions[0].note == "v5"
    assert first.versions[0].steps[-1].prompt == "Offer 5?"
    rest = await scripts.ListScriptVersions(
        spb.ListScriptVersionsRequest(
            script_id=created.script_id, page_size=3, page_token=first.next_page_token
        )
    )
    assert [v.version for v in rest.versions] == [2, 1] and rest.next_page_token == ""
    with pytest.raises(grpc.aio.AioRpcError) as elsewhere:  # a token of another script's listing
        await scripts.ListScriptVersions(
            spb.ListScriptVersionsRequest(script_id=unique("script"), page_token=first.next_page_token)
        )
    assert elsewhere.value.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND)


@pytest.mark.postgres
async def test_a_call_assigned_to_an_agent_is_theirs_to_make(service: Any) -> None:
    script = await published(service)
    customer = unique("cust")
    kept, free = phone_call(customer, script.script_id), phone_call(customer, script.script_id)
    for message in (kept, free):
        await service.publish(message, customer)
    assign = spb.AssignCallRequest(call_id=kept.message_id, agent_id="agent-7")
    assert (await service.scripts.AssignCall(assign)).outcome == common_pb2.WRITE_OUTCOME_APPLIED
    assert (await service.scripts.AssignCall(assign)).outcome == common_pb2.WRITE_OUTCOME_REPLAYED
    mine = await calls(service, customer_id=customer, agent_id="agent-7")
    assert [(c.call_id, c.agent_id) for c in mine] == [(kept.message_id, "agent-7")]
    assert [c.call_id for c in await calls(service, customer_id=customer, unassigned_only=True)] == [
        free.message_id
    ]

    other = common_pb2.Actor(kind=common_pb2.ACTOR_KIND_USER, id="agent-9")
    request = start(script, customer, direction=pb.DIRECTION_OUTBOUND, call_id=kept.message_id, actor=other)
    with pytest.raises(grpc.aio.AioRpcError) as theirs:
        await service.scripts.StartScriptRun(request)
    assert theirs.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "assigned to agent 'agent-7'" in (theirs.value.details() or "")
    run = (await service.scripts.StartScriptRun(start(script, customer, direction=pb.DIRECTION_OUTBOUND,
                                                      call_id=kept.message_id))).run  # fmt: skip
    assert run.agent.id == "agent-7"
    with pytest.raises(grpc.aio.AioRpcError) as busy:
        await service.scripts.AssignCall(spb.AssignCallRequest(call_id=kept.message_id, agent_id="agent-9"))
    assert busy.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    with pytest.raises(grpc.aio.AioRpcError) as both:
        await service.scripts.ListCalls(spb.ListCallsRequest(agent_id="agent-7", unassigned_only=True))
    assert set(dict(field_violations(both.value))) == {"unassigned_only"}
