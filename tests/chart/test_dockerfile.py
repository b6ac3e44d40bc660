"""The image the chart runs, read statically against what the chart assumes (tests/image runs it)."""

from __future__ import annotations

import re

import yaml

from .chartkit import CHART, ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text()


def stage(name: str) -> str:
    match = re.search(rf"^FROM .+ AS {name}$(.*?)(?=^FROM |\Z)", DOCKERFILE, re.MULTILINE | re.DOTALL)
    assert match, f"stage {name}"
    return match.group(1)


def test_the_last_stage_and_so_the_default_target_is_the_runtime_image() -> None:
    stages = re.findall(r"^FROM (\S+) AS (\S+)$", DOCKERFILE, re.MULTILINE)
    assert stages[-1] == ("release", "runtime")
    assert ("release", "dev") in stages


def test_base_image_index_and_ca_bundle_are_build_arguments() -> None:
    assert re.search(r"^ARG BASE_IMAGE=python:\$\{PYTHON_VERSION\}-slim-\w+$", DOCKERFILE, re.MULTILINE)
    builder = stage("builder")
    for arg in ("PACKAGE_INDEX_URL", "CA_BUNDLE"):
        assert f'ARG {arg}=""' in builder
        assert arg not in stage("release"), "build-time settings stay out of the shipped image"


def test_runtime_stage_is_slim_non_root_and_runs_the_isthmus_entrypoint() -> None:
    runtime = stage("release")
    assert re.search(r"^FROM \$\{BASE_IMAGE\} AS release$", DOCKERFILE, re.MULTILINE)
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    uid = values["podSecurityContext"]["runAsUser"]
    assert f"USER {uid}:{uid}" in runtime
    assert f"--uid {uid}" in runtime
    assert 'ENTRYPOINT ["isthmus"]' in runtime
    assert "COPY --from=builder /opt/isthmus /opt/isthmus" in runtime
    for label in ("title", "version", "revision", "created", "licenses", "description"):
        assert f"org.opencontainers.image.{label}=" in runtime


def test_wheels_are_built_in_the_builder_from_the_lock_without_the_dev_extra() -> None:
    builder = stage("builder")
    assert "pip wheel --wheel-dir /wheels --constraint requirements.lock" in builder
    assert "--extra" not in builder and "[dev]" not in builder
    assert "connectors/*/" in builder, "reference connectors are installed into the image"
    # Installing takes the wheels just built, by name: building again from source would need
    # setuptools, which is not among the wheels.
    assert "pip install --no-index --find-links /wheels $names" in builder


def test_writable_paths_match_the_chart_mounts() -> None:
    runtime = stage("release")
    assert 'VOLUME ["/var/lib/isthmus", "/tmp"]' in runtime
    assert "ISTHMUS_DATA_DIR=/var/lib/isthmus" in runtime
    assert "PYTHONDONTWRITEBYTECODE=1" in runtime, "the root filesystem is read-only at run time"
    assert 'ISTHMUS_DATA_DIR: "/var/lib/isthmus"' in (CHART / "templates" / "_helpers.tpl").read_text()


def test_dockerignore_keeps_local_state_and_non_image_files_out() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {"**/.git", "**/.venv*", "**/__pycache__", "tests/", "charts/", "tilt/"} <= ignored
    assert "connectors/template/" in ignored, "the copyable template is no production connector"
    for needed in ("services/", "connectors/", "pyproject.toml", "requirements.lock"):
        assert needed not in ignored
