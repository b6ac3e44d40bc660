"""`helm lint` and values.schema.json: a typo in values fails at install, not at run time."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from .chartkit import CHART, CI_VALUES, KUBE_VERSION, ROOT, helm, load_values, render

WARNING = 2


@pytest.mark.parametrize("values_file", sorted(p.name for p in CI_VALUES.glob("*.yaml")))
def test_chart_lints_without_warnings(values_file: str) -> None:
    values = yaml.safe_load((CI_VALUES / values_file).read_text())

    report = helm.lint(CHART, values, strict=True, kube_version=f"v{KUBE_VERSION}")

    assert report["errors"] == []
    assert [m for m in report["messages"] if m["severity"] >= WARNING] == []


def test_default_values_lint_clean() -> None:
    report = helm.lint(CHART, kube_version=f"v{KUBE_VERSION}")

    assert report["errors"] == []
    assert [m for m in report["messages"] if m["severity"] >= WARNING] == []


@pytest.mark.parametrize(
    "values",
    [
        load_values("external"),
        load_values("evaluation"),
        load_values("full"),
        yaml.safe_load((ROOT / "tilt" / "values-dev.yaml").read_text()),
    ],
    ids=["external", "evaluation", "full", "tilt-dev"],
)
def test_shipped_values_files_satisfy_the_schema(values: dict[str, Any]) -> None:
    with helm.Chart.load(CHART) as chart:
        chart.validate_schema(values)


@pytest.mark.parametrize(
    ("values", "complaint"),
    [
        ({"services": {"ordrs": {"enabled": True}}}, "ordrs"),
        ({"services": {"orders": {"replicas": "two"}}}, "/services/orders/replicas"),
        ({"services": {"loyalty": {"autoscaling": {"enabld": True}}}}, "enabld"),
        ({"config": {"logFormat": "xml"}}, "/config/logFormat"),
        ({"config": {"grpcPort": 70000}}, "/config/grpcPort"),
        ({"image": {"tagg": "1.0"}}, "tagg"),
        ({"database": {"url": "mysql://db/isthmus"}}, "/database/url"),
        ({"amqp": {"url": "http://mq"}}, "/amqp/url"),
        ({"services": {"connectors": {"egress": [{"cidr": "erp.example.com", "ports": [443]}]}}}, "cidr"),
        ({"services": {"connectors": {"egress": [{"cidr": "10.0.0.0/8"}]}}}, "ports"),
        ({"auth": {"tokens": {"app": {"token": "short", "scopes": []}}}}, "/auth/tokens/app/token"),
        ({"evaluaton": {"enabled": True}}, "evaluaton"),
    ],
)
def test_bad_value_is_rejected_by_the_schema(values: dict[str, Any], complaint: str) -> None:
    with helm.Chart.load(CHART) as chart, pytest.raises(helm.HelmValuesError, match=complaint):
        chart.validate_schema(values)


def test_install_with_a_bad_value_fails_before_rendering() -> None:
    with pytest.raises(helm.HelmValuesError, match="logFormat"):
        render({**load_values("external"), "config": {"logFormat": "xml"}})


@pytest.mark.parametrize(
    ("values", "hint"),
    [
        ({}, "database.url or database.existingSecret"),
        ({"database": {"url": "postgresql://u:p@db/isthmus"}}, "amqp.url or amqp.existingSecret"),
        (
            {"database": {"url": "postgresql://u:p@db/i"}, "amqp": {"url": "amqp://u:p@mq/"}},
            "auth.tokens or auth.existingSecret",
        ),
        ({**load_values("external"), "tls": {"enabled": True}}, "tls.secretName"),
        ({**load_values("external"), "evaluation": {"enabled": True}}, "unset database.. and amqp.."),
    ],
    ids=["no-database", "no-rabbitmq", "no-auth", "tls-without-secret", "evaluation-with-external"],
)
def test_missing_connection_settings_fail_with_the_fix_in_the_message(
    values: dict[str, Any], hint: str
) -> None:
    with pytest.raises(helm.HelmRenderError, match=hint):
        render(values)
