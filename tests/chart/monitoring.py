"""The chart's alert rules and Grafana dashboards, rendered, and the metric names their PromQL uses."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from .chartkit import Rendered, load_values, render

promql = pytest.importorskip("promql_parser", reason="promql-parser (dev extra) reads the PromQL")

# Series the rules read from kube-state-metrics (kube-prometheus-stack ships it), not from Isthmus.
KUBE_STATE_METRICS = {"kube_deployment_status_replicas_unavailable"}
# What Grafana substitutes before a query reaches Prometheus.
_GRAFANA = {"$__rate_interval": "5m", "$__interval": "1m", "$namespace": ".*", "$job": ".*"}


def monitoring_values(**rule: Any) -> dict[str, Any]:
    values = load_values("external")
    values["metrics"] = {
        "prometheusRule": {"enabled": True, **rule},
        "dashboards": {"enabled": True},
    }
    return values


def rendered() -> Rendered:
    return render(monitoring_values())


@dataclass(frozen=True)
class Query:
    where: str  # "rule IsthmusRpcErrors" or "dashboard isthmus-grpc, panel 3 (Calls...)"
    expr: str


def rule_groups(chart: Rendered) -> list[dict[str, Any]]:
    (rule,) = chart.of_kind("PrometheusRule")
    groups: list[dict[str, Any]] = rule["spec"]["groups"]
    return groups


def dashboards(chart: Rendered) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for config_map in chart.of_kind("ConfigMap"):
        for key, text in config_map.get("data", {}).items():
            if key.endswith(".json"):
                found[key] = json.loads(text)
    return found


def grafana_to_promql(expr: str) -> str:
    for variable, value in _GRAFANA.items():
        expr = expr.replace(variable, value)
    return expr


def queries(chart: Rendered) -> Iterator[Query]:
    """Every PromQL expression the rules and dashboards hold, as Prometheus receives it."""
    for group in rule_groups(chart):
        for rule in group["rules"]:
            yield Query(f"rule {rule['alert']}", rule["expr"])
    for name, board in dashboards(chart).items():
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                yield Query(
                    f"dashboard {name}, panel {panel['id']} ({panel['title']})",
                    grafana_to_promql(target["expr"]),
                )


def variable_metrics(chart: Rendered) -> Iterator[tuple[str, str]]:
    """(where, metric) of the dashboards' template variable queries (label_values(metric, label))."""
    for name, board in dashboards(chart).items():
        for variable in board["templating"]["list"]:
            query = variable.get("query")
            text = query.get("query", "") if isinstance(query, dict) else str(query or "")
            found = re.match(r"label_values\((\w+)", text)
            if found:
                yield f"dashboard {name}, variable {variable['name']}", found[1]


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (raises ValueError if it does not parse)."""
    names: set[str] = set()

    def visit(node: Any) -> None:
        if isinstance(node, promql.VectorSelector) and node.name:
            names.add(node.name)

    promql.walk(promql.parse(expr), visit)
    return names


def promtool() -> str:
    """Prometheus' own checker (Debian's ``prometheus`` package; .ci/run installs it)."""
    found = shutil.which("promtool")
    if found is None:
        reason = "promtool is not installed (apt-get install prometheus): rule checks cannot run"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return found


_DURATION = "^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"

# kubernetes-validate ships core schemas only: the fields of the Prometheus Operator's
# monitoring.coreos.com/v1 PrometheusRule (its CRD's openAPIV3Schema) that the chart uses.
PROMETHEUS_RULE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "monitoring.coreos.com/v1"},
        "kind": {"const": "PrometheusRule"},
        "metadata": {"type": "object", "required": ["name"]},
        "spec": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "groups": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["name", "rules"],
                        "properties": {
                            "name": {"type": "string", "minLength": 1},
                            "interval": {"type": "string", "pattern": _DURATION},
                            "rules": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "additionalProperties": False,
                                    "required": ["expr"],
                                    "oneOf": [{"required": ["alert"]}, {"required": ["record"]}],
                                    "properties": {
                                        "alert": {"type": "string"},
                                        "record": {"type": "string"},
                                        "expr": {"type": ["string", "integer"]},
                                        "for": {"type": "string", "pattern": _DURATION},
                                        "labels": {
                                            "type": "object",
                                            "additionalProperties": {"type": "string"},
                                        },
                                        "annotations": {
                                            "type": "object",
                                            "additionalProperties": {"type": "string"},
                                        },
                                    },
                                },
                            },
                        },
                    },
                }
            },
        },
    },
}
