"""Customers: search, the 360, the history of merges and unmerges, merge two, unmerge one, follow a
script with one."""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

import grpc
from starlette.responses import Response

from isthmus.console.web import REFUSALS, Ctx, refusal, request_id
from isthmus_client.api.customers.v1 import customers_pb2 as api
from isthmus_client.api.customers.v1 import records_pb2 as pb
from isthmus_client.api.service_requests.v1 import scripts_pb2 as spb
from isthmus_client.api.service_requests.v1 import service_request_pb2 as srpb

SEARCH_PAGE = 25
HISTORY_PAGE = 25
TIMELINE_PAGE = 20
SCRIPTS_PAGE = 100
# Who called whom, as the "Follow a script" form asks it.
DIRECTIONS = {"inbound": srpb.DIRECTION_INBOUND, "outbound": srpb.DIRECTION_OUTBOUND}


async def search(ctx: Ctx) -> Response:
    query, email, phone = ctx.field("q"), ctx.field("email"), ctx.field("phone")
    source_system, source_id = ctx.field("source_system"), ctx.field("source_id")
    found: list[pb.Customer] = []
    next_url = ""
    error = ""
    searched = any((query, email, phone, source_id))
    options = ctx.caller.call_options()
    try:
        if source_id:
            if not source_system:
                raise ValueError("A source id needs its source system.")
            hit = await ctx.caller.customers.GetCustomerBySourceId(
                api.GetCustomerBySourceIdRequest(source_system=source_system, source_id=source_id), **options
            )
            if hit.erased:
                error = f"{source_system}:{source_id} belonged to a customer who was erased."
            else:
                return ctx.redirect(f"/customers/{hit.customer_id}")
        elif searched:
            page = await ctx.caller.customers.SearchCustomers(
                api.SearchCustomersRequest(
                    query=query,
                    email=email,
                    phone=phone,
                    source_system=source_system,
                    page_size=SEARCH_PAGE,
                    page_token=ctx.field("page"),
                ),
                **options,
            )
            found = list(page.customers)
            if page.next_page_token:
                params = {
                    "q": query,
                    "email": email,
                    "phone": phone,
                    "source_system": source_system,
                    "page": page.next_page_token,
                }
                next_url = "/customers?" + urlencode(params)
    except ValueError as exc:
        error = str(exc)
    except grpc.aio.AioRpcError as exc:
        if exc.code() not in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND):
            raise
        error = "No customer holds that source record." if source_id else refusal(exc)
    return ctx.render(
        "customers.html",
        customers=found,
        searched=searched,
        error=error,
        next_url=next_url,
        q=query,
        email=email,
        phone=phone,
        source_system=source_system,
        source_id=source_id,
    )


async def _merged_into_this(ctx: Ctx, customer_id: str) -> list[str]:
    """Customers merged into this one and not given back since: what an unmerge can restore."""
    merged: dict[str, bool] = {}
    request = api.ListHistoryEntriesRequest(customer_id=customer_id, page_size=500)
    page = await ctx.caller.customers.ListHistoryEntries(request, **ctx.caller.call_options())
    for entry in reversed(page.history_entries):  # oldest first
        if entry.kind == pb.HISTORY_ENTRY_KIND_MERGED:
            for other in entry.related_customer_ids:
                merged[other] = True
        elif entry.kind == pb.HISTORY_ENTRY_KIND_UNMERGED:
            for other in entry.related_customer_ids:
                merged.pop(other, None)
    return list(merged)


async def customer360(ctx: Ctx) -> Response:
    customer_id = ctx.request.path_params["customer_id"]
    options = ctx.caller.call_options()
    token = ctx.field("timeline")
    # The 360 carries the customer in the basic view; the golden record's lineage comes in the full one.
    view_call = ctx.caller.customers.GetCustomer360(
        api.GetCustomer360Request(customer_id=customer_id, timeline_page_size=TIMELINE_PAGE), **options
    )
    full_call = ctx.caller.customers.GetCustomer(
        api.GetCustomerRequest(customer_id=customer_id, view=pb.CUSTOMER_VIEW_FULL), **options
    )
    follow_call = _scripts_to_follow(ctx)
    if token:
        page_call = ctx.caller.customers.ListTimelineEntries(
            api.ListTimelineEntriesRequest(
                customer_id=customer_id, page_size=TIMELINE_PAGE, page_token=token
            ),
            **options,
        )
        view_answer, full, page, follow = await asyncio.gather(view_call, full_call, page_call, follow_call)
        view, customer = view_answer.customer360, full.customer
        timeline, next_token = list(page.timeline_entries), page.next_page_token
    else:
        view_answer, full, follow = await asyncio.gather(view_call, full_call, follow_call)
        view, customer = view_answer.customer360, full.customer
        timeline, next_token = list(view.timeline), view.timeline_next_page_token
    restorable: list[str] = []
    if ctx.caller.can("customers:admin") and customer.state == pb.CUSTOMER_STATE_ACTIVE:
        restorable = await _merged_into_this(ctx, customer_id)
    lineage: dict[str, list[pb.FieldLineage]] = {}
    for entry in customer.lineage:
        lineage.setdefault(entry.field, []).append(entry)
    return ctx.render(
        "customer.html",
        view=view,
        customer=customer,
        lineage=lineage,
        timeline=timeline,
        timeline_next=f"/customers/{customer_id}?" + urlencode({"timeline": next_token})
        if next_token
        else "",
        restorable=restorable,
        can_admin=ctx.caller.can("customers:admin"),
        can_follow=_may_follow(ctx),
        scripts=follow[0],
        scripts_error=follow[1],
    )


def _may_follow(ctx: Ctx) -> bool:
    # Listing the scripts is a read, starting a run a write: the form needs both.
    return ctx.caller.can("service_requests:write") and ctx.caller.can("service_requests:read")


async def _scripts_to_follow(ctx: Ctx) -> tuple[list[spb.Script], str]:
    """The published scripts an agent may follow with the customer, or why they cannot be listed; the
    360 shows either way."""
    if not _may_follow(ctx):
        return [], ""
    request = spb.ListScriptsRequest(published_only=True, page_size=SCRIPTS_PAGE)
    try:
        page = await ctx.caller.scripts.ListScripts(request, **ctx.caller.call_options())
    except grpc.aio.AioRpcError as exc:
        return [], refusal(exc)
    return list(page.scripts), ""


def display_name(customer: pb.Customer) -> str:
    """The customer's name as the pages show it (the ``person`` macro), blank when they have none."""
    given = f"{customer.name.given_name} {customer.name.family_name}".strip()
    return customer.name.full_name or given or customer.company


async def follow_script(ctx: Ctx) -> Response:
    ctx.caller.require("service_requests:write")
    customer_id = ctx.request.path_params["customer_id"]
    direction = DIRECTIONS.get(ctx.field("direction"))
    if direction is None:
        return ctx.redirect(f"/customers/{customer_id}", flash="Say who called: the customer, or we.")
    found = await ctx.caller.customers.GetCustomer(
        api.GetCustomerRequest(customer_id=customer_id, view=pb.CUSTOMER_VIEW_BASIC),
        **ctx.caller.call_options(),
    )
    request = spb.StartScriptRunRequest(
        script_id=ctx.field("script_id"),
        customer_id=customer_id,
        service_request_id=ctx.field("service_request_id"),
        customer_name=display_name(found.customer),
        direction=direction,
        actor=ctx.caller.actor,
        request_id=request_id(ctx),
    )
    try:
        done = await ctx.caller.scripts.StartScriptRun(request, **ctx.caller.call_options())
    except grpc.aio.AioRpcError as exc:
        if exc.code() in REFUSALS:
            return ctx.redirect(f"/customers/{customer_id}", flash=f"Not started: {refusal(exc)}")
        raise
    return ctx.redirect(f"/script-runs/{done.run.run_id}")


async def history(ctx: Ctx) -> Response:
    customer_id = ctx.request.path_params["customer_id"]
    request = api.ListHistoryEntriesRequest(
        customer_id=customer_id, page_size=HISTORY_PAGE, page_token=ctx.field("page")
    )
    page = await ctx.caller.customers.ListHistoryEntries(request, **ctx.caller.call_options())
    next_url = f"/customers/{customer_id}/history?" + urlencode({"page": page.next_page_token})
    return ctx.render(
        "history.html",
        customer_id=customer_id,
        entries=page.history_entries,
        next_url=next_url if page.next_page_token else "",
    )


async def merge(ctx: Ctx) -> Response:
    ctx.caller.require("customers:admin")
    surviving = ctx.request.path_params["customer_id"]
    others = [i for part in ctx.fields("merged_id") for i in part.replace(",", " ").split()]
    version = ctx.field("version")
    request = api.MergeCustomersRequest(
        surviving_id=surviving,
        merged_ids=others,
        reason=ctx.field("reason"),
        actor=ctx.caller.actor,
        request_id=request_id(ctx),
        expected_version=int(version) if version.isdigit() else 0,
    )
    try:
        done = await ctx.caller.customers.MergeCustomers(request, **ctx.caller.call_options())
    except grpc.aio.AioRpcError as exc:
        if exc.code() in REFUSALS:
            return ctx.redirect(f"/customers/{surviving}", flash=f"Not merged: {refusal(exc)}")
        raise
    return ctx.redirect(
        f"/customers/{surviving}", flash=f"Merged {', '.join(others)} into {surviving} ({done.merge_id})."
    )


async def unmerge(ctx: Ctx) -> Response:
    ctx.caller.require("customers:admin")
    customer_id = ctx.request.path_params["customer_id"]
    version = ctx.field("version")
    request = api.UnmergeCustomerRequest(
        customer_id=customer_id,
        restore_ids=ctx.fields("restore_id"),
        reason=ctx.field("reason"),
        actor=ctx.caller.actor,
        request_id=request_id(ctx),
        expected_version=int(version) if version.isdigit() else 0,
    )
    try:
        done = await ctx.caller.customers.UnmergeCustomer(request, **ctx.caller.call_options())
    except grpc.aio.AioRpcError as exc:
        if exc.code() in REFUSALS:
            return ctx.redirect(f"/customers/{customer_id}", flash=f"Not unmerged: {refusal(exc)}")
        raise
    restored = ", ".join(c.customer_id for c in done.restored)
    return ctx.redirect(f"/customers/{customer_id}", flash=f"Unmerged: restored {restored}.")
