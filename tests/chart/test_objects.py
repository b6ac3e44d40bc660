"""Every rendered object is valid Kubernetes, and every pod is locked down, probed and sized."""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from .chartkit import (
    CHART,
    COMPONENTS,
    KUBE_VERSION,
    Rendered,
    is_isthmus_image,
    labels,
    main_container,
    name_of,
)
from .monitoring import PROMETHEUS_RULE_SCHEMA

# kubernetes-validate ships core schemas only; the Prometheus Operator CRD is checked against the
# fields of monitoring.coreos.com/v1 ServiceMonitor that the chart uses (required ones strictly).
SERVICE_MONITOR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "monitoring.coreos.com/v1"},
        "metadata": {"type": "object", "required": ["name"]},
        "spec": {
            "type": "object",
            "additionalProperties": False,
            "required": ["selector", "endpoints"],
            "properties": {
                "selector": {
                    "type": "object",
                    "properties": {"matchLabels": {"type": "object", "minProperties": 1}},
                    "required": ["matchLabels"],
                },
                "namespaceSelector": {
                    "type": "object",
                    "properties": {"matchNames": {"type": "array", "items": {"type": "string"}}},
                },
                "endpoints": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["port"],
                        "properties": {
                            "port": {"type": "string"},
                            "path": {"type": "string", "pattern": "^/"},
                            "interval": {"type": "string", "pattern": "^[0-9]+(ms|s|m|h)$"},
                            "scrapeTimeout": {"type": "string", "pattern": "^[0-9]+(ms|s|m|h)$"},
                        },
                    },
                },
            },
        },
    },
}


# Gateway API v1 GRPCRoute (gateway.networking.k8s.io, standard channel), the fields the chart uses.
_NAME = {"type": "string", "minLength": 1, "maxLength": 253}
GRPC_ROUTE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "gateway.networking.k8s.io/v1"},
        "metadata": {"type": "object", "required": ["name"]},
        "spec": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "parentRefs": {
                    "type": "array",
                    "maxItems": 32,
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["name"],
                        "properties": {
                            "name": _NAME,
                            "namespace": _NAME,
                            "sectionName": _NAME,
                            "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                        },
                    },
                },
                "hostnames": {"type": "array", "maxItems": 16, "items": _NAME},
                "rules": {
                    "type": "array",
                    "maxItems": 16,
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "matches": {
                                "type": "array",
                                "maxItems": 64,
                                "items": {
                                    "type": "object",
                                    "additionalProperties": False,
                                    "properties": {
                                        "method": {
                                            "type": "object",
                                            "additionalProperties": False,
                                            "properties": {
                                                "type": {"enum": ["Exact", "RegularExpression"]},
                                                "service": {"type": "string", "maxLength": 1024},
                                                "method": {"type": "string", "maxLength": 1024},
                                            },
                                        }
                                    },
                                },
                            },
                            "backendRefs": {
                                "type": "array",
                                "maxItems": 16,
                                "items": {
                                    "type": "object",
                                    "additionalProperties": False,
                                    "required": ["name", "port"],
                                    "properties": {
                                        "name": _NAME,
                                        "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}


def test_every_object_validates_against_the_kubernetes_schema(any_render: Rendered) -> None:
    for obj in any_render.objects:
        if obj["kind"] == "ServiceMonitor":
            jsonschema.validate(obj, SERVICE_MONITOR_SCHEMA)
        elif obj["kind"] == "GRPCRoute":
            jsonschema.validate(obj, GRPC_ROUTE_SCHEMA)
        elif obj["kind"] == "PrometheusRule":
            jsonschema.validate(obj, PROMETHEUS_RULE_SCHEMA)
        else:
            kubernetes_validate.validate(obj, KUBE_VERSION, strict=True)


def test_service_monitor_scrapes_the_metrics_port_of_a_service_that_has_one(full: Rendered) -> None:
    monitors = full.of_kind("ServiceMonitor")
    assert sorted(m["metadata"]["name"] for m in monitors) == sorted(name_of(c) for c in COMPONENTS)
    for monitor in monitors:
        service = full.get("Service", monitor["metadata"]["name"])
        selector = monitor["spec"]["selector"]["matchLabels"]
        assert selector.items() <= labels(service).items()
        assert [e["port"] for e in monitor["spec"]["endpoints"]] == ["metrics"]
        assert "metrics" in {p["name"] for p in service["spec"]["ports"]}
        assert monitor["metadata"]["labels"]["release"] == "prometheus"


def test_one_deployment_and_service_per_component_from_one_template() -> None:
    templates = sorted(p.name for p in (CHART / "templates").iterdir())
    assert not [t for t in templates if any(c in t for c in COMPONENTS)], "no per-component template copies"
    deployment_templates = [
        p.name
        for p in (CHART / "templates").glob("*.yaml")
        if re.search(r"^kind: Deployment$", p.read_text(), re.MULTILINE)
    ]
    assert deployment_templates == ["components.yaml"]


def test_each_component_runs_its_own_serve_command(external: Rendered) -> None:
    for component in COMPONENTS:
        deployment = external.get("Deployment", name_of(component))
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["args"] == ["serve", component]
        assert "command" not in container, "the image's isthmus entrypoint runs"
        service = external.get("Service", name_of(component))
        assert {p["name"]: p["port"] for p in service["spec"]["ports"]} == {"grpc": 50051, "metrics": 9464}
        assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]


def test_every_pod_runs_as_non_root_with_runtime_default_seccomp(any_render: Rendered) -> None:
    for where, spec in any_render.pod_specs():
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True, where
        assert pod["runAsUser"] != 0, where
        assert pod["seccompProfile"] == {"type": "RuntimeDefault"}, where
        assert spec["automountServiceAccountToken"] is False, where


@pytest.mark.parametrize("fixture", ["external", "evaluation", "full"])
def test_every_container_is_read_only_without_capabilities(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    rendered: Rendered = request.getfixturevalue(fixture)
    containers = list(rendered.containers())
    assert containers
    for where, container in containers:
        sc = container["securityContext"]
        assert sc["readOnlyRootFilesystem"] is True, where
        assert sc["allowPrivilegeEscalation"] is False, where
        assert sc["runAsNonRoot"] is True, where
        assert sc["capabilities"] == {"drop": ["ALL"]}, where
        assert sc["seccompProfile"] == {"type": "RuntimeDefault"}, where


def test_read_only_root_leaves_a_writable_data_dir_and_tmp(any_render: Rendered) -> None:
    for where, spec in any_render.pod_specs():
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for container in spec["containers"]:
            if not is_isthmus_image(container["image"]):
                continue
            mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
            assert "emptyDir" in volumes[mounts["/tmp"]], where
            if "serve" in container.get("args", []):
                assert "emptyDir" in volumes[mounts["/var/lib/isthmus"]], where


def test_every_container_requests_cpu_and_memory_and_limits_memory(any_render: Rendered) -> None:
    for where, container in any_render.containers():
        resources = container["resources"]
        assert {"cpu", "memory"} <= resources["requests"].keys(), where
        assert "memory" in resources["limits"], where


def test_probes_use_native_grpc_health_on_the_grpc_port_without_tls(external: Rendered) -> None:
    for component in COMPONENTS:
        (container,) = external.get("Deployment", name_of(component))["spec"]["template"]["spec"][
            "containers"
        ]
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container[probe]["grpc"] == {"port": 50051, "service": ""}, (component, probe)
        assert "ISTHMUS_HEALTH_PORT" not in external.get("ConfigMap", "rel-isthmus")["data"]


def test_probes_move_to_the_plaintext_health_port_when_tls_is_on(full: Rendered) -> None:
    config = full.get("ConfigMap", "rel-isthmus")["data"]
    assert config["ISTHMUS_HEALTH_PORT"] == "50052"
    assert config["ISTHMUS_TLS_CLIENT_CA_FILE"] == "/etc/isthmus/client-ca/ca.crt"
    for component in COMPONENTS:
        deployment = full.get("Deployment", name_of(component))
        spec = deployment["spec"]["template"]["spec"]
        container = main_container(deployment)
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container[probe]["grpc"] == {"port": 50052, "service": ""}, (component, probe)
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        pushes = {"webhooks": 8081} if component == "connectors" else {}  # the shop pushes
        assert ports == {"grpc": 50051, "metrics": 9464, "health": 50052, **pushes}
        mounts = {m["mountPath"] for m in container["volumeMounts"]}
        assert {"/etc/isthmus/tls", "/etc/isthmus/client-ca"} <= mounts
        secrets = {v["name"]: v["secret"]["secretName"] for v in spec["volumes"] if "secret" in v}
        assert secrets.items() >= {"tls": "isthmus-grpc-tls", "client-ca": "isthmus-grpc-tls"}.items()
        # A component that calls the others verifies them with the CA next to the certificate.
        assert ("hub-ca" in secrets) == (component == "connectors")


def test_helm_test_pod_checks_every_component_on_the_probe_port(external: Rendered, full: Rendered) -> None:
    for rendered, port in ((external, 50051), (full, 50052)):
        (pod,) = rendered.of_kind("Pod")
        assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
        (container,) = pod["spec"]["containers"]
        assert container["command"] == ["python", "-m", "isthmus.platform.healthcheck"]
        assert container["args"] == [f"{name_of(c)}:{port}" for c in COMPONENTS]


def test_autoscaler_owns_replicas_and_pdb_allows_node_drains(full: Rendered, external: Rendered) -> None:
    assert not external.of_kind("HorizontalPodAutoscaler")
    assert not external.of_kind("PodDisruptionBudget")
    scaled = {h["spec"]["scaleTargetRef"]["name"] for h in full.of_kind("HorizontalPodAutoscaler")}
    # The connector runtime schedules its own syncs: the chart keeps it out of CPU autoscaling.
    assert scaled == {name_of(c) for c in COMPONENTS if c != "connectors"}
    for component in COMPONENTS:
        spec = full.get("Deployment", name_of(component))["spec"]
        assert ("replicas" in spec) == (component == "connectors"), component
        pdb = full.get("PodDisruptionBudget", name_of(component))["spec"]
        assert pdb == {"maxUnavailable": 1, "selector": {"matchLabels": spec["selector"]["matchLabels"]}}


def test_upgrades_roll_without_dropping_below_the_wanted_replicas(external: Rendered) -> None:
    for component in COMPONENTS:
        strategy = external.get("Deployment", name_of(component))["spec"]["strategy"]
        assert strategy == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}


def test_notes_tell_how_to_reach_every_component(external: Rendered, evaluation: Rendered) -> None:
    for component in COMPONENTS:
        assert f"{name_of(component)}.crm.svc:50051" in external.notes
    assert "port-forward svc/rel-isthmus-customers 50051" in external.notes
    assert "EVALUATION MODE" in evaluation.notes and "EVALUATION MODE" not in external.notes
    assert "evaluation-token" in evaluation.notes


def test_chart_components_are_exactly_the_ones_isthmus_serve_knows() -> None:
    from isthmus.platform.component import CLIENTS, REGISTRY

    values = yaml.safe_load((CHART / "values.yaml").read_text())
    # The web console is no gRPC component but a client of them (`isthmus serve console`), off by default.
    assert sorted(values["services"]) == sorted([*REGISTRY, *CLIENTS]) == sorted([*COMPONENTS, "console"])
