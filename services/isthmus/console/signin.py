"""Sign-in and sign-out: with an Isthmus bearer token, or with OpenID Connect when it is configured."""

from __future__ import annotations

import grpc
from starlette.responses import Response

from isthmus.console.backend import TIMEOUT
from isthmus.console.session import Session
from isthmus.console.web import Ctx, expiry
from isthmus_client.api.operations.v1 import operations_pb2 as ops
from isthmus_client.api.operations.v1.operations_pb2_grpc import OperationsServiceStub

# Every page a user may be sent back to after signing in starts like this (no open redirect).
_SAFE_NEXT = ("/reviews", "/customers", "/quality", "/operations", "/privacy")


def safe_next(value: str) -> str:
    return value if value.startswith(_SAFE_NEXT) and "//" not in value and "\\" not in value else "/"


async def signin_form(ctx: Ctx) -> Response:
    if ctx.session.signed_in:
        return ctx.redirect(safe_next(ctx.field("next")))
    return ctx.render("signin.html", next=safe_next(ctx.field("next")), oidc=ctx.console.oidc is not None)


async def signin(ctx: Ctx) -> Response:
    token = ctx.field("token")
    target = safe_next(ctx.field("next"))
    stub = OperationsServiceStub(ctx.console.backend.channel("customers"))
    oidc = ctx.console.oidc is not None
    metadata = (("authorization", f"Bearer {token}"),) if token else ()
    try:
        me = await stub.GetCaller(ops.GetCallerRequest(), metadata=metadata, timeout=TIMEOUT)
    except grpc.aio.AioRpcError as exc:
        if exc.code() in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED):
            message = "The hub does not know this token." if token else "Enter your token."
            return ctx.render("signin.html", status=401, error=message, next=target, oidc=oidc)
        raise
    csrf = ctx.session.csrf
    if me.authentication_disabled:
        ctx.session = Session(csrf=csrf, user="local user", subject="local", scopes=["*"], via="open")
    elif not me.name:
        return ctx.render("signin.html", status=401, error="Enter your token.", next=target, oidc=oidc)
    else:
        ctx.session = Session(
            csrf=csrf, user=me.name, subject=me.name, scopes=list(me.scopes), token=token, via="token"
        )
    ctx.session.expires = expiry(ctx.console)
    # A new CSRF token once signed in: a token planted before sign-in is worth nothing after it.
    ctx.session.csrf = Session().csrf
    return ctx.redirect(target)


async def signout(ctx: Ctx) -> Response:
    ctx.session = Session(flash="Signed out.")
    return ctx.redirect("/signin")
