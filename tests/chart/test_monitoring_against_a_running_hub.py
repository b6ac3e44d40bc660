"""Every metric the chart's alerts and dashboards query is one a running hub exports.

A rule on a misspelt or renamed metric never fires and a panel on one stays empty, silently: this
starts ``isthmus up`` (RabbitMQ for the events), scrapes its /metrics as Prometheus does, and checks
each name each expression selects against what came back.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from free_ports import free_port
from prometheus_client.parser import text_string_to_metric_families

from .monitoring import (
    KUBE_STATE_METRICS,
    metric_names,
    promtool,
    queries,
    rendered,
    rule_groups,
    variable_metrics,
)

pytestmark = [pytest.mark.rabbitmq, pytest.mark.slow]

_SAMPLE_SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_sum", "_count"),
    "summary": ("_sum", "_count", ""),
    "info": ("_info",),
}


@dataclass(frozen=True)
class Hub:
    metrics_port: int
    scrape: str


@pytest.fixture
def hub(amqp_vhost: str, tmp_path: Path) -> Iterator[Hub]:
    """``isthmus up`` and its /metrics text once all its components have started.

    A vhost of its own: the queues the hub declares would otherwise keep collecting other tests'
    events after it stopped.
    """
    data = tmp_path / "hub"
    data.mkdir()
    port = free_port()
    env = {
        **os.environ,
        "ISTHMUS_DATA_DIR": str(data),
        "ISTHMUS_AMQP_URL": amqp_vhost,
        "ISTHMUS_AUTH_DISABLED": "true",
        "ISTHMUS_GRPC_PORT": str(free_port()),
        "ISTHMUS_METRICS_PORT": str(port),
        "ISTHMUS_CONSOLE_PORT": "0",  # no web console: port 8080 may be another process's
    }
    log = (data / "stderr.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "isthmus", "up"], env=env, stdout=log, stderr=log)
    try:
        yield Hub(port, _wait_for_metrics(port, process, data / "stderr.log"))
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _wait_for_metrics(port: int, process: subprocess.Popen[bytes], log: Path) -> str:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, f"isthmus up exited:\n{log.read_text()[-3000:]}"
        try:
            text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read().decode()
        except OSError:
            time.sleep(0.3)
            continue
        # Connected to RabbitMQ and the consumers measured: every family has had its chance to appear.
        if (
            'isthmus_amqp_connected{connection="consumer"} 1.0' in text
            and "isthmus_events_queue_backlog{" in text
        ):
            return text
        time.sleep(0.3)
    raise AssertionError(f"no complete /metrics within 90 s:\n{log.read_text()[-3000:]}")


def _exported(text: str) -> set[str]:
    """Every series name the scrape holds or announces (# TYPE), with the suffixes of its type."""
    names: set[str] = set()
    for family in text_string_to_metric_families(text):
        names.update(family.name + suffix for suffix in _SAMPLE_SUFFIXES.get(family.type, ("",)))
        names.update(sample.name for sample in family.samples)
    return names


def test_every_metric_the_rules_and_dashboards_query_is_exported_in_a_standard_scrape(hub: Hub) -> None:
    scrape = hub.scrape
    exported = _exported(scrape)
    chart = rendered()
    missing = [
        (query.where, name)
        for query in queries(chart)
        for name in sorted(metric_names(query.expr))
        if name not in exported and name not in KUBE_STATE_METRICS
    ]
    missing += [(where, name) for where, name in variable_metrics(chart) if name not in exported]
    assert missing == []

    # The standard names, and nothing the alerts do not need.
    assert {
        "grpc_server_started_total",
        "grpc_server_handled_total",
        "grpc_server_handling_seconds_bucket",
    } <= exported
    assert {"grpc_server_msg_received_total", "grpc_server_msg_sent_total", "isthmus_build_info"} <= exported
    assert not [n for n in exported if n.startswith("isthmus_grpc_")]
    assert "_created" not in scrape
    # Prometheus' own linter on the exposition: names, units, help texts.
    done = subprocess.run(
        [promtool(), "check", "metrics"], input=scrape, capture_output=True, text=True, check=False
    )
    problems = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert problems == [], problems


def test_prometheus_scraping_the_hub_evaluates_every_rule_and_panel_without_error(
    hub: Hub, tmp_path: Path
) -> None:
    """A real Prometheus (Debian's, beside promtool) with the chart's rules, scraping the hub."""
    binary = shutil.which("prometheus")
    if binary is None:
        promtool()  # fails under CI, skips otherwise, with the reason
        pytest.skip("prometheus is not installed")
    chart = rendered()
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump({"groups": rule_groups(chart)}))
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": ["rules.yaml"],
        "scrape_configs": [
            {"job_name": "isthmus", "static_configs": [{"targets": [f"127.0.0.1:{hub.metrics_port}"]}]}
        ],
    }
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    process = subprocess.Popen(
        [binary, "--config.file=prometheus.yml", f"--storage.tsdb.path={tmp_path / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    api = f"http://127.0.0.1:{port}/api/v1"
    try:
        target = _until(lambda: _scraped_target(api), 60)
        assert target["health"] == "up", target.get("lastError")
        rules = _until(lambda: _evaluated_rules(api), 60)
        assert [(r["name"], r.get("lastError")) for r in rules if r["health"] != "ok"] == []
        assert len(rules) == sum(len(g["rules"]) for g in rule_groups(chart))
        assert _query(api, "isthmus_build_info")  # the hub's series are in
        for query in queries(chart):
            _query(api, query.expr)  # raises on an error Prometheus reports
    finally:
        process.terminate()
        process.wait(timeout=30)


def _get(url: str) -> dict[str, Any]:
    try:
        body = urllib.request.urlopen(url, timeout=5).read()
    except urllib.error.HTTPError as error:
        body = error.read()
    found: dict[str, Any] = json.loads(body)
    return found


def _query(api: str, expr: str) -> list[Any]:
    answer = _get(f"{api}/query?{urllib.parse.urlencode({'query': expr})}")
    assert answer["status"] == "success", (expr, answer.get("error"))
    result: list[Any] = answer["data"]["result"]
    return result


def _scraped_target(api: str) -> dict[str, Any] | None:
    try:
        targets = _get(f"{api}/targets")["data"]["activeTargets"]
    except OSError:
        return None
    scraped = [t for t in targets if not t.get("lastScrape", "").startswith("0001")]
    return scraped[0] if scraped else None


def _evaluated_rules(api: str) -> list[dict[str, Any]] | None:
    """Every rule once each has been evaluated at least twice (None until then)."""
    try:
        groups = _get(f"{api}/rules")["data"]["groups"]
    except OSError:
        return None
    rules = [r for g in groups for r in g["rules"]]
    if not rules or any(r.get("lastEvaluation", "").startswith("0001") for r in rules):
        return None
    return rules


def _until(probe: Callable[[], Any], seconds: float) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = probe()
        if found:
            time.sleep(2)  # another evaluation round, with a scrape behind it
            return probe()
        time.sleep(0.5)
    raise AssertionError(f"Prometheus did not evaluate the rules within {seconds} s")
