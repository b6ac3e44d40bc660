"""The connectors component's webhook endpoint: ``POST /webhooks/<instance>`` hands a source's push
to the runtime (``ConnectorRuntime.receive``), which answers 200 only once it is stored.

Served on ``ISTHMUS_CONNECTORS_WEBHOOK_PORT`` (unset or 0: not served) beside the gRPC API, behind the
chart's Service port ``webhooks`` and its optional Ingress. The connector authenticates each push (a
signature over the body); the endpoint only bounds what it reads: a body over ``MAX_PUSH_BYTES`` is
answered 413 before it is read in full.
"""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from isthmus.connectors.runtime import ConnectorRuntime
from isthmus.connectors.sdk import Push
from isthmus.platform.config import PREFIX, Reader, Settings
from isthmus.platform.web import RunningHttp, serve

log = logging.getLogger("isthmus.connectors")

PORT_ENV = "ISTHMUS_CONNECTORS_WEBHOOK_PORT"
# Webhook bodies are one object each (a shop's order with its lines is a few kilobytes).
MAX_PUSH_BYTES = 1024 * 1024
MAX_CONCURRENT_PUSHES = 64


def _answer(status: int, message: str) -> PlainTextResponse:
    return PlainTextResponse(message + "\n", status_code=status)


def create_app(runtime: ConnectorRuntime, max_bytes: int = MAX_PUSH_BYTES) -> Starlette:
    async def webhook(request: Request) -> PlainTextResponse:
        name = request.path_params["instance"]
        declared = request.headers.get("content-length")
        if declared is not None and not declared.isdigit():
            return _answer(400, "Content-Length is not a number")
        if declared is not None and int(declared) > max_bytes:
            return _answer(413, f"a push may hold at most {max_bytes} bytes")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > max_bytes:
                return _answer(413, f"a push may hold at most {max_bytes} bytes")
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            status, message = await runtime.receive(name, Push(headers, bytes(body)))
        except Exception:
            log.exception("%s: a push could not be taken", name, extra={"instance": name})
            return _answer(500, "the push could not be taken; the connectors component's log says why")
        return _answer(status, message)

    async def healthz(_request: Request) -> PlainTextResponse:
        return _answer(200, "ok")

    return Starlette(
        routes=[
            Route("/webhooks/{instance}", webhook, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


def webhook_port(settings: Settings) -> int:
    """The port to serve webhooks on; 0 when they are not served. A ConfigError names the variable."""
    return Reader(settings.extra).port(PORT_ENV.removeprefix(PREFIX), 0)


async def start(runtime: ConnectorRuntime, host: str, port: int) -> RunningHttp:
    running = await serve(
        create_app(runtime),
        host,
        port,
        what="the webhook endpoint",
        choose=f"choose another with {PORT_ENV}",
        lifespan="off",
        # Each request holds at most MAX_PUSH_BYTES: beyond this many at once uvicorn answers 503 (the
        # source sends it again), so a flood cannot take the pod's memory.
        limit_concurrency=MAX_CONCURRENT_PUSHES,
        # Pushes come through the release's Ingress or a load balancer: the client address logged is theirs.
        proxy_headers=True,
    )
    log.info("webhooks served on port %d: POST /webhooks/<instance>", running.port)
    return running
