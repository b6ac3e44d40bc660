"""A simulated ERP: its relational database (SQLite file, or any SQLAlchemy URL), seeded and growable."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, select

from isthmus_connector_erp.schema import accounts, articles, contacts, invoice_lines, invoices, metadata

BASE = datetime(2024, 5, 1, 8, 0, 0)


class ErpSimulator:
    def __init__(self, directory: Path, *, seed: int = 12, url: str | None = None) -> None:
        self.url = url or f"sqlite:///{directory / 'erp.sqlite'}"
        self.engine = create_engine(self.url)
        metadata.create_all(self.engine)
        self.tick = 0
        if seed:
            self.add_records("customers", seed)
            self.add_records("orders", seed)
            self.add_records("stock", seed)

    def _stamp(self) -> datetime:
        # Two rows per timestamp: the tie-breaker matters.
        self.tick += 1
        return BASE + timedelta(minutes=self.tick // 2)

    def config(self) -> dict[str, Any]:
        return {"url": self.url, "password": "erp-secret-pw"}

    def bad_config(self) -> dict[str, Any]:
        return {"url": f"sqlite:///{Path(self.engine.url.database or '.').parent / 'no' / 'such.sqlite'}"}

    def add_account(self, company: str, street: str, zip_code: str, city: str, country: str) -> int:
        with self.engine.begin() as conn:
            values = {"company": company, "street": street, "zip": zip_code, "city": city, "country": country}
            result = conn.execute(insert(accounts).values(**values, modified_at=self._stamp()))
            return int(result.inserted_primary_key[0])

    def add_contact(self, account_id: int, first: str, last: str, *, email: str = "", phone: str = "",
                    birth_date: str = "", salutation: str = "") -> int:  # fmt: skip
        with self.engine.begin() as conn:
            return int(conn.execute(insert(contacts).values(
                account_id=account_id, salutation=salutation, first_name=first, last_name=last, email=email,
                phone=phone, birth_date=birth_date, modified_at=self._stamp(),
            )).inserted_primary_key[0])  # fmt: skip

    def add_invoice(self, contact_id: int, invoice_no: str, lines: list[tuple[str, str, int, str]], *,
                    currency: str = "EUR", paid: bool = True, day: int = 1) -> int:  # fmt: skip
        with self.engine.begin() as conn:
            invoice_id = int(conn.execute(insert(invoices).values(
                contact_id=contact_id, invoice_no=invoice_no, currency=currency,
                invoice_date=datetime(2024, 4, day, 12), paid_on=date(2024, 4, day) if paid else None,
                modified_at=self._stamp(),
            )).inserted_primary_key[0])  # fmt: skip
            for sku, text, qty, price in lines:
                conn.execute(insert(invoice_lines).values(
                    invoice_id=invoice_id, article=sku, text=text, quantity=qty, unit_price=Decimal(price)
                ))  # fmt: skip
        return invoice_id

    def set_stock(self, article: str, text: str, in_stock: int, next_delivery: date | None = None) -> None:
        """The article's stock as the ERP counts it (added, or changed)."""
        values = {
            "text": text,
            "in_stock": in_stock,
            "next_delivery": next_delivery,
            "modified_at": self._stamp(),
        }
        with self.engine.begin() as conn:
            found = conn.execute(select(articles.c.id).where(articles.c.article == article)).scalar()
            if found is None:
                conn.execute(insert(articles).values(article=article, **values))
            else:
                conn.execute(articles.update().where(articles.c.id == found).values(**values))

    def add_records(self, stream: str, count: int) -> None:
        if stream == "stock":
            for _ in range(count):
                n = self.tick
                self.set_stock(f"ART-{n:05d}", f"Article {n}", n % 7, date(2024, 6, 1) if n % 2 else None)
            return None
        if stream == "customers":
            account = self.add_account("Muster GmbH", "Hauptstr. 1", "10115", "Berlin", "Deutschland")
            for _ in range(count):
                n = self.tick
                self.add_contact(account, f"Given{n}", f"Family{n}", email=f"c{n}@muster.example",
                                 birth_date=f"{1 + n % 28:02d}.03.1980")  # fmt: skip
        else:
            with self.engine.connect() as conn:
                contact_ids = [r[0] for r in conn.execute(select(contacts.c.id))]
            if not contact_ids:
                self.add_records("customers", 1)
                return self.add_records(stream, count)
            for i in range(count):
                n = self.tick
                self.add_invoice(
                    contact_ids[i % len(contact_ids)], f"INV-{n:05d}", [("A-1", "Widget", 2, "9.99")]
                )
        return None

    def add_bad_record(self, stream: str) -> None:
        if stream == "stock":
            self.set_stock(f"ART-OVERSOLD-{self.tick}", "Oversold", -3)  # below zero: not a count
            return
        if stream == "customers":
            account = self.add_account("Broken AG", "", "", "", "DE")
            self.add_contact(account, "Bad", "Date", birth_date="31.02.1980")
        else:
            with self.engine.connect() as conn:
                contact_id = conn.execute(select(contacts.c.id).limit(1)).scalar_one()
            self.add_invoice(contact_id, f"INV-EMPTY-{self.tick}", [])  # no lines: not a canonical order

    def contact(self, contact_id: int) -> dict[str, Any]:
        with self.engine.connect() as conn:
            return dict(conn.execute(select(contacts).where(contacts.c.id == contact_id)).mappings().one())

    def close(self) -> None:
        self.engine.dispose()
