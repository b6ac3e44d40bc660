"""Stock: the articles customers wait for on backorder (the backorder report), or every kept article."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.responses import Response

from isthmus.console.web import Ctx
from isthmus_client.api.orders.v1 import orders_pb2 as api

PAGE = 50


async def levels(ctx: Ctx) -> Response:
    ctx.caller.require("orders:read")
    everything = ctx.field("all") == "1"
    request = api.ListStockLevelsRequest(
        backordered_only=not everything, page_size=PAGE, page_token=ctx.field("page")
    )
    page = await ctx.caller.orders.ListStockLevels(request, **ctx.caller.call_options())
    next_url = ""
    if page.next_page_token:
        next_url = "/stock?" + urlencode(
            {"page": page.next_page_token, **({"all": "1"} if everything else {})}
        )
    return ctx.render("stock.html", stock=list(page.stock), everything=everything, next_url=next_url)
