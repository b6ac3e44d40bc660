"""Connector base: config validation that names the field and never echoes secrets; canonical schemas."""

from __future__ import annotations

import pytest

from isthmus.connectors import CheckResult, ConfigInvalid, Connector, Stream, StreamState
from isthmus.connectors.canonical import problems
from isthmus.connectors.sdk import redact


class Shop(Connector):
    name = "shop"
    config_schema = {
        "type": "object",
        "required": ["url", "token"],
        "properties": {
            "url": {"type": "string", "pattern": "^https?://"},
            "token": {"type": "string", "secret": True, "minLength": 8},
            "page_size": {"type": "integer", "default": 100, "minimum": 1},
        },
    }
    streams = (Stream("customers", "source_id", "updated_at"),)

    def check(self) -> CheckResult:
        return CheckResult.success()


def test_config_defaults_are_applied() -> None:
    assert Shop({"url": "http://x", "token": "12345678"}).config["page_size"] == 100


def test_missing_required_config_names_the_field() -> None:
    with pytest.raises(ConfigInvalid) as caught:
        Shop({"url": "http://x"})
    assert caught.value.field == "token"


def test_invalid_secret_is_reported_without_its_value() -> None:
    with pytest.raises(ConfigInvalid) as caught:
        Shop({"url": "http://x", "token": "short"})
    assert caught.value.field == "token"
    assert "short" not in str(caught.value)


def test_redact_hides_secret_values_only() -> None:
    shown = redact(Shop, {"url": "http://x", "token": "supersecret"})
    assert shown == {"url": "http://x", "token": "***"}


def test_stream_must_be_canonical() -> None:
    with pytest.raises(ValueError, match="not one of"):
        Stream("invoices", "id")


def test_state_round_trips_through_json() -> None:
    state = StreamState("2024-01-01T00:00:00+00:00", "42", {"files": ["a"]})
    assert StreamState.from_json(state.to_json()) == state
    assert StreamState.from_json(None).is_empty


def test_canonical_customer_needs_offset_timestamps_and_known_kinds() -> None:
    assert problems("customers", {"source_id": "1", "updated_at": "2024-01-01T00:00:00+00:00"}) == []
    found = problems(
        "customers",
        {"source_id": "1", "updated_at": "2024-01-01T00:00:00", "emails": [{"address": "a@b", "kind": "x"}]},
    )
    assert any(p.startswith("updated_at") for p in found)
    assert any(p.startswith("emails[0].kind") for p in found)


def test_canonical_order_requires_lines_and_currency() -> None:
    found = problems("orders", {"external_order_id": "1", "customer_source_id": "c", "placed_at": "x"})
    assert any("currency_code" in p for p in found)
    assert any("lines" in p for p in found)
