"""Events: each component's outbox backlog and age, its dead letters, replay and discard.

Every process answers for the components it runs (``OperationsService``), so the console asks each
distinct address once and learns which components live there.
"""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
from starlette.responses import Response

from isthmus.console.web import Ctx, refusal
from isthmus_client.api.operations.v1 import operations_pb2 as ops

LETTERS_PAGE = 50


async def _statuses(ctx: Ctx) -> tuple[list[ops.Component], list[str]]:
    """Every component's status, and the addresses that did not answer."""
    by_target = ctx.console.backend.components_by_target()
    options = ctx.caller.call_options()

    async def ask(components: list[str]) -> list[ops.Component] | str:
        try:
            page = await ctx.caller.operations(components[0]).ListComponents(
                ops.ListComponentsRequest(page_size=500), **options
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.PERMISSION_DENIED:
                raise
            return f"{', '.join(components)}: {exc.code().name} {exc.details()}"
        return list(page.components)

    answers = await asyncio.gather(*(ask(c) for c in by_target.values()))
    statuses: dict[str, ops.Component] = {}
    failures: list[str] = []
    for answer in answers:
        if isinstance(answer, str):
            failures.append(answer)
        else:
            for status in answer:
                statuses.setdefault(status.name, status)
    return list(statuses.values()), failures


async def events(ctx: Ctx) -> Response:
    ctx.caller.require("operations:read")
    statuses, failures = await _statuses(ctx)
    chosen = ctx.field("component") or next((s.name for s in statuses if s.dead_letter_count), "")
    letters: list[ops.DeadLetter] = []
    next_url = ""
    if chosen:
        page = await ctx.caller.operations(chosen).ListDeadLetters(
            ops.ListDeadLettersRequest(
                component=chosen, page_size=LETTERS_PAGE, page_token=ctx.field("page")
            ),
            **ctx.caller.call_options(),
        )
        letters = list(page.dead_letters)
        if page.next_page_token:
            next_url = f"/operations/events?component={chosen}&page={page.next_page_token}"
    return ctx.render(
        "events.html",
        statuses=statuses,
        failures=failures,
        component=chosen,
        letters=letters,
        next_url=next_url,
        can_write=ctx.caller.can("operations:write"),
    )


def _ids(ctx: Ctx) -> list[str]:
    """The chosen letters' ids, as the form sent them (the service refuses one that is no id)."""
    return [v for v in ctx.fields("id") if v]


async def _act(ctx: Ctx, what: str) -> Response:
    ctx.caller.require("operations:write")
    component = ctx.field("component")
    back = f"/operations/events?component={component}"
    stub = ctx.caller.operations(component) if component in ctx.console.backend.targets else None
    if stub is None:
        return ctx.redirect("/operations/events", flash=f"Unknown component {component!r}.")
    options: dict[str, Any] = ctx.caller.call_options()
    try:
        if what == "replay":
            every = ctx.field("all") == "true"
            replayed = await stub.ReplayDeadLetters(
                ops.ReplayDeadLettersRequest(
                    component=component, dead_letter_ids=[] if every else _ids(ctx), all=every
                ),
                **options,
            )
            message = f"Replay asked for {replayed.replay_requested_count} dead letter(s) of {component}."
        else:
            discarded = await stub.DiscardDeadLetters(
                ops.DiscardDeadLettersRequest(component=component, dead_letter_ids=_ids(ctx)), **options
            )
            message = f"Discarded {discarded.discarded_count} dead letter(s) of {component}."
    except grpc.aio.AioRpcError as exc:
        if exc.code() not in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND):
            raise
        message = f"Nothing done: {refusal(exc)}"
    return ctx.redirect(back, flash=message)


async def replay(ctx: Ctx) -> Response:
    return await _act(ctx, "replay")


async def discard(ctx: Ctx) -> Response:
    return await _act(ctx, "discard")
