"""The carrier connector files a tracer once, as a claim with the carrier, and leaves other carriers'
parcels alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from isthmus_connector_carrier import CarrierConnector
from isthmus_connector_carrier.simulator import CarrierSimulator

from isthmus.connectors import Tracer
from isthmus.connectors.plugins import get_plugin_manager
from isthmus.connectors.sdk import ConfigInvalid


def tracer(carrier: str = "DHL", case: str = "sr-1") -> Tracer:
    return Tracer(
        case, "cust-1", "order-1", carrier, "JJD0001", "2024-05-02T08:00:00Z", "WH-1", "M-9", "Lost"
    )


def test_a_tracer_becomes_one_claim_whatever_the_case_of_the_carriers_name(tmp_path: Path) -> None:
    carrier = CarrierSimulator(tmp_path)
    connector = CarrierConnector(carrier.config())
    assert connector.check().ok
    first = connector.file_tracer(tracer("dhl"))
    assert first == "CLM-00001"
    assert connector.file_tracer(tracer()) == first  # delivered again: the same claim
    assert connector.file_tracer(tracer(case="sr-2")) == "CLM-00002"  # another case, another claim
    [one, two] = carrier.claims()
    assert (one["tracking_number"], one["case"], one["manifest_number"]) == ("JJD0001", "sr-1", "M-9")
    assert two["case"] == "sr-2"


def test_another_carriers_parcel_is_not_filed(tmp_path: Path) -> None:
    carrier = CarrierSimulator(tmp_path)
    assert CarrierConnector(carrier.config()).file_tracer(tracer("UPS")) is None
    assert carrier.claims() == []


def test_the_plugin_registers_it_and_its_config_is_checked(tmp_path: Path) -> None:
    assert get_plugin_manager({}).connector("carrier") is CarrierConnector
    with pytest.raises(ConfigInvalid):
        CarrierConnector({"claims_file": str(tmp_path / "claims.json"), "carriers": []})
    missing = CarrierConnector(
        {"claims_file": str(tmp_path / "nowhere" / "claims.json"), "carriers": ["DHL"]}
    )
    assert not missing.check().ok
