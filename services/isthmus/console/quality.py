"""Data quality: the values source records carried that the customer master kept but could not use."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.responses import Response

from isthmus.console.web import Ctx
from isthmus_client.api.customers.v1 import customers_pb2 as api

PAGE = 50


async def findings(ctx: Ctx) -> Response:
    source, rule = ctx.field("source_system"), ctx.field("rule")
    request = api.ListDataQualityFindingsRequest(
        source_system=source, rule=rule, page_size=PAGE, page_token=ctx.field("page")
    )
    page = await ctx.caller.customers.ListDataQualityFindings(request, **ctx.caller.call_options())
    next_url = ""
    if page.next_page_token:
        next_url = "/quality?" + urlencode(
            {"page": page.next_page_token, "source_system": source, "rule": rule}
        )
    return ctx.render(
        "quality.html", findings=list(page.findings), source_system=source, rule=rule, next_url=next_url
    )
