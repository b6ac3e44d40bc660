"""``isthmus connectors sync`` from a shell: its metrics reach Prometheus through a Pushgateway."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from free_ports import free_port
from isthmus_connector_template.simulator import TemplateSource
from prometheus_client.parser import text_string_to_metric_families

from .conftest import isthmus, running

pytestmark = pytest.mark.slow


@pytest.fixture
def pushgateway(tmp_path: Path) -> Iterator[str]:
    """A real Prometheus Pushgateway (Debian's prometheus-pushgateway; .ci/run installs it)."""
    binary = shutil.which("prometheus-pushgateway")
    if binary is None:
        reason = "prometheus-pushgateway is not installed (apt-get install prometheus-pushgateway)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    port = free_port()
    process = subprocess.Popen(
        [binary, f"--web.listen-address=127.0.0.1:{port}", f"--persistence.file={tmp_path / 'push.data'}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{url}/-/ready", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_sync_run_from_the_shell_pushes_its_connector_metrics(pushgateway: str, tmp_path: Path) -> None:
    source = TemplateSource(tmp_path, count=12)
    instances = tmp_path / "instances.json"
    instances.write_text(
        json.dumps({"instances": [{"name": "crm-file", "connector": "template", "config": source.config()}]})
    )
    port = free_port()
    hub = {"ISTHMUS_DATA_DIR": str(tmp_path / "hub"), "ISTHMUS_AUTH_DISABLED": "true",
           "ISTHMUS_GRPC_PORT": str(port), "ISTHMUS_METRICS_PORT": "0", "ISTHMUS_CONSOLE_PORT": "0",
           "ISTHMUS_CUSTOMERS_SOURCE_SYSTEMS": "erp,webshop,callcenter,template"}  # fmt: skip
    with running("up", env=hub, port=port):
        cli = {
            "ISTHMUS_CONNECTORS_HUB_TARGET": f"127.0.0.1:{port}",
            "ISTHMUS_METRICS_PUSHGATEWAY": pushgateway,
        }
        done = isthmus(
            "connectors",
            "--file",
            str(instances),
            "--data-dir",
            str(tmp_path / "cli"),
            "sync",
            "crm-file",
            env=cli,
        )
    assert done.returncode == 0, done.stderr
    assert "crm-file/customers: read 12" in done.stdout

    text = urllib.request.urlopen(f"{pushgateway}/metrics", timeout=5).read().decode()
    read = {
        (s.labels.get("job"), s.labels.get("connector_instance"), s.labels.get("stream")): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "isthmus_connector_records_read_total"
    }
    assert read == {("isthmus-connectors-sync", "crm-file", "customers"): 12.0}
    assert 'isthmus_connector_last_success_timestamp_seconds{connector_instance="crm-file"' in text
