"""One wrapper for every cross-cutting concern of an RPC, put around each method handler once.

Correlation id, authentication and scopes, metrics, error mapping, logging, the access log and (when
tracing is on) the SERVER span run in a single wrapper around the handler. It is applied when a
servicer is registered (``Registrar``), not by a server interceptor: grpc.aio runs interceptors on
every call, and that dispatch alone cost a tenth of a bare server's throughput (decision 1).
Stacking one wrapper per concern would cost more again.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import grpc
import sqlalchemy.exc

from isthmus.kernel.errors import DomainError, InvalidArgument
from isthmus.platform import db, tracing
from isthmus.platform.auth import Authenticator, caller, principal
from isthmus.platform.logs import correlation_id, new_correlation_id
from isthmus.platform.metrics import MethodMetrics, RpcMetrics
from isthmus_client.errors import STATUS_DETAILS_KEY, status_details

log = logging.getLogger("isthmus.rpc")
access_log = logging.getLogger("isthmus.access")

CORRELATION_HEADER = "x-correlation-id"

Behavior = Callable[..., Any]


class Registrar:
    """What servicers are registered on: the gRPC server, with every method handler wrapped once.

    Generated ``add_*Servicer_to_server(servicer, registrar)`` code calls the two registration
    methods below; anything else is the server's own.
    """

    def __init__(self, server: grpc.aio.Server, chassis: Chassis) -> None:
        self._server = server
        self._chassis = chassis

    def add_generic_rpc_handlers(self, handlers: Sequence[grpc.GenericRpcHandler]) -> None:
        self._server.add_generic_rpc_handlers(tuple(_Wrapped(h, self._chassis) for h in handlers))

    def add_registered_method_handlers(
        self, service: str, handlers: dict[str, grpc.RpcMethodHandler]
    ) -> None:
        wrapped = {name: self._chassis.wrap(f"/{service}/{name}", h) for name, h in handlers.items()}
        self._server.add_registered_method_handlers(service, wrapped)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._server, name)


class _Wrapped(grpc.GenericRpcHandler):
    def __init__(self, inner: grpc.GenericRpcHandler, chassis: Chassis) -> None:
        self._inner = inner
        self._chassis = chassis

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
        handler = self._inner.service(handler_call_details)
        return None if handler is None else self._chassis.wrap(handler_call_details.method, handler)


class Chassis:
    def __init__(
        self, metrics: RpcMetrics, authenticator: Authenticator | None, *, access_log: bool = False
    ) -> None:
        self._metrics = metrics
        self._auth = authenticator  # None: authentication explicitly disabled
        self._access_log = access_log
        self._wrapped: dict[tuple[str, int], grpc.RpcMethodHandler] = {}

    def wrap(self, method: str, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
        """The handler inside the chassis; built once per (method, handler) and cached."""
        key = (method, id(handler))
        found = self._wrapped.get(key)
        if found is None:
            found = self._wrapped[key] = self._wrap(method, handler)
        return found

    def _wrap(self, method: str, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
        kinds = {
            (False, False): ("unary", grpc.unary_unary_rpc_method_handler, handler.unary_unary),
            (False, True): ("server_stream", grpc.unary_stream_rpc_method_handler, handler.unary_stream),
            (True, False): ("client_stream", grpc.stream_unary_rpc_method_handler, handler.stream_unary),
            (True, True): ("bidi_stream", grpc.stream_stream_rpc_method_handler, handler.stream_stream),
        }
        rpc_type, factory, behavior = kinds[(handler.request_streaming, handler.response_streaming)]
        metrics = self._metrics.method(method, rpc_type)
        streamed = handler.request_streaming
        if streamed:
            behavior = _counting_requests(behavior, metrics)
        # Chosen once per method: with tracing off, the call path has no tracing code at all.
        spans = tracing.ServerSpans(method) if tracing.enabled() else None
        if handler.response_streaming:
            wrapped = self._streaming(method, behavior, metrics, spans, streamed)
        else:
            wrapped = self._unary(method, behavior, metrics, spans, streamed)
        return factory(
            wrapped,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )

    def _begin(self, method: str, context: grpc.aio.ServicerContext) -> str:
        authorization = cid = None
        for key, value in context.invocation_metadata() or ():
            if key == "authorization":
                authorization = value
            elif key == CORRELATION_HEADER:
                cid = value
        cid = cid if isinstance(cid, str) and 0 < len(cid) <= 128 else new_correlation_id()
        correlation_id.set(cid)
        context.set_trailing_metadata(((CORRELATION_HEADER, cid),))
        if self._auth is not None:
            client = self._auth.authorize(method, authorization if isinstance(authorization, str) else None)
            principal.set(client.name if client is not None else "")
            caller.set(client)
        return cid

    def _unary(
        self,
        method: str,
        behavior: Behavior,
        metrics: MethodMetrics,
        spans: tracing.ServerSpans | None,
        streamed: bool,
    ) -> Behavior:
        access = self._access_log
        # A request message is counted before the handler runs, a response when it succeeded, as
        # go-grpc-prometheus does; a request stream counts its own messages (_counting_requests).
        one_request = 0 if streamed else 1

        async def unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
            metrics.started.inc()
            metrics.received += one_request
            start = time.perf_counter()
            code = grpc.StatusCode.OK
            cid = ""
            span = spans.start(context) if spans is not None else None
            try:
                cid = self._begin(method, context)
                result = behavior(request, context)
                if inspect.isawaitable(result):
                    result = await result
                code = context.code() or grpc.StatusCode.OK
                return result
            except Exception as exc:
                code = _code_of(exc, context)
                await _abort(exc, method, context, cid)
            finally:
                elapsed = time.perf_counter() - start
                trace_id = tracing.ServerSpans.end(*span, code) if span is not None else None
                if code is grpc.StatusCode.OK:
                    metrics.sent += 1
                metrics.handled(code, elapsed, trace_id)
                if access:
                    _access(method, code, elapsed, context, trace_id)

        return unary

    def _streaming(
        self,
        method: str,
        behavior: Behavior,
        metrics: MethodMetrics,
        spans: tracing.ServerSpans | None,
        streamed: bool,
    ) -> Behavior:
        access = self._access_log
        one_request = 0 if streamed else 1

        async def streaming(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            metrics.started.inc()
            metrics.received += one_request
            start = time.perf_counter()
            code = grpc.StatusCode.OK
            cid = ""
            span = spans.start(context) if spans is not None else None
            try:
                cid = self._begin(method, context)
                result = behavior(request, context)
                if hasattr(result, "__aiter__"):
                    async for item in result:
                        metrics.sent += 1
                        yield item
                else:
                    for item in result:
                        metrics.sent += 1
                        yield item
                code = context.code() or grpc.StatusCode.OK
            except Exception as exc:
                code = _code_of(exc, context)
                await _abort(exc, method, context, cid)
            finally:
                elapsed = time.perf_counter() - start
                trace_id = tracing.ServerSpans.end(*span, code) if span is not None else None
                metrics.handled(code, elapsed, trace_id)
                if access:
                    _access(method, code, elapsed, context, trace_id)

        return streaming


def _counting_requests(behavior: Behavior, metrics: MethodMetrics) -> Behavior:
    """A client or bidi stream's handler sees its requests through a counter of received messages."""

    def counted(requests: Any, context: grpc.aio.ServicerContext) -> Any:
        async def each() -> AsyncIterator[Any]:
            async for request in requests:
                metrics.received += 1
                yield request

        return behavior(each(), context)

    return counted


def _access(
    method: str,
    code: grpc.StatusCode,
    seconds: float,
    context: grpc.aio.ServicerContext,
    trace_id: str | None,
) -> None:
    """One line per call (``ISTHMUS_ACCESS_LOG``); the correlation id comes with every line."""
    extra: dict[str, object] = {
        "grpc_method": method,
        "grpc_code": code.name,
        "duration_ms": round(seconds * 1000, 3),
        "peer": context.peer(),
    }
    if trace_id is not None:
        extra["trace_id"] = trace_id
    access_log.info("%s %s %.1f ms", method, code.name, seconds * 1000, extra=extra)


def classify(exc: BaseException) -> tuple[grpc.StatusCode, str, list[tuple[str, str]]]:
    """Map an exception to (status code, message, field violations). Unknown exceptions are INTERNAL."""
    if isinstance(exc, InvalidArgument):
        return exc.code, exc.message, exc.violations
    if isinstance(exc, DomainError):
        return exc.code, exc.message, []
    if isinstance(exc, NotImplementedError):
        return grpc.StatusCode.UNIMPLEMENTED, "method not implemented", []
    if isinstance(exc, sqlalchemy.exc.DBAPIError) and db.sqlstate(exc)[:2] == "40":
        return grpc.StatusCode.ABORTED, "a concurrent request conflicted with this one; retry", []
    if isinstance(exc, sqlalchemy.exc.OperationalError | sqlalchemy.exc.InterfaceError) or (
        isinstance(exc, sqlalchemy.exc.DBAPIError) and (exc.connection_invalidated or db.is_retryable(exc))
    ):
        return grpc.StatusCode.UNAVAILABLE, "database unavailable; retry later", []
    return grpc.StatusCode.INTERNAL, "internal error", []


def _code_of(exc: Exception, context: grpc.aio.ServicerContext) -> grpc.StatusCode:
    if isinstance(exc, grpc.aio.AbortError):  # the handler aborted by itself
        return context.code() or grpc.StatusCode.UNKNOWN
    return classify(exc)[0]


async def _abort(exc: Exception, method: str, context: grpc.aio.ServicerContext, cid: str) -> None:
    """End the RPC with the status ``exc`` maps to; always raises."""
    if isinstance(exc, grpc.aio.AbortError):
        raise exc
    code, message, violations = classify(exc)
    if code is grpc.StatusCode.INTERNAL:
        log.exception("unhandled error in %s", method, extra={"grpc_method": method})
        message = f"internal error (correlation id {cid})"
    elif log.isEnabledFor(logging.INFO):
        log.info("%s refused: %s %s", method, code.name, message, extra={"grpc_code": code.name})
    trailers: list[tuple[str, str | bytes]] = [(CORRELATION_HEADER, cid)]
    reason = getattr(exc, "reason", "")
    if violations or reason:
        details = status_details(code, message, violations, reason, getattr(exc, "metadata", None))
        trailers.append((STATUS_DETAILS_KEY, details))
    await context.abort(code, message, tuple(trailers))
