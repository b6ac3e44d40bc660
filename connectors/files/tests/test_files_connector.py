import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from isthmus_connector_files import FilesConnector
from isthmus_connector_files.connector import LayoutMismatch
from isthmus_connector_files.mapping import Unreadable, compile_fields
from isthmus_connector_files.simulator import (
    BUYER_COLUMNS,
    CART_COLUMNS,
    FIELDS,
    ORDER_COLUMNS,
    MarketplaceDrops,
)

from isthmus.connectors import BadRecord, Checkpoint, ConfigInvalid, StreamState
from isthmus.connectors.engine import prepare
from isthmus.connectors.plugins import get_plugin_manager
from isthmus.connectors.runtime import (
    ConnectorRuntime,
    Instance,
    InstanceConfigError,
    check_claims,
    parse_instances,
)
from isthmus.connectors.testkit import connector_test_class

TestFiles = connector_test_class(FilesConnector, source=MarketplaceDrops)


def read(
    connector: FilesConnector, stream: str, state: StreamState | None = None
) -> tuple[list, StreamState | None]:
    items = list(connector.read(stream, state or StreamState()))
    checkpoints = [i.state for i in items if isinstance(i, Checkpoint)]
    return [i for i in items if not isinstance(i, Checkpoint)], (checkpoints[-1] if checkpoints else state)


def only(config: dict[str, Any], stream: str, **spec: Any) -> dict[str, Any]:
    """The simulator's config with one stream, its spec changed by ``spec``."""
    return {**config, "streams": {stream: {**config["streams"][stream], **spec}}}


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"source_id": "Kundennr", "name.nickname": "Vorname"}, "streams.customers.fields.name.nickname",
         "has no field 'nickname'"),
        ({"name.given_name": "Vorname"}, "streams.customers.fields.source_id", "is required"),
        ({"source_id": "Kundennr", "emails.address": "E-Mail"}, "streams.customers.fields.emails.address",
         "is a list"),
        ({"source_id": "Kundennr", "name": "Vorname"}, "streams.customers.fields.name",
         "map each of its fields"),
        ({"source_id": "Kundennr", "phones.0.kind": {"value": "fax"}},
         "streams.customers.fields.phones.0.kind", "'fax' is not one of"),
        ({"source_id": "Kundennr", "date_of_birth": {"column": "Geburtsdatum", "format": "dd.mm.yyyy"}},
         "streams.customers.fields.date_of_birth.format", "strptime"),
        ({"source_id": "Kundennr", "updated_at": {"column": "x", "type": "timestamp"}},
         "streams.customers.fields.updated_at.type", "expected one of"),
        ({"source_id": {"column": "a", "value": "b"}}, "streams.customers.fields.source_id",
         "exactly one of"),
        ({"source_id": {"colum": "a"}}, "streams.customers.fields.source_id.colum", "not a setting"),
        ({"source_id": {"column": "Kundennr", "type": "integer"}},
         "streams.customers.fields.source_id.type", "the field is a string, not a integer"),
        ({"source_id": "Kundennr", "updated_at": {"column": "Geaendert", "type": "date"}},
         "streams.customers.fields.updated_at.type", "the field is a datetime, not a date"),
    ],
)  # fmt: skip
def test_a_mapping_that_cannot_make_canonical_records_is_refused_naming_the_field(
    tmp_path: Path, fields: dict[str, Any], field: str, says: str
) -> None:
    config = only(MarketplaceDrops(tmp_path, seed=0).config(), "customers", fields=fields)
    with pytest.raises(ConfigInvalid) as refused:
        FilesConnector(config)
    assert refused.value.field == field
    assert says in str(refused.value)


@pytest.mark.parametrize(
    ("change", "field"),
    [({"timezone": "Europe/Bielefeld"}, "timezone"), ({"streams": {"leads": {}}}, "streams")],
)
def test_an_unknown_time_zone_or_stream_is_refused(
    tmp_path: Path, change: dict[str, Any], field: str
) -> None:
    with pytest.raises(ConfigInvalid) as refused:
        FilesConnector({**MarketplaceDrops(tmp_path, seed=0).config(), **change})
    assert refused.value.field == field


def test_an_unknown_encoding_is_refused(tmp_path: Path) -> None:
    config = only(MarketplaceDrops(tmp_path, seed=0).config(), "customers", encoding="klingon-8")
    with pytest.raises(ConfigInvalid) as refused:
        FilesConnector(config)
    assert refused.value.field == "streams.customers.encoding"


def test_a_header_without_a_mapped_column_fails_the_sync_and_the_file_waits_for_the_fix(
    tmp_path: Path,
) -> None:
    sim = MarketplaceDrops(tmp_path, seed=0)
    sim.csv("buyers", [c if c != "PLZ" else "Postleitzahl" for c in BUYER_COLUMNS], [sim.buyer("K1")])
    connector = FilesConnector(sim.config())
    with pytest.raises(LayoutMismatch, match=r"no column 'PLZ' in its header \(Kundennr, Vorname"):
        read(connector, "customers")
    check = connector.check()
    assert not check.ok and "customers: buyers_00001.csv: no column 'PLZ'" in check.reason
    fields = {**FIELDS["customers"], "addresses.0.postal_code": "Postleitzahl"}
    mended = FilesConnector(only(sim.config(), "customers", fields=fields))
    records, _ = read(mended, "customers")
    assert [r["addresses"][0]["postal_code"] for r in records] == ["10115"]


def test_an_optional_value_that_does_not_convert_is_kept_raw_and_the_record_goes_on(tmp_path: Path) -> None:
    sim = MarketplaceDrops(tmp_path, seed=0)
    sim.csv("buyers", BUYER_COLUMNS, [sim.buyer("K1", born="31.02.1981"), sim.buyer("K2")])
    (k1, k2), _ = read(FilesConnector(sim.config()), "customers")
    assert "date_of_birth" not in k1
    assert k1["attributes"] == {"unreadable:date_of_birth": "31.02.1981"}
    assert k1["name"] == {"given_name": "Jörg", "family_name": "Weiß"}, "cp1252 read as such"
    assert k2["date_of_birth"] == "1981-02-03" and "attributes" not in k2


def test_a_stream_without_attributes_dead_letters_the_record_naming_the_field(tmp_path: Path) -> None:
    sim = MarketplaceDrops(tmp_path, seed=0)
    sim.jsonl("contacts", [sim.contact("M1", "K1", via="Fax"), sim.contact("M2", "K1", via="phone")])
    (bad, good), _ = read(FilesConnector(sim.config()), "interactions")
    assert isinstance(bad, BadRecord) and bad.key == "contacts_00001.jsonl:1"
    assert bad.reason.startswith("contacts_00001.jsonl:1: channel (column via): 'Fax' is not one of phone,")
    assert good["channel"] == "phone" and good["direction"] == "inbound"


def test_a_list_item_with_nothing_from_the_source_is_left_out(tmp_path: Path) -> None:
    sim = MarketplaceDrops(tmp_path, seed=0)
    sim.csv("buyers", BUYER_COLUMNS, [sim.buyer("K1", phone="", email="")])
    (k1,), _ = read(FilesConnector(sim.config()), "customers")
    assert "phones" not in k1 and "emails" not in k1, "the phone's default region alone is no phone"


def test_an_item_without_what_its_items_need_is_left_out(tmp_path: Path) -> None:
    sim = MarketplaceDrops(tmp_path, seed=0)
    sim.csv("buyers", [*BUYER_COLUMNS, "Art"], [[*sim.buyer("K1", email=""), "x"], [*sim.buyer("K2"), "x"]])
    fields = {**FIELDS["customers"], "emails.0.primary": {"column": "Art", "type": "boolean"}}
    (k1, k2), _ = read(FilesConnector(only(sim.config(), "customers", fields=fields)), "customers")
    assert "emails" not in k1, "an e-mail without its address"
    assert k2["emails"] == [{"address": "kK2@example.de", "primary": True}]


def test_rows_of_one_order_make_one_order_wherever_they_stand(tmp_path: Path) -> None:
    sim = MarketplaceDrops(tmp_path, seed=0)
    rows = [
        sim.order_line("B1", "K1", "A"),
        sim.order_line("B2", "K2", "B"),
        sim.order_line("B1", "K1", "C", "3", "0,99"),
    ]
    sim.csv("orders", ORDER_COLUMNS, [*rows, ["", "K3", "03.05.2024 10:15", "EUR", "D", "d", "1", "1"]])
    (b1, b2, lost), _ = read(FilesConnector(sim.config()), "orders")
    assert (
        isinstance(b1, BadRecord)
        and b1.reason == "orders_00001.csv:5: no Bestellnr, the column rows are grouped by"
    )
    assert [(line["sku"], line["quantity"], line["unit_price"]) for line in b2["lines"]] == [
        ("A", 1, "1234.50"),
        ("C", 3, "0.99"),
    ]
    assert (b2["channel"], b2["placed_at"]) == ("marketplace", "2024-05-03T10:15:00+02:00")
    assert [line["sku"] for line in lost["lines"]] == ["B"]


def test_a_file_waits_for_its_marker_unless_the_stream_needs_none(tmp_path: Path) -> None:
    sim = MarketplaceDrops(tmp_path, seed=0)
    path = sim.csv("buyers", BUYER_COLUMNS, [sim.buyer("K1")], complete=False)
    assert read(FilesConnector(sim.config()), "customers")[0] == []
    unmarked = FilesConnector(only(sim.config(), "customers", done_marker=False))
    assert [r["source_id"] for r in read(unmarked, "customers")[0]] == ["K1"]
    path.with_name(path.name + ".done").touch()
    assert [r["source_id"] for r in read(FilesConnector(sim.config()), "customers")[0]] == ["K1"]


def test_a_file_dropped_again_is_read_again_only_when_it_changed(tmp_path: Path) -> None:
    sim = MarketplaceDrops(tmp_path, seed=0)
    connector = FilesConnector(sim.config())
    sim.csv("buyers", BUYER_COLUMNS, [sim.buyer("K1")], name="buyers_1.csv")
    _, state = read(connector, "customers")
    sim.csv("buyers", BUYER_COLUMNS, [sim.buyer("K1")], name="buyers_1.csv")
    assert read(connector, "customers", state)[0] == []
    sim.csv("buyers", BUYER_COLUMNS, [sim.buyer("K1", given="Jörn")], name="buyers_1.csv")
    assert [r["name"]["given_name"] for r in read(connector, "customers", state)[0]] == ["Jörn"]


def test_a_file_not_in_its_encoding_is_one_dead_letter_and_the_next_file_is_read(tmp_path: Path) -> None:
    sim = MarketplaceDrops(tmp_path, seed=0)
    sim.drop("contacts_0.jsonl", '{"id": "M1"}\n', encoding="utf-16")
    sim.jsonl("contacts", [sim.contact("M2", "K1", via="chat", inbound=False)])
    (bad, good), state = read(FilesConnector(sim.config()), "interactions")
    assert isinstance(bad, BadRecord) and bad.reason == "contacts_0.jsonl: not utf-8; the file was not read"
    assert good["external_id"] == "M2" and good["direction"] == "outbound"
    assert state is not None and len(state.extra["digests"]) == 2


def test_a_file_that_stops_being_in_its_encoding_keeps_its_rows_before_unless_they_are_grouped(
    tmp_path: Path,
) -> None:
    sim = MarketplaceDrops(tmp_path, seed=0)
    # Text is decoded a block at a time: the rows of the blocks before the bad one are delivered.
    rows = [";".join(r) for r in [BUYER_COLUMNS, *(sim.buyer(f"K{n}") for n in range(1, 301))]]
    sim.drop("buyers_1.csv", "\n".join(rows) + "\n", encoding="cp1252")
    (sim.inbox / "buyers_1.csv").write_bytes((sim.inbox / "buyers_1.csv").read_bytes() + b"K0;\x81\n")
    records, _ = read(FilesConnector(sim.config()), "customers")
    *delivered, bad = records
    assert 0 < len(delivered) < 300
    assert [r["source_id"] for r in delivered] == [f"K{n}" for n in range(1, len(delivered) + 1)]
    assert isinstance(bad, BadRecord)
    assert (
        bad.reason
        == f"buyers_1.csv: not cp1252 after line {len(delivered) + 1}; the lines after it were not read"
    )

    lines = [";".join(r) for r in [ORDER_COLUMNS, sim.order_line("B1", "K1")]]
    sim.drop("orders_1.csv", "\n".join(lines) + "\n", encoding="cp1252")
    (sim.inbox / "orders_1.csv").write_bytes((sim.inbox / "orders_1.csv").read_bytes() + b"B1;\x81\n" * 3000)
    (bad,), _ = read(FilesConnector(sim.config()), "orders")
    assert isinstance(bad, BadRecord) and bad.reason.endswith("; the file was not read"), (
        "no order is cut short"
    )


def test_only_the_mapped_streams_are_synced_and_claimed(tmp_path: Path) -> None:
    sim = MarketplaceDrops(tmp_path, seed=0)
    config = sim.config()
    customers = only(config, "customers")
    orders = only(config, "orders")
    plugins = get_plugin_manager({})
    both = [Instance("buyers", "files", customers, 60), Instance("orders", "files", orders, 60)]
    check_claims(both, plugins)  # one system, its streams split between two instances
    with pytest.raises(InstanceConfigError, match="both deliver customers as source system 'marketplace'"):
        check_claims([*both, Instance("again", "files", customers, 60)], plugins)
    runtime = ConnectorRuntime(both, plugins, syncer=None)
    assert runtime.streams("orders") == ["orders"]


@settings(max_examples=90, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=400), fmt=st.sampled_from(["csv", "jsonl", "fixed"]))
def test_whatever_bytes_arrive_every_row_is_a_record_or_a_dead_letter(
    tmp_path: Path, body: bytes, fmt: str
) -> None:
    sim = MarketplaceDrops(tmp_path, seed=0)
    for p in sim.inbox.iterdir():
        p.unlink()
    config = sim.config()
    stream, name, header = {
        "csv": ("carts", "carts_x.csv", (",".join(CART_COLUMNS) + "\n").encode()),
        "jsonl": ("interactions", "contacts_x.jsonl", b""),
        "fixed": ("customers", "KUNDEN_x.DAT", b"title\n=====\n"),
    }[fmt]
    if fmt == "fixed":
        config["streams"]["customers"] = LEGACY
    sim.drop(name, "")
    (sim.inbox / name).write_bytes(header + body)
    items, state = read(FilesConnector(config), stream)  # never raises, whatever the bytes
    assert state is not None, "the file was not done"
    for item in items:
        if isinstance(item, BadRecord):
            assert item.reason.startswith(item.key) and item.key.startswith(name), item
            continue
        # A record the mapping made is delivered, or dead-lettered by the engine with the schema's
        # reason (a row whose key cell is blank).
        record, reason = prepare(stream, item, [])
        assert record is not None or reason.startswith("not a canonical record: "), (item, reason)


def test_a_line_the_csv_reader_refuses_is_a_dead_letter_and_the_file_goes_on(tmp_path: Path) -> None:
    sim = MarketplaceDrops(tmp_path, seed=0)
    huge = ["C2", "K1", "EUR", "x" * 200_000, "1", "1", "1", "2024-05-03T10:15:00Z"]
    sim.csv(
        "carts",
        CART_COLUMNS,
        [huge, ["C3", "K1", "EUR", "SKU-1", "1", "9.90", "9.90", "2024-05-03T10:15:00Z"]],
    )
    (bad, good), _ = read(FilesConnector(sim.config()), "carts")
    assert (
        isinstance(bad, BadRecord)
        and bad.reason == "carts_00001.csv:2: field larger than field limit (131072)"
    )
    assert good["external_cart_id"] == "C3"


def test_the_instance_the_doc_shows_is_one_the_connector_takes() -> None:
    doc = (Path(__file__).resolve().parents[3] / "docs" / "files-connector.md").read_text()
    (block,) = [b.split("```")[0] for b in doc.split("```json\n")[1:] if '"connector": "files"' in b]
    (instance,) = parse_instances(json.loads(block), env={})
    connector = FilesConnector(instance.config)
    assert FilesConnector.configured_streams(connector.config) == ("customers", "orders")
    street = next(f for f in connector.plans["customers"].fields if f.target == "addresses.0.lines.0")
    assert street.raw({"Strasse": "Hauptstraße", "Hausnr": " 5 "}) == "Hauptstraße 5"


def test_the_estimate_is_the_unread_files_rows_and_none_when_rows_are_grouped(tmp_path: Path) -> None:
    sim = MarketplaceDrops(tmp_path, seed=4)
    connector = FilesConnector(sim.config())
    assert connector.estimate("customers", StreamState()) == 4
    assert connector.estimate("interactions", StreamState()) == 4
    assert connector.estimate("orders", StreamState()) is None
    _, state = read(connector, "customers")
    assert state is not None and connector.estimate("customers", state) == 0
    sim.add_records("customers", 3)
    assert connector.estimate("customers", state) == 3


def test_one_file_feeds_two_streams_each_taking_only_its_rows(tmp_path: Path) -> None:
    """A call log: every call an interaction, a complaint (flag Y, or R once resolved) also a case."""
    sim = MarketplaceDrops(tmp_path, seed=0)
    columns = ["call", "caller", "started", "topic", "complaint"]
    rows = [
        ["C1", "K1", "2024-05-03T10:15:00", "Parcel", "Y"],
        ["C2", "K1", "2024-05-03T11:00:00", "Invoice", "N"],
        ["C3", "K2", "2024-05-04T09:00:00", "Broken", "R"],
    ]
    sim.drop("calls_1.csv", "\n".join(",".join(r) for r in [columns, *rows]) + "\n")
    config = {**sim.config(), "streams": {
        "interactions": {"files": "calls_*.csv", "fields": {
            "external_id": "call", "customer_source_id": "caller", "channel": {"value": "phone"},
            "direction": {"value": "inbound"}, "subject": "topic", "occurred_at": "started"}},
        "service_requests": {"files": "calls_*.csv", "only": {"complaint": ["Y", "R"]}, "fields": {
            "external_id": "call", "customer_source_id": "caller", "kind": {"value": "complaint"},
            "subject": "topic", "opened_at": "started",
            "state": {"column": "complaint", "values": {"Y": None, "R": "resolved"}}}},
    }}  # fmt: skip
    connector = FilesConnector(config)
    calls, _ = read(connector, "interactions")
    cases, _ = read(connector, "service_requests")
    assert [c["external_id"] for c in calls] == ["C1", "C2", "C3"]
    assert [(c["external_id"], c.get("state")) for c in cases] == [("C1", None), ("C3", "resolved")]
    assert connector.estimate("service_requests", StreamState()) is None, "rows are skipped: no count"
    config["streams"]["service_requests"]["only"] = {"flag": ["Y"]}
    with pytest.raises(LayoutMismatch, match="no column 'flag'"):
        read(FilesConnector(config), "service_requests")


def test_an_export_sorted_by_its_groups_is_read_a_group_at_a_time(tmp_path: Path) -> None:
    """Each order is made as soon as its last line is read (memory for one order, not the file's):
    the malformed line between the second and third orders comes out between them."""
    sim = MarketplaceDrops(tmp_path, seed=0)
    lines = [
        sim.order_line("B1", "K1", "A"),
        sim.order_line("B1", "K1", "B"),
        sim.order_line("B2", "K2", "C"),
    ]
    sim.csv("orders", ORDER_COLUMNS, [*lines, ["B9", "broken"], sim.order_line("B3", "K3", "D")])
    items, _ = read(FilesConnector(sim.config()), "orders")
    assert [i.key if isinstance(i, BadRecord) else i["external_order_id"] for i in items] == [
        "B1",
        "orders_00001.csv:5",
        "B2",
        "B3",
    ]
    assert [line["sku"] for line in items[0]["lines"]] == ["A", "B"]


LEGACY: dict[str, Any] = {
    "format": "fixed",
    "encoding": "cp1252",
    "skip_lines": 2,
    "files": "KUNDEN*.DAT",
    "columns": {
        "nr": {"start": 1, "length": 6},
        "name": {"start": 7, "length": 20},
        "born": {"start": 27, "length": 8},
        "phone": {"start": 35, "length": 15},
    },
    "fields": {
        "source_id": "nr",
        "name.full_name": "name",
        "date_of_birth": {"column": "born", "format": "%Y%m%d"},
        "phones.0.number": "phone",
    },
}


def test_a_fixed_width_export_is_cut_at_its_columns_after_its_title_lines(tmp_path: Path) -> None:
    sim = MarketplaceDrops(tmp_path, seed=0)
    lines = [
        "KUNDENSTAMM 03.05.2024",
        "=" * 49,
        f"{'000017':<6}{'Jürgen Weiß':<20}{'19610412':<8}{'089 123456':<15}",
        f"{'000018':<6}{'Anna Blum':<20}{'19791301':<8}",  # trailing blanks trimmed, a month 13
    ]
    sim.drop("KUNDEN1.DAT", "\r\n".join(lines) + "\r\n", encoding="cp1252")
    connector = FilesConnector({**sim.config(), "streams": {"customers": LEGACY}})
    (juergen, anna), _ = read(connector, "customers")
    assert juergen == {
        "source_id": "000017",
        "name": {"full_name": "Jürgen Weiß"},
        "date_of_birth": "1961-04-12",
        "phones": [{"number": "089 123456"}],
    }
    assert anna["attributes"] == {"unreadable:date_of_birth": "19791301"} and "phones" not in anna
    assert connector.estimate("customers", StreamState()) == 2


def test_a_fixed_width_mapping_names_only_placed_columns(tmp_path: Path) -> None:
    config = MarketplaceDrops(tmp_path, seed=0).config()
    stray = {**LEGACY, "fields": {**LEGACY["fields"], "emails.0.address": "mail"}}
    with pytest.raises(ConfigInvalid) as refused:
        FilesConnector({**config, "streams": {"customers": stray}})
    assert refused.value.field == "streams.customers.fields.emails.0.address"
    unplaced = {k: v for k, v in LEGACY.items() if k != "columns"}
    with pytest.raises(ConfigInvalid) as refused:
        FilesConnector({**config, "streams": {"customers": unplaced}})
    assert refused.value.field == "streams.customers.columns"


def test_title_lines_before_a_csv_header_are_skipped_and_lines_keep_their_numbers(tmp_path: Path) -> None:
    sim = MarketplaceDrops(tmp_path, seed=0)
    rows = [";".join(r) for r in [BUYER_COLUMNS, sim.buyer("K1"), ["K2", "short"]]]
    sim.drop("buyers_1.csv", "Export Kunden\n\n" + "\n".join(rows) + "\n", encoding="cp1252")
    config = only(sim.config(), "customers", skip_lines=2)
    (k1, bad), _ = read(FilesConnector(config), "customers")
    assert k1["source_id"] == "K1" and bad.key == "buyers_1.csv:5"


@pytest.mark.parametrize(
    ("separator", "written", "amount"),
    [
        (",", "1.234,50", "1234.50"),
        (",", "12,5", "12.5"),
        (",", "-1.234.567", "-1234567"),
        (".", "1,234.50", "1234.50"),
        (".", "12.5", "12.5"),
        (".", "12,5", None),  # a German amount under an English mapping: not 125
        (",", "1.2,5", None),
        (",", "1.23,5", None),
        (".", "1,23,456.0", None),
    ],
)
def test_thousands_are_grouped_only_where_they_are_thousands(
    separator: str, written: str, amount: str | None
) -> None:
    fields = {**FIELDS["carts"], "lines.*.unit_price": {"column": "price", "decimal_separator": separator}}
    price = next(f for f in compile_fields("carts", fields, "f") if f.target == "lines.*.unit_price")
    if amount is None:
        with pytest.raises(Unreadable, match=f"{written!r} is not an amount with {separator!r} before"):
            price.value({"price": written}, ZoneInfo("UTC"))
    else:
        assert price.value({"price": written}, ZoneInfo("UTC")) == amount


def test_json_values_group_and_filter_as_the_mapping_reads_them(tmp_path: Path) -> None:
    """Order number 0 is a number like any other (not "no order"), and a JSON true is "true"."""
    sim = MarketplaceDrops(tmp_path, seed=0)

    def line(order: int, sku: str, paid: bool = True) -> dict[str, Any]:
        return {"order": order, "buyer": "K1", "at": "2024-05-03T10:15:00Z", "sku": sku, "qty": 1,
                "price": "1.00", "paid": paid}  # fmt: skip

    sim.jsonl("orders", [line(0, "A"), line(1, "B"), line(0, "C"), line(2, "D", paid=False)])
    fields = {
        "external_order_id": "order",
        "customer_source_id": "buyer",
        "currency_code": {"value": "EUR"},
        "placed_at": "at",
        "lines.*.sku": "sku",
        "lines.*.quantity": "qty",
        "lines.*.unit_price": "price",
    }
    spec = {"format": "jsonl", "files": "orders_*.jsonl", "group_by": "order", "only": {"paid": ["true"]}}
    config = {**sim.config(), "streams": {"orders": {**spec, "fields": fields}}}  # fmt: skip
    orders, _ = read(FilesConnector(config), "orders")
    assert [(o["external_order_id"], [x["sku"] for x in o["lines"]]) for o in orders] == [
        ("0", ["A", "C"]),
        ("1", ["B"]),
    ]
