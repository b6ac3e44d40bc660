"""The console's ASGI application: routes, templates and their filters, static files."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC
from typing import Any

import jinja2
from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from isthmus.console import (
    connectors,
    customers,
    operations,
    privacy,
    quality,
    reviews,
    scripts,
    signin,
    stock,
)
from isthmus.console.backend import Backend
from isthmus.console.session import Sealer
from isthmus.console.settings import ConsoleSettings
from isthmus.console.web import Console, SecurityHeaders, error_page, page
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.connectors.v1 import connectors_pb2
from isthmus_client.api.customers.v1 import customer360_pb2, records_pb2
from isthmus_client.api.orders.v1 import order_pb2
from isthmus_client.api.service_requests.v1 import scripts_pb2, service_request_pb2

_ENUMS: dict[str, Any] = {
    name: getattr(module, name)
    for module, names in (
        (
            records_pb2,
            (
                "MatchOutcome",
                "SurvivorshipRule",
                "CustomerState",
                "QualityFlag",
                "ConsentChannel",
                "ConsentStatus",
                "MatchReviewState",
                "HistoryEntryKind",
                "ContactKind",
            ),
        ),
        (customer360_pb2, ("TimelineEntryKind",)),
        (order_pb2, ("OrderChannel", "OrderState")),
        (
            service_request_pb2,
            ("ServiceRequestKind", "ServiceRequestState", "Priority", "Channel", "Direction"),
        ),
        (scripts_pb2, ("ScriptRunState", "ScriptEntryKind", "CallState")),
        (connectors_pb2, ("SyncRunState",)),
        (common_pb2, ("ValueTier", "CreditRank")),
    )
    for name in names
}


def enum_label(value: int, enum: str) -> str:
    """``MATCH_OUTCOME_LINKED_DETERMINISTIC`` -> ``linked deterministic``."""
    wrapper = _ENUMS[enum]
    try:
        name: str = wrapper.Name(value)
    except ValueError:
        return str(value)
    prefix = "".join(f"_{c}" if c.isupper() else c.upper() for c in enum).lstrip("_") + "_"
    return name.removeprefix(prefix).replace("_", " ").lower()


def when(value: Timestamp | None) -> str:
    if value is None or (value.seconds == 0 and value.nanos == 0):
        return ""
    return value.ToDatetime(tzinfo=UTC).strftime("%Y-%m-%d %H:%M UTC")


def age(value: Timestamp | None) -> str:
    if value is None or value.seconds == 0:
        return ""
    return span(max(time.time() - value.seconds, 0))


def span(seconds: float) -> str:
    if seconds < 90:
        return f"{int(seconds)} s"
    if seconds < 90 * 60:
        return f"{int(seconds // 60)} min"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} d"


def duration(value: Duration) -> str:
    return span(value.seconds + value.nanos / 1e9)


def money(value: common_pb2.Money | None) -> str:
    return f"{value.amount} {value.currency_code}" if value is not None and value.currency_code else ""


def date(value: common_pb2.Date | None) -> str:
    if value is None or not value.year:
        return ""
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("isthmus.console", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(enum=enum_label, when=when, age=age, duration=duration, money=money, date=date)
    env.globals["new_key"] = lambda: str(uuid.uuid4())
    return Jinja2Templates(env=env)


async def _health(request: Request) -> Response:
    return PlainTextResponse("ok")


async def _home(request: Request) -> Response:
    return RedirectResponse("/reviews", status_code=303)


def create_app(settings: ConsoleSettings, *, oidc: Any = None) -> Starlette:
    console = Console(settings, Backend(settings), templates(), Sealer(settings.secret_key), oidc)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await console.backend.close()

    async def not_found(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        title = "Not found" if status == 404 else "Error"
        return error_page(console, request, status, title, "There is no such page in the console.")

    routes = [
        Route("/healthz", _health),
        Route("/", _home),
        Route("/signin", page(signin.signin_form, public=True), methods=["GET"]),
        Route("/signin", page(signin.signin, public=True), methods=["POST"]),
        Route("/signout", page(signin.signout, public=True), methods=["POST"]),
        Route("/reviews", page(reviews.queue)),
        Route("/reviews/{review_id}", page(reviews.review), methods=["GET"]),
        Route("/reviews/{review_id}/resolve", page(reviews.resolve), methods=["POST"]),
        Route("/quality", page(quality.findings)),
        Route("/stock", page(stock.levels)),
        Route("/customers", page(customers.search)),
        Route("/customers/{customer_id}", page(customers.customer360)),
        Route("/customers/{customer_id}/history", page(customers.history)),
        Route("/customers/{customer_id}/merge", page(customers.merge), methods=["POST"]),
        Route("/customers/{customer_id}/unmerge", page(customers.unmerge), methods=["POST"]),
        Route("/customers/{customer_id}/scripts", page(customers.follow_script), methods=["POST"]),
        Route("/customers/{customer_id}/privacy", page(privacy.privacy)),
        Route("/customers/{customer_id}/export", page(privacy.export), methods=["POST"]),
        Route("/customers/{customer_id}/erase", page(privacy.erase), methods=["POST"]),
        Route("/script-runs/{run_id}", page(scripts.run), methods=["GET"]),
        Route("/script-runs/{run_id}/answer", page(scripts.answer), methods=["POST"]),
        Route("/script-runs/{run_id}/back", page(scripts.back), methods=["POST"]),
        Route("/script-runs/{run_id}/abandon", page(scripts.abandon), methods=["POST"]),
        Route("/calls", page(scripts.calls)),
        Route("/calls/{call_id}/start", page(scripts.start_call), methods=["POST"]),
        Route("/calls/{call_id}/take", page(scripts.take_call), methods=["POST"]),
        Route("/scripts", page(scripts.scripts), methods=["GET"]),
        Route("/scripts", page(scripts.create), methods=["POST"]),
        Route("/scripts/{script_id}", page(scripts.script), methods=["GET"]),
        Route("/scripts/{script_id}/revise", page(scripts.revise), methods=["POST"]),
        Route("/scripts/{script_id}/publish", page(scripts.publish), methods=["POST"]),
        Route("/scripts/{script_id}/rehearse", page(scripts.rehearse), methods=["POST"]),
        Route("/operations/events", page(operations.events)),
        Route("/operations/events/replay", page(operations.replay), methods=["POST"]),
        Route("/operations/events/discard", page(operations.discard), methods=["POST"]),
        Route("/operations/connectors", page(connectors.connectors)),
        Route("/operations/connectors/discard", page(connectors.discard), methods=["POST"]),
        Route("/operations/connectors/replay", page(connectors.replay), methods=["POST"]),
        Mount("/static", StaticFiles(packages=[("isthmus.console", "static")]), name="static"),
    ]
    if oidc is not None:
        from isthmus.console import oidc as oidc_pages

        routes += [
            Route("/signin/oidc", page(oidc_pages.start, public=True)),
            Route("/signin/oidc/callback", page(oidc_pages.callback, public=True), name="oidc_callback"),
        ]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={HTTPException: not_found})
    app.state.console = console
    app.add_middleware(SecurityHeaders)
    return app
