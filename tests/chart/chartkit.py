"""Render the chart offline with Helm's own engine (helm-python-sdk) and query the objects."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

helm = pytest.importorskip("helm_python", reason="helm-python-sdk (dev extra) renders the chart")

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "isthmus"
CI_VALUES = CHART / "ci"
COMPONENTS = ("connectors", "customers", "loyalty", "orders", "service-requests", "value")
RELEASE = "rel"
NAMESPACE = "crm"
# Oldest Kubernetes the chart supports with native gRPC probes is 1.27; validate against a current one.
KUBE_VERSION = "1.31.0"
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "Job"}


def load_values(name: str) -> dict[str, Any]:
    values: dict[str, Any] = yaml.safe_load((CI_VALUES / f"{name}-values.yaml").read_text())
    return values


@dataclass
class Rendered:
    values: dict[str, Any]
    objects: list[dict[str, Any]]
    notes: str

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [o for o in self.objects if o["kind"] == kind]

    def get(self, kind: str, name: str) -> dict[str, Any]:
        found = [o for o in self.of_kind(kind) if o["metadata"]["name"] == name]
        assert len(found) == 1, f"{kind}/{name}: found {len(found)}"
        return found[0]

    def component(self, component: str) -> list[dict[str, Any]]:
        return [o for o in self.objects if labels(o).get("app.kubernetes.io/component") == component]

    def pod_specs(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(kind/name, pod spec) of every workload and bare pod."""
        for o in self.objects:
            where = f"{o['kind']}/{o['metadata']['name']}"
            if o["kind"] in WORKLOAD_KINDS:
                yield where, o["spec"]["template"]["spec"]
            elif o["kind"] == "Pod":
                yield where, o["spec"]

    def containers(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for where, spec in self.pod_specs():
            for c in [*spec.get("initContainers", []), *spec["containers"]]:
                yield f"{where}/{c['name']}", c


def is_isthmus_image(image: str) -> bool:
    """The release's own image, with or without a registry in front (image.registry, global.imageRegistry)."""
    return image.rsplit("/", 1)[-1].startswith("isthmus:")


def main_container(deployment: dict[str, Any]) -> dict[str, Any]:
    """A component's own container (sidecars may sit next to it)."""
    component = labels(deployment)["app.kubernetes.io/component"]
    (container,) = [c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == component]
    found: dict[str, Any] = container
    return found


def labels(obj: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = obj["metadata"].get("labels") or {}
    return found


def name_of(component: str) -> str:
    return f"{RELEASE}-isthmus-{component}"


def render(values: dict[str, Any] | None, *, release: str = RELEASE) -> Rendered:
    with helm.Chart.load(CHART) as chart:
        manifests = chart.render(values, name=release, namespace=NAMESPACE, is_install=True)
    objects: list[dict[str, Any]] = []
    notes = ""
    for path, text in sorted(manifests.items()):
        if path.endswith("NOTES.txt"):
            notes = text
            continue
        objects.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return Rendered(values or {}, objects, notes)
