"""The chart's PrometheusRule and Grafana dashboards: rendered, checked by Prometheus' own tool, valid."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from .chartkit import CHART, load_values, render
from .monitoring import dashboards, metric_names, monitoring_values, promtool, queries, rendered, rule_groups

STALE = "isthmus_connector_last_success_timestamp_seconds"
PUSHES = "isthmus_connector_pushes_total"
SCHEMA = json.loads((Path(__file__).parent / "schemas" / "grafana-dashboard.schema.json").read_text())


def _series(name: str, **labels: str) -> str:
    return name + "{" + ", ".join(f'{k}="{v}"' for k, v in {"namespace": "crm", **labels}.items()) + "}"


@pytest.fixture(scope="module")
def chart():  # type: ignore[no-untyped-def]
    return rendered()


def test_rules_and_dashboards_are_off_by_default() -> None:
    chart = render(load_values("external"))
    assert chart.of_kind("PrometheusRule") == []
    assert dashboards(chart) == {}


def test_every_alert_the_operator_needs_is_there(chart) -> None:  # type: ignore[no-untyped-def]
    alerts = {rule["alert"] for group in rule_groups(chart) for rule in group["rules"]}
    assert alerts >= {
        "IsthmusOutboxStuck",
        "IsthmusDeadLettersGrowing",
        "IsthmusConsumerBacklog",
        "IsthmusConnectorStale",
        "IsthmusConnectorPushesFailing",
        "IsthmusRpcErrors",
        "IsthmusRpcSlow",
        "IsthmusReplicasUnavailable",
    }
    for group in rule_groups(chart):
        for rule in group["rules"]:
            assert rule["labels"]["severity"] in {"critical", "warning"}, rule["alert"]
            assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]


def test_thresholds_and_labels_come_from_values() -> None:
    chart = render(
        monitoring_values(consumerBacklog=123, alertLabels={"team": "crm"}, labels={"release": "kps"})
    )
    (rule,) = chart.of_kind("PrometheusRule")
    assert rule["metadata"]["labels"]["release"] == "kps"
    backlog = next(
        r for g in rule_groups(chart) for r in g["rules"] if r["alert"] == "IsthmusConsumerBacklog"
    )
    assert backlog["expr"].endswith("> 123")
    assert all(r["labels"]["team"] == "crm" for g in rule_groups(chart) for r in g["rules"])


def test_promtool_accepts_the_rules(chart, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rules = tmp_path / "rules.yaml"
    rules.write_text(yaml.safe_dump({"groups": rule_groups(chart)}))
    done = subprocess.run(
        [promtool(), "check", "rules", str(rules)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {sum(len(g['rules']) for g in rule_groups(chart))} rules found" in done.stdout


def test_the_alerts_fire_on_the_series_they_watch(chart, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """promtool's rule unit tests: synthetic series in, the alerts (and nothing else) out."""
    # The annotations' text is checked by `promtool check rules`; here only who fires, with which labels.
    groups = [
        {**g, "rules": [{k: v for k, v in r.items() if k != "annotations"} for r in g["rules"]]}
        for g in rule_groups(chart)
    ]
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"groups": groups}))
    pay = {"grpc_type": "unary", "grpc_service": "isthmus.orders.v1.OrderService", "grpc_method": "PayOrder"}
    other = {"grpc_type": "unary", "grpc_service": "acme.Other", "grpc_method": "Get"}
    tests = {
        "rule_files": ["rules.yaml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    # orders' outbox has not moved for 10 minutes
                    {
                        "series": _series(
                            "isthmus_events_outbox_oldest_unsent_age_seconds",
                            job="orders",
                            component="orders",
                        ),
                        "values": "0+60x30",
                    },
                    {
                        "series": _series(
                            "isthmus_events_dead_lettered_total", queue="isthmus.loyalty.points"
                        ),
                        "values": "0 0 0 0 0 1 2 3 3 3 3",
                    },
                    {
                        "series": _series("isthmus_events_queue_backlog", queue="isthmus.customers.360"),
                        "values": "9000x30",
                    },
                    {
                        "series": _series(STALE, connector_instance="erp", stream="customers"),
                        "values": "0x30",
                    },
                    # the shop's pushes fail for good; another instance's were refused (bad signatures)
                    {
                        "series": _series(PUSHES, connector_instance="webshop", outcome="failed"),
                        "values": "0+3x30",
                    },
                    {
                        "series": _series(PUSHES, connector_instance="webshop", outcome="accepted"),
                        "values": "0+50x30",
                    },
                    {
                        "series": _series(PUSHES, connector_instance="store", outcome="refused"),
                        "values": "0+3x30",
                    },
                    # 10% of PayOrder fails with Unavailable; another service's errors are not ours
                    {
                        "series": _series("grpc_server_handled_total", **pay, grpc_code="OK"),
                        "values": "0+90x30",
                    },
                    {
                        "series": _series("grpc_server_handled_total", **pay, grpc_code="Unavailable"),
                        "values": "0+10x30",
                    },
                    {
                        "series": _series("grpc_server_handled_total", **other, grpc_code="Internal"),
                        "values": "0+100x30",
                    },
                    {
                        "series": _series(
                            "isthmus_amqp_connected",
                            job="loyalty",
                            instance="10.0.0.7:9464",
                            connection="consumer",
                        ),
                        "values": "1 1 0x20",
                    },
                ],
                "alert_rule_test": [
                    {
                        "eval_time": "20m",
                        "alertname": "IsthmusOutboxStuck",
                        "exp_alerts": [
                            {
                                "exp_labels": {
                                    "severity": "critical",
                                    "namespace": "crm",
                                    "job": "orders",
                                    "component": "orders",
                                }
                            }
                        ],
                    },
                    {
                        "eval_time": "8m",
                        "alertname": "IsthmusDeadLettersGrowing",
                        "exp_alerts": [
                            {
                                "exp_labels": {
                                    "severity": "warning",
                                    "namespace": "crm",
                                    "queue": "isthmus.loyalty.points",
                                }
                            }
                        ],
                    },
                    {"eval_time": "30m", "alertname": "IsthmusDeadLettersGrowing", "exp_alerts": []},
                    {
                        "eval_time": "20m",
                        "alertname": "IsthmusConsumerBacklog",
                        "exp_alerts": [
                            {
                                "exp_labels": {
                                    "severity": "warning",
                                    "namespace": "crm",
                                    "queue": "isthmus.customers.360",
                                }
                            }
                        ],
                    },
                    {"eval_time": "30m", "alertname": "IsthmusConnectorStale", "exp_alerts": []},
                    {"eval_time": "10m", "alertname": "IsthmusConnectorPushesFailing", "exp_alerts": []},
                    {
                        "eval_time": "20m",
                        "alertname": "IsthmusConnectorPushesFailing",
                        "exp_alerts": [
                            {
                                "exp_labels": {
                                    "severity": "warning",
                                    "namespace": "crm",
                                    "connector_instance": "webshop",
                                }
                            }
                        ],
                    },
                    {
                        "eval_time": "20m",
                        "alertname": "IsthmusRpcErrors",
                        "exp_alerts": [
                            {
                                "exp_labels": {
                                    "severity": "critical",
                                    "namespace": "crm",
                                    "grpc_service": "isthmus.orders.v1.OrderService",
                                    "grpc_method": "PayOrder",
                                }
                            }
                        ],
                    },
                    {
                        "eval_time": "20m",
                        "alertname": "IsthmusRabbitMQDisconnected",
                        "exp_alerts": [
                            {
                                "exp_labels": {
                                    "severity": "critical",
                                    "namespace": "crm",
                                    "job": "loyalty",
                                    "instance": "10.0.0.7:9464",
                                    "connection": "consumer",
                                }
                            }
                        ],
                    },
                ],
            },
            {
                # a connector whose last success is two hours old
                "interval": "1m",
                "input_series": [
                    {
                        "series": _series(STALE, connector_instance="erp", stream="orders"),
                        "values": "0x150",
                    },
                ],
                "alert_rule_test": [
                    {
                        "eval_time": "2h",
                        "alertname": "IsthmusConnectorStale",
                        "exp_alerts": [
                            {
                                "exp_labels": {
                                    "severity": "warning",
                                    "namespace": "crm",
                                    "connector_instance": "erp",
                                    "stream": "orders",
                                }
                            }
                        ],
                    },
                ],
            },
        ],
    }
    (tmp_path / "tests.yaml").write_text(yaml.safe_dump(tests))
    done = subprocess.run(
        [promtool(), "test", "rules", "tests.yaml"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_dashboards_satisfy_the_schema_and_lay_out_on_the_grid(chart) -> None:  # type: ignore[no-untyped-def]
    boards = dashboards(chart)
    assert set(boards) == {p.name for p in (CHART / "dashboards").glob("*.json")} and len(boards) >= 2
    for name, board in boards.items():
        jsonschema.validate(board, SCHEMA)
        ids = [p["id"] for p in board["panels"]]
        assert len(ids) == len(set(ids)), name
        for panel in board["panels"]:
            pos = panel["gridPos"]
            assert pos["x"] + pos["w"] <= 24, (name, panel["title"])
    assert len({b["uid"] for b in boards.values()}) == len(boards)


@pytest.mark.parametrize(
    "bad",
    [
        {
            "panels": [
                {"id": 1, "type": "timeseries", "title": "t", "gridPos": {"h": 8, "w": 12, "x": 0, "y": 0}}
            ]
        },
        {
            "panels": [
                {"id": 1, "type": "graph-typo", "title": "t", "gridPos": {"h": 8, "w": 12, "x": 0, "y": 0}}
            ]
        },
        {"refresh": "every minute"},
        {"titel": "typo"},
    ],
    ids=["panel-without-queries", "unknown-panel-type", "bad-refresh", "misspelt-key"],
)
def test_the_dashboard_schema_refuses_what_grafana_would_mangle(chart, bad: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    board = {**next(iter(dashboards(chart).values())), **bad}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(board, SCHEMA)


def test_every_query_parses_and_selects_metrics(chart) -> None:  # type: ignore[no-untyped-def]
    found = list(queries(chart))
    assert len(found) > 30
    for query in found:
        assert metric_names(query.expr), query


def test_the_dashboard_configmaps_carry_the_sidecar_label() -> None:
    values = monitoring_values()
    values["metrics"]["dashboards"].update(
        label="grafana_dashboard", labelValue="yes", annotations={"grafana_folder": "CRM"}
    )
    for config_map in render(values).of_kind("ConfigMap"):
        if any(k.endswith(".json") for k in config_map["data"]):
            assert config_map["metadata"]["labels"]["grafana_dashboard"] == "yes"
            assert config_map["metadata"]["annotations"] == {"grafana_folder": "CRM"}


def test_tracing_values_become_the_standard_variables() -> None:
    values = load_values("external")
    values["tracing"] = {
        "enabled": True,
        "endpoint": "http://otel-collector.observability:4317",
        "sampleRatio": 0.1,
    }
    config = next(c for c in render(values).of_kind("ConfigMap") if "OTEL_TRACES_EXPORTER" in c["data"])[
        "data"
    ]
    assert config["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector.observability:4317"
    assert (config["OTEL_TRACES_SAMPLER"], config["OTEL_TRACES_SAMPLER_ARG"]) == (
        "parentbased_traceidratio",
        "0.1",
    )
    assert config["OTEL_RESOURCE_ATTRIBUTES"] == "k8s.namespace.name=crm"
    assert (
        "OTEL_TRACES_EXPORTER" not in next(iter(render(load_values("external")).of_kind("ConfigMap")))["data"]
    )


def test_tracing_without_an_endpoint_fails_with_the_fix() -> None:
    from .chartkit import helm

    values = load_values("external")
    values["tracing"] = {"enabled": True}
    with pytest.raises(helm.HelmRenderError, match=r"tracing\.endpoint"):
        render(values)
