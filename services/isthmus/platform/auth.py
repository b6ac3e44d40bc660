"""Bearer-token authentication with per-method scopes.

Every Isthmus RPC declares the scope it needs in its proto definition
(``option (isthmus.common.v1.required_scope) = "orders:write"``); that option is the one source of
truth, read from the descriptor pool. Methods outside ``isthmus.*`` (health, reflection) are open so
that probes and tooling work without credentials. An Isthmus method without a declared scope is
refused: a forgotten annotation must fail closed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from contextvars import ContextVar

from google.protobuf import descriptor_pool

from isthmus.kernel.errors import PermissionDenied, Unauthenticated
from isthmus.platform.config import Client

OPEN = ""  # the scope of a method anyone may call
# The scope of a method any valid token may call, whatever scopes it holds (who am I?).
AUTHENTICATED = "authenticated"

# The authenticated client of the call being served ("" when authentication is off): services record
# it in audit trails beside whatever actor the request claims to act for.
principal: ContextVar[str] = ContextVar("isthmus_principal", default="")
# The whole client (with its scopes), for the one method that tells a caller who it is.
caller: ContextVar[Client | None] = ContextVar("isthmus_caller", default=None)


def _digest(token: str) -> bytes:
    # Looking tokens up by digest keeps the comparison from leaking, byte by byte, how much matched.
    return hashlib.sha256(token.encode()).digest()


def scope_allows(granted: frozenset[str], required: str) -> bool:
    if required in granted or "*" in granted:
        return True
    context, _, _ = required.partition(":")
    return f"{context}:*" in granted


# Grants remembered (see ``Authenticator.authorize``); past this many, new ones are checked per call.
# Only metadata values up to _MAX_REMEMBERED characters are: the grants hold at most some 4 MB.
_MAX_GRANTS = 4096
_MAX_REMEMBERED = 1024


class Authenticator:
    def __init__(self, clients: Iterable[Client]) -> None:
        self._by_digest = {_digest(c.token): c for c in clients}
        self._required: dict[str, str] = {}
        self._granted: dict[tuple[str, str], Client] = {}

    def required_scope(self, full_method: str) -> str:
        """``/isthmus.orders.v1.OrderService/GetOrder`` -> ``orders:read`` (cached)."""
        found = self._required.get(full_method)
        if found is None:
            found = _declared_scope(full_method)
            self._required[full_method] = found
        return found

    def authorize(self, full_method: str, authorization: str | None) -> Client | None:
        """Return the calling client, or raise Unauthenticated / PermissionDenied.

        A call a token was allowed to make is remembered by its method and metadata value, so the
        next such call costs a dict lookup, not a digest: the tokens are fixed for the life of the
        process. A lookup compares values only once their (keyed, per-process) hashes match, so it
        tells a caller nothing of how much of a token it guessed; refusals are not remembered."""
        if authorization:
            granted = self._granted.get((full_method, authorization))
            if granted is not None:
                return granted
        required = self.required_scope(full_method)
        if required == OPEN:
            return None
        if not authorization:
            raise Unauthenticated("missing 'authorization: Bearer <token>' metadata")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("authorization metadata must be 'Bearer <token>'")
        client = self._by_digest.get(_digest(token.strip()))
        if client is None:
            raise Unauthenticated("unknown bearer token")
        if required != AUTHENTICATED and not scope_allows(client.scopes, required):
            raise PermissionDenied(f"client {client.name!r} lacks scope {required!r} for {full_method}")
        if len(self._granted) < _MAX_GRANTS and len(authorization) <= _MAX_REMEMBERED:
            self._granted[(full_method, authorization)] = client
        return client


def _declared_scope(full_method: str) -> str:
    service_name, _, method_name = full_method.lstrip("/").partition("/")
    if not service_name.startswith("isthmus."):
        return OPEN
    from isthmus_client.api.common.v1 import common_pb2  # registers the option in the default pool

    try:
        service = descriptor_pool.Default().FindServiceByName(service_name)
    except KeyError:
        raise PermissionDenied(f"unknown service {service_name}") from None
    method = service.methods_by_name.get(method_name)
    if method is None:
        raise PermissionDenied(f"unknown method {full_method}")
    # The generated stub types the extension loosely; its value is a string.
    scope: str = method.GetOptions().Extensions[common_pb2.required_scope]  # type: ignore[index]
    if not scope:
        raise PermissionDenied(f"{full_method} declares no required scope; refusing")
    return str(scope)
