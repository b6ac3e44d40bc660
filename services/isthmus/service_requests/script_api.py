"""gRPC servicer of agent scripts: validates requests (naming proto field paths), answers protos."""

from __future__ import annotations

import grpc

from isthmus.kernel.idempotency import outcome
from isthmus.kernel.paging import DEFAULT_PAGE_SIZE
from isthmus.kernel.violations import Violations
from isthmus.platform import requests
from isthmus.service_requests import messages
from isthmus.service_requests import script_handlers as sh
from isthmus.service_requests.api import MAX_ID, Writes, actor, page_size_of
from isthmus.service_requests.calls import CallState
from isthmus.service_requests.domain import Channel, Direction
from isthmus.service_requests.metrics import case_figures
from isthmus.service_requests.scripts import Answer, Step, check_steps
from isthmus_client.api.service_requests.v1 import scripts_pb2 as spb
from isthmus_client.api.service_requests.v1 import scripts_pb2_grpc
from isthmus_client.api.service_requests.v1 import service_request_pb2 as pb

MAX_NOTE = 1000
VERSIONS_PAGE, MAX_VERSIONS_PAGE = 20, 100
_ENDED = {spb.SCRIPT_RUN_STATE_COMPLETED: "completed", spb.SCRIPT_RUN_STATE_ABANDONED: "abandoned"}


def _count(run: spb.ScriptRun, replayed: bool) -> spb.ScriptRun:
    """Counts a run that this call ended (not a replay, not a rehearsal)."""
    if not replayed and not run.rehearsal and run.state in _ENDED:
        case_figures().scripts_ended.labels(_ENDED[run.state]).inc()
    return run


def _steps(v: Violations, given: object, prefix: str = "steps") -> tuple[Step, ...]:
    steps = tuple(
        Step(
            step_id=s.step_id,
            prompt=s.prompt,
            answers=tuple(Answer(a.value, a.label, a.next_step_id, a.end) for a in s.answers),
            free_text=s.free_text,
            next_step_id=s.next_step_id,
            pitch=s.pitch,
            tiers=tuple(s.tiers),
            capture=s.capture,
        )
        for s in given  # type: ignore[attr-defined]
    )
    check_steps(v, steps, prefix)
    return steps


def _version(v: Violations, value: int) -> int:
    if value < 0:
        v.add("version", "must not be negative")
    return value


class ScriptServicer(Writes, scripts_pb2_grpc.ScriptServiceServicer):
    async def CreateScript(
        self, request: spb.CreateScriptRequest, context: grpc.aio.ServicerContext
    ) -> spb.CreateScriptResponse:
        v = Violations()
        cmd = sh.CreateScript(
            name=v.text("name", request.name, required=True),
            description=v.text("description", request.description, limit=MAX_NOTE),
            steps=_steps(v, request.steps),
            actor=actor(request.actor),
        )
        v.guard(lambda: requests.request_id(request))
        v.raise_any()
        script, replayed = await self._answer(request, spb.Script, sh.create_script, cmd)
        return spb.CreateScriptResponse(script=script, outcome=outcome(not replayed))

    async def ReviseScript(
        self, request: spb.ReviseScriptRequest, context: grpc.aio.ServicerContext
    ) -> spb.ReviseScriptResponse:
        v = Violations()
        cmd = sh.ReviseScript(
            script_id=v.text("script_id", request.script_id, required=True, limit=MAX_ID),
            steps=_steps(v, request.steps),
            note=v.text("note", request.note, limit=MAX_NOTE),
            actor=actor(request.actor),
        )
        v.guard(lambda: requests.request_id(request))
        v.raise_any()
        script, replayed = await self._answer(request, spb.Script, sh.revise_script, cmd)
        return spb.ReviseScriptResponse(script=script, outcome=outcome(not replayed))

    async def PublishScript(
        self, request: spb.PublishScriptRequest, context: grpc.aio.ServicerContext
    ) -> spb.PublishScriptResponse:
        v = Violations()
        script_id = v.text("script_id", request.script_id, required=True, limit=MAX_ID)
        if request.version <= 0:
            v.add("version", "required: the version to publish (1 or more)")
        v.raise_any()
        cmd = sh.PublishScript(script_id, request.version, actor(request.actor))
        script, replayed = await self._command(sh.publish_script, cmd)
        return spb.PublishScriptResponse(script=script, outcome=outcome(not replayed))

    async def GetScript(
        self, request: spb.GetScriptRequest, context: grpc.aio.ServicerContext
    ) -> spb.GetScriptResponse:
        v = Violations()
        script_id = v.text("script_id", request.script_id, required=True, limit=MAX_ID)
        v.raise_any()
        async with self.uows() as uow:
            return spb.GetScriptResponse(script=await sh.get_script(script_id, uow))

    async def ListScripts(
        self, request: spb.ListScriptsRequest, context: grpc.aio.ServicerContext
    ) -> spb.ListScriptsResponse:
        v = Violations()
        size = page_size_of(v, request.page_size, default=DEFAULT_PAGE_SIZE)
        v.raise_any()
        async with self.uows() as uow:
            found, token = await sh.list_scripts(request.published_only, size, request.page_token, uow)
        return spb.ListScriptsResponse(scripts=[messages.script(s) for s in found], next_page_token=token)

    async def ListScriptVersions(
        self, request: spb.ListScriptVersionsRequest, context: grpc.aio.ServicerContext
    ) -> spb.ListScriptVersionsResponse:
        v = Violations()
        script_id = v.text("script_id", request.script_id, required=True, limit=MAX_ID)
        size = page_size_of(v, request.page_size, default=VERSIONS_PAGE, maximum=MAX_VERSIONS_PAGE)
        v.raise_any()
        async with self.uows() as uow:
            found, token = await sh.list_versions(script_id, size, request.page_token, uow)
        return spb.ListScriptVersionsResponse(
            versions=[messages.script_version(x) for x in found], next_page_token=token
        )

    async def StartScriptRun(
        self, request: spb.StartScriptRunRequest, context: grpc.aio.ServicerContext
    ) -> spb.StartScriptRunResponse:
        v = Violations()
        direction = v.enum("direction", request.direction, pb.Direction, "DIRECTION_", Direction)
        if direction is Direction.INTERNAL:
            v.add("direction", "must be INBOUND or OUTBOUND: a script is followed with the customer")
        cmd = sh.StartRun(
            script_id=v.text("script_id", request.script_id, required=True, limit=MAX_ID),
            customer_id=v.text("customer_id", request.customer_id, required=True, limit=MAX_ID),
            direction=direction,
            channel=v.enum(
                "channel", request.channel, pb.Channel, "CHANNEL_", Channel, default=Channel.PHONE
            ),
            version=_version(v, request.version),
            rehearsal=request.rehearsal,
            service_request_id=v.text("service_request_id", request.service_request_id, limit=MAX_ID),
            customer_name=v.text("customer_name", request.customer_name),
            actor=actor(request.actor),
            call_id=v.text("call_id", request.call_id, limit=MAX_ID),
        )
        v.guard(lambda: requests.request_id(request))
        v.raise_any()
        run, replayed = await self._answer(request, spb.ScriptRun, sh.start_run, cmd)
        return spb.StartScriptRunResponse(run=_count(run, replayed), outcome=outcome(not replayed))

    async def AnswerScriptStep(
        self, request: spb.AnswerScriptStepRequest, context: grpc.aio.ServicerContext
    ) -> spb.AnswerScriptStepResponse:
        v = Violations()
        run_id = v.text("run_id", request.run_id, required=True, limit=MAX_ID)
        step_id = v.text("step_id", request.step_id, required=True, limit=MAX_ID)
        v.raise_any()
        async with self.uows() as uow:
            run, replayed = await sh.answer_step(run_id, step_id, request.answer, uow, self._env())
        return spb.AnswerScriptStepResponse(run=_count(run, replayed), outcome=outcome(not replayed))

    async def BackScriptStep(
        self, request: spb.BackScriptStepRequest, context: grpc.aio.ServicerContext
    ) -> spb.BackScriptStepResponse:
        v = Violations()
        run_id = v.text("run_id", request.run_id, required=True, limit=MAX_ID)
        step_id = v.text("step_id", request.step_id, required=True, limit=MAX_ID)
        v.raise_any()
        async with self.uows() as uow:
            run, replayed = await sh.back_step(run_id, step_id, uow, self._env())
        return spb.BackScriptStepResponse(run=run, outcome=outcome(not replayed))

    async def AbandonScriptRun(
        self, request: spb.AbandonScriptRunRequest, context: grpc.aio.ServicerContext
    ) -> spb.AbandonScriptRunResponse:
        v = Violations()
        run_id = v.text("run_id", request.run_id, required=True, limit=MAX_ID)
        reason = v.text("reason", request.reason, required=True, limit=MAX_NOTE).strip()
        v.raise_any()
        async with self.uows() as uow:
            run, replayed = await sh.abandon_run(run_id, reason, uow, self._env())
        return spb.AbandonScriptRunResponse(run=_count(run, replayed), outcome=outcome(not replayed))

    async def GetScriptRun(
        self, request: spb.GetScriptRunRequest, context: grpc.aio.ServicerContext
    ) -> spb.GetScriptRunResponse:
        v = Violations()
        run_id = v.text("run_id", request.run_id, required=True, limit=MAX_ID)
        v.raise_any()
        async with self.uows() as uow:
            return spb.GetScriptRunResponse(run=await sh.get_run(run_id, uow))

    async def ListCalls(
        self, request: spb.ListCallsRequest, context: grpc.aio.ServicerContext
    ) -> spb.ListCallsResponse:
        v = Violations()
        states = tuple(
            s
            for i, value in enumerate(request.states)
            if (s := v.enum(f"states[{i}]", value, spb.CallState, "CALL_STATE_", CallState)) is not None
        ) or (CallState.WAITING,)
        customer_id = v.text("customer_id", request.customer_id, limit=MAX_ID)
        agent_id = v.text("agent_id", request.agent_id)
        if agent_id and request.unassigned_only:
            v.add("unassigned_only", "give agent_id or unassigned_only, not both")
        size = page_size_of(v, request.page_size, default=DEFAULT_PAGE_SIZE)
        v.raise_any()
        due_by = self.clock() if request.due_only else None
        assigned = agent_id or ("" if request.unassigned_only else None)
        async with self.uows() as uow:
            found, token = await sh.list_calls(
                states, due_by, customer_id, size, request.page_token, uow, assigned
            )
        return spb.ListCallsResponse(calls=[messages.call(c) for c in found], next_page_token=token)

    async def AssignCall(
        self, request: spb.AssignCallRequest, context: grpc.aio.ServicerContext
    ) -> spb.AssignCallResponse:
        v = Violations()
        call_id = v.text("call_id", request.call_id, required=True, limit=MAX_ID)
        agent_id = v.text("agent_id", request.agent_id)
        v.raise_any()
        async with self.uows() as uow:
            call, replayed = await sh.assign_call(call_id, agent_id, uow)
        return spb.AssignCallResponse(call=call, outcome=outcome(not replayed))

    async def GetScriptReport(
        self, request: spb.GetScriptReportRequest, context: grpc.aio.ServicerContext
    ) -> spb.GetScriptReportResponse:
        v = Violations()
        script_id = v.text("script_id", request.script_id, required=True, limit=MAX_ID)
        version = _version(v, request.version)
        v.raise_any()
        async with self.uows() as uow:
            return await sh.report(script_id, version, uow)
