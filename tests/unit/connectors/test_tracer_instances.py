"""Which instances file tracers is known at start, and a carrier instance's bad configuration stops the
connectors component then, not each tracer later."""

from __future__ import annotations

from pathlib import Path

import pytest

from isthmus.connectors.engine import Syncer
from isthmus.connectors.plugins import get_plugin_manager
from isthmus.connectors.runtime import ConnectorRuntime, InstanceConfigError, parse_instances
from isthmus.connectors.state import MemoryStateStore
from isthmus.connectors.testkit import RecordingSink

PLUGINS = get_plugin_manager({})


def runtime(*entries: dict[str, object]) -> ConnectorRuntime:
    found = parse_instances({"instances": list(entries)}, env={})
    return ConnectorRuntime(found, PLUGINS, Syncer(MemoryStateStore(), RecordingSink({})))


def test_a_carrier_instance_files_tracers_and_a_shop_does_not(tmp_path: Path) -> None:
    claims = str(tmp_path / "claims.json")
    shop = {
        "name": "shop",
        "connector": "ecommerce",
        "config": {"base_url": "http://x.example", "api_token": "t"},
    }
    carrier = {"name": "dhl", "connector": "carrier", "config": {"claims_file": claims, "carriers": ["DHL"]}}
    assert not runtime(shop).files_tracers()
    assert runtime(shop, carrier).files_tracers()


def test_a_carrier_instances_bad_configuration_is_found_at_start(tmp_path: Path) -> None:
    carrier = {"name": "dhl", "connector": "carrier", "config": {"claims_file": str(tmp_path / "c.json")}}
    with pytest.raises(InstanceConfigError, match="instance 'dhl': config"):
        runtime(carrier).files_tracers()
