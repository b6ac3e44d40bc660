"""Agent scripts: a run's screen flow (answer, go back, abandon), the scripts with their steps and how
their runs went, and writing them (create, revise, rehearse a draft, publish). A run is started from
the customer's page (customers.follow_script).

Steps are written as the API takes them: a JSON list of ScriptStep objects in proto field names. A form
whose steps the console cannot read or the API refuses is shown again with the text as typed and the
reason, rather than redirected, so that nothing typed is lost.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Iterable
from urllib.parse import urlencode

import grpc
from google.protobuf import json_format
from starlette.responses import Response

from isthmus.console.customers import DIRECTIONS, display_name
from isthmus.console.web import REFUSALS, Ctx, refusal, request_id
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.customers.v1 import customers_pb2 as capi
from isthmus_client.api.customers.v1 import records_pb2 as cpb
from isthmus_client.api.service_requests.v1 import scripts_pb2 as spb
from isthmus_client.api.service_requests.v1 import service_request_pb2 as srpb

PAGE = 50
VERSIONS = 20  # the newest versions a script's page lists


async def run(ctx: Ctx) -> Response:
    ctx.caller.require("service_requests:read")
    request = spb.GetScriptRunRequest(run_id=ctx.request.path_params["run_id"])
    found = (await ctx.caller.scripts.GetScriptRun(request, **ctx.caller.call_options())).run
    return ctx.render(
        "script_run.html",
        run=found,
        in_progress=found.state == spb.SCRIPT_RUN_STATE_IN_PROGRESS,
        answered=any(e.kind == spb.SCRIPT_ENTRY_KIND_ANSWERED for e in found.entries),
        can_write=ctx.caller.can("service_requests:write"),
    )


async def _move(ctx: Ctx, call: Awaitable[object], refused: str) -> Response:
    """The run's page after a change; the API's refusal (a bad answer, a step no longer shown) on it."""
    back = f"/script-runs/{ctx.request.path_params['run_id']}"
    try:
        await call
    except grpc.aio.AioRpcError as exc:
        if exc.code() in REFUSALS:
            return ctx.redirect(back, flash=f"{refused}: {refusal(exc)}")
        raise
    return ctx.redirect(back)


async def answer(ctx: Ctx) -> Response:
    ctx.caller.require("service_requests:write")
    request = spb.AnswerScriptStepRequest(
        run_id=ctx.request.path_params["run_id"], step_id=ctx.field("step_id"), answer=ctx.field("answer")
    )
    call = ctx.caller.scripts.AnswerScriptStep(request, **ctx.caller.call_options())
    return await _move(ctx, call, "Not recorded")


async def back(ctx: Ctx) -> Response:
    ctx.caller.require("service_requests:write")
    request = spb.BackScriptStepRequest(
        run_id=ctx.request.path_params["run_id"], step_id=ctx.field("step_id")
    )
    call = ctx.caller.scripts.BackScriptStep(request, **ctx.caller.call_options())
    return await _move(ctx, call, "Not taken back")


async def abandon(ctx: Ctx) -> Response:
    ctx.caller.require("service_requests:write")
    request = spb.AbandonScriptRunRequest(
        run_id=ctx.request.path_params["run_id"], reason=ctx.field("reason")
    )
    call = ctx.caller.scripts.AbandonScriptRun(request, **ctx.caller.call_options())
    return await _move(ctx, call, "Not abandoned")


async def scripts(ctx: Ctx) -> Response:
    ctx.caller.require("service_requests:read")
    return await _scripts_page(ctx)


async def _scripts_page(
    ctx: Ctx, status: int = 200, typed: dict[str, str] | None = None, error: str = ""
) -> Response:
    """The list, and for an author the "New script" form: empty, or as typed with why it was refused."""
    request = spb.ListScriptsRequest(page_size=PAGE, page_token=ctx.field("page"))
    page = await ctx.caller.scripts.ListScripts(request, **ctx.caller.call_options())
    next_url = "/scripts?" + urlencode({"page": page.next_page_token}) if page.next_page_token else ""
    return ctx.render(
        "scripts.html",
        status=status,
        scripts=list(page.scripts),
        next_url=next_url,
        can_author=ctx.caller.can("service_requests:admin"),
        typed=typed or {"name": "", "description": "", "steps": ""},
        error=error,
    )


async def script(ctx: Ctx) -> Response:
    ctx.caller.require("service_requests:read")
    return await _script_page(ctx)


async def _script_page(
    ctx: Ctx, status: int = 200, typed: dict[str, str] | None = None, error: str = ""
) -> Response:
    """A script's versions and report; for an author the forms to revise (the newest version's steps, or
    the text as typed with why it was refused), rehearse and publish."""
    script_id = ctx.request.path_params["script_id"]
    options = ctx.caller.call_options()
    found, report, listed = await asyncio.gather(
        ctx.caller.scripts.GetScript(spb.GetScriptRequest(script_id=script_id), **options),
        ctx.caller.scripts.GetScriptReport(spb.GetScriptReportRequest(script_id=script_id), **options),
        ctx.caller.scripts.ListScriptVersions(
            spb.ListScriptVersionsRequest(script_id=script_id, page_size=VERSIONS), **options
        ),
    )
    shown = found.script
    versions = [v for v in (shown.published, shown.draft) if v.version]
    # What an answer without a choice was: free text typed, or a statement read out (the newest says).
    untold = {s.step_id: "free text" if s.free_text else "read out" for v in versions for s in v.steps}
    can_author = ctx.caller.can("service_requests:admin")
    if typed is None:
        newest = versions[-1].steps if versions and can_author else []
        typed = {"steps": steps_text(newest), "note": ""}
    return ctx.render(
        "script.html",
        status=status,
        script=shown,
        versions=versions,
        history=list(listed.versions),
        report=report,
        untold=untold,
        can_author=can_author,
        # Starting a run, a rehearsal too, is a write.
        can_rehearse=can_author and ctx.caller.can("service_requests:write"),
        typed=typed,
        error=error,
    )


def steps_text(steps: Iterable[spb.ScriptStep]) -> str:
    """Steps as the API takes them: a JSON list in proto field names, fields left at their default out."""
    found = [json_format.MessageToDict(s, preserving_proto_field_name=True) for s in steps]
    return json.dumps(found, indent=2, ensure_ascii=False)


def parse_steps(text: str) -> list[spb.ScriptStep]:
    """The steps typed, read as the API takes them; ValueError saying where the text is wrong."""
    if not text:
        raise ValueError('give the steps: a JSON list such as [{"step_id": "greet", "prompt": "Hello"}]')
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the steps are not JSON: {exc}") from exc
    if not isinstance(data, list):
        raise ValueError('the steps must be a JSON list of steps: [{"step_id": ...}, ...]')
    steps = []
    for i, item in enumerate(data):
        if not isinstance(item, dict):
            raise ValueError(f"steps[{i}]: a step is a JSON object, with step_id, prompt, ...")
        try:
            steps.append(json_format.ParseDict(item, spb.ScriptStep()))
        except json_format.ParseError as exc:
            raise ValueError(f"steps[{i}]: {exc}") from exc
    return steps


def _refused_status(exc: grpc.aio.AioRpcError) -> int:
    return 400 if exc.code() == grpc.StatusCode.INVALID_ARGUMENT else 409


async def create(ctx: Ctx) -> Response:
    ctx.caller.require("service_requests:admin")
    typed = {"name": ctx.field("name"), "description": ctx.field("description"), "steps": ctx.field("steps")}
    try:
        request = spb.CreateScriptRequest(
            name=typed["name"],
            description=typed["description"],
            steps=parse_steps(typed["steps"]),
            actor=ctx.caller.actor,
            request_id=request_id(ctx),
        )
        done = await ctx.caller.scripts.CreateScript(request, **ctx.caller.call_options())
    except ValueError as exc:
        return await _scripts_page(ctx, 400, typed, f"Not created: {exc}")
    except grpc.aio.AioRpcError as exc:
        if exc.code() not in REFUSALS:
            raise
        return await _scripts_page(ctx, _refused_status(exc), typed, f"Not created: {refusal(exc)}")
    return ctx.redirect(
        f"/scripts/{done.script.script_id}",
        flash="Created as draft version 1: rehearse it, then publish it for agents to follow.",
    )


async def revise(ctx: Ctx) -> Response:
    ctx.caller.require("service_requests:admin")
    script_id = ctx.request.path_params["script_id"]
    typed = {"steps": ctx.field("steps"), "note": ctx.field("note")}
    try:
        request = spb.ReviseScriptRequest(
            script_id=script_id,
            steps=parse_steps(typed["steps"]),
            note=typed["note"],
            actor=ctx.caller.actor,
            request_id=request_id(ctx),
        )
        done = await ctx.caller.scripts.ReviseScript(request, **ctx.caller.call_options())
    except ValueError as exc:
        return await _script_page(ctx, 400, typed, f"Not revised: {exc}")
    except grpc.aio.AioRpcError as exc:
        if exc.code() not in REFUSALS or exc.code() == grpc.StatusCode.NOT_FOUND:
            raise
        return await _script_page(ctx, _refused_status(exc), typed, f"Not revised: {refusal(exc)}")
    return ctx.redirect(
        f"/scripts/{script_id}",
        flash=f"Kept as draft version {done.script.latest_version}: rehearse it, then publish it.",
    )


async def publish(ctx: Ctx) -> Response:
    ctx.caller.require("service_requests:admin")
    script_id = ctx.request.path_params["script_id"]
    back = f"/scripts/{script_id}"
    try:
        version = int(ctx.field("version"))
        request = spb.PublishScriptRequest(script_id=script_id, version=version, actor=ctx.caller.actor)
    except ValueError:  # no number, or none a version can be
        return ctx.redirect(back, flash="Not published: say which version.")
    try:
        done = await ctx.caller.scripts.PublishScript(request, **ctx.caller.call_options())
    except grpc.aio.AioRpcError as exc:
        if exc.code() in REFUSALS:
            return ctx.redirect(back, flash=f"Not published: {refusal(exc)}")
        raise
    if done.outcome == common_pb2.WRITE_OUTCOME_REPLAYED:
        return ctx.redirect(back, flash=f"Version {version} was published already.")
    return ctx.redirect(back, flash=f"Version {version} is published: agents' new runs follow it.")


async def rehearse(ctx: Ctx) -> Response:
    ctx.caller.require("service_requests:admin")
    ctx.caller.require("service_requests:write")  # StartScriptRun's scope
    script_id = ctx.request.path_params["script_id"]
    back = f"/scripts/{script_id}"
    customer_id = ctx.field("customer_id")
    direction = DIRECTIONS.get(ctx.field("direction"))
    if direction is None:
        return ctx.redirect(back, flash="Not rehearsed: say who called: the customer, or we.")
    try:
        request = spb.StartScriptRunRequest(
            script_id=script_id,
            customer_id=customer_id,
            version=int(ctx.field("version")),
            rehearsal=True,
            direction=direction,
            actor=ctx.caller.actor,
            request_id=request_id(ctx),
        )
    except ValueError:  # no number, or none a version can be
        return ctx.redirect(back, flash="Not rehearsed: say which version.")
    options = ctx.caller.call_options()
    try:
        # Addressed by the name the customer's page shows, as a run started there is.
        if customer_id and ctx.caller.can("customers:read"):
            found = await ctx.caller.customers.GetCustomer(
                capi.GetCustomerRequest(customer_id=customer_id, view=cpb.CUSTOMER_VIEW_BASIC), **options
            )
            request.customer_name = display_name(found.customer)
        done = await ctx.caller.scripts.StartScriptRun(request, **options)
    except grpc.aio.AioRpcError as exc:
        if exc.code() in REFUSALS:
            return ctx.redirect(back, flash=f"Not rehearsed: {refusal(exc)}")
        raise
    return ctx.redirect(f"/script-runs/{done.run.run_id}")


async def calls(ctx: Ctx) -> Response:
    """The calls campaigns asked the call center to make: those due now, or every one waiting; every
    agent's, the user's own (``mine``), or those assigned to nobody (``free``)."""
    ctx.caller.require("service_requests:read")
    everything = ctx.field("all") == "1"
    whose = ctx.field("whose") if ctx.field("whose") in ("mine", "free") else ""
    options = ctx.caller.call_options()
    request = spb.ListCallsRequest(
        due_only=not everything,
        agent_id=ctx.caller.subject if whose == "mine" else "",
        unassigned_only=whose == "free",
        page_size=PAGE,
        page_token=ctx.field("page"),
    )
    listed, named = await asyncio.gather(
        ctx.caller.scripts.ListCalls(request, **options),
        ctx.caller.scripts.ListScripts(spb.ListScriptsRequest(published_only=True, page_size=500), **options),
    )
    kept = {**({"all": "1"} if everything else {}), **({"whose": whose} if whose else {})}
    next_url = (
        "/calls?" + urlencode({"page": listed.next_page_token, **kept}) if listed.next_page_token else ""
    )
    return ctx.render(
        "calls.html",
        calls=list(listed.calls),
        names={s.script_id: s.name for s in named.scripts},
        everything=everything,
        whose=whose,
        me=ctx.caller.subject,
        next_url=next_url,
        can_start=ctx.caller.can("service_requests:write"),
    )


async def take_call(ctx: Ctx) -> Response:
    """An agent takes a waiting call (assigned to them), or gives it back (``release``)."""
    ctx.caller.require("service_requests:write")
    agent_id = "" if ctx.field("release") == "1" else ctx.caller.subject
    request = spb.AssignCallRequest(call_id=ctx.request.path_params["call_id"], agent_id=agent_id)
    try:
        await ctx.caller.scripts.AssignCall(request, **ctx.caller.call_options())
    except grpc.aio.AioRpcError as exc:
        if exc.code() in REFUSALS:
            return ctx.redirect("/calls", flash=f"Not taken: {refusal(exc)}")
        raise
    return ctx.redirect("/calls?whose=mine" if agent_id else "/calls")


async def start_call(ctx: Ctx) -> Response:
    """An agent makes a call: the campaign's script, with its customer, outbound."""
    ctx.caller.require("service_requests:write")
    customer_id = ctx.field("customer_id")
    request = spb.StartScriptRunRequest(
        script_id=ctx.field("script_id"),
        customer_id=customer_id,
        call_id=ctx.request.path_params["call_id"],
        direction=srpb.DIRECTION_OUTBOUND,
        actor=ctx.caller.actor,
        request_id=request_id(ctx),
    )
    options = ctx.caller.call_options()
    try:
        if customer_id and ctx.caller.can("customers:read"):
            found = await ctx.caller.customers.GetCustomer(
                capi.GetCustomerRequest(customer_id=customer_id, view=cpb.CUSTOMER_VIEW_BASIC), **options
            )
            request.customer_name = display_name(found.customer)
        done = await ctx.caller.scripts.StartScriptRun(request, **options)
    except grpc.aio.AioRpcError as exc:
        if exc.code() in REFUSALS:
            return ctx.redirect("/calls", flash=f"Not started: {refusal(exc)}")
        raise
    return ctx.redirect(f"/script-runs/{done.run.run_id}")
