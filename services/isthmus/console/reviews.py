"""Match reviews: the queue, one review with both sides and every comparison, match / no match."""

from __future__ import annotations

import asyncio
import re
from typing import Any
from urllib.parse import urlencode

import grpc
from starlette.responses import Response

from isthmus.console.web import Ctx, refusal
from isthmus_client.api.customers.v1 import customers_pb2 as api
from isthmus_client.api.customers.v1 import records_pb2 as pb
from isthmus_client.errors import error_info

QUEUE_PAGE = 25
# The queue's other order looks at this many of the oldest reviews; the API pages oldest first.
SORT_WINDOW = 200
ORDERS = {
    "value": "most valuable customers first, then oldest",
    "age": "oldest first",
    "score": "highest score first (among the oldest 200)",
}
# How each paged order asks the API.
_PAGED = {"value": api.MATCH_REVIEW_ORDER_VALUE_FIRST, "age": api.MATCH_REVIEW_ORDER_OLDEST_FIRST}


def review_url(review: pb.MatchReview) -> str:
    return f"/reviews/{review.review_id}?" + urlencode({"c": review.candidate_customer_id})


async def _customers(ctx: Ctx, ids: list[str], view: pb.CustomerView) -> dict[str, pb.Customer | None]:
    """The customers of ``ids`` (blank ones left out), read with one BatchGetCustomers call. The API
    refuses a batch with an id that names no customer (NOT_FOUND naming the first such id): that id
    maps to None and the others are asked for again, so a review whose customer is gone still shows."""
    wanted = list(dict.fromkeys(i for i in ids if i))
    out: dict[str, pb.Customer | None] = {}
    while wanted:
        request = api.BatchGetCustomersRequest(customer_ids=wanted, view=view)
        try:
            found = await ctx.caller.customers.BatchGetCustomers(request, **ctx.caller.call_options())
        except grpc.aio.AioRpcError as exc:
            gone = _missing(exc, wanted)
            if gone is None:
                raise
            out[gone] = None
            wanted.remove(gone)
            continue
        out.update(zip(wanted, found.customers, strict=True))
        break
    return out


def _missing(exc: grpc.aio.AioRpcError, wanted: list[str]) -> str | None:
    """The id of ``wanted`` that a NOT_FOUND of BatchGetCustomers names (its ErrorInfo's field)."""
    if exc.code() != grpc.StatusCode.NOT_FOUND:
        return None
    named = re.fullmatch(r"customer_ids\[(\d+)\]", error_info(exc)[1].get("field", ""))
    index = int(named.group(1)) if named else len(wanted)
    return wanted[index] if index < len(wanted) else None


async def queue(ctx: Ctx) -> Response:
    order = ctx.field("order") or "value"
    if order not in ORDERS:
        order = "value"
    source = ctx.field("source_system")
    request = api.ListMatchReviewsRequest(source_system=source)
    options = ctx.caller.call_options()
    if order in _PAGED:
        request.order_by = _PAGED[order]
        request.page_size = QUEUE_PAGE
        request.page_token = ctx.field("page")
        page = await ctx.caller.customers.ListMatchReviews(request, **options)
        reviews, next_token = list(page.match_reviews), page.next_page_token
    else:
        request.page_size = SORT_WINDOW
        page = await ctx.caller.customers.ListMatchReviews(request, **options)
        reviews = sorted(page.match_reviews, key=lambda r: (-r.score, r.create_time.ToDatetime()))[
            :QUEUE_PAGE
        ]
        next_token = ""
    ids = [i for r in reviews for i in (r.candidate_customer_id, r.existing_customer_id)]
    customers = await _customers(ctx, ids, pb.CUSTOMER_VIEW_BASIC)
    rows = [
        {
            "review": r,
            "url": review_url(r),
            "candidate": customers.get(r.candidate_customer_id),
            "existing": customers.get(r.existing_customer_id),
        }
        for r in reviews
    ]
    next_url = (
        "/reviews?" + urlencode({"page": next_token, "order": order, "source_system": source})
        if next_token
        else ""
    )
    return ctx.render(
        "reviews.html", rows=rows, order=order, orders=ORDERS, source_system=source, next_url=next_url
    )


async def _find(ctx: Ctx, review_id: str, customer_id: str) -> pb.MatchReview | None:
    if not customer_id:
        return None
    request = api.ListMatchReviewsRequest(customer_id=customer_id, page_size=500)
    page = await ctx.caller.customers.ListMatchReviews(request, **ctx.caller.call_options())
    return next((r for r in page.match_reviews if r.review_id == review_id), None)


async def _next_open(ctx: Ctx, after: str = "") -> pb.MatchReview | None:
    page = await ctx.caller.customers.ListMatchReviews(
        api.ListMatchReviewsRequest(page_size=2), **ctx.caller.call_options()
    )
    return next((r for r in page.match_reviews if r.review_id != after), None)


def _sides(candidate: pb.Customer | None, existing: pb.Customer | None) -> list[dict[str, Any]]:
    """One row per golden field: each side's value and where it came from."""
    rows: list[dict[str, Any]] = []

    def lineage(c: pb.Customer | None) -> dict[str, list[pb.FieldLineage]]:
        out: dict[str, list[pb.FieldLineage]] = {}
        for entry in c.lineage if c is not None else ():
            out.setdefault(entry.field.split("[")[0].split(".")[0], []).append(entry)
        return out

    left, right = lineage(candidate), lineage(existing)
    for name in dict.fromkeys([*left, *right]):
        rows.append({"field": name, "left": left.get(name, []), "right": right.get(name, [])})
    return rows


async def review(ctx: Ctx) -> Response:
    review_id = ctx.request.path_params["review_id"]
    found = await _find(ctx, review_id, ctx.field("c"))
    if found is None:
        return ctx.render(
            "error.html",
            status=404,
            title="Review not open",
            message=f"Match review {review_id} is not open any more (resolved or superseded), or not known.",
        )
    # Independent reads, asked at once: the page waits for the slowest, not for their sum.
    customers, (merged, preview_error), following = await asyncio.gather(
        _customers(ctx, [found.candidate_customer_id, found.existing_customer_id], pb.CUSTOMER_VIEW_FULL),
        _preview(ctx, found),
        _next_open(ctx, after=found.review_id),
    )
    candidate = customers.get(found.candidate_customer_id)
    existing = customers.get(found.existing_customer_id)
    return ctx.render(
        "review.html",
        review=found,
        candidate=candidate,
        existing=existing,
        rows=_sides(candidate, existing),
        next_url=review_url(following) if following is not None else "",
        can_resolve=ctx.caller.can("customers:admin"),
        merged=merged,
        merged_lineage=_by_field(merged),
        preview_error=preview_error,
    )


async def _preview(ctx: Ctx, review: pb.MatchReview) -> tuple[pb.Customer | None, str]:
    """The golden record a match would produce, asked of the API without changing anything."""
    if not ctx.caller.can("customers:admin"):
        return None, ""  # the dry run is a resolve: it needs the scope a decision needs
    request = api.ResolveMatchReviewRequest(
        review_id=review.review_id, decision=api.MATCH_DECISION_MATCH, validate_only=True
    )
    try:
        done = await ctx.caller.customers.ResolveMatchReview(request, **ctx.caller.call_options())
    except grpc.aio.AioRpcError as exc:
        if exc.code() in (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.ABORTED):
            return None, refusal(exc)
        raise
    return done.customer, ""


def _by_field(customer: pb.Customer | None) -> dict[str, list[pb.FieldLineage]]:
    out: dict[str, list[pb.FieldLineage]] = {}
    for entry in customer.lineage if customer is not None else ():
        out.setdefault(entry.field, []).append(entry)
    return out


async def resolve(ctx: Ctx) -> Response:
    ctx.caller.require("customers:admin")
    review_id = ctx.request.path_params["review_id"]
    decision = {"match": api.MATCH_DECISION_MATCH, "no_match": api.MATCH_DECISION_NO_MATCH}.get(
        ctx.field("decision")
    )
    back = f"/reviews/{review_id}?" + urlencode({"c": ctx.field("c")})
    if decision is None:
        return ctx.redirect(back, flash="Choose match or no match.")
    version = ctx.field("version")
    request = api.ResolveMatchReviewRequest(
        review_id=review_id,
        decision=decision,
        note=ctx.field("note"),
        actor=ctx.caller.actor,
        expected_version=int(version) if version.isdigit() else 0,
    )
    try:
        done = await ctx.caller.customers.ResolveMatchReview(request, **ctx.caller.call_options())
    except grpc.aio.AioRpcError as exc:
        if exc.code() in (grpc.StatusCode.ABORTED, grpc.StatusCode.FAILED_PRECONDITION):
            return ctx.redirect("/reviews", flash=f"Not resolved: {refusal(exc)}")
        raise
    survivor = done.customer.customer_id
    if decision == api.MATCH_DECISION_MATCH:
        message = f"Matched: {done.review.candidate_customer_id} was merged into {survivor}."
    else:
        message = "Not a match: the pair will not be proposed again."
    following = await _next_open(ctx)
    if following is not None and ctx.field("then") == "next":
        return ctx.redirect(review_url(following), flash=message)
    return ctx.redirect(f"/customers/{survivor}", flash=message)
