"""The connectors component's webhook endpoint in the chart: env, container and Service port, the
NetworkPolicy rule that opens it, and its Ingress; nowhere when it is off or on another component."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest

from .chartkit import KUBE_VERSION, helm, load_values, main_container, name_of, render

CONNECTORS = name_of("connectors")
SHOP = {"ipBlock": {"cidr": "203.0.113.0/24"}}
CONTROLLER = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}


def _values(**webhooks: Any) -> dict[str, Any]:
    values = load_values("external")
    values["services"] = {"connectors": {"enabled": True, "webhooks": webhooks}}
    values["networkPolicy"] = {"enabled": True}
    return values


def test_webhooks_are_off_unless_enabled() -> None:
    rendered = render(_values())
    container = main_container(rendered.get("Deployment", CONNECTORS))
    assert "ISTHMUS_CONNECTORS_WEBHOOK_PORT" not in {e["name"] for e in container["env"]}
    assert "webhooks" not in {p["name"] for p in container["ports"]}
    assert "webhooks" not in {p["name"] for p in rendered.get("Service", CONNECTORS)["spec"]["ports"]}
    assert not rendered.of_kind("Ingress")
    assert "/webhooks/" not in rendered.notes


def test_enabled_webhooks_are_served_on_their_port_opened_to_the_sources_and_the_ingress() -> None:
    ingress = {
        "enabled": True,
        "host": "hooks.example.com",
        "tlsSecretName": "hooks-tls",
        "controllerFrom": [CONTROLLER],
    }
    rendered = render(_values(enabled=True, port=8081, **{"from": [SHOP]}, ingress=ingress))
    container = main_container(rendered.get("Deployment", CONNECTORS))
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["ISTHMUS_CONNECTORS_WEBHOOK_PORT"] == "8081"
    assert {"name": "webhooks", "containerPort": 8081, "protocol": "TCP"} in container["ports"]
    service = rendered.get("Service", CONNECTORS)
    assert {"name": "webhooks", "port": 8081, "targetPort": "webhooks", "protocol": "TCP"} in service["spec"][
        "ports"
    ]
    policy = rendered.get("NetworkPolicy", CONNECTORS)["spec"]
    assert {"from": [SHOP, CONTROLLER], "ports": [{"port": 8081, "protocol": "TCP"}]} in policy["ingress"]
    # Nothing else reaches the webhook port, and the sources reach nothing else.
    for rule in policy["ingress"]:
        if SHOP in rule.get("from", []):
            assert rule["ports"] == [{"port": 8081, "protocol": "TCP"}]
    hooks = rendered.get("Ingress", f"{CONNECTORS}-webhooks")
    assert hooks["spec"]["tls"] == [{"hosts": ["hooks.example.com"], "secretName": "hooks-tls"}]
    (path,) = hooks["spec"]["rules"][0]["http"]["paths"]
    assert path == {
        "path": "/webhooks/",
        "pathType": "Prefix",
        "backend": {"service": {"name": CONNECTORS, "port": {"name": "webhooks"}}},
    }
    assert "POST https://hooks.example.com/webhooks/<instance>" in rendered.notes
    for obj in rendered.objects:
        if obj["metadata"]["name"].startswith(CONNECTORS):
            kubernetes_validate.validate(obj, KUBE_VERSION, strict=True)


def test_webhooks_on_another_component_fail_the_install() -> None:
    values = load_values("external")
    values["services"] = {"orders": {"webhooks": {"enabled": True, "port": 8081}}}
    with pytest.raises(helm.HelmError, match=r"services\.orders\.webhooks: only the connectors component"):
        render(values)
