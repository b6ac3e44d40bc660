"""How the connector runtime reaches the hub's APIs: an address per API, TLS, and a bearer token.

On Kubernetes every API has a Service of its own, so each API has its own address. Settings
(``ISTHMUS_CONNECTORS_*``, read at start; the chart sets them from its values):

``HUB_TARGET``
    host:port of every API not named below. Default: this process's own gRPC port, which is right
    only when the APIs run in the same process (``isthmus up``).
``CUSTOMERS_TARGET``, ``ORDERS_TARGET``, ``SERVICE_REQUESTS_TARGET``, ``VALUE_TARGET``
    host:port of the customer master, order, service request and value APIs (the value API takes
    abandoned carts).
``HUB_TOKEN``
    bearer token of a client with ``customers:read`` (an order's or a case's customer looked up by its
    source id), ``customers:write``, ``orders:write``, ``service_requests:write`` and ``value:write``
    (abandoned carts).
``HUB_TLS``
    ``true``: speak TLS, verifying the APIs' certificates against the system's roots (or ``HUB_CA_FILE``).
``HUB_CA_FILE``
    PEM roots that signed the APIs' certificates; implies TLS.
``HUB_CERT_FILE``, ``HUB_KEY_FILE``
    client certificate and key, for APIs that require mutual TLS; imply TLS.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import grpc

from isthmus.platform import tracing
from isthmus.platform.config import ConfigError, Settings
from isthmus_client.channel import TLS, aio_connect

PREFIX = "ISTHMUS_CONNECTORS_"
APIS = ("customers", "orders", "service_requests", "value")
_OPTIONS = [("grpc.max_receive_message_length", 16 * 1024 * 1024)]


@dataclass(frozen=True)
class HubSettings:
    targets: Mapping[str, str]  # API ("customers", "orders", "service_requests", "value") -> host:port
    token: str | None = None
    tls: bool = False
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None


def _file(env: Mapping[str, str], name: str) -> Path | None:
    value = env.get(PREFIX + name, "").strip()
    if not value:
        return None
    path = Path(value)
    if not path.is_file():
        raise ConfigError(f"{PREFIX}{name}: no readable file at {value}")
    return path


def _target(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(PREFIX + name, "").strip()
    if not value:
        return default
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) <= 65535:
        raise ConfigError(f"{PREFIX}{name} must be host:port, not {value!r}")
    return value


def hub_settings(settings: Settings) -> HubSettings:
    """Read and check the hub client settings; a ConfigError names the variable at fault."""
    env = settings.extra
    default = _target(env, "HUB_TARGET", f"127.0.0.1:{settings.grpc_port}")
    targets = {api: _target(env, f"{api.upper()}_TARGET", default) for api in APIS}
    tls_flag = env.get(PREFIX + "HUB_TLS", "").strip().lower()
    if tls_flag not in {"", "true", "false", "1", "0", "yes", "no"}:
        raise ConfigError(f"{PREFIX}HUB_TLS must be true or false, not {tls_flag!r}")
    ca_file, cert_file, key_file = (_file(env, n) for n in ("HUB_CA_FILE", "HUB_CERT_FILE", "HUB_KEY_FILE"))
    if (cert_file is None) != (key_file is None):
        raise ConfigError(f"{PREFIX}HUB_CERT_FILE and {PREFIX}HUB_KEY_FILE must be set together")
    tls = tls_flag in {"true", "1", "yes"} or any(f is not None for f in (ca_file, cert_file))
    if tls_flag in {"false", "0", "no"} and tls:
        raise ConfigError(f"{PREFIX}HUB_TLS is false but a HUB_CA_FILE or HUB_CERT_FILE is set")
    token = env.get(PREFIX + "HUB_TOKEN", "").strip() or None
    return HubSettings(targets, token, tls, ca_file, cert_file, key_file)


class HubChannels:
    """One gRPC channel per distinct address; APIs that share an address share the channel."""

    def __init__(self, hub: HubSettings) -> None:
        # The token travels per call (GrpcHub), so the channels carry none.
        tls = TLS.from_files(hub.ca_file, hub.cert_file, hub.key_file) if hub.tls else None
        self._by_target: dict[str, grpc.aio.Channel] = {
            target: aio_connect(target, tls=tls, options=_OPTIONS, interceptors=tracing.client_interceptors())
            for target in dict.fromkeys(hub.targets.values())
        }
        self.customers = self._by_target[hub.targets["customers"]]
        self.orders = self._by_target[hub.targets["orders"]]
        self.service_requests = self._by_target[hub.targets["service_requests"]]
        self.value = self._by_target[hub.targets["value"]]

    async def close(self) -> None:
        for channel in self._by_target.values():
            await channel.close()
