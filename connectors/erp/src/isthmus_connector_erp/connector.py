"""The ERP connector: contacts (with their account's address) as customers, invoices as orders."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, and_, create_engine, func, or_, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from isthmus.connectors import (
    BadRecord,
    CheckResult,
    Connector,
    GoldenChange,
    Message,
    Stream,
    StreamState,
    TransientError,
)
from isthmus.connectors.canonical import schema
from isthmus_connector_erp.schema import accounts, articles, contacts, invoice_lines, invoices

PAGE = 500
# The sales channels an order can come through (the canonical order's).
CHANNELS = schema("orders")["properties"]["channel"]["enum"]


def _iso(value: datetime) -> str:
    return value.replace(tzinfo=UTC).isoformat()


def _naive(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC).replace(tzinfo=None)


def _dob(text: str | None) -> str | None:
    if not text:
        return None
    day, month, year = text.strip().split(".")
    return datetime(int(year), int(month), int(day)).date().isoformat()


class ErpConnector(Connector):
    name = "erp"
    source_system = "erp"
    config_schema = {
        "type": "object",
        "required": ["url"],
        "additionalProperties": False,
        "properties": {
            "url": {"type": "string", "description": "SQLAlchemy URL of the ERP database (a read replica)"},
            "password": {"type": "string", "secret": True, "description": "Set into the URL; never logged"},
            "source_system": {"type": "string"},
            "mask_fields": {"type": "array", "items": {"type": "string"}},
            "order_channel": {
                "enum": CHANNELS,
                "default": "erp",
                "description": "The sales channel of the invoiced orders (a TV shop's order entry: tv)",
            },
        },
    }
    streams = (
        Stream("customers", primary_key="source_id", cursor_field="updated_at"),
        Stream("orders", primary_key="external_order_id", cursor_field="updated_at"),
        Stream("stock", primary_key="sku", cursor_field="updated_at"),
    )
    supports_write = True

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            url = make_url(self.config["url"])
            if self.config.get("password") and url.get_backend_name() != "sqlite":
                url = url.set(password=self.config["password"])
            self._engine = create_engine(url, pool_pre_ping=True)
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def check(self) -> CheckResult:
        try:
            with self.engine.connect() as conn:
                conn.execute(select(contacts.c.id).limit(1))
                conn.execute(select(invoices.c.id).limit(1))
        except SQLAlchemyError as exc:
            reason = str(exc.orig) if getattr(exc, "orig", None) else type(exc).__name__
            return CheckResult.failure(f"cannot read the ERP's contacts and invoices tables: {reason}")
        return CheckResult.success()

    def estimate(self, stream: str, state: StreamState) -> int | None:
        table, key, after = _position(stream, state)
        query = select(func.count()).select_from(table)
        if after is not None:
            query = query.where(_after(table, key, after))
        try:
            with self.engine.connect() as conn:
                return int(conn.execute(query).scalar() or 0)
        except SQLAlchemyError:
            return None

    def read(self, stream: str, state: StreamState) -> Iterator[Message]:
        table, key, after = _position(stream, state)
        while True:
            query = select(table).order_by(table.c.modified_at, key).limit(PAGE)
            if after is not None:
                # Keyset paging: rows sharing a timestamp are neither lost nor repeated.
                query = query.where(_after(table, key, after))
            try:
                with self.engine.connect() as conn:
                    rows = conn.execute(query).mappings().all()
                    if stream == "customers":
                        out = list(self._customers(conn, rows))
                    elif stream == "stock":
                        out = list(self._stock(rows))
                    else:
                        out = list(self._orders(conn, rows))
            except OperationalError as exc:
                raise TransientError(f"ERP database: {exc.orig}") from exc
            yield from out
            if len(rows) < PAGE:
                return
            after = (rows[-1]["modified_at"], rows[-1][key.name])

    def _customers(self, conn: Any, rows: Any) -> Iterator[Message]:
        ids = {r["account_id"] for r in rows}
        accts = {a["id"]: a for a in conn.execute(select(accounts).where(accounts.c.id.in_(ids))).mappings()}
        for row in rows:
            try:
                dob = _dob(row["birth_date"])
            except ValueError:
                yield BadRecord(f"contact {row['id']}: birth_date {row['birth_date']!r} is not DD.MM.YYYY",
                                dict(row), key=str(row["id"]))  # fmt: skip
                continue
            acct = accts.get(row["account_id"])
            record: dict[str, Any] = {
                "source_id": str(row["id"]),
                "name": {
                    k: v
                    for k, v in (
                        ("prefix", row["salutation"]),
                        ("given_name", row["first_name"]),
                        ("family_name", row["last_name"]),
                    )
                    if v
                },
                "emails": [{"address": row["email"], "kind": "work"}] if row["email"] else [],
                "phones": [{"number": row["phone"], "kind": "work", "default_region": "DE"}]
                if row["phone"]
                else [],
                "updated_at": _iso(row["modified_at"]),
                "attributes": {"erp_account_id": str(row["account_id"])},
            }
            if dob:
                record["date_of_birth"] = dob
            if acct is not None:
                if acct["company"]:
                    record["company"] = acct["company"]
                record["addresses"] = [
                    {
                        "lines": [acct["street"] or ""],
                        "postal_code": acct["zip"] or "",
                        "locality": acct["city"] or "",
                        "region_code": acct["country"] or "",
                        "kind": "billing",
                    }
                ]
            yield record

    def _orders(self, conn: Any, rows: Any) -> Iterator[Message]:
        ids = [r["id"] for r in rows]
        lines: dict[int, list[dict[str, Any]]] = {}
        query = select(invoice_lines).where(invoice_lines.c.invoice_id.in_(ids)).order_by(invoice_lines.c.id)
        for line in conn.execute(query).mappings():
            lines.setdefault(line["invoice_id"], []).append(
                {
                    "line_id": str(line["id"]),
                    "sku": line["article"],
                    "description": line["text"] or "",
                    "quantity": line["quantity"],
                    "unit_price": f"{line['unit_price']:.2f}",
                }
            )
        for row in rows:
            record: dict[str, Any] = {
                "external_order_id": row["invoice_no"],
                "customer_source_id": str(row["contact_id"]),
                "channel": self.config["order_channel"],
                "currency_code": row["currency"],
                "lines": lines.get(row["id"], []),
                "placed_at": _iso(row["invoice_date"]),
                "updated_at": _iso(row["modified_at"]),
            }
            if row["paid_on"] is not None:
                record["paid_at"] = _iso(datetime.combine(row["paid_on"], datetime.min.time()))
                record["payment_reference"] = f"erp:{row['invoice_no']}"
            yield record

    def _stock(self, rows: Any) -> Iterator[Message]:
        for row in rows:
            if row["in_stock"] < 0:
                yield BadRecord(
                    f"article {row['article']}: in_stock {row['in_stock']} is below zero (the ERP oversold);"
                    " count it again",
                    dict(row),
                    key=row["article"],
                )
                continue
            record: dict[str, Any] = {
                "sku": row["article"],
                "on_hand": row["in_stock"],
                "description": row["text"] or "",
                "updated_at": _iso(row["modified_at"]),
            }
            if row["next_delivery"] is not None:
                record["expected_receipt_at"] = _iso(
                    datetime.combine(row["next_delivery"], datetime.min.time())
                )
            yield record

    def write(self, change: GoldenChange) -> None:
        """Golden corrections back into the ERP's contacts: name, primary email and phone."""
        values = change.values
        name = values.get("name") or {}
        updates: dict[str, Any] = {}
        if name.get("given_name"):
            updates["first_name"] = name["given_name"]
        if name.get("family_name"):
            updates["last_name"] = name["family_name"]
        emails = values.get("emails") or []
        if emails:
            updates["email"] = next((e for e in emails if e.get("primary")), emails[0])["address"]
        phones = values.get("phones") or []
        if phones:
            updates["phone"] = next((p for p in phones if p.get("primary")), phones[0])["number"]
        if not updates:
            return
        updates["modified_at"] = datetime.now(UTC).replace(tzinfo=None)
        ids = [int(i) for i in change.source_ids if i.isdigit()]
        try:
            with self.engine.begin() as conn:
                conn.execute(update(contacts).where(contacts.c.id.in_(ids)).values(**updates))
        except OperationalError as exc:
            raise TransientError(f"ERP database: {exc.orig}") from exc


def _position(stream: str, state: StreamState) -> tuple[Any, Any, tuple[datetime, Any] | None]:
    """The stream's table and key, and the (modified_at, key) the state says was read last."""
    # Contacts page by (modified_at, id); invoices by (modified_at, invoice_no), their primary key;
    # articles by (modified_at, article).
    table, key = {
        "customers": (contacts, contacts.c.id),
        "stock": (articles, articles.c.article),
    }.get(stream, (invoices, invoices.c.invoice_no))
    if not state.cursor:
        return table, key, None
    tie = state.tie_breaker or ""
    return table, key, (_naive(state.cursor), int(tie or 0) if stream == "customers" else tie)


def _after(table: Any, key: Any, after: tuple[datetime, Any]) -> Any:
    return or_(table.c.modified_at > after[0], and_(table.c.modified_at == after[0], key > after[1]))
