"""The console's settings, ``ISTHMUS_CONSOLE_*``, read once at start; a ConfigError names the variable.

``PORT`` / ``HOST``
    where the console listens (default 8080 on all interfaces; ``isthmus up`` takes ``--console-port``,
    0 turns it off there).
``SECRET_KEY``
    at least 32 characters; seals the session cookie. Required by ``isthmus serve console`` (every
    replica needs the same one); ``isthmus up`` makes a random one per start when unset.
``HUB_TARGET``
    host:port of every API not named below (default: this process's own gRPC port).
``CUSTOMERS_TARGET``, ``ORDERS_TARGET``, ``SERVICE_REQUESTS_TARGET``, ``LOYALTY_TARGET``,
``VALUE_TARGET``, ``CONNECTORS_TARGET``
    host:port of each component's API on Kubernetes, where each has its own Service.
``HUB_TLS``, ``HUB_CA_FILE``, ``HUB_CERT_FILE``, ``HUB_KEY_FILE``
    TLS to the APIs, as for the connectors component.
``SESSION_HOURS``
    how long a sign-in lasts (default 8).
``OIDC_ISSUER``, ``OIDC_CLIENT_ID``, ``OIDC_CLIENT_SECRET``, ``OIDC_ROLES_CLAIM``, ``OIDC_ROLE_SCOPES``,
``HUB_TOKEN``
    sign-in with OpenID Connect instead of tokens (see oidc.py).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from isthmus.platform.config import ConfigError, Settings

PREFIX = "ISTHMUS_CONSOLE_"
# The APIs the console calls, by the component that serves them.
COMPONENTS = ("customers", "orders", "service-requests", "loyalty", "value", "connectors")


@dataclass(frozen=True)
class Oidc:
    issuer: str
    client_id: str
    client_secret: str
    # The ID token claim that lists the user's roles (or groups), and which scopes each role grants.
    roles_claim: str
    role_scopes: Mapping[str, frozenset[str]]
    # The console's own token to the APIs: OIDC users have no Isthmus token of their own.
    hub_token: str


@dataclass(frozen=True)
class ConsoleSettings:
    host: str = "0.0.0.0"
    port: int = 8080
    secret_key: bytes = b""
    targets: Mapping[str, str] = field(default_factory=dict)  # component -> host:port
    tls: bool = False
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    session_seconds: int = 8 * 3600
    oidc: Oidc | None = None
    generated_key: bool = False


def env_name(component: str) -> str:
    """``service-requests`` -> ``ISTHMUS_CONSOLE_SERVICE_REQUESTS_TARGET``."""
    return f"{PREFIX}{component.upper().replace('-', '_')}_TARGET"


def _text(env: Mapping[str, str], name: str) -> str:
    return env.get(PREFIX + name, "").strip()


def _target(env: Mapping[str, str], name: str, default: str) -> str:
    value = _text(env, name) or default
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) <= 65535:
        raise ConfigError(f"{PREFIX}{name} must be host:port, not {value!r}")
    return value


def _file(env: Mapping[str, str], name: str) -> Path | None:
    value = _text(env, name)
    if not value:
        return None
    if not Path(value).is_file():
        raise ConfigError(f"{PREFIX}{name}: no readable file at {value}")
    return Path(value)


def load(settings: Settings, *, port: int | None = None, require_key: bool = True) -> ConsoleSettings:
    env = settings.extra
    raw_port = _text(env, "PORT")
    if port is None:
        if raw_port and not (raw_port.isdigit() and int(raw_port) <= 65535):
            raise ConfigError(f"{PREFIX}PORT must be a port number 0-65535, not {raw_port!r}")
        port = int(raw_port) if raw_port else 8080
    key = _text(env, "SECRET_KEY")
    generated = False
    if not key:
        if require_key:
            raise ConfigError(
                f"{PREFIX}SECRET_KEY is not set: give the console a random secret of at least 32 characters "
                "(the same for every replica), e.g. "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
            )
        key, generated = secrets.token_urlsafe(48), True
    if len(key) < 32:
        raise ConfigError(f"{PREFIX}SECRET_KEY must be at least 32 characters")
    default = _target(env, "HUB_TARGET", f"127.0.0.1:{settings.grpc_port}")
    targets = {c: _target(env, env_name(c).removeprefix(PREFIX), default) for c in COMPONENTS}
    tls_flag = _text(env, "HUB_TLS").lower()
    if tls_flag not in {"", "true", "false", "1", "0", "yes", "no"}:
        raise ConfigError(f"{PREFIX}HUB_TLS must be true or false, not {tls_flag!r}")
    ca_file, cert_file, key_file = (_file(env, n) for n in ("HUB_CA_FILE", "HUB_CERT_FILE", "HUB_KEY_FILE"))
    if (cert_file is None) != (key_file is None):
        raise ConfigError(f"{PREFIX}HUB_CERT_FILE and {PREFIX}HUB_KEY_FILE must be set together")
    tls = tls_flag in {"true", "1", "yes"} or ca_file is not None or cert_file is not None
    hours = _text(env, "SESSION_HOURS") or "8"
    try:
        session_seconds = int(float(hours) * 3600)
    except ValueError:
        raise ConfigError(f"{PREFIX}SESSION_HOURS must be a number, not {hours!r}") from None
    if not 0 < session_seconds <= 7 * 24 * 3600:
        raise ConfigError(f"{PREFIX}SESSION_HOURS must be more than 0 and at most 168")
    return ConsoleSettings(
        host=_text(env, "HOST") or "0.0.0.0",
        port=port,
        secret_key=key.encode(),
        targets=targets,
        tls=tls,
        ca_file=ca_file,
        cert_file=cert_file,
        key_file=key_file,
        session_seconds=session_seconds,
        oidc=_oidc(env),
        generated_key=generated,
    )


def _oidc(env: Mapping[str, str]) -> Oidc | None:
    issuer = _text(env, "OIDC_ISSUER")
    if not issuer:
        return None
    if not issuer.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise ConfigError(f"{PREFIX}OIDC_ISSUER must be an https:// URL, not {issuer!r}")
    needed = {n: _text(env, n) for n in ("OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "HUB_TOKEN")}
    for name, value in needed.items():
        if not value:
            raise ConfigError(f"{PREFIX}{name} is required with {PREFIX}OIDC_ISSUER")
    raw = _text(env, "OIDC_ROLE_SCOPES")
    if not raw:
        raise ConfigError(
            f"{PREFIX}OIDC_ROLE_SCOPES is required with {PREFIX}OIDC_ISSUER: "
            '{"role": ["customers:read", ...]}'
        )
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{PREFIX}OIDC_ROLE_SCOPES is not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict) or not all(
        isinstance(v, list) and all(isinstance(s, str) and s for s in v) for v in data.values()
    ):
        raise ConfigError(f"{PREFIX}OIDC_ROLE_SCOPES must map each role to a list of scopes")
    return Oidc(
        issuer=issuer.rstrip("/"),
        client_id=needed["OIDC_CLIENT_ID"],
        client_secret=needed["OIDC_CLIENT_SECRET"],
        roles_claim=_text(env, "OIDC_ROLES_CLAIM") or "groups",
        role_scopes={role: frozenset(scopes) for role, scopes in data.items()},
        hub_token=needed["HUB_TOKEN"],
    )
