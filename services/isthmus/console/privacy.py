"""Privacy: export everything held about a person (a download), erase them after a typed confirmation.

Both need ``customers:admin``; a user without it sees neither the links nor the page.
"""

from __future__ import annotations

import re
import uuid

import grpc
from google.protobuf.json_format import MessageToJson
from starlette.responses import Response

from isthmus.console.web import Ctx, refusal
from isthmus_client.api.customers.v1 import customers_pb2 as api

_SAFE_ID = re.compile(r"[^A-Za-z0-9_.-]")


async def privacy(ctx: Ctx) -> Response:
    ctx.caller.require("customers:admin")
    customer_id = ctx.request.path_params["customer_id"]
    customer = (
        await ctx.caller.customers.GetCustomer(
            api.GetCustomerRequest(customer_id=customer_id), **ctx.caller.call_options()
        )
    ).customer
    return ctx.render("privacy.html", customer=customer, request_id=str(uuid.uuid4()))


async def export(ctx: Ctx) -> Response:
    ctx.caller.require("customers:admin")
    customer_id = ctx.request.path_params["customer_id"]
    request = api.ExportCustomerRequest(customer_id=customer_id, actor=ctx.caller.actor)
    exported = await ctx.caller.customers.ExportCustomer(request, **ctx.caller.call_options())
    name = _SAFE_ID.sub("_", customer_id)
    return Response(
        MessageToJson(exported, indent=2),
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="customer-{name}.json"'},
    )


async def erase(ctx: Ctx) -> Response:
    ctx.caller.require("customers:admin")
    customer_id = ctx.request.path_params["customer_id"]
    back = f"/customers/{customer_id}/privacy"
    if ctx.field("confirm") != customer_id:
        return ctx.redirect(back, flash="Not erased: type the customer's id to confirm.")
    request = api.EraseCustomerRequest(
        customer_id=customer_id,
        reason=ctx.field("reason"),
        request_reference=ctx.field("request_reference"),
        actor=ctx.caller.actor,
        request_id=ctx.field("request_id")[:128],
    )
    try:
        done = await ctx.caller.customers.EraseCustomer(request, **ctx.caller.call_options())
    except grpc.aio.AioRpcError as exc:
        if exc.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.FAILED_PRECONDITION):
            return ctx.redirect(back, flash=f"Not erased: {refusal(exc)}")
        raise
    return ctx.redirect(
        f"/customers/{customer_id}",
        flash=f"Erased {customer_id}; {len(done.tombstones)} source record(s) kept as tombstones.",
    )
