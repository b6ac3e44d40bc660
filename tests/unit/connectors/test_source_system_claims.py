"""Two connector instances must not deliver the same stream under the same source system."""

from __future__ import annotations

import pytest

from isthmus.connectors.engine import Syncer
from isthmus.connectors.plugins import get_plugin_manager
from isthmus.connectors.runtime import ConnectorRuntime, InstanceConfigError, check_claims, parse_instances
from isthmus.connectors.state import MemoryStateStore
from isthmus.connectors.testkit import RecordingSink

PLUGINS = get_plugin_manager({})


def instances(*entries: dict[str, object]) -> list:  # type: ignore[type-arg]
    return parse_instances({"instances": list(entries)}, env={})


def test_two_instances_claiming_one_source_system_are_refused_at_start() -> None:
    # Both deliver customers as "webshop": one's customer 1 would overwrite the other's customer 1.
    claimed = instances(
        {
            "name": "shop-de",
            "connector": "ecommerce",
            "config": {"base_url": "http://de.example", "api_token": "t"},
        },
        {
            "name": "shop-at",
            "connector": "ecommerce",
            "config": {"base_url": "http://at.example", "api_token": "t"},
        },
    )
    with pytest.raises(InstanceConfigError) as caught:
        ConnectorRuntime(claimed, PLUGINS, Syncer(MemoryStateStore(), RecordingSink({})))
    message = str(caught.value)
    assert "'shop-de'" in message and "'shop-at'" in message and "'webshop'" in message
    assert "source_system" in message and "ISTHMUS_CUSTOMERS_SOURCE_SYSTEMS" in message


def test_a_source_system_set_in_the_config_counts_as_the_claim() -> None:
    with pytest.raises(InstanceConfigError, match="'newsletter'"):
        check_claims(
            instances(
                {"name": "a", "connector": "template",
                 "config": {"path": "a.jsonl", "source_system": "newsletter"}},
                {"name": "b", "connector": "ecommerce",
                 "config": {"base_url": "http://b", "source_system": "newsletter"}},
            ),
            PLUGINS,
        )  # fmt: skip


def test_own_source_systems_or_disjoint_streams_are_fine() -> None:
    check_claims(
        instances(
            {"name": "shop-de", "connector": "ecommerce", "config": {"base_url": "http://de"}},
            {"name": "shop-at", "connector": "ecommerce",
             "config": {"base_url": "http://at", "source_system": "webshop-at"}},
        ),
        PLUGINS,
    )  # fmt: skip
    # One system's streams split between two instances: no record is written twice.
    check_claims(
        instances(
            {"name": "shop-customers", "connector": "ecommerce", "streams": ["customers"],
             "config": {"base_url": "http://de"}},
            {"name": "shop-orders", "connector": "ecommerce", "streams": ["orders"],
             "config": {"base_url": "http://de"}},
        ),
        PLUGINS,
    )  # fmt: skip
