"""What every page shares: the session, the CSRF check, the signed-in caller, errors, headers.

A page is ``async def page(ctx: Ctx) -> Response`` wrapped by :func:`page`; the wrapper opens the
sealed session, refuses a form whose CSRF token is not the session's, sends a visitor who is not
signed in to the sign-in page, turns API refusals into a readable page or message, and seals the
session again on the way out.
"""

from __future__ import annotations

import hmac
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import grpc
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from isthmus.console.backend import Backend, Caller, Forbidden
from isthmus.console.session import COOKIE, Sealer, Session
from isthmus.console.settings import ConsoleSettings
from isthmus_client.errors import field_violations

log = logging.getLogger("isthmus.console")

# Nothing from elsewhere, no inline script or style: the page runs only the console's own files.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


class SecurityHeaders:
    """Pure ASGI: the headers go on every response, static files and errors included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


@dataclass
class Console:
    """The application's state: settings, the channels, the templates, the cookie sealer."""

    settings: ConsoleSettings
    backend: Backend
    templates: Jinja2Templates
    sealer: Sealer
    oidc: Any = None  # isthmus.console.oidc.Provider when OpenID Connect is configured
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass
class Ctx:
    request: Request
    console: Console
    session: Session
    form: FormData | None = None
    _caller: Caller | None = None

    @property
    def caller(self) -> Caller:
        assert self._caller is not None, "page(public=True) has no caller"
        return self._caller

    def field(self, name: str, default: str = "") -> str:
        if self.form is not None:
            value = self.form.get(name)
            return value.strip() if isinstance(value, str) else default
        return self.request.query_params.get(name, default).strip()

    def fields(self, name: str) -> list[str]:
        if self.form is None:
            return [v.strip() for v in self.request.query_params.getlist(name) if v.strip()]
        return [v.strip() for v in self.form.getlist(name) if isinstance(v, str) and v.strip()]

    def render(self, template: str, status: int = 200, **values: Any) -> Response:
        flash, self.session.flash = self.session.flash, ""
        context = {
            "request": self.request,
            "session": self.session,
            "caller": self._caller,
            "csrf": self.session.csrf,
            "flash": flash,
            **values,
        }
        return self.console.templates.TemplateResponse(self.request, template, context, status_code=status)

    def redirect(self, url: str, flash: str = "") -> Response:
        if flash:
            self.session.flash = flash
        return RedirectResponse(url, status_code=303)


Page = Callable[[Ctx], Awaitable[Response]]


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return origin.rstrip("/") == f"{request.url.scheme}://{request.url.netloc}"


def page(handler: Page, *, public: bool = False) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        console: Console = request.app.state.console
        session = console.sealer.open(request.cookies.get(COOKIE)) or Session()
        ctx = Ctx(request, console, session)
        if request.method == "POST":
            ctx.form = await request.form()
            sent = ctx.form.get("csrf")
            if (
                not isinstance(sent, str)
                or not hmac.compare_digest(sent, session.csrf)
                or not _same_origin(request)
            ):
                response: Response = ctx.render(
                    "error.html",
                    status=403,
                    title="Form expired",
                    message="This form was not sent from this console session, or the session changed. "
                    "Go back, reload the page and try again.",
                )
                return _finish(console, ctx, response)
        if not public:
            if not session.signed_in:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return _finish(
                    console, ctx, RedirectResponse(f"/signin?next={quote(target)}", status_code=303)
                )
            token = session.token if session.via != "oidc" else console.oidc.hub_token
            ctx._caller = Caller(
                console.backend, token, session.subject, session.user, frozenset(session.scopes)
            )
        try:
            response = await handler(ctx)
        except Forbidden as exc:
            response = ctx.render("error.html", status=403, title="Not allowed", message=str(exc))
        except grpc.aio.AioRpcError as exc:
            response = refusal_page(ctx, exc)
        return _finish(console, ctx, response)

    endpoint.__name__ = handler.__name__
    return endpoint


def refusal_page(ctx: Ctx, exc: grpc.aio.AioRpcError) -> Response:
    code = exc.code()
    status, title = _STATUS.get(code, (502, "The hub could not answer"))
    if code == grpc.StatusCode.UNAUTHENTICATED and ctx.session.via == "token":
        ctx.session = Session(flash="The hub no longer accepts your token: sign in again.")
        return RedirectResponse("/signin", status_code=303)
    if status == 502:
        log.warning("API call failed: %s %s", code.name, exc.details())
    return ctx.render("error.html", status=status, title=title, message=refusal(exc))


_STATUS: Mapping[grpc.StatusCode, tuple[int, str]] = {
    grpc.StatusCode.NOT_FOUND: (404, "Not found"),
    grpc.StatusCode.PERMISSION_DENIED: (403, "Not allowed"),
    grpc.StatusCode.INVALID_ARGUMENT: (400, "Refused"),
    grpc.StatusCode.FAILED_PRECONDITION: (409, "Refused"),
    grpc.StatusCode.ABORTED: (409, "Changed meanwhile"),
    grpc.StatusCode.ALREADY_EXISTS: (409, "Refused"),
    grpc.StatusCode.UNAVAILABLE: (503, "The hub is unavailable"),
    grpc.StatusCode.DEADLINE_EXCEEDED: (504, "The hub took too long"),
}


# What the API answers a write it refuses for a reason the user can act on: shown on the page.
REFUSALS = (
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.ABORTED,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.ALREADY_EXISTS,
)


def request_id(ctx: Ctx) -> str:
    """The form's key: sent with it, so a double submit or a browser retry of the same form writes once."""
    key = ctx.field("request_id")
    return key if 0 < len(key) <= 128 else str(uuid.uuid4())


def refusal(exc: grpc.aio.AioRpcError) -> str:
    """The API's own words, with the fields it names (those its words do not already say)."""
    message = exc.details() or exc.code().name
    violations = [f"{f}: {d}" for f, d in field_violations(exc) if f"{f}: {d}" not in message]
    if violations:
        message += " — " + "; ".join(violations)
    if exc.code() == grpc.StatusCode.ABORTED:
        message += " Reload the page to see the current state, then decide again."
    return message


def _finish(console: Console, ctx: Ctx, response: Response) -> Response:
    response.set_cookie(
        COOKIE,
        console.sealer.seal(ctx.session),
        max_age=console.settings.session_seconds,
        path="/",
        secure=True,
        httponly=True,
        samesite="lax",
    )
    response.headers.setdefault("cache-control", "no-store")
    return response


def error_page(console: Console, request: Request, status: int, title: str, message: str) -> Response:
    html = console.templates.get_template("error.html").render(
        request=request, session=None, caller=None, csrf="", flash="", title=title, message=message
    )
    return HTMLResponse(html, status_code=status)


def expiry(console: Console) -> float:
    return time.time() + console.settings.session_seconds
