"""Data quality: the values source records carried that the customer master kept but could not use."""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

from starlette.responses import Response

from isthmus.console.web import Ctx
from isthmus_client.api.customers.v1 import customers_pb2 as api

PAGE = 50
TREND_DAYS = 30  # the trend shows the findings that arrived on each of these last days


async def findings(ctx: Ctx) -> Response:
    source, rule = ctx.field("source_system"), ctx.field("rule")
    request = api.ListDataQualityFindingsRequest(
        source_system=source, rule=rule, page_size=PAGE, page_token=ctx.field("page")
    )
    options = ctx.caller.call_options()
    summary = api.SummarizeDataQualityFindingsRequest(source_system=source, rule=rule, days=TREND_DAYS)
    page, counts = await asyncio.gather(
        ctx.caller.customers.ListDataQualityFindings(request, **options),
        ctx.caller.customers.SummarizeDataQualityFindings(summary, **options),
    )
    per_day: dict[str, dict[str, int]] = {}
    for c in counts.counts:
        rules = per_day.setdefault(f"{c.day.year:04d}-{c.day.month:02d}-{c.day.day:02d}", {})
        rules[c.rule] = rules.get(c.rule, 0) + c.count
    trend = [
        {"day": day, "total": sum(rules.values()), "rules": sorted(rules.items())}
        for day, rules in sorted(per_day.items(), reverse=True)
    ]
    most = max((sum(rules.values()) for rules in per_day.values()), default=0)
    next_url = ""
    if page.next_page_token:
        next_url = "/quality?" + urlencode(
            {"page": page.next_page_token, "source_system": source, "rule": rule}
        )
    return ctx.render(
        "quality.html",
        findings=list(page.findings),
        source_system=source,
        rule=rule,
        next_url=next_url,
        trend=trend,
        trend_max=most,
        trend_days=TREND_DAYS,
    )
