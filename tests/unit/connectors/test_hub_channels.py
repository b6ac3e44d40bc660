"""The connector runtime's hub settings: an address per API, TLS, token; bad values name the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from isthmus.connectors.channels import HubChannels, hub_settings
from isthmus.platform import config


def settings(**env: str) -> config.Settings:
    return config.load({f"ISTHMUS_{k}": v for k, v in env.items()} | {"ISTHMUS_GRPC_PORT": "50099"})


def test_without_addresses_every_api_is_this_process() -> None:
    hub = hub_settings(settings())
    assert set(hub.targets.values()) == {"127.0.0.1:50099"}
    assert not hub.tls and hub.token is None


def test_each_api_has_its_own_address_and_the_hub_target_is_the_fallback() -> None:
    hub = hub_settings(
        settings(
            CONNECTORS_HUB_TARGET="hub.crm.svc:50051",
            CONNECTORS_ORDERS_TARGET="rel-isthmus-orders.crm.svc:50051",
            CONNECTORS_SERVICE_REQUESTS_TARGET="rel-isthmus-service-requests.crm.svc:50051",
            CONNECTORS_HUB_TOKEN="a-token-of-sixteen-chars",
        )
    )
    assert hub.targets == {
        "customers": "hub.crm.svc:50051",
        "orders": "rel-isthmus-orders.crm.svc:50051",
        "service_requests": "rel-isthmus-service-requests.crm.svc:50051",
        "value": "hub.crm.svc:50051",
    }
    assert hub.token == "a-token-of-sixteen-chars"


async def test_apis_sharing_an_address_share_a_channel() -> None:
    channels = HubChannels(hub_settings(settings(CONNECTORS_ORDERS_TARGET="orders:50051")))
    try:
        assert channels.customers is channels.service_requests
        assert channels.orders is not channels.customers
    finally:
        await channels.close()


def test_a_ca_file_turns_tls_on(tmp_path: Path) -> None:
    ca = tmp_path / "ca.crt"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    hub = hub_settings(settings(CONNECTORS_HUB_CA_FILE=str(ca)))
    assert hub.tls and hub.ca_file == ca


@pytest.mark.parametrize(
    ("env", "named"),
    [
        (
            {"CONNECTORS_CUSTOMERS_TARGET": "customers"},
            "ISTHMUS_CONNECTORS_CUSTOMERS_TARGET must be host:port",
        ),
        ({"CONNECTORS_HUB_TARGET": "hub:http"}, "ISTHMUS_CONNECTORS_HUB_TARGET must be host:port"),
        ({"CONNECTORS_HUB_TLS": "maybe"}, "ISTHMUS_CONNECTORS_HUB_TLS must be true or false"),
        ({"CONNECTORS_HUB_CA_FILE": "/no/such/ca.crt"}, "ISTHMUS_CONNECTORS_HUB_CA_FILE: no readable file"),
    ],
)
def test_a_bad_setting_is_refused_naming_the_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(config.ConfigError, match=named):
        hub_settings(settings(**env))


def test_a_client_certificate_needs_its_key(tmp_path: Path) -> None:
    cert = tmp_path / "tls.crt"
    cert.write_text("x")
    with pytest.raises(config.ConfigError, match="HUB_CERT_FILE and ISTHMUS_CONNECTORS_HUB_KEY_FILE"):
        hub_settings(settings(CONNECTORS_HUB_CERT_FILE=str(cert)))
