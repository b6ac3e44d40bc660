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


class _Details:
    """The aio ClientCallDetails with the token added (aio's details are not a namedtuple)."""

    @staticmethod
    def add(details: grpc.aio.ClientCallDetails, header: tuple[tuple[str, str], ...]) -> Any:
        metadata = grpc.aio.Metadata(*(details.metadata or ()), *header)
        return grpc.aio.ClientCallDetails(
            details.method, details.timeout, metadata, details.credentials, details.wait_for_ready
        )


class _UnaryUnary(grpc.aio.UnaryUnaryClientInterceptor):
    """The generated ``request_id`` and the token of a unary call, in one interceptor: grpc.aio wraps
    every call in a layer of Python per interceptor."""

    def __init__(self, token: str | None, request_ids: bool) -> None:
        self._header = _metadata(token) if token else ()
        self._request_ids = request_ids

    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        if self._request_ids:
            request = with_request_id(request)
        if self._header:
            details = _Details.add(details, self._header)
        return await continuation(details, request)


class _AuthUnaryStream(grpc.aio.UnaryStreamClientInterceptor):
    def __init__(self, token: str) -> None:
        self._header = _metadata(token)

    async def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(_Details.add(details, self._header), request)


class _AuthStreamUnary(grpc.aio.StreamUnaryClientInterceptor):
    def __init__(self, token: str) -> None:
        self._header = _metadata(token)

    async def intercept_stream_unary(self, continuation: Any, details: Any, requests: Any) -> Any:
        return await continuation(_Details.add(details, self._header), requests)


class _AuthStreamStream(grpc.aio.StreamStreamClientInterceptor):
    def __init__(self, token: str) -> None:
        self._header = _metadata(token)

    async def intercept_stream_stream(self, continuation: Any, details: Any, requests: Any) -> Any:
        return await continuation(_Details.add(details, self._header), requests)


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

    ``interceptors`` run on every call before the token is added (e.g. OpenTelemetry's, for traces).
    """
    opts = _options(tls, retries, options)
    chain: list[grpc.aio.ClientInterceptor] = list(interceptors)
    if request_ids or token:
        chain.append(_UnaryUnary(token, request_ids))
    if token:
        chain += [
            _AuthUnaryStream(token),
            _AuthStreamUnary(token),
            _AuthStreamStream(token),
        ]
    if tls is not None:
        return grpc.aio.secure_channel(target, tls.credentials(), options=opts, interceptors=chain)
    return grpc.aio.insecure_channel(target, options=opts, interceptors=chain)
