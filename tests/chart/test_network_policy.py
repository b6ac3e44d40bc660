"""NetworkPolicy: default deny, then exactly what each component needs; between components only the
calls a component declares (connectors to the APIs they deliver to)."""

from __future__ import annotations

from typing import Any

from .chartkit import COMPONENTS, Rendered, load_values, name_of, render

DNS = [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]
TEST_POD = {
    "podSelector": {
        "matchLabels": {
            "app.kubernetes.io/component": "test",
            "app.kubernetes.io/instance": "rel",
            "app.kubernetes.io/name": "isthmus",
        }
    }
}
CLIENTS = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "crm-apps"}}}
EDGE = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
CONNECTORS = {
    "podSelector": {
        "matchLabels": {
            "app.kubernetes.io/component": "connectors",
            "app.kubernetes.io/instance": "rel",
            "app.kubernetes.io/name": "isthmus",
        }
    }
}
MONITORING = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}


def tcp(*ports: int) -> list[dict[str, Any]]:
    return [{"port": p, "protocol": "TCP"} for p in ports]


def policy(rendered: Rendered, name: str) -> dict[str, Any]:
    spec: dict[str, Any] = rendered.get("NetworkPolicy", name)["spec"]
    return spec


def test_network_policy_is_off_by_default(external: Rendered) -> None:
    assert external.of_kind("NetworkPolicy") == []


def test_each_component_has_one_policy_selecting_only_its_pods(full: Rendered) -> None:
    policies = full.of_kind("NetworkPolicy")
    assert sorted(p["metadata"]["name"] for p in policies) == sorted(name_of(c) for c in COMPONENTS)
    for component in COMPONENTS:
        spec = policy(full, name_of(component))
        pods = full.get("Deployment", name_of(component))["spec"]["selector"]["matchLabels"]
        assert spec["podSelector"] == {"matchLabels": pods}
        assert spec["policyTypes"] == ["Ingress", "Egress"]


def test_api_components_admit_clients_and_the_test_pod_on_grpc_and_prometheus_on_metrics(
    full: Rendered,
) -> None:
    for component in ("customers", "orders", "service-requests", "loyalty"):
        ingress = policy(full, name_of(component))["ingress"]
        assert ingress[0] == {"from": [CLIENTS, EDGE, TEST_POD], "ports": tcp(50051, 50052)}, component
        assert ingress[-1] == {"from": [MONITORING], "ports": tcp(9464)}, component


def test_the_apis_connectors_deliver_to_admit_them_on_the_grpc_port_only(full: Rendered) -> None:
    for component in ("customers", "orders", "service-requests"):
        assert policy(full, name_of(component))["ingress"][1] == {"from": [CONNECTORS], "ports": tcp(50051)}
    assert len(policy(full, name_of("loyalty"))["ingress"]) == 2, "nothing in the release calls loyalty"


def test_connectors_serve_no_clients_only_health_metrics_and_the_sources_pushes(full: Rendered) -> None:
    shop = {"ipBlock": {"cidr": "203.0.113.0/24"}}
    controller = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
    assert policy(full, name_of("connectors"))["ingress"] == [
        {"from": [shop, controller], "ports": tcp(8081)},
        {"from": [TEST_POD], "ports": tcp(50051, 50052)},
        {"from": [MONITORING], "ports": tcp(9464)},
    ]


def test_components_reach_only_dns_postgresql_and_rabbitmq(full: Rendered) -> None:
    for component in ("customers", "orders", "service-requests", "loyalty"):
        assert policy(full, name_of(component))["egress"] == [
            {"ports": DNS},
            {"ports": tcp(5432), "to": [{"ipBlock": {"cidr": "10.10.0.0/24"}}]},
            {"ports": tcp(5671), "to": [{"ipBlock": {"cidr": "10.10.1.0/24"}}]},
        ], component


def test_connectors_reach_the_apis_they_call_and_only_the_sources_their_instances_allow(
    full: Rendered,
) -> None:
    egress = policy(full, name_of("connectors"))["egress"]
    assert egress[:3] == policy(full, name_of("orders"))["egress"]
    for rule, api in zip(egress[3:7], ("customers", "orders", "service-requests", "value"), strict=True):
        pods = full.get("Deployment", name_of(api))["spec"]["selector"]["matchLabels"]
        assert rule == {"to": [{"podSelector": {"matchLabels": pods}}], "ports": tcp(50051)}
    # The component-wide allow-list, then each instance's own (the ERP database for "erp").
    assert egress[7:] == [
        {"to": [{"ipBlock": {"cidr": "10.20.0.0/16"}}], "ports": tcp(443)},
        {"to": [{"ipBlock": {"cidr": "192.0.2.10/32"}}], "ports": tcp(5432)},
    ]


def test_no_rule_opens_a_port_to_everyone() -> None:
    # Without clients or the test pod an empty `from` would mean "all sources": the rule must vanish.
    values = load_values("external") | {
        "networkPolicy": {"enabled": True, "metricsFrom": []},
        "tests": {"enabled": False},
    }
    rendered = render(values)
    for component in COMPONENTS:
        spec = policy(rendered, name_of(component))
        assert all(rule.get("from") for rule in spec["ingress"]), component
        assert spec["policyTypes"] == ["Ingress", "Egress"]
    # Only the connectors' calls remain: nothing at all may reach the others.
    assert policy(rendered, name_of("loyalty"))["ingress"] == []
    assert policy(rendered, name_of("connectors"))["ingress"] == []


def test_evaluation_pins_backend_traffic_to_the_release_pods() -> None:
    values = load_values("evaluation") | {"networkPolicy": {"enabled": True}}
    rendered = render(values)
    for component in COMPONENTS:
        egress = policy(rendered, name_of(component))["egress"]
        assert egress[1:3] == [
            {"ports": tcp(5432), "to": [{"podSelector": {"matchLabels": backend_labels("postgresql")}}]},
            {"ports": tcp(5672), "to": [{"podSelector": {"matchLabels": backend_labels("rabbitmq")}}]},
        ]
    for backend, port in (("postgresql", 5432), ("rabbitmq", 5672)):
        spec = policy(rendered, f"rel-isthmus-{backend}")
        pods = rendered.get("StatefulSet", f"rel-isthmus-{backend}")["spec"]["selector"]["matchLabels"]
        assert spec["podSelector"] == {"matchLabels": pods}
        ((rule,),) = [spec["ingress"]]
        assert rule["ports"] == tcp(port)
        ((peer,),) = [rule["from"]]
        (expression,) = peer["podSelector"]["matchExpressions"]
        assert expression["values"] == list(COMPONENTS)
        assert spec["egress"] == [{"ports": DNS}]


def backend_labels(component: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": "isthmus",
        "app.kubernetes.io/instance": "rel",
        "app.kubernetes.io/component": component,
    }
