"""Connectors as a chart component (instances file, secrets, addresses, TLS, token) and the chart's
conventions: extra env and volumes, probe overrides, image registry, sidecars, topology spread, ingress."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from .chartkit import CHART, COMPONENTS, Rendered, helm, load_values, main_container, name_of, render


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


def connectors(rendered: Rendered) -> dict[str, Any]:
    return main_container(rendered.get("Deployment", name_of("connectors")))


def test_instances_are_rendered_into_the_mounted_file_the_runtime_reads(full: Rendered) -> None:
    deployment = full.get("Deployment", name_of("connectors"))
    container = main_container(deployment)
    path = env_of(container)["ISTHMUS_CONNECTORS_FILE"]
    (mount,) = [m for m in container["volumeMounts"] if path.startswith(m["mountPath"] + "/")]
    (volume,) = [v for v in deployment["spec"]["template"]["spec"]["volumes"] if v["name"] == mount["name"]]
    config_map = full.get("ConfigMap", volume["configMap"]["name"])
    document = json.loads(config_map["data"][path.rsplit("/", 1)[1]])
    erp, shop = document["instances"]
    assert erp == {
        "name": "erp",
        "connector": "erp",
        "schedule_seconds": 300,
        "config": {"url": "postgresql://erp_reader:${ERP_PASSWORD}@192.0.2.10:5432/erp"},
    }
    assert shop["streams"] == ["customers", "orders"] and shop["write_back"] is False
    # The file changes roll the pods.
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert "checksum/instances" in annotations


def test_instance_secrets_come_from_existing_secrets_never_the_file(full: Rendered) -> None:
    env = env_of(connectors(full))
    assert env["ERP_PASSWORD"] == {"secretKeyRef": {"name": "erp-credentials", "key": "password"}}
    assert env["SHOP_TOKEN"] == {"secretKeyRef": {"name": "shop-credentials", "key": "api-token"}}


def test_connectors_reach_each_api_at_its_service_with_tls_and_the_release_certificate(
    full: Rendered,
) -> None:
    env = env_of(connectors(full))
    for api, variable in (
        ("customers", "CUSTOMERS"),
        ("orders", "ORDERS"),
        ("service-requests", "SERVICE_REQUESTS"),
    ):
        service = full.get("Service", name_of(api))
        port = {p["name"]: p["port"] for p in service["spec"]["ports"]}["grpc"]
        assert env[f"ISTHMUS_CONNECTORS_{variable}_TARGET"] == f"{name_of(api)}.crm.svc:{port}"
    assert env["ISTHMUS_CONNECTORS_HUB_CA_FILE"] == "/etc/isthmus/hub-ca/ca.crt"
    assert env["ISTHMUS_CONNECTORS_HUB_CERT_FILE"] == "/etc/isthmus/tls/tls.crt"
    assert env["ISTHMUS_CONNECTORS_HUB_KEY_FILE"] == "/etc/isthmus/tls/tls.key"


def test_a_hub_token_named_by_client_is_that_clients_token_in_the_release_secret(full: Rendered) -> None:
    import base64

    ref = env_of(connectors(full))["ISTHMUS_CONNECTORS_HUB_TOKEN"]["secretKeyRef"]
    secret = full.get("Secret", ref["name"])
    assert base64.b64decode(secret["data"][ref["key"]]).decode() == "s3cret-token-connectors"


def test_a_hub_token_can_come_from_an_existing_secret() -> None:
    values = load_values("external")
    values["services"] = {
        "connectors": {
            "enabled": True,
            "hubToken": {"existingSecret": "connectors-token", "existingSecretKey": "token"},
            "instances": [{"name": "shop", "connector": "ecommerce", "config": {}}],
        }
    }
    env = env_of(connectors(render(values)))
    assert env["ISTHMUS_CONNECTORS_HUB_TOKEN"] == {
        "secretKeyRef": {"name": "connectors-token", "key": "token"}
    }


def test_instances_without_a_hub_token_fail_the_install_naming_the_value() -> None:
    values = load_values("external")
    values["services"] = {
        "connectors": {"enabled": True, "instances": [{"name": "shop", "connector": "ecommerce"}]}
    }
    with pytest.raises(helm.HelmError, match=r"services\.connectors\.hubToken\.existingSecret"):
        render(values)


def test_without_instances_connectors_need_no_token_and_mount_no_file(external: Rendered) -> None:
    env = env_of(connectors(external))
    assert "ISTHMUS_CONNECTORS_HUB_TOKEN" not in env and "ISTHMUS_CONNECTORS_FILE" not in env
    assert env["ISTHMUS_CONNECTORS_ORDERS_TARGET"] == "rel-isthmus-orders.crm.svc:50051"
    assert "ISTHMUS_CONNECTORS_HUB_CA_FILE" not in env, "plaintext when the release is"


def test_evaluation_connectors_use_the_generated_token() -> None:
    values = load_values("evaluation")
    values["services"] = {"connectors": {"enabled": True, "instances": [{"name": "s", "connector": "erp"}]}}
    env = env_of(connectors(render(values)))
    assert env["ISTHMUS_CONNECTORS_HUB_TOKEN"]["secretKeyRef"] == {
        "name": "rel-isthmus",
        "key": "evaluation-token",
    }


def test_global_extras_reach_every_isthmus_container_and_the_migration_job(full: Rendered) -> None:
    for where, container in full.containers():
        if container["name"] in {"log-shipper"} or where.startswith("Pod/"):
            continue
        mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
        assert mounts.get("/etc/isthmus/db-ca") == "db-ca", where
    for where, spec in full.pod_specs():
        if where.startswith(("Deployment/", "Job/")):
            assert "db-ca" in {v["name"] for v in spec["volumes"]}, where


def test_component_extras_probes_sidecars_and_pod_annotations(full: Rendered) -> None:
    customers = full.get("Deployment", name_of("customers"))
    container = main_container(customers)
    assert {"configMapRef": {"name": "customers-tuning"}} in container["envFrom"]
    assert container["startupProbe"]["failureThreshold"] == 120
    assert container["startupProbe"]["periodSeconds"] == 2, "the rest of the global probe stays"
    assert container["readinessProbe"]["periodSeconds"] == 10, "the global override"
    assert customers["spec"]["template"]["metadata"]["annotations"]["team"] == "data-quality"
    orders = full.get("Deployment", name_of("orders"))["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in orders] == ["orders", "log-shipper"]


def test_registry_goes_in_front_of_every_image_and_global_wins(full: Rendered) -> None:
    for where, container in full.containers():
        if container["name"] != "log-shipper":
            assert container["image"] == "mirror.example.internal/isthmus:0.1.0", where
    values = load_values("evaluation") | {"image": {"registry": "registry.example.com/team"}}
    rendered = render(values)
    images = {c["image"] for _, c in rendered.containers()}
    assert "registry.example.com/team/isthmus:0.1.0" in images
    assert "postgres:16" in images, "image.registry is the Isthmus image's own"
    values["global"] = {"imageRegistry": "mirror.example.internal"}
    everything = {c["image"] for _, c in render(values).containers()}
    assert everything == {
        "mirror.example.internal/isthmus:0.1.0",
        "mirror.example.internal/postgres:16",
        "mirror.example.internal/rabbitmq:3.13-management",
    }


def test_replicas_spread_over_nodes_and_zones_unless_told_otherwise(external: Rendered) -> None:
    for component in COMPONENTS:
        spec = external.get("Deployment", name_of(component))["spec"]
        constraints = spec["template"]["spec"]["topologySpreadConstraints"]
        assert [c["topologyKey"] for c in constraints] == [
            "kubernetes.io/hostname",
            "topology.kubernetes.io/zone",
        ]
        for c in constraints:
            assert c["whenUnsatisfiable"] == "ScheduleAnyway"
            assert c["labelSelector"]["matchLabels"] == spec["selector"]["matchLabels"]
    values = load_values("external") | {"defaultTopologySpread": False}
    assert (
        "topologySpreadConstraints"
        not in render(values).get("Deployment", name_of("orders"))["spec"]["template"]["spec"]
    )


def test_the_apis_are_exposed_on_one_host_each_grpc_service_to_its_component(full: Rendered) -> None:
    ingress = full.get("Ingress", "rel-isthmus")
    assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/backend-protocol"] == "GRPCS"
    (rule,) = ingress["spec"]["rules"]
    routes = {p["path"]: p["backend"]["service"]["name"] for p in rule["http"]["paths"]}
    assert routes == {
        "/isthmus.customers.v1.CustomerMasterService/": name_of("customers"),
        "/isthmus.loyalty.v1.LoyaltyService/": name_of("loyalty"),
        "/isthmus.orders.v1.OrderService/": name_of("orders"),
        "/isthmus.service_requests.v1.ServiceRequestService/": name_of("service-requests"),
        "/isthmus.service_requests.v1.ScriptService/": name_of("service-requests"),
        "/isthmus.value.v1.ValueService/": name_of("value"),
        "/isthmus.value.v1.SegmentService/": name_of("value"),
        "/isthmus.value.v1.CampaignService/": name_of("value"),
        "/isthmus.value.v1.SuggestionService/": name_of("value"),
    }
    assert ingress["spec"]["tls"] == [{"secretName": "isthmus-edge-tls", "hosts": ["isthmus.example.com"]}]
    route = full.get("GRPCRoute", "rel-isthmus")
    served = {
        r["matches"][0]["method"]["service"]: r["backendRefs"][0]["name"] for r in route["spec"]["rules"]
    }
    assert served == {path.strip("/"): backend for path, backend in routes.items()}


def test_the_grpc_services_named_in_values_are_the_ones_the_components_serve() -> None:
    from isthmus.platform import component as registry

    defaults = yaml.safe_load((CHART / "values.yaml").read_text())["services"]
    for name in COMPONENTS:
        assert defaults[name]["grpcServices"] == list(registry.load(name).services), name


def test_a_component_may_skip_migrations() -> None:
    values = load_values("external")
    values["services"] = {"loyalty": {"enabled": True, "migrate": False}}
    job = render(values).get("Job", "rel-isthmus-migrate")
    names = [c["name"] for c in job["spec"]["template"]["spec"]["containers"]]
    assert "migrate-loyalty" not in names and "migrate-orders" in names


def test_a_files_instance_as_its_doc_shows_it_renders_a_mapping_the_connector_takes() -> None:
    """docs/files-connector.md's values: the inbox mounted read-only, and the instance's nested
    mapping in the instances file as the connector needs it."""
    from isthmus_connector_files import FilesConnector

    from isthmus.connectors.runtime import parse_instances

    doc = (CHART.parents[1] / "docs" / "files-connector.md").read_text()
    (block,) = [b for b in doc.split("```yaml\n")[1:] if "connector: files" in b]
    values = load_values("external") | yaml.safe_load(block.split("```")[0])
    values["services"]["connectors"] |= {
        "enabled": True,
        "hubToken": {"existingSecret": "connectors-token", "existingSecretKey": "token"},
    }
    rendered = render(values)
    deployment = rendered.get("Deployment", name_of("connectors"))
    container = main_container(deployment)
    assert {"name": "marketplace-drops", "mountPath": "/drops/marketplace", "readOnly": True} in container[
        "volumeMounts"
    ]
    for component in ("customers", "orders"):
        env = env_of(main_container(rendered.get("Deployment", name_of(component))))
        assert env["ISTHMUS_CUSTOMERS_SOURCE_SYSTEMS"] == "erp,webshop,callcenter,marketplace", component
    path = env_of(container)["ISTHMUS_CONNECTORS_FILE"]
    (mount,) = [m for m in container["volumeMounts"] if path.startswith(m["mountPath"] + "/")]
    (volume,) = [v for v in deployment["spec"]["template"]["spec"]["volumes"] if v["name"] == mount["name"]]
    document = json.loads(
        rendered.get("ConfigMap", volume["configMap"]["name"])["data"][path.rsplit("/", 1)[1]]
    )
    (instance,) = parse_instances(document, env={})
    connector = FilesConnector(instance.config)
    assert FilesConnector.configured_streams(connector.config) == ("orders",)
    assert "lines.*.unit_price" in {f.target for f in connector.plans["orders"].fields}
