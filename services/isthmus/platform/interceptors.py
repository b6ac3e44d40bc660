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
from google.protobuf.message import DecodeError
from google.rpc import status_pb2

from isthmus.kernel.errors import DomainError, InvalidArgument, ResourceExhausted
from isthmus.platform import boundary, db, tracing
from isthmus.platform.auth import Authenticator, caller, principal
from isthmus.platform.logs import correlation_id, new_correlation_id
from isthmus.platform.metrics import MethodMetrics, RpcMetrics
from isthmus_client import errors as reasons
from isthmus_client.errors import STATUS_DETAILS_KEY, status

log = logging.getLogger("isthmus.rpc")
access_log = logging.getLogger("isthmus.access")

CORRELATION_HEADER = "x-correlation-id"

Behavior = Callable[..., Any]

# The largest request a method takes: a bulk ingest's batch, and anything else. The server's own
# limit (grpc.max_receive_message_length) is the bulk one; the chassis holds other methods to theirs.
MAX_BULK_REQUEST = 16 * 1024 * 1024
MAX_REQUEST = 1024 * 1024


class Registrar:
    """What servicers are registered on: the gRPC server, with every method handler wrapped once.

    Generated ``add_*Servicer_to_server(servicer, registrar)`` code calls the two registration
    methods below; anything else is the server's own.

    With authentication on, methods are looked up per call (generic handlers only), which is where
    the call's metadata is known and its request not yet read: a call without a valid token is
    refused before its body is received, so unauthenticated callers cannot make the server hold
    their messages. With authentication off, registered methods are found by name, faster.
    """

    def __init__(self, server: grpc.aio.Server, chassis: Chassis) -> None:
        self._server = server
        self._chassis = chassis

    def add_generic_rpc_handlers(self, handlers: Sequence[grpc.GenericRpcHandler]) -> None:
        self._server.add_generic_rpc_handlers(tuple(_Wrapped(h, self._chassis) for h in handlers))

    def add_registered_method_handlers(
        self, service: str, handlers: dict[str, grpc.RpcMethodHandler]
    ) -> None:
        if self._chassis.authenticates:
            return  # served by the generic handler registered beside, which sees each call first
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
        if handler is None:
            return None
        method = handler_call_details.method
        if not self._chassis.admits(method, handler_call_details.invocation_metadata):
            return self._chassis.refusing(method, handler)
        return self._chassis.wrap(method, handler)


class Chassis:
    def __init__(
        self, metrics: RpcMetrics, authenticator: Authenticator | None, *, access_log: bool = False
    ) -> None:
        self._metrics = metrics
        self._auth = authenticator  # None: authentication explicitly disabled
        self._access_log = access_log
        self._wrapped: dict[tuple[str, int], grpc.RpcMethodHandler] = {}
        self._refusing: dict[str, grpc.RpcMethodHandler] = {}

    @property
    def authenticates(self) -> bool:
        return self._auth is not None

    def admits(self, method: str, metadata: Any) -> bool:
        """Whether the call's token may call ``method`` (checked again, with the call, in _begin)."""
        if self._auth is None:
            return True
        authorization = next((v for k, v in metadata or () if k == "authorization"), None)
        try:
            self._auth.authorize(method, authorization if isinstance(authorization, str) else None)
        except DomainError:
            return False
        return True

    def refusing(self, method: str, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
        """A handler that refuses the call without reading its request: it takes a request stream
        it never reads, so gRPC receives no message; the chassis answers as for any refused call."""
        found = self._refusing.get(method)
        if found is None:

            def never(requests: Any, context: Any) -> Any:
                raise AssertionError("a refused call reached its handler")

            factory = (
                grpc.stream_stream_rpc_method_handler
                if handler.response_streaming
                else grpc.stream_unary_rpc_method_handler
            )
            stand_in = factory(never, response_serializer=handler.response_serializer)
            found = self._refusing[method] = self._wrap(method, stand_in, rpc_type_of=handler)
        return found

    def wrap(self, method: str, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
        """The handler inside the chassis; built once per (method, handler) and cached."""
        key = (method, id(handler))
        found = self._wrapped.get(key)
        if found is None:
            found = self._wrapped[key] = self._wrap(method, handler)
        return found

    def _wrap(
        self, method: str, handler: grpc.RpcMethodHandler, rpc_type_of: grpc.RpcMethodHandler | None = None
    ) -> grpc.RpcMethodHandler:
        kinds = {
            (False, False): ("unary", grpc.unary_unary_rpc_method_handler, handler.unary_unary),
            (False, True): ("server_stream", grpc.unary_stream_rpc_method_handler, handler.unary_stream),
            (True, False): ("client_stream", grpc.stream_unary_rpc_method_handler, handler.stream_unary),
            (True, True): ("bidi_stream", grpc.stream_stream_rpc_method_handler, handler.stream_stream),
        }
        rpc_type, factory, behavior = kinds[(handler.request_streaming, handler.response_streaming)]
        if rpc_type_of is not None:
            rpc_type = kinds[(rpc_type_of.request_streaming, rpc_type_of.response_streaming)][0]
        metrics = self._metrics.method(method, rpc_type)
        streamed = handler.request_streaming
        if streamed:
            behavior = _counting_requests(behavior, metrics)
        deserializer = handler.request_deserializer
        if deserializer is not None:
            deserializer = _decoding(deserializer, method, _limit(handler))
        # Chosen once per method: with tracing off, the call path has no tracing code at all.
        spans = tracing.ServerSpans(method) if tracing.enabled() else None
        if handler.response_streaming:
            wrapped = self._streaming(method, behavior, metrics, spans, streamed)
        else:
            wrapped = self._unary(method, behavior, metrics, spans, streamed)
        return factory(
            wrapped,
            request_deserializer=deserializer,
            response_serializer=handler.response_serializer,
        )

    def _begin(self, method: str, context: grpc.aio.ServicerContext, metadata: Any) -> str:
        authorization = cid = None
        for key, value in metadata:
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
            metrics.started += 1
            metrics.received += one_request
            start = time.perf_counter()
            code = grpc.StatusCode.OK
            cid = ""
            # Read once: each read builds the metadata's tuples anew.
            metadata = context.invocation_metadata() or ()
            span = spans.start(metadata) if spans is not None else None
            try:
                cid = self._begin(method, context, metadata)
                if not streamed:
                    _admit(request)
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
            metrics.started += 1
            metrics.received += one_request
            start = time.perf_counter()
            code = grpc.StatusCode.OK
            cid = ""
            # Read once: each read builds the metadata's tuples anew.
            metadata = context.invocation_metadata() or ()
            span = spans.start(metadata) if spans is not None else None
            try:
                cid = self._begin(method, context, metadata)
                if not streamed:
                    _admit(request)
                result = behavior(request, context)
                if hasattr(result, "__aiter__"):
                    async for item in result:
                        metrics.sent += 1
                        yield item
                elif inspect.isawaitable(result):
                    # A coroutine handler that writes its responses itself (``context.write``), as
                    # grpc's own asyncio health servicer does for Watch.
                    await result
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
                _admit(request)
                yield request

        return behavior(each(), context)

    return counted


class _Undecodable:
    """A request message that did not parse (e.g. a string field that is not UTF-8) or is too large."""

    __slots__ = ("error",)

    def __init__(self, error: DomainError) -> None:
        self.error = error


def _limit(handler: grpc.RpcMethodHandler) -> int:
    """The request size a method takes: bulk when its request has a field checked per item."""
    deserialize = handler.request_deserializer
    message_type = getattr(deserialize, "__self__", None)
    descriptor = getattr(message_type, "DESCRIPTOR", None)
    if descriptor is not None and boundary.has_items(descriptor):
        return MAX_BULK_REQUEST
    return MAX_REQUEST


def _decoding(deserialize: Callable[[bytes], Any], method: str, limit: int) -> Callable[[bytes], Any]:
    # grpc answers a deserializer's exception with INTERNAL; the chassis answers for itself.
    def decode(data: bytes) -> Any:
        if len(data) > limit:
            return _Undecodable(
                ResourceExhausted(
                    f"the request is {len(data)} bytes; {method} takes at most {limit} bytes"
                    " (the request size limit of this method)"
                )
            )
        try:
            return deserialize(data)
        except (DecodeError, UnicodeDecodeError, ValueError) as exc:
            reason = f"is not a valid protobuf message ({str(exc)[:200]})"
            return _Undecodable(InvalidArgument("request", reason))

    return decode


def _admit(request: Any) -> None:
    """Refuse a request that did not parse, is too large or breaks the boundary rules (boundary.py)."""
    if type(request) is _Undecodable:
        raise request.error
    boundary.check(request)


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


def classify(exc: BaseException) -> tuple[grpc.StatusCode, str, list[tuple[str, str]], str]:
    """Map an exception to (status code, message, field violations, ErrorInfo reason). Unknown
    exceptions are INTERNAL."""
    if isinstance(exc, InvalidArgument):
        return exc.code, exc.message, exc.violations, exc.reason
    if isinstance(exc, DomainError):
        return exc.code, exc.message, [], exc.reason
    if isinstance(exc, NotImplementedError):
        return grpc.StatusCode.UNIMPLEMENTED, "method not implemented", [], reasons.NOT_IMPLEMENTED
    if isinstance(exc, sqlalchemy.exc.DBAPIError) and db.sqlstate(exc) in _DATA_EXCEPTIONS:
        # A value the boundary rules and the handler let through that the column cannot hold.
        message = "a value of the request does not fit its field"
        return grpc.StatusCode.INVALID_ARGUMENT, message, [], reasons.FIELD_INVALID
    if isinstance(exc, sqlalchemy.exc.DBAPIError) and db.sqlstate(exc)[:2] == "40":
        message = "a concurrent request conflicted with this one; retry"
        return grpc.StatusCode.ABORTED, message, [], reasons.CONCURRENT_WRITE
    if isinstance(exc, sqlalchemy.exc.OperationalError | sqlalchemy.exc.InterfaceError) or (
        isinstance(exc, sqlalchemy.exc.DBAPIError) and (exc.connection_invalidated or db.is_retryable(exc))
    ):
        message = "database unavailable; retry later"
        return grpc.StatusCode.UNAVAILABLE, message, [], reasons.DATABASE_UNAVAILABLE
    return grpc.StatusCode.INTERNAL, "internal error", [], reasons.INTERNAL_ERROR


# PostgreSQL: string too long, numeric out of range, NUL or untranslatable character, bad byte sequence.
_DATA_EXCEPTIONS = frozenset({"22001", "22003", "22P05", "22021", "22008"})
MAX_MESSAGE = 1000  # characters of a status message: a message that echoes a huge value is cut


def _code_of(exc: Exception, context: grpc.aio.ServicerContext) -> grpc.StatusCode:
    if isinstance(exc, grpc.aio.AbortError):  # the handler aborted by itself
        return context.code() or grpc.StatusCode.UNKNOWN
    return classify(exc)[0]


def _refusal(exc: BaseException) -> tuple[grpc.StatusCode, str, list[tuple[str, str]], str, dict[str, str]]:
    """(status code, message as sent, field violations, ErrorInfo reason, its metadata) of ``exc``."""
    code, message, violations, reason = classify(exc)
    if len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE] + "..."
    message = boundary.escaped(message)  # a client's value in it cannot forge lines or terminals
    metadata = exc.metadata if isinstance(exc, DomainError) else {}
    return code, message, violations, reason, metadata


def item_status(exc: DomainError) -> status_pb2.Status:
    """The ``google.rpc.Status`` of a refused batch item: the code, message and details (ErrorInfo,
    BadRequest) that the item's own call would have ended with (docs/api.md, rule 11)."""
    return status(*_refusal(exc))


async def _abort(exc: Exception, method: str, context: grpc.aio.ServicerContext, cid: str) -> None:
    """End the RPC with the status ``exc`` maps to; always raises."""
    if isinstance(exc, grpc.aio.AbortError):
        raise exc
    code, message, violations, reason, metadata = _refusal(exc)
    if code is grpc.StatusCode.INTERNAL:
        log.exception("unhandled error in %s", method, extra={"grpc_method": method})
        message = f"internal error (correlation id {cid})"
    elif log.isEnabledFor(logging.INFO):
        log.info("%s refused: %s %s", method, code.name, message, extra={"grpc_code": code.name})
    details = status(code, message, violations, reason, metadata).SerializeToString()
    trailers: list[tuple[str, str | bytes]] = [(CORRELATION_HEADER, cid), (STATUS_DETAILS_KEY, details)]
    await context.abort(code, message, tuple(trailers))
