"""A simulated marketplace that drops its exports as files: buyers and orders as CSV (semicolons,
Windows-1252, German dates and amounts; an order one row a line), cases and contacts as JSON Lines,
abandoned carts and the stock of its articles as CSV. ``config()`` is the instance configuration that
maps them, with no code."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

BUYER_COLUMNS = ["Kundennr", "Vorname", "Nachname", "Geburtsdatum", "E-Mail", "Telefon", "Strasse", "PLZ",
                 "Ort", "Geaendert"]  # fmt: skip
ORDER_COLUMNS = ["Bestellnr", "Kundennr", "Datum", "Waehrung", "Artikel", "Bezeichnung", "Menge", "Preis"]
CART_COLUMNS = ["cart", "buyer", "currency", "sku", "qty", "price", "total", "abandoned"]
STOCK_COLUMNS = ["article", "in_stock", "title", "next_delivery"]

FIELDS: dict[str, dict[str, Any]] = {
    "customers": {
        "source_id": "Kundennr",
        "name.given_name": "Vorname",
        "name.family_name": "Nachname",
        "date_of_birth": {"column": "Geburtsdatum", "format": "%d.%m.%Y"},
        "emails.0.address": "E-Mail",
        "phones.0.number": "Telefon",
        "phones.0.default_region": {"value": "DE"},
        "addresses.0.lines.0": "Strasse",
        "addresses.0.postal_code": "PLZ",
        "addresses.0.locality": "Ort",
        "addresses.0.region_code": {"value": "DE"},
        "updated_at": {"column": "Geaendert", "format": "%d.%m.%Y %H:%M"},
    },
    "orders": {
        "external_order_id": "Bestellnr",
        "customer_source_id": "Kundennr",
        "channel": {"value": "marketplace"},
        "currency_code": "Waehrung",
        "placed_at": {"column": "Datum", "format": "%d.%m.%Y %H:%M"},
        "lines.*.sku": "Artikel",
        "lines.*.description": "Bezeichnung",
        "lines.*.quantity": "Menge",
        "lines.*.unit_price": {"column": "Preis", "decimal_separator": ","},
    },
    "service_requests": {
        "external_id": "id",
        "customer_source_id": "buyer.id",
        "kind": {"column": "type", "values": {"Reklamation": "complaint", "Frage": "inquiry"}},
        "channel": {"value": "web"},
        "subject": "title",
        "opened_at": "created",
    },
    "interactions": {
        "external_id": "id",
        "customer_source_id": "buyer.id",
        "channel": "via",
        "direction": {"column": "from_buyer", "values": {"true": "inbound", "false": "outbound"}},
        "body": "text",
        "occurred_at": "at",
    },
    "carts": {
        "external_cart_id": "cart",
        "customer_source_id": "buyer",
        "currency_code": "currency",
        "lines.*.sku": "sku",
        "lines.*.quantity": "qty",
        "lines.*.unit_price": "price",
        "total": "total",
        "abandoned_at": "abandoned",
    },
    "stock": {
        "sku": "article",
        "on_hand": "in_stock",
        "description": "title",
        "expected_receipt_at": {"column": "next_delivery", "format": "%Y-%m-%d"},
    },
}


class MarketplaceDrops:
    def __init__(self, directory: Path, *, seed: int = 6) -> None:
        self.inbox = directory / "marketplace-inbox"
        self.inbox.mkdir(parents=True, exist_ok=True)
        self.drops = 0
        self.next_id = 5000
        for stream in FIELDS if seed else ():
            self.add_records(stream, seed)

    def config(self) -> dict[str, Any]:
        fields = copy.deepcopy(FIELDS)  # the caller's to change
        csv = {"format": "csv", "delimiter": ";", "encoding": "cp1252"}
        return {
            "inbox": str(self.inbox),
            "source_system": "marketplace",
            "timezone": "Europe/Berlin",
            "streams": {
                "customers": {**csv, "files": "buyers_*.csv", "fields": fields["customers"]},
                "orders": {
                    **csv,
                    "files": "orders_*.csv",
                    "group_by": "Bestellnr",
                    "fields": fields["orders"],
                },
                "service_requests": {
                    "format": "jsonl",
                    "files": "cases_*.jsonl",
                    "fields": fields["service_requests"],
                },
                "interactions": {
                    "format": "jsonl",
                    "files": "contacts_*.jsonl",
                    "fields": fields["interactions"],
                },
                "carts": {"files": "carts_*.csv", "group_by": "cart", "fields": fields["carts"]},
                "stock": {"files": "stock_*.csv", "fields": fields["stock"]},
            },
        }

    def bad_config(self) -> dict[str, Any]:
        return {**self.config(), "inbox": str(self.inbox / "missing")}

    def drop(self, name: str, text: str, *, encoding: str = "utf-8", complete: bool = True) -> Path:
        """Write a file as the export does: the content, then (if complete) its .done marker."""
        path = self.inbox / name
        path.write_bytes(text.encode(encoding))
        if complete:
            path.with_name(path.name + ".done").touch()
        return path

    def csv(self, kind: str, columns: list[str], rows: list[list[str]], **kw: Any) -> Path:
        self.drops += 1
        delimiter = ";" if kind in ("buyers", "orders") else ","
        text = "\n".join(delimiter.join(r) for r in [columns, *rows]) + "\n"
        enc = "cp1252" if kind in ("buyers", "orders") else "utf-8"
        return self.drop(kw.pop("name", None) or f"{kind}_{self.drops:05d}.csv", text, encoding=enc, **kw)

    def jsonl(self, kind: str, objects: list[Any], **kw: Any) -> Path:
        self.drops += 1
        text = "\n".join(o if isinstance(o, str) else json.dumps(o) for o in objects) + "\n"
        return self.drop(kw.pop("name", None) or f"{kind}_{self.drops:05d}.jsonl", text, **kw)

    @staticmethod
    def buyer(number: str, given: str = "Jörg", family: str = "Weiß", **more: str) -> list[str]:
        return [
            number,
            given,
            family,
            more.get("born", "03.02.1981"),
            more.get("email", f"k{number}@example.de"),
            more.get("phone", "030 1234567"),
            more.get("street", "Hauptstraße 5"),
            more.get("zip", "10115"),
            more.get("city", "Berlin"),
            more.get("changed", "03.05.2024 09:00"),
        ]

    @staticmethod
    def order_line(
        number: str,
        buyer: str,
        sku: str = "SKU-1",
        qty: str = "1",
        price: str = "1.234,50",
        placed: str = "03.05.2024 10:15",
    ) -> list[str]:
        return [number, buyer, placed, "EUR", sku, f"Artikel {sku}", qty, price]

    @staticmethod
    def case(
        number: str, buyer: str, kind: str = "Reklamation", created: str = "2024-05-03T10:15:00+02:00"
    ) -> dict[str, Any]:
        return {
            "id": number,
            "buyer": {"id": buyer},
            "type": kind,
            "title": "Parcel damaged",
            "created": created,
        }

    @staticmethod
    def contact(
        number: str, buyer: str, via: str = "Email", inbound: bool = True, at: str = "2024-05-03 10:15:00"
    ) -> dict[str, Any]:
        return {
            "id": number,
            "buyer": {"id": buyer},
            "via": via,
            "from_buyer": inbound,
            "text": "Where is my parcel?",
            "at": at,
        }

    def add_records(self, stream: str, count: int) -> None:
        ids = []
        for _ in range(count):
            self.next_id += 1
            ids.append(self.next_id)
        if stream == "customers":
            self.csv("buyers", BUYER_COLUMNS, [self.buyer(f"K{n}") for n in ids])
        elif stream == "orders":
            rows = [self.order_line(f"B{n}", f"K{n}", f"SKU-{i}") for n in ids for i in (1, 2)]
            self.csv("orders", ORDER_COLUMNS, rows)
        elif stream == "service_requests":
            self.jsonl("cases", [self.case(f"F{n}", f"K{n}") for n in ids])
        elif stream == "interactions":
            self.jsonl("contacts", [self.contact(f"M{n}", f"K{n}") for n in ids])
        elif stream == "stock":
            rows = [[f"SKU-{n}", str(n % 9), f"Artikel {n}", "2024-06-03" if n % 2 else ""] for n in ids]
            self.csv("stock", STOCK_COLUMNS, rows)
        else:
            rows = [
                [f"C{n}", f"K{n}", "EUR", "SKU-1", "2", "9.90", "19.80", "2024-05-03T10:15:00Z"] for n in ids
            ]
            self.csv("carts", CART_COLUMNS, rows)

    def add_bad_record(self, stream: str) -> None:
        self.next_id += 1
        n = self.next_id
        if stream == "customers":
            self.csv("buyers", BUYER_COLUMNS, [self.buyer(f"K{n}"), ["K0", "too", "short"]])
        elif stream == "orders":
            good, bad = self.order_line(f"B{n}", "K1"), self.order_line(f"B{n}x", "K1", qty="zwei")
            self.csv("orders", ORDER_COLUMNS, [good, bad])
        elif stream == "stock":
            good, oversold = [f"SKU-{n}", "4", "Zelt", ""], [f"SKU-{n}x", "-2", "Zelt", ""]
            self.csv("stock", STOCK_COLUMNS, [good, oversold])
        elif stream == "carts":
            self.csv(
                "carts",
                CART_COLUMNS,
                [
                    [f"C{n}", "K1", "EUR", "SKU-1", "1", "9.90", "9.90", "2024-05-03T10:15:00Z"],
                    [f"C{n}x", "K1", "EUR", "SKU-1", "1", "9.90", "9.90", "yesterday"],
                ],
            )
        else:
            kind = "cases" if stream == "service_requests" else "contacts"
            self.add_records(stream, 1)
            self.jsonl(kind, ["[1, 2]", "{not json"])

    def close(self) -> None:
        return None
