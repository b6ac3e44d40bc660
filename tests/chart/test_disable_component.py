"""Disabling a component removes every object and reference that belongs to it."""

from __future__ import annotations

import json

import pytest

from .chartkit import COMPONENTS, load_values, name_of, render


@pytest.mark.parametrize("component", ["orders", "connectors"])
def test_disabled_component_leaves_no_object_or_reference_behind(component: str) -> None:
    values = load_values("full")
    values.setdefault("services", {}).setdefault(component, {})["enabled"] = False

    rendered = render(values)

    assert rendered.component(component) == []
    assert not [o for o in rendered.objects if o["metadata"]["name"] == name_of(component)]
    job = rendered.get("Job", "rel-isthmus-migrate")
    assert [c["args"][1] for c in job["spec"]["template"]["spec"]["containers"]] == [
        c for c in COMPONENTS if c != component
    ]
    (test_pod,) = rendered.of_kind("Pod")
    assert not [a for a in test_pod["spec"]["containers"][0]["args"] if name_of(component) in a]
    assert name_of(component) not in rendered.notes
    others = [c for c in COMPONENTS if c != component]
    assert {d["metadata"]["name"] for d in rendered.of_kind("Deployment")} == {name_of(c) for c in others}
    assert f"-{component}" not in json.dumps(
        [o for o in rendered.objects if o["kind"] not in {"ConfigMap", "Secret"}]
    ).replace("rel-isthmus-service-requests", "")


def test_with_every_component_disabled_only_shared_objects_remain() -> None:
    values = load_values("external")
    values["services"] = {c: {"enabled": False} for c in COMPONENTS}

    rendered = render(values)

    assert sorted(o["kind"] for o in rendered.objects) == ["ConfigMap", "ServiceAccount"]
