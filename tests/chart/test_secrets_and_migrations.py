"""Connection strings and tokens only ever travel through Secrets; migrations run before new pods."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from .chartkit import COMPONENTS, Rendered, load_values, main_container, name_of, render

SECRET_ENV = {"ISTHMUS_DATABASE_URL", "ISTHMUS_AMQP_URL", "ISTHMUS_AUTH_TOKENS"}


def decoded(secret: dict[str, Any]) -> dict[str, str]:
    return {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}


def secret_values(rendered: Rendered) -> set[str]:
    """Every secret string the release knows, including the parts of URLs that carry a password."""
    found: set[str] = set()
    for secret in rendered.of_kind("Secret"):
        for value in decoded(secret).values():
            found.add(value)
            if "://" in value:
                found.add(value.split("://", 1)[1].split("@", 1)[0])  # user:password
    return {v for v in found if len(v) >= 8}


@pytest.mark.parametrize("fixture", ["evaluation", "full"])
def test_no_secret_value_appears_in_a_config_map(fixture: str, request: pytest.FixtureRequest) -> None:
    rendered: Rendered = request.getfixturevalue(fixture)
    secrets = secret_values(rendered)
    assert secrets, "the render holds secrets to look for"
    for config_map in rendered.of_kind("ConfigMap"):
        blob = json.dumps(config_map)
        assert not [s for s in secrets if s in blob], config_map["metadata"]["name"]


def test_full_values_secrets_are_in_the_secret_and_nowhere_in_plain_env(full: Rendered) -> None:
    values = full.values
    chart_secret = decoded(full.get("Secret", "rel-isthmus"))
    assert chart_secret["database-url"] == values["database"]["url"]
    assert chart_secret["amqp-url"] == values["amqp"]["url"]
    assert json.loads(chart_secret["auth-tokens"]) == values["auth"]["tokens"]
    assert chart_secret["database-url-loyalty"] == values["services"]["loyalty"]["database"]["url"]
    plain = json.dumps([c for _, c in full.containers()]) + json.dumps(full.of_kind("ConfigMap"))
    for literal in ("s3cret-db", "s3cret-mq", "s3cret-token-frontend", "s3cret-loyalty"):
        assert literal not in plain


def test_connection_env_always_comes_from_secret_key_refs(any_render: Rendered) -> None:
    for where, container in any_render.containers():
        for env in container.get("env", []):
            if env["name"] in SECRET_ENV:
                assert "value" not in env, where
                assert env["valueFrom"]["secretKeyRef"]["name"], where


def env_refs(container: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {
        e["name"]: (e["valueFrom"]["secretKeyRef"]["name"], e["valueFrom"]["secretKeyRef"]["key"])
        for e in container.get("env", [])
        if "valueFrom" in e
    }


def test_existing_secrets_are_used_as_is_and_the_chart_creates_none(external: Rendered) -> None:
    assert external.of_kind("Secret") == []
    for component in COMPONENTS:
        (container,) = external.get("Deployment", name_of(component))["spec"]["template"]["spec"][
            "containers"
        ]
        assert env_refs(container) == {
            "ISTHMUS_DATABASE_URL": ("isthmus-connections", "database-url"),
            "ISTHMUS_AMQP_URL": ("isthmus-connections", "amqp-url"),
            "ISTHMUS_AUTH_TOKENS": ("isthmus-connections", "auth-tokens"),
        }


def test_a_component_with_its_own_database_gets_its_own_url(full: Rendered) -> None:
    for component in COMPONENTS:
        container = main_container(full.get("Deployment", name_of(component)))
        expected = "database-url-loyalty" if component == "loyalty" else "database-url"
        assert env_refs(container)["ISTHMUS_DATABASE_URL"] == ("rel-isthmus", expected)


def hook(obj: dict[str, Any]) -> tuple[str, int]:
    annotations = obj["metadata"]["annotations"]
    return annotations["helm.sh/hook"], int(annotations.get("helm.sh/hook-weight", "0"))


def test_migration_job_runs_before_install_and_upgrade_for_each_component(external: Rendered) -> None:
    job = external.get("Job", "rel-isthmus-migrate")
    assert hook(job) == ("pre-install,pre-upgrade", 0)
    containers = job["spec"]["template"]["spec"]["containers"]
    assert [c["args"] for c in containers] == [["migrate", c] for c in COMPONENTS]
    for container in containers:
        assert env_refs(container)["ISTHMUS_DATABASE_URL"] == ("isthmus-connections", "database-url")
        assert env_refs(container)["ISTHMUS_AMQP_URL"] == ("isthmus-connections", "amqp-url")
        assert "envFrom" not in container, "the release ConfigMap does not exist yet when the hook runs"


def test_migration_hook_reads_urls_from_a_hook_secret_created_before_it(full: Rendered) -> None:
    job = full.get("Job", "rel-isthmus-migrate")
    hook_secret = full.get("Secret", "rel-isthmus-migrate")
    assert hook(hook_secret)[0] == "pre-install,pre-upgrade"
    assert hook(hook_secret)[1] < hook(job)[1]
    assert "hook-succeeded" in hook_secret["metadata"]["annotations"]["helm.sh/hook-delete-policy"]
    # The database URLs (schemas) and the broker's (each component's queues): nothing else.
    assert sorted(decoded(hook_secret)) == ["amqp-url", "database-url", "database-url-loyalty"]
    spec = job["spec"]["template"]["spec"]
    assert "serviceAccountName" not in spec, "the chart's ServiceAccount is created after pre-install hooks"
    refs = {c["name"]: env_refs(c)["ISTHMUS_DATABASE_URL"] for c in spec["containers"]}
    assert refs["migrate-loyalty"] == ("rel-isthmus-migrate", "database-url-loyalty")
    assert refs["migrate-orders"] == ("rel-isthmus-migrate", "database-url")
    for container in spec["containers"]:
        assert env_refs(container)["ISTHMUS_AMQP_URL"] == ("rel-isthmus-migrate", "amqp-url")


def test_evaluation_generates_credentials_and_wires_the_urls(evaluation: Rendered) -> None:
    secret = decoded(evaluation.get("Secret", "rel-isthmus"))
    pg_password, mq_password = secret["postgres-password"], secret["rabbitmq-password"]
    assert len(pg_password) == 24 and len(mq_password) == 24 and pg_password != mq_password
    assert secret["database-url"] == f"postgresql://isthmus:{pg_password}@rel-isthmus-postgresql:5432/isthmus"
    assert secret["amqp-url"] == f"amqp://isthmus:{mq_password}@rel-isthmus-rabbitmq:5672/%2F"
    tokens = json.loads(secret["auth-tokens"])
    assert tokens["evaluation"]["token"] == secret["evaluation-token"]
    assert tokens["evaluation"]["scopes"] == ["*"]
    postgres = evaluation.get("StatefulSet", "rel-isthmus-postgresql")["spec"]["template"]["spec"]
    assert env_refs(postgres["containers"][0])["POSTGRES_PASSWORD"] == ("rel-isthmus", "postgres-password")
    rabbit = evaluation.get("StatefulSet", "rel-isthmus-rabbitmq")["spec"]["template"]["spec"]
    assert env_refs(rabbit["containers"][0])["RABBITMQ_DEFAULT_PASS"] == ("rel-isthmus", "rabbitmq-password")


def test_evaluation_pods_wait_for_the_database_then_migrate_their_own_schema(evaluation: Rendered) -> None:
    # Pre-install hooks would run before the in-release database exists.
    assert evaluation.of_kind("Job") == []
    for component in COMPONENTS:
        spec = evaluation.get("Deployment", name_of(component))["spec"]["template"]["spec"]
        wait, migrate = spec["initContainers"]
        assert wait["image"] == "postgres:16"
        assert wait["command"][-2:] == ["rel-isthmus-postgresql", "rel-isthmus-rabbitmq"]
        assert "pg_isready" in wait["command"][2] and "/dev/tcp/$2/5672" in wait["command"][2]
        assert migrate["args"] == ["migrate", component]
        assert env_refs(migrate)["ISTHMUS_DATABASE_URL"] == ("rel-isthmus", "database-url")
        assert env_refs(migrate)["ISTHMUS_AMQP_URL"] == ("rel-isthmus", "amqp-url")


def test_evaluation_backends_are_single_replica_and_absent_in_production(
    evaluation: Rendered, external: Rendered
) -> None:
    for backend in ("postgresql", "rabbitmq"):
        assert evaluation.get("StatefulSet", f"rel-isthmus-{backend}")["spec"]["replicas"] == 1
        assert not external.component(backend)
    assert evaluation.get("StatefulSet", "rel-isthmus-rabbitmq")["spec"]["template"]["spec"]["containers"][0][
        "image"
    ].startswith("rabbitmq:3.13")


def test_given_evaluation_passwords_are_used_verbatim() -> None:
    values = load_values("evaluation")
    values["evaluation"]["postgresql"] = {"password": "chosen-password-1"}
    secret = decoded(render(values).get("Secret", "rel-isthmus"))
    assert secret["postgres-password"] == "chosen-password-1"
    assert ":chosen-password-1@" in secret["database-url"]


def test_pods_roll_when_config_or_secret_changes() -> None:
    base = load_values("full")
    before = render(base).get("Deployment", name_of("orders"))["spec"]["template"]["metadata"]["annotations"]
    changed = {**base, "amqp": {"url": "amqps://isthmus:rotated-password@mq.example.internal:5671/isthmus"}}
    after = render(changed).get("Deployment", name_of("orders"))["spec"]["template"]["metadata"][
        "annotations"
    ]
    assert before["checksum/secret"] != after["checksum/secret"]
    assert before["checksum/config"] == after["checksum/config"]


def test_a_component_database_in_its_own_existing_secret_reaches_pods_and_migration() -> None:
    values = load_values("external")
    values["services"] = {
        "customers": {"database": {"existingSecret": "customers-db", "existingSecretKey": "uri"}}
    }
    rendered = render(values)

    (container,) = rendered.get("Deployment", name_of("customers"))["spec"]["template"]["spec"]["containers"]
    assert env_refs(container)["ISTHMUS_DATABASE_URL"] == ("customers-db", "uri")
    job = rendered.get("Job", "rel-isthmus-migrate")["spec"]["template"]["spec"]
    refs = {c["name"]: env_refs(c)["ISTHMUS_DATABASE_URL"] for c in job["containers"]}
    assert refs["migrate-customers"] == ("customers-db", "uri")
    assert refs["migrate-orders"] == ("isthmus-connections", "database-url")
    assert rendered.of_kind("Secret") == []
