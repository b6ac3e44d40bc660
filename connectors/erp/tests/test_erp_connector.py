from pathlib import Path

import pytest
from isthmus_connector_erp import ErpConnector
from isthmus_connector_erp.simulator import ErpSimulator

from isthmus.connectors import ConfigInvalid, GoldenChange, StreamState
from isthmus.connectors.testkit import connector_test_class

TestErp = connector_test_class(ErpConnector, source=ErpSimulator)


def test_contact_becomes_a_customer_with_account_address_and_iso_birth_date(tmp_path: Path) -> None:
    erp = ErpSimulator(tmp_path, seed=0)
    account = erp.add_account("Schmidt KG", "Lindenweg 4", "80331", "München", "Deutschland")
    erp.add_contact(account, "Anna", "Schmidt", email="anna@schmidt.example", birth_date="29.02.1980",
                    salutation="Frau")  # fmt: skip
    (record,) = ErpConnector(erp.config()).read("customers", StreamState())
    assert record["name"] == {"prefix": "Frau", "given_name": "Anna", "family_name": "Schmidt"}
    assert record["date_of_birth"] == "1980-02-29"
    assert record["addresses"][0]["locality"] == "München"
    assert record["company"] == "Schmidt KG"


def test_paid_invoice_becomes_a_paid_order(tmp_path: Path) -> None:
    erp = ErpSimulator(tmp_path, seed=0)
    contact = erp.add_contact(erp.add_account("X", "", "", "", "DE"), "A", "B")
    erp.add_invoice(contact, "INV-1", [("SKU-1", "Kettle", 1, "49.90")], day=3)
    (order,) = ErpConnector(erp.config()).read("orders", StreamState())
    assert order["lines"][0]["unit_price"] == "49.90"
    assert order["paid_at"].startswith("2024-04-03")
    assert order["customer_source_id"] == str(contact)
    assert order["channel"] == "erp"
    # A TV shop's order entry runs on the same ERP: its instance says which channel its orders came by.
    (order,) = ErpConnector({**erp.config(), "order_channel": "tv"}).read("orders", StreamState())
    assert order["channel"] == "tv"


def test_write_back_corrects_the_contact_and_bumps_its_modified_time(tmp_path: Path) -> None:
    erp = ErpSimulator(tmp_path, seed=0)
    contact = erp.add_contact(
        erp.add_account("X", "", "", "", "DE"), "Ana", "Schmit", email="old@example.com"
    )
    before = erp.contact(contact)["modified_at"]
    change = GoldenChange(
        "cus_1",
        (str(contact),),
        ("name.given_name", "emails"),
        {
            "name": {"given_name": "Anna", "family_name": "Schmidt"},
            "emails": [{"address": "anna@ex.com", "primary": True}],
        },
    )
    ErpConnector(erp.config()).write(change)
    after = erp.contact(contact)
    assert (after["first_name"], after["last_name"], after["email"]) == ("Anna", "Schmidt", "anna@ex.com")
    assert after["modified_at"] > before


def test_estimate_counts_what_a_read_from_the_state_will_yield(tmp_path: Path) -> None:
    erp = ErpSimulator(tmp_path, seed=0)
    account = erp.add_account("X", "", "", "", "DE")
    for i in range(5):
        erp.add_contact(account, f"A{i}", "B")
    connector = ErpConnector(erp.config())
    assert connector.estimate("customers", StreamState()) == 5
    records = list(connector.read("customers", StreamState()))
    middle = StreamState(records[2]["updated_at"], records[2]["source_id"])
    assert connector.estimate("customers", middle) == len(list(connector.read("customers", middle))) == 2


def test_an_order_channel_the_hub_does_not_know_is_a_configuration_error(tmp_path: Path) -> None:
    erp = ErpSimulator(tmp_path, seed=0)
    with pytest.raises(ConfigInvalid, match="order_channel") as refused:
        ErpConnector({**erp.config(), "order_channel": "television"})
    assert refused.value.field == "order_channel"
