"""Channels to an Isthmus hub: bearer token, TLS (optionally mutual), and retries that are safe.

Every Isthmus write is idempotent (a natural key or a ``request_id``, see the API's house rules), so
the one status a client retries on its own is ``UNAVAILABLE``: the server did not take the call, or
took it and a retry returns the first result. A write sent with an empty ``request_id`` gets a fresh
UUID here (``request_ids=True``, the default), so gRPC's own retries of it are answered, not applied
twice. ``ABORTED`` (a stale ``expected_version``) is never
retried here: the caller must read again and decide again.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import grpc.aio

RETRYABLE = ("UNAVAILABLE",)

# gRPC's own retry machinery (A6): backoff with jitter, bounded attempts, honoured by every language's
# client that reads the same service config.
_SERVICE_CONFIG = {
    "methodConfig": [
        {
            "name": [{}],
            "retryPolicy": {
                "maxAttempts": 5,
                "initialBackoff": "0.1s",
                "maxBackoff": "5s",
                "backoffMultiplier": 2,
                "retryableStatusCodes": list(RETRYABLE),
            },
        }
    ]
}


@dataclass(frozen=True)
class TLS:
    """TLS settings. No field set means the system's trust store; a certificate and key make it mutual."""

    root_certificates: bytes | None = None
    certificate_chain: bytes | None = None
    private_key: bytes | None = None
    # For a server whose certificate names another host than the one dialled (tests, port forwards).
    server_name: str | None = None

    @classmethod
    def from_files(
        cls,
        ca_file: str | Path | None = None,
        cert_file: str | Path | None = None,
        key_file: str | Path | None = None,
        server_name: str | None = None,
    ) -> TLS:
        def read(path: str | Path | None) -> bytes | None:
            return Path(path).read_bytes() if path else None

        if bool(cert_file) != bool(key_file):
            raise ValueError("a client certificate needs its key, and a key its certificate")
        return cls(read(ca_file), read(cert_file), read(key_file), server_name)

    def credentials(self) -> grpc.ChannelCredentials:
        return grpc.ssl_channel_credentials(
            root_certificates=self.root_certificates,
            private_key=self.private_key,
            certificate_chain=self.certificate_chain,
        )


def _options(tls: TLS | None, retries: bool, extra: Sequence[tuple[str, Any]]) -> list[tuple[str, Any]]:
    options: list[tuple[str, Any]] = [
        ("grpc.enable_retries", 1 if retries else 0),
        ("grpc.keepalive_time_ms", 30_000),
        ("grpc.keepalive_permit_without_calls", 0),
    ]
    if retries:
        options.append(("grpc.service_config", json.dumps(_SERVICE_CONFIG)))
    if tls is not None and tls.server_name:
        options.append(("grpc.ssl_target_name_override", tls.server_name))
    return options + list(extra)


def _metadata(token: str | None) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),) if token else ()


class _AuthSync(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    """Adds the bearer token to every call (plaintext channels cannot carry call credentials)."""

    def __init__(self, token: str) -> None:
        self._header = _metadata(token)

    def _details(self, details: Any) -> Any:
        return details._replace(metadata=(*(details.metadata or ()), *self._header))

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_stream_unary(self, continuation: Any, details: Any, requests: Any) -> Any:
        return continuation(self._details(details), requests)

    def intercept_stream_stream(self, continuation: Any, details: Any, requests: Any) -> Any:
        return continuation(self._details(details), requests)


def _required(field: Any) -> bool:
    for option, value in field.GetOptions().ListFields():
        if (option.name == "required" and value is True) or (option.name == "field_behavior" and 2 in value):
            return True
    return False


# Request message descriptor -> whether its calls get a generated request_id (read once per type).
_GENERATED_IDS: dict[Any, bool] = {}


def _generates_id(descriptor: Any) -> bool:
    found = _GENERATED_IDS.get(descriptor)
    if found is None:
        field = descriptor.fields_by_name.get("request_id")
        found = _GENERATED_IDS[descriptor] = field is not None and not _required(field)
    return found


def with_request_id(request: Any) -> Any:
    """``request`` with a random ``request_id`` when it has that field and left it empty. Not where the
    API requires one (points that move): there only the caller knows which calls are one request."""
    descriptor = getattr(request, "DESCRIPTOR", None)
    if descriptor is None or not _generates_id(descriptor) or request.request_id:
        return request
    copy = type(request)()
    copy.CopyFrom(request)
    copy.request_id = str(uuid.uuid4())
    return copy


class _RequestIdsSync(grpc.UnaryUnaryClientInterceptor):
    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(details, with_request_id(request))


def _with_header(metadata: Any, header: tuple[tuple[str, str], ...]) -> Any:
    """The caller's metadata (pairs or ``grpc.aio.Metadata``) with ``header`` after it."""
    if not header:
        return metadata
    return (*metadata, *header) if metadata else header


class _Calls:
    """A multicallable of the wrapped channel whose calls carry the token, handing back the channel's
    own call object. Unary requests and responses: grpc.aio's arguments after the request are
    keyword-only."""

    def __init__(self, inner: Any, header: tuple[tuple[str, str], ...]) -> None:
        self._inner = inner
        self._header = header

    def __call__(self, request: Any, *, metadata: Any = None, **kwargs: Any) -> Any:
        return self._inner(request, metadata=_with_header(metadata, self._header), **kwargs)


class _UnaryUnary(_Calls):
    """A unary call, with a generated ``request_id`` where its request has the field and left it empty."""

    def __call__(self, request: Any, *, metadata: Any = None, **kwargs: Any) -> Any:
        return super().__call__(with_request_id(request), metadata=metadata, **kwargs)


class _StreamCalls(_Calls):
    """A call with a request stream: grpc.aio takes its timeout and metadata by position too."""

    def __call__(  # type: ignore[override]
        self,
        request_iterator: Any = None,
        timeout: Any = None,
        metadata: Any = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        header = _with_header(metadata, self._header)
        return self._inner(request_iterator, timeout, header, *args, **kwargs)


class _Channel(grpc.aio.Channel):
    """An asyncio channel whose calls carry the token and, for unary calls, a generated request_id.

    Not client interceptors: grpc.aio runs every intercepted call through a task and a layer of call
    objects of its own, which cost the client 6-23 us a call more than this wrapper in the runs of
    docs/benchmarks.md (*Python client*; decision 70). Here the stubs' multicallables are wrapped
    once, when a stub is made, and each call costs one more Python call.
    """

    def __init__(self, inner: grpc.aio.Channel, token: str | None, request_ids: bool) -> None:
        self._inner = inner
        self._header = _metadata(token)
        self._request_ids = request_ids

    async def __aenter__(self) -> _Channel:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._inner.close()

    async def close(self, grace: float | None = None) -> None:
        await self._inner.close(grace)

    def get_state(self, try_to_connect: bool = False) -> grpc.ChannelConnectivity:
        return self._inner.get_state(try_to_connect)

    async def wait_for_state_change(self, last_observed_state: grpc.ChannelConnectivity) -> None:
        await self._inner.wait_for_state_change(last_observed_state)

    async def channel_ready(self) -> None:
        await self._inner.channel_ready()

    def unary_unary(self, method: str, *args: Any, **kwargs: Any) -> Any:
        calls = _UnaryUnary if self._request_ids else _Calls
        return calls(self._inner.unary_unary(method, *args, **kwargs), self._header)

    def unary_stream(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return _Calls(self._inner.unary_stream(method, *args, **kwargs), self._header)

    def stream_unary(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return _StreamCalls(self._inner.stream_unary(method, *args, **kwargs), self._header)

    def stream_stream(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return _StreamCalls(self._inner.stream_stream(method, *args, **kwargs), self._header)


def connect(
    target: str,
    *,
    token: str | None = None,
    tls: TLS | None = None,
    retries: bool = True,
    request_ids: bool = True,
    options: Sequence[tuple[str, Any]] = (),
) -> grpc.Channel:
    """A blocking channel to ``target`` (``host:port``); plaintext unless ``tls`` is given."""
    opts = _options(tls, retries, options)
    if tls is not None:
        channel = grpc.secure_channel(target, tls.credentials(), options=opts)
    else:
        channel = grpc.insecure_channel(target, options=opts)
    if token:
        channel = grpc.intercept_channel(channel, _AuthSync(token))
    if request_ids:
        channel = grpc.intercept_channel(channel, _RequestIdsSync())
    return channel


def aio_connect(
    target: str,
    *,
    token: str | None = None,
    tls: TLS | None = None,
    retries: bool = True,
    request_ids: bool = True,
    options: Sequence[tuple[str, Any]] = (),
    interceptors: Sequence[grpc.aio.ClientInterceptor] = (),
) -> grpc.aio.Channel:
    """An asyncio channel to ``target``; the same settings as :func:`connect`.

    ``interceptors`` run on every call (e.g. OpenTelemetry's, for traces); they see it as it will be
    sent, with the token and the generated ``request_id``.
    """
    opts = _options(tls, retries, options)
    if tls is not None:
        channel = grpc.aio.secure_channel(target, tls.credentials(), options=opts, interceptors=interceptors)
    else:
        channel = grpc.aio.insecure_channel(target, options=opts, interceptors=interceptors)
    if not token and not request_ids:
        return channel
    return _Channel(channel, token, request_ids)
