"""All configuration, read from ``ISTHMUS_*`` environment variables once at start-up.

Nothing reads the environment at import time; :func:`load` is called by the CLI and raises
:class:`ConfigError` whose one-line message names the variable at fault.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

PREFIX = "ISTHMUS_"


class ConfigError(Exception):
    """A missing or malformed setting; the message names the variable."""


@dataclass(frozen=True)
class Client:
    """A caller allowed in by bearer token."""

    name: str
    token: str
    scopes: frozenset[str]


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    amqp_url: str | None = None
    data_dir: Path = Path(".isthmus")
    grpc_host: str = "[::]"
    grpc_port: int = 50051
    health_port: int = 0
    metrics_port: int = 9464
    auth_disabled: bool = False
    clients: tuple[Client, ...] = ()
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    tls_client_ca_file: Path | None = None
    log_level: str = "INFO"
    log_format: str = "json"
    access_log: bool = False
    metrics_pushgateway: str | None = None
    build_revision: str | None = None
    shutdown_grace_seconds: float = 10.0
    db_pool_size: int = 10
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def tls_enabled(self) -> bool:
        return self.tls_cert_file is not None

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


class _Asked(dict[str, str]):
    """The ``ISTHMUS_*`` variables, remembering every name the process asks for, set or not (see
    :func:`lookalikes`)."""

    def __init__(self, items: Mapping[str, str]) -> None:
        super().__init__(items)
        self.asked: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.asked.add(key)
        return super().__contains__(key)


def lookalikes(settings: Settings) -> list[str]:
    """The ``ISTHMUS_*`` variables set that nothing in this process read and that look like one it
    asked for (a typo: ``ISTHMUS_DATABSE_URL``), each with the name it probably meant: such a setting
    is ignored, silently otherwise. Call once the process's components have read their settings."""
    extra = settings.extra
    asked = sorted(getattr(extra, "asked", ()))
    out = []
    for name in sorted(set(extra) - set(asked)):
        close = difflib.get_close_matches(name, asked, n=1, cutoff=0.92)
        if close:
            out.append(f"{name} is set but nothing reads it: did you mean {close[0]}? It is ignored")
    return out


def load(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    extra = _Asked({k: v for k, v in env.items() if k.startswith(PREFIX)})
    reader = Reader(extra)
    settings = Settings(
        database_url=reader.text("DATABASE_URL"),
        amqp_url=reader.text("AMQP_URL"),
        data_dir=Path(reader.text("DATA_DIR") or ".isthmus"),
        grpc_host=reader.text("GRPC_HOST") or "[::]",
        grpc_port=reader.port("GRPC_PORT", 50051),
        health_port=reader.port("HEALTH_PORT", 0),
        metrics_port=reader.port("METRICS_PORT", 9464),
        auth_disabled=reader.flag("AUTH_DISABLED", False),
        clients=reader.clients("AUTH_TOKENS"),
        tls_cert_file=reader.path("TLS_CERT_FILE"),
        tls_key_file=reader.path("TLS_KEY_FILE"),
        tls_client_ca_file=reader.path("TLS_CLIENT_CA_FILE"),
        log_level=reader.choice("LOG_LEVEL", "INFO", {"DEBUG", "INFO", "WARNING", "ERROR"}, upper=True),
        log_format=reader.choice("LOG_FORMAT", "json", {"json", "text"}),
        access_log=reader.flag("ACCESS_LOG", False),
        metrics_pushgateway=reader.text("METRICS_PUSHGATEWAY"),
        build_revision=reader.text("BUILD_REVISION"),
        shutdown_grace_seconds=reader.number("SHUTDOWN_GRACE_SECONDS", 10.0, minimum=0),
        db_pool_size=int(reader.number("DB_POOL_SIZE", 10, minimum=1)),
        extra=extra,
    )
    if settings.database_url is not None:
        _check_database_url(settings.database_url)
    if settings.amqp_url is not None and not settings.amqp_url.startswith(("amqp://", "amqps://")):
        raise ConfigError(f"{PREFIX}AMQP_URL must start with amqp:// or amqps://")
    gateway = settings.metrics_pushgateway
    if gateway is not None and not gateway.startswith(("http://", "https://")):
        raise ConfigError(f"{PREFIX}METRICS_PUSHGATEWAY must be an http:// or https:// URL, not {gateway!r}")
    if (settings.tls_cert_file is None) != (settings.tls_key_file is None):
        raise ConfigError(f"{PREFIX}TLS_CERT_FILE and {PREFIX}TLS_KEY_FILE must be set together")
    if settings.tls_client_ca_file is not None and settings.tls_cert_file is None:
        raise ConfigError(f"{PREFIX}TLS_CLIENT_CA_FILE needs {PREFIX}TLS_CERT_FILE and {PREFIX}TLS_KEY_FILE")
    return settings


def require_auth_configured(settings: Settings) -> None:
    """A server refuses to start open by accident: no tokens and no explicit opt-out is an error."""
    if not settings.auth_disabled and not settings.clients:
        raise ConfigError(
            f"{PREFIX}AUTH_TOKENS is not set: give clients tokens, or set {PREFIX}AUTH_DISABLED=true "
            "for local use only"
        )


def _check_database_url(url: str) -> None:
    # SQLite is the embedded default (one file per component under the data dir), chosen by leaving
    # the URL unset, so the only URL to accept is PostgreSQL's.
    scheme = url.split(":", 1)[0]
    if scheme.split("+", 1)[0] not in {"postgresql", "postgres"}:
        raise ConfigError(
            f"{PREFIX}DATABASE_URL must be a postgresql:// URL (leave it unset for embedded SQLite), "
            f"not {scheme}://"
        )


class Reader:
    """Reads ``ISTHMUS_<name>`` settings, each checked; a ConfigError names the variable at fault."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env

    def text(self, name: str) -> str | None:
        value = self.env.get(PREFIX + name, "").strip()
        return value or None

    def path(self, name: str) -> Path | None:
        value = self.text(name)
        if value is None:
            return None
        path = Path(value)
        if not path.is_file():
            raise ConfigError(f"{PREFIX}{name}: no readable file at {value}")
        return path

    def flag(self, name: str, default: bool) -> bool:
        value = self.text(name)
        if value is None:
            return default
        if value.lower() in {"1", "true", "yes", "on"}:
            return True
        if value.lower() in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"{PREFIX}{name} must be true or false, not {value!r}")

    def number(self, name: str, default: float, *, minimum: float) -> float:
        value = self.text(name)
        if value is None:
            return default
        try:
            number = float(value)
        except ValueError:
            raise ConfigError(f"{PREFIX}{name} must be a number, not {value!r}") from None
        if number < minimum:
            raise ConfigError(f"{PREFIX}{name} must be at least {minimum:g}, not {value}")
        return number

    def port(self, name: str, default: int) -> int:
        value = self.text(name)
        if value is None:
            return default
        if not value.isdigit() or not 0 <= int(value) <= 65535:
            raise ConfigError(f"{PREFIX}{name} must be a port number 0-65535, not {value!r}")
        return int(value)

    def choice(self, name: str, default: str, allowed: set[str], *, upper: bool = False) -> str:
        value = self.text(name)
        if value is None:
            return default
        value = value.upper() if upper else value.lower()
        if value not in allowed:
            raise ConfigError(f"{PREFIX}{name} must be one of {', '.join(sorted(allowed))}, not {value!r}")
        return value

    def clients(self, name: str) -> tuple[Client, ...]:
        raw = self.text(name)
        if raw is None:
            return ()
        where = f"{PREFIX}{name}"
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{where} is not valid JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(data, dict):
            shape = '{"client": {"token": ..., "scopes": [...]}}'
            raise ConfigError(f"{where} must be a JSON object: {shape}")
        clients = []
        for client_name, entry in data.items():
            token = entry.get("token") if isinstance(entry, dict) else None
            scopes = entry.get("scopes") if isinstance(entry, dict) else None
            if not isinstance(token, str) or len(token) < 16:
                raise ConfigError(f"{where}: client {client_name!r} needs a token of at least 16 characters")
            if not isinstance(scopes, list) or not all(isinstance(s, str) and s for s in scopes):
                raise ConfigError(f"{where}: client {client_name!r} needs scopes, a list of strings")
            clients.append(Client(client_name, token, frozenset(scopes)))
        tokens = [c.token for c in clients]
        if len(set(tokens)) != len(tokens):
            raise ConfigError(f"{where}: two clients share one token")
        return tuple(clients)
