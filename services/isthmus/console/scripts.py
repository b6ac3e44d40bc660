"""Agent scripts: a run's screen flow (answer, go back, abandon), and the scripts with their steps and
how their runs went. A run is started from the customer's page (customers.follow_script)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from urllib.parse import urlencode

import grpc
from starlette.responses import Response

from isthmus.console.web import Ctx, refusal
from isthmus_client.api.service_requests.v1 import scripts_pb2 as spb

PAGE = 50

_REFUSALS = (
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.ALREADY_EXISTS,
)


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
        if exc.code() in _REFUSALS:
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
    request = spb.ListScriptsRequest(page_size=PAGE, page_token=ctx.field("page"))
    page = await ctx.caller.scripts.ListScripts(request, **ctx.caller.call_options())
    next_url = "/scripts?" + urlencode({"page": page.next_page_token}) if page.next_page_token else ""
    return ctx.render("scripts.html", scripts=list(page.scripts), next_url=next_url)


async def script(ctx: Ctx) -> Response:
    ctx.caller.require("service_requests:read")
    script_id = ctx.request.path_params["script_id"]
    options = ctx.caller.call_options()
    found, report = await asyncio.gather(
        ctx.caller.scripts.GetScript(spb.GetScriptRequest(script_id=script_id), **options),
        ctx.caller.scripts.GetScriptReport(spb.GetScriptReportRequest(script_id=script_id), **options),
    )
    shown = found.script
    versions = [v for v in (shown.published, shown.draft) if v.version]
    # What an answer without a choice was: free text typed, or a statement read out (the newest says).
    untold = {s.step_id: "free text" if s.free_text else "read out" for v in versions for s in v.steps}
    return ctx.render("script.html", script=shown, versions=versions, report=report, untold=untold)
