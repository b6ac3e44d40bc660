"""tilt/Tiltfile is Starlark, which Python's parser reads: check what it points at really exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from .chartkit import COMPONENTS, ROOT, render

TILT = ROOT / "tilt"


@pytest.fixture(scope="module")
def tiltfile() -> ast.Module:
    return ast.parse((TILT / "Tiltfile").read_text(), filename="Tiltfile")


def calls(tree: ast.Module, name: str) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name
    ]


def constant(tree: ast.Module, name: str) -> Any:
    for node in tree.body:
        if isinstance(node, ast.Assign) and [t.id for t in node.targets if isinstance(t, ast.Name)] == [name]:
            return ast.literal_eval(node.value)
    raise AssertionError(f"{name} is not assigned in the Tiltfile")


def keyword(call: ast.Call, name: str) -> Any:
    (value,) = [k.value for k in call.keywords if k.arg == name]
    return value


def test_every_relative_path_in_the_tiltfile_exists(tiltfile: ast.Module) -> None:
    # `ignore=` holds patterns, which need not match anything.
    ignored = {
        id(n)
        for c in ast.walk(tiltfile)
        if isinstance(c, ast.keyword) and c.arg == "ignore"
        for n in ast.walk(c.value)
    }
    paths = [
        node.value
        for node in ast.walk(tiltfile)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.startswith(("./", "../"))
        and id(node) not in ignored
    ]
    assert len(paths) >= 7
    missing = [p for p in paths if not (TILT / p).exists()]
    # Connectors are optional packages: the fall-back watch may point at a folder not created yet.
    assert [p for p in missing if p != "../connectors"] == []


def test_image_build_uses_a_dockerfile_target_that_exists(tiltfile: ast.Module) -> None:
    (build,) = calls(tiltfile, "docker_build_with_restart")
    dockerfile = (TILT / ast.literal_eval(keyword(build, "dockerfile"))).read_text()
    target = ast.literal_eval(keyword(build, "target"))
    assert re.search(rf"^FROM .+ AS {target}$", dockerfile, re.MULTILINE)
    assert (
        ast.literal_eval(build.args[0])
        == yaml.safe_load((TILT / "values-dev.yaml").read_text())["image"]["repository"]
    )


def test_live_update_syncs_sources_where_the_dev_image_imports_them(tiltfile: ast.Module) -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    syncs = calls(tiltfile, "sync")
    assert syncs
    for sync in syncs:
        local, remote = (ast.literal_eval(a) for a in sync.args)
        assert (TILT / local).is_dir()
        package_dir = str(Path(remote).parent)
        assert f"PYTHONPATH={package_dir}" in dockerfile
        assert f"COPY --chown=10001:10001 services {package_dir}" in dockerfile


def test_every_tilt_resource_is_a_workload_the_chart_renders_with_dev_values(tiltfile: ast.Module) -> None:
    release = constant(tiltfile, "RELEASE")
    ports = constant(tiltfile, "COMPONENTS")
    assert sorted(ports) == sorted(COMPONENTS)
    (helm_call,) = calls(tiltfile, "helm")
    name = keyword(helm_call, "name")
    assert isinstance(name, ast.Name) and constant(tiltfile, name.id) == release
    (values_file,) = ast.literal_eval(keyword(helm_call, "values"))
    rendered = render(yaml.safe_load((TILT / values_file).read_text()), release=release)

    workloads = {
        o["metadata"]["name"] for o in rendered.objects if o["kind"] in {"Deployment", "StatefulSet"}
    }
    expected = {f"{release}-postgresql", f"{release}-rabbitmq"} | {f"{release}-{c}" for c in COMPONENTS}
    assert workloads == expected
    assert not rendered.of_kind("Pod"), "helm template output is applied as-is: no test pod in dev"
    local_ports = [p for pair in ports.values() for p in pair] + [15432, 15672]
    assert len(set(local_ports)) == len(local_ports)


def test_demo_resource_runs_in_the_deployed_connectors_pod_against_the_components(
    tiltfile: ast.Module,
) -> None:
    (demo,) = [c for c in calls(tiltfile, "local_resource") if ast.literal_eval(c.args[0]) == "demo"]
    command = ast.unparse(keyword(demo, "cmd"))
    # --deployed: the components' Services, not a hub of its own (tests/wiring runs this command).
    assert "isthmus demo --deployed" in command
    assert "-connectors" in command


def test_a_reload_renders_the_same_passwords(tiltfile: ast.Module) -> None:
    # Tilt renders with `helm template` at every reload; generated passwords would change each time
    # while the PostgreSQL and RabbitMQ pods keep the first ones.
    (helm_call,) = calls(tiltfile, "helm")
    (values_file,) = ast.literal_eval(keyword(helm_call, "values"))
    values = yaml.safe_load((TILT / values_file).read_text())
    first, second = (render(values, release=constant(tiltfile, "RELEASE")) for _ in range(2))
    assert [s["data"] for s in first.of_kind("Secret")] == [s["data"] for s in second.of_kind("Secret")]
