"""Connectors: each instance's streams with their position and last sync, the next run, and the
records it dead-lettered, with their reasons; replay and discard."""

from __future__ import annotations

import grpc
from starlette.responses import Response

from isthmus.console.web import Ctx, refusal
from isthmus_client.api.connectors.v1 import connectors_pb2 as api

LETTERS_PAGE = 50


async def connectors(ctx: Ctx) -> Response:
    ctx.caller.require("connectors:read")
    options = ctx.caller.call_options()
    page = await ctx.caller.connectors.ListConnectorInstances(
        api.ListConnectorInstancesRequest(page_size=500), **options
    )
    instances = list(page.connector_instances)
    chosen = ctx.field("instance") or next((i.name for i in instances if i.dead_letter_count), "")
    letters: list[api.ConnectorDeadLetter] = []
    next_url = ""
    if chosen:
        found = await ctx.caller.connectors.ListConnectorDeadLetters(
            api.ListConnectorDeadLettersRequest(
                instance=chosen, page_size=LETTERS_PAGE, page_token=ctx.field("page")
            ),
            **options,
        )
        letters = list(found.connector_dead_letters)
        if found.next_page_token:
            next_url = f"/operations/connectors?instance={chosen}&page={found.next_page_token}"
    return ctx.render(
        "connectors.html",
        instances=instances,
        instance=chosen,
        letters=letters,
        next_url=next_url,
        can_write=ctx.caller.can("connectors:write"),
    )


async def discard(ctx: Ctx) -> Response:
    ctx.caller.require("connectors:write")
    instance = ctx.field("instance")
    ids = [v for v in ctx.fields("id") if v]
    try:
        done = await ctx.caller.connectors.DiscardConnectorDeadLetters(
            api.DiscardConnectorDeadLettersRequest(instance=instance, dead_letter_ids=ids),
            **ctx.caller.call_options(),
        )
        message = f"Discarded {done.discarded_count} dead letter(s) of {instance}."
    except grpc.aio.AioRpcError as exc:
        if exc.code() not in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND):
            raise
        message = f"Nothing done: {refusal(exc)}"
    return ctx.redirect(f"/operations/connectors?instance={instance}", flash=message)


async def replay(ctx: Ctx) -> Response:
    ctx.caller.require("connectors:write")
    instance = ctx.field("instance")
    every = ctx.field("all") == "true"
    ids = [] if every else [v for v in ctx.fields("id") if v]
    try:
        done = await ctx.caller.connectors.ReplayConnectorDeadLetters(
            api.ReplayConnectorDeadLettersRequest(instance=instance, dead_letter_ids=ids, all=every),
            **ctx.caller.call_options(),
        )
        message = (
            f"Replayed {done.resolved_count + len(done.refused)} dead letter(s) of {instance}: "
            f"{done.resolved_count} delivered, {len(done.refused)} refused again."
        )
    except grpc.aio.AioRpcError as exc:
        if exc.code() not in (
            grpc.StatusCode.INVALID_ARGUMENT,
            grpc.StatusCode.NOT_FOUND,
            grpc.StatusCode.FAILED_PRECONDITION,
            grpc.StatusCode.ABORTED,
        ):
            raise
        message = f"Nothing done: {refusal(exc)}"
    return ctx.redirect(f"/operations/connectors?instance={instance}", flash=message)
