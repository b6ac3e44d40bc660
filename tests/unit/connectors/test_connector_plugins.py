"""The plugin manager: built-ins, entry points, disable/allow lists, and every hook called for real."""

from __future__ import annotations

from typing import Any

import pytest

from isthmus.connectors import CheckResult, Connector, InvalidRecord, Stream, hookimpl
from isthmus.connectors.plugins import PluginError, get_plugin_manager


class Dummy(Connector):
    name = "dummy"
    streams = (Stream("customers", "source_id", "updated_at"),)

    def check(self) -> CheckResult:
        return CheckResult.success()


class DummyPlugin:
    @hookimpl
    def register_connectors(self) -> list[type[Connector]]:
        return [Dummy]


def test_builtins_load_and_installed_entry_point_connectors_are_found() -> None:
    pm = get_plugin_manager({})
    assert "isthmus.connectors.builtin" in pm.plugin_names
    assert "template" in pm.connectors()  # connectors/template is installed editable


def test_disabled_plugin_is_not_loaded() -> None:
    pm = get_plugin_manager({"ISTHMUS_PLUGINS_DISABLED": "template, isthmus.connectors.builtin"})
    assert "template" not in pm.connectors()
    assert "isthmus.connectors.builtin" not in pm.plugin_names


def test_allow_list_loads_only_named_entry_points() -> None:
    pm = get_plugin_manager({"ISTHMUS_PLUGINS_ALLOW": "nothing-else"})
    assert "template" not in pm.connectors()
    assert "isthmus.connectors.builtin" in pm.plugin_names


def test_register_connectors_hook_adds_connector_classes() -> None:
    pm = get_plugin_manager({}, entry_points=False)
    pm.register(DummyPlugin(), name="dummy")
    assert pm.connector("dummy") is Dummy
    with pytest.raises(KeyError, match="no connector named 'nope'"):
        pm.connector("nope")


def test_two_plugins_claiming_one_connector_name_fail_loudly() -> None:
    class Other(Dummy):
        pass

    class OtherPlugin:
        @hookimpl
        def register_connectors(self) -> list[type[Connector]]:
            return [Other]

    pm = get_plugin_manager({}, entry_points=False)
    pm.register(DummyPlugin(), name="a")
    pm.register(OtherPlugin(), name="b")
    with pytest.raises(PluginError, match="two plugins"):
        pm.connectors()


def test_misspelt_hook_fails_at_registration() -> None:
    class Misspelt:
        @hookimpl
        def register_conectors(self) -> list[Any]:
            return []

    pm = get_plugin_manager({}, entry_points=False)
    with pytest.raises(Exception, match="unknown hook"):
        pm.register(Misspelt(), name="misspelt")


def test_transform_record_hook_applies_only_where_its_predicate_says() -> None:
    class Upper:
        @hookimpl
        def transform_record(self, connector: str, stream: str) -> Any:
            if stream != "customers":
                return None

            def apply(record: dict[str, Any]) -> dict[str, Any]:
                if record.get("company") == "ACME":
                    raise InvalidRecord("ACME records are test data")
                record["name"] = {"full_name": record["name"]["full_name"].upper()}
                return record

            return apply

    pm = get_plugin_manager({}, builtins=(), entry_points=False)
    pm.register(Upper(), name="upper")
    assert pm.transforms("erp", "orders", {}) == []
    (apply,) = pm.transforms("erp", "customers", {})
    assert apply({"name": {"full_name": "ann"}}) == {"name": {"full_name": "ANN"}}
    with pytest.raises(InvalidRecord):
        apply({"name": {"full_name": "x"}, "company": "ACME"})


def test_builtin_transform_masks_fields_and_normalises_countries() -> None:
    pm = get_plugin_manager({}, entry_points=False)
    (apply,) = pm.transforms("erp", "customers", {"mask_fields": ["attributes.iban"]})
    record = {
        "source_id": "1",
        "attributes": {"iban": "DE89370400440532013000"},
        "addresses": [{"region_code": "Deutschland"}, {"region_code": "at "}],
    }
    out = apply(record)
    assert out["attributes"]["iban"] == "***"
    assert [a["region_code"] for a in out["addresses"]] == ["DE", "AT"]


def test_builtin_transform_maps_any_iso_3166_country_name_or_code() -> None:
    pm = get_plugin_manager({}, entry_points=False)
    (apply,) = pm.transforms("erp", "customers", {"country_aliases": {"Bharat": "IN"}})
    names = ["Italy", "ITA", "italy ", "South Korea", "Czech Republic", "Côte d'Ivoire", "uk", "Bharat"]
    names.append("Atlantis")
    out = apply({"source_id": "1", "addresses": [{"region_code": n} for n in names]})
    assert [a["region_code"] for a in out["addresses"]] == [
        "IT", "IT", "IT", "KR", "CZ", "CI", "GB", "IN", "ATLANTIS",
    ]  # fmt: skip


class FakeComparatorRegistry:
    """Stands in for the customer master's comparator registry (its side is tested there)."""

    def __init__(self) -> None:
        self.comparators: dict[str, Any] = {}

    def add(self, comparator: Any) -> None:
        self.comparators[comparator.name] = comparator


def test_register_match_comparators_hook_feeds_the_matchers_registry() -> None:
    class LoyaltyCard:
        name = "loyalty_card_exact"

        def compare(self, left: str, right: str) -> float:
            return 1.0 if left and left == right else 0.0

    class Plugin:
        @hookimpl
        def register_match_comparators(self) -> list[Any]:
            return [LoyaltyCard()]

    pm = get_plugin_manager({}, entry_points=False)
    pm.register(Plugin(), name="cards")
    registry = FakeComparatorRegistry()
    for comparator in pm.match_comparators():
        registry.add(comparator)
    assert registry.comparators["loyalty_card_exact"].compare("C-1", "C-1") == 1.0
