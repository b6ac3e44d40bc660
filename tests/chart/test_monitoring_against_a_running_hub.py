"""Every metric the chart's alerts and dashboards query is one a running hub exports.

A rule on a misspelt or renamed metric never fires and a panel on one stays empty, silently: this
starts ``isthmus up`` (RabbitMQ for the events), scrapes its /metrics as Prometheus does, and checks
each name each expression selects against what came back.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from .monitoring import KUBE_STATE_METRICS, metric_names, promtool, queries, rendered, variable_metrics

pytestmark = [pytest.mark.rabbitmq, pytest.mark.slow]

_SAMPLE_SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_sum", "_count"),
    "summary": ("_sum", "_count", ""),
    "info": ("_info",),
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def scrape(amqp_vhost: str, tmp_path: Path) -> Iterator[str]:
    """The /metrics text of ``isthmus up`` once all its components have started.

    A vhost of its own: the queues the hub declares would otherwise keep collecting other tests'
    events after it stopped.
    """
    data = tmp_path / "hub"
    data.mkdir()
    port = _free_port()
    env = {
        **os.environ,
        "ISTHMUS_DATA_DIR": str(data),
        "ISTHMUS_AMQP_URL": amqp_vhost,
        "ISTHMUS_AUTH_DISABLED": "true",
        "ISTHMUS_GRPC_PORT": str(_free_port()),
        "ISTHMUS_METRICS_PORT": str(port),
    }
    log = (data / "stderr.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "isthmus", "up"], env=env, stdout=log, stderr=log)
    try:
        yield _wait_for_metrics(port, process, data / "stderr.log")
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


def test_every_metric_the_rules_and_dashboards_query_is_exported_in_a_standard_scrape(scrape: str) -> None:
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
