"""docs/operating.md, read against the chart: its values render, its names exist, its Secrets fit.

A user follows the walk-through from an empty cluster to a synced connector by copying its commands
and values; every value it names must be one the chart takes, and what it renders must use exactly
the Secrets and keys the walk-through tells the user to create.
"""

from __future__ import annotations

import json
import re
import textwrap
from typing import Any

import pytest
import yaml

from isthmus.connectors.hub import GrpcHub
from isthmus.platform.auth import Authenticator

from .chartkit import CHART, ROOT, Rendered, helm, main_container, render

DOC = (ROOT / "docs" / "operating.md").read_text()
VALUES = yaml.safe_load((CHART / "values.yaml").read_text())
RELEASE = "isthmus"  # the walk-through's release: Services are isthmus-<component>


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", DOC, re.MULTILINE | re.DOTALL)


def value_blocks() -> list[dict[str, Any]]:
    """The YAML blocks that are chart values (not Kubernetes objects)."""
    found = []
    indented = [textwrap.dedent(b) for b in re.findall(r"^  ```yaml\n(.*?)^  ```", DOC, re.M | re.S)]
    for text in blocks("yaml") + indented:
        doc = yaml.safe_load(text)
        if isinstance(doc, dict) and "apiVersion" not in doc:
            found.append(doc)
    return found


def walkthrough_values() -> dict[str, Any]:
    (values,) = [b for b in value_blocks() if "instances" in b.get("services", {}).get("connectors", {})
                 and "hubToken" in b["services"]["connectors"]]  # fmt: skip
    return values


@pytest.fixture(scope="module")
def walkthrough() -> Rendered:
    return render(walkthrough_values(), release=RELEASE)


def test_every_values_block_satisfies_the_schema() -> None:
    found = value_blocks()
    assert len(found) >= 5
    with helm.Chart.load(CHART) as chart:
        for values in found:
            chart.validate_schema(values)


def test_every_values_block_renders_on_top_of_the_walkthrough() -> None:
    base = walkthrough_values()
    for values in value_blocks():
        merged = json.loads(json.dumps(base))
        _merge(merged, values)
        render(merged, release=RELEASE)


def _merge(into: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


SCHEMA = json.loads((CHART / "values.schema.json").read_text())


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = SCHEMA["definitions"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _exists(path: list[str], node: dict[str, Any]) -> bool:
    """Whether values.schema.json takes ``path`` (``<component>``, ``<c>`` and ``*`` match any key;
    ``name[]`` steps into the items of a list)."""
    node = _resolve(node)
    if not path:
        return True
    head, *rest = path
    properties = node.get("properties", {})
    if head in {"<component>", "<c>", "*"}:
        return any(_exists(rest, child) for child in properties.values())
    in_list = head.endswith("[]")
    head = head.removesuffix("[]")
    if head not in properties:
        return False
    child = _resolve(properties[head])
    if in_list:
        child = _resolve(child.get("items", {}))
    return _exists(rest, child)


def test_every_value_the_doc_names_is_a_value_of_the_chart() -> None:
    named = set(re.findall(r"`([a-zA-Z]+(?:\.(?:[a-zA-Z<>-]+(?:\[\])?|\*))+)`", DOC))
    paths = [n for n in named if n.split(".")[0] in VALUES]
    assert len(paths) > 40
    missing = sorted(p for p in paths if not _exists(p.split("."), SCHEMA))
    assert missing == []


def test_the_certificate_names_every_service_as_the_connectors_dial_it(walkthrough: Rendered) -> None:
    certificates = [yaml.safe_load(b) for b in blocks("yaml") if "kind: Certificate" in b]
    assert certificates
    services = {f"{s['metadata']['name']}.crm.svc" for s in walkthrough.of_kind("Service")}
    for certificate in certificates:
        assert set(certificate["spec"]["dnsNames"]) == services
        assert certificate["spec"]["secretName"] == walkthrough_values()["tls"]["secretName"]
    env = {
        e["name"]: e.get("value")
        for e in main_container(walkthrough.get("Deployment", "isthmus-connectors"))["env"]
    }
    dialled = {v.rsplit(":", 1)[0] for k, v in env.items() if k.endswith("_TARGET")}
    assert dialled <= services


def _created_secrets() -> dict[str, set[str]]:
    """Secret name -> keys, from the doc's `kubectl create secret generic` commands."""
    created: dict[str, set[str]] = {}
    for command in re.findall(r"create secret generic (\S+)((?:[^\n]*\\\n)*[^\n]*)", DOC):
        name, rest = command
        created.setdefault(name, set()).update(re.findall(r"--from-(?:literal|file)=([\w.-]+)=", rest))
    return created


def test_the_walkthrough_creates_every_secret_key_the_release_reads(walkthrough: Rendered) -> None:
    created = _created_secrets()
    tls_secret = walkthrough_values()["tls"]["secretName"]
    read: set[tuple[str, str]] = set()
    for _, container in walkthrough.containers():
        for env in container.get("env", []):
            ref = env.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                read.add((ref["name"], ref["key"]))
    assert read
    missing = sorted((n, k) for n, k in read if n != tls_secret and k not in created.get(n, set()))
    assert missing == []


def test_the_connectors_scopes_are_what_the_hub_client_calls_need() -> None:
    (tokens,) = [json.loads(b) for b in blocks("json") if '"connectors"' in b]
    documented = set(tokens["connectors"]["scopes"])
    calls = {
        "/isthmus.customers.v1.CustomerMasterService/BatchUpsertSourceRecords",
        "/isthmus.customers.v1.CustomerMasterService/GetCustomerBySourceId",
        "/isthmus.customers.v1.CustomerMasterService/SetConsent",
        "/isthmus.orders.v1.OrderService/CreateOrder",
        "/isthmus.orders.v1.OrderService/PayOrder",
        "/isthmus.orders.v1.OrderService/PayInstalment",
        "/isthmus.orders.v1.OrderService/SetFinalPrices",
        "/isthmus.orders.v1.OrderService/UpdateDeliveryEstimate",
        "/isthmus.orders.v1.OrderService/CancelOrder",
        "/isthmus.orders.v1.OrderService/ShipOrder",
        "/isthmus.orders.v1.OrderService/DeliverOrder",
        "/isthmus.orders.v1.OrderService/ReturnOrderLines",
        "/isthmus.orders.v1.OrderService/SetStockLevel",
        "/isthmus.service_requests.v1.ServiceRequestService/OpenServiceRequest",
        "/isthmus.service_requests.v1.ServiceRequestService/ChangeServiceRequestState",
        "/isthmus.service_requests.v1.ServiceRequestService/LogInteraction",
        "/isthmus.value.v1.CampaignService/RecordAbandonedCart",
    }
    source = (ROOT / "services" / "isthmus" / "connectors" / "hub.py").read_text()
    made = set(re.findall(r"self\.(\w+)\.([A-Z]\w*)\b(?=,|\))", source))  # stub.Method passed to a call
    assert made == {(_stub(m), m.rsplit("/", 1)[1]) for m in calls}, "the RPCs GrpcHub makes, and no others"
    authenticator = Authenticator([])
    assert documented == {authenticator.required_scope(m) for m in calls}
    assert GrpcHub  # the client those RPCs belong to


def _stub(method: str) -> str:
    stubs = {
        "CustomerMasterService": "customers",
        "OrderService": "orders",
        "ServiceRequestService": "cases",
        "CampaignService": "campaigns",
    }
    return stubs[method.split("/")[1].rsplit(".", 1)[1]]


def test_the_walkthrough_connector_gets_its_password_token_and_only_its_source(walkthrough: Rendered) -> None:
    container = main_container(walkthrough.get("Deployment", "isthmus-connectors"))
    env = {e["name"]: e.get("valueFrom", e.get("value")) for e in container["env"]}
    assert env["ERP_PASSWORD"] == {"secretKeyRef": {"name": "erp-credentials", "key": "password"}}
    assert env["ISTHMUS_CONNECTORS_HUB_TOKEN"]["secretKeyRef"]["key"] == "connectors-token"
    assert "ISTHMUS_CONNECTORS_HUB_CA_FILE" in env
    egress = walkthrough.get("NetworkPolicy", "isthmus-connectors")["spec"]["egress"]
    blocks_ = [peer["ipBlock"]["cidr"] for rule in egress for peer in rule.get("to", []) if "ipBlock" in peer]
    assert "192.0.2.10/32" in blocks_
