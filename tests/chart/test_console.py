"""The web console in the chart: its own Deployment, Service, Secret, NetworkPolicy and Ingress."""

from __future__ import annotations

from typing import Any

import kubernetes_validate

from .chartkit import COMPONENTS, KUBE_VERSION, load_values, name_of, render

CONSOLE = "rel-isthmus-console"


def _values(**console: Any) -> dict[str, Any]:
    values = load_values("external")
    values["console"] = {"enabled": True, **console}
    values["networkPolicy"] = {"enabled": True}
    return values


def test_console_runs_serve_console_with_http_probes_and_no_database_or_broker_credentials() -> None:
    rendered = render(_values())
    deployment = rendered.get("Deployment", CONSOLE)
    pod = deployment["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["args"] == ["serve", "console"]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "http"}
    env = {e["name"]: e for e in container["env"]}
    assert not {"ISTHMUS_DATABASE_URL", "ISTHMUS_AMQP_URL", "ISTHMUS_AUTH_TOKENS"} & set(env)
    # Each component's API at its own Service.
    for component in COMPONENTS:
        variable = f"ISTHMUS_CONSOLE_{component.upper().replace('-', '_')}_TARGET"
        assert env[variable]["value"] == f"{name_of(component)}:50051"
    key = env["ISTHMUS_CONSOLE_SECRET_KEY"]["valueFrom"]["secretKeyRef"]
    secret = rendered.get("Secret", key["name"])
    assert len(secret["data"][key["key"]]) >= 64  # 48 random characters, base64
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["automountServiceAccountToken"] is False
    service = rendered.get("Service", CONSOLE)
    assert service["spec"]["ports"] == [
        {"name": "http", "port": 8080, "targetPort": "http", "protocol": "TCP"}
    ]
    assert rendered.of_kind("Ingress") == []


def test_console_may_call_every_component_and_every_component_admits_it() -> None:
    rendered = render(_values(httpFrom=[{"namespaceSelector": {"matchLabels": {"team": "stewards"}}}]))
    own = rendered.get("NetworkPolicy", CONSOLE)["spec"]
    assert own["ingress"][0]["ports"] == [{"port": 8080, "protocol": "TCP"}]
    assert own["ingress"][0]["from"] == [{"namespaceSelector": {"matchLabels": {"team": "stewards"}}}]
    grpc_out = [r for r in own["egress"] if {"port": 50051, "protocol": "TCP"} in r["ports"]]
    assert (
        grpc_out and grpc_out[0]["to"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/instance"] == "rel"
    )
    console_peer = {"app.kubernetes.io/component": "console"}
    for component in COMPONENTS:
        spec = rendered.get("NetworkPolicy", name_of(component))["spec"]
        peers = [p for rule in spec["ingress"] for p in rule.get("from", [])]
        assert any(
            console_peer.items() <= p.get("podSelector", {}).get("matchLabels", {}).items() for p in peers
        ), component


def test_console_ingress_with_tls_and_oidc_from_an_existing_secret() -> None:
    rendered = render(
        _values(
            ingress={
                "enabled": True,
                "host": "crm.example.com",
                "tlsSecretName": "crm-tls",
                "className": "nginx",
            },
            oidc={
                "issuer": "https://login.example.com",
                "clientId": "isthmus-console",
                "existingSecret": "console-oidc",
                "roleScopes": {"stewards": ["customers:read", "customers:admin"]},
            },
        )
    )
    ingress = rendered.get("Ingress", CONSOLE)["spec"]
    assert ingress["tls"] == [{"hosts": ["crm.example.com"], "secretName": "crm-tls"}]
    assert ingress["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == CONSOLE
    [container] = rendered.get("Deployment", CONSOLE)["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert env["ISTHMUS_CONSOLE_OIDC_ISSUER"]["value"] == "https://login.example.com"
    assert (
        env["ISTHMUS_CONSOLE_OIDC_ROLE_SCOPES"]["value"]
        == '{"stewards":["customers:read","customers:admin"]}'
    )
    assert env["ISTHMUS_CONSOLE_OIDC_CLIENT_SECRET"]["valueFrom"]["secretKeyRef"]["name"] == "console-oidc"
    assert env["ISTHMUS_CONSOLE_HUB_TOKEN"]["valueFrom"]["secretKeyRef"] == {
        "name": "console-oidc",
        "key": "hub-token",
    }


def test_console_objects_validate_against_the_kubernetes_schema() -> None:
    rendered = render(_values(ingress={"enabled": True, "host": "crm.example.com"}))
    mine = [o for o in rendered.objects if o["metadata"]["name"].startswith(CONSOLE)]
    assert {o["kind"] for o in mine} == {"Deployment", "Service", "Secret", "NetworkPolicy", "Ingress"}
    for obj in mine:
        kubernetes_validate.validate(obj, KUBE_VERSION, strict=True)


def test_console_with_an_existing_key_secret_creates_none() -> None:
    rendered = render(_values(existingSecret="my-console-key"))
    [container] = rendered.get("Deployment", CONSOLE)["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert env["ISTHMUS_CONSOLE_SECRET_KEY"]["valueFrom"]["secretKeyRef"]["name"] == "my-console-key"
    assert not [s for s in rendered.of_kind("Secret") if "console" in s["metadata"]["name"]]
