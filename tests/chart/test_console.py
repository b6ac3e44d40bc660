"""The web console as a component of the chart's loop: HTTP instead of gRPC, no database, calls every API."""

from __future__ import annotations

from typing import Any

import kubernetes_validate

from .chartkit import COMPONENTS, KUBE_VERSION, load_values, name_of, render

CONSOLE = "rel-isthmus-console"


def _values(**console: Any) -> dict[str, Any]:
    values = load_values("external")
    values.setdefault("services", {})["console"] = {"enabled": True, **console}
    values["networkPolicy"] = {"enabled": True}
    return values


def _env(rendered: Any) -> dict[str, Any]:
    [container] = rendered.get("Deployment", CONSOLE)["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e for e in container["env"]}


def test_console_serves_http_with_http_probes_and_no_database_broker_or_token_list() -> None:
    rendered = render(_values())
    pod = rendered.get("Deployment", CONSOLE)["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["args"] == ["serve", "console"]
    assert [p["name"] for p in container["ports"]] == ["http"]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "http"}
        assert "grpc" not in container[probe]
    env = _env(rendered)
    assert not {"ISTHMUS_DATABASE_URL", "ISTHMUS_AMQP_URL", "ISTHMUS_AUTH_TOKENS"} & set(env)
    assert env["ISTHMUS_CONSOLE_PORT"]["value"] == "8080"
    for component in COMPONENTS:  # each API at its own Service
        assert env[f"ISTHMUS_CONSOLE_{component.upper().replace('-', '_')}_TARGET"]["value"].startswith(
            f"{name_of(component)}."
        )
    key = env["ISTHMUS_CONSOLE_SECRET_KEY"]["valueFrom"]["secretKeyRef"]
    assert len(rendered.get("Secret", key["name"])["data"][key["key"]]) >= 64  # 48 random characters
    assert not [c for c in pod.get("initContainers", []) if c["name"] == "migrate"]
    service = rendered.get("Service", CONSOLE)
    assert service["spec"]["ports"] == [
        {"name": "http", "port": 8080, "targetPort": "http", "protocol": "TCP"}
    ]
    # helm test and the ServiceMonitors are about gRPC components only.
    test_pod = next(o for o in rendered.of_kind("Pod"))
    assert CONSOLE not in str(test_pod)


def test_console_may_call_every_component_and_every_component_admits_it() -> None:
    stewards = {"namespaceSelector": {"matchLabels": {"team": "stewards"}}}
    rendered = render(_values(http={"port": 8080, "from": [stewards]}))
    own = rendered.get("NetworkPolicy", CONSOLE)["spec"]
    assert own["ingress"] == [{"from": [stewards], "ports": [{"port": 8080, "protocol": "TCP"}]}]
    out_ports = [p["port"] for rule in own["egress"] for p in rule["ports"]]
    assert 5432 not in out_ports and 5672 not in out_ports  # no database, no broker
    console_peer = {"app.kubernetes.io/component": "console"}
    for component in COMPONENTS:
        spec = rendered.get("NetworkPolicy", name_of(component))["spec"]
        peers = [p for rule in spec["ingress"] for p in rule.get("from", [])]
        assert any(
            console_peer.items() <= p.get("podSelector", {}).get("matchLabels", {}).items() for p in peers
        ), component


def test_console_ingress_with_tls_and_oidc_from_an_existing_secret() -> None:
    ingress = {"enabled": True, "host": "crm.example.com", "tlsSecretName": "crm-tls", "className": "nginx"}
    rendered = render(
        _values(
            http={"port": 8080, "ingress": ingress},
            oidc={
                "issuer": "https://login.example.com",
                "clientId": "isthmus-console",
                "existingSecret": "console-oidc",
                "roleScopes": {"stewards": ["customers:read", "customers:admin"]},
            },
            hubToken={"existingSecret": "console-oidc", "existingSecretKey": "hub-token"},
        )
    )
    spec = rendered.get("Ingress", CONSOLE)["spec"]
    assert spec["tls"] == [{"hosts": ["crm.example.com"], "secretName": "crm-tls"}]
    assert spec["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == CONSOLE
    env = _env(rendered)
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
    egress = rendered.get("NetworkPolicy", CONSOLE)["spec"]["egress"]
    assert {"ports": [{"port": 443, "protocol": "TCP"}]} in egress  # the identity provider


def test_console_objects_validate_against_the_kubernetes_schema() -> None:
    rendered = render(_values(http={"port": 8080, "ingress": {"enabled": True, "host": "crm.example.com"}}))
    mine = [o for o in rendered.objects if o["metadata"]["name"].startswith(CONSOLE)]
    assert {o["kind"] for o in mine} == {"Deployment", "Service", "Secret", "NetworkPolicy", "Ingress"}
    for obj in mine:
        kubernetes_validate.validate(obj, KUBE_VERSION, strict=True)


def test_console_with_an_existing_session_key_creates_no_secret() -> None:
    rendered = render(_values(sessionKey={"existingSecret": "my-console-key", "existingSecretKey": "k"}))
    assert _env(rendered)["ISTHMUS_CONSOLE_SECRET_KEY"]["valueFrom"]["secretKeyRef"] == {
        "name": "my-console-key",
        "key": "k",
    }
    assert not [s for s in rendered.of_kind("Secret") if "console" in s["metadata"]["name"]]
