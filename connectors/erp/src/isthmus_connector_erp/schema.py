"""The ERP's tables, as the simulated ERP has them (and as the connector reads them)."""

from sqlalchemy import Column, Date, DateTime, ForeignKey, Integer, MetaData, Numeric, String, Table

metadata = MetaData()

accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("company", String(200)),
    Column("street", String(200)),
    Column("zip", String(20)),
    Column("city", String(100)),
    Column("country", String(50)),
    Column("modified_at", DateTime, nullable=False),
)

contacts = Table(
    "contacts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("salutation", String(20)),
    Column("first_name", String(100)),
    Column("last_name", String(100)),
    Column("email", String(200)),
    Column("phone", String(50)),
    Column("birth_date", String(20)),  # the ERP keeps it as free text, "DD.MM.YYYY"
    Column("modified_at", DateTime, nullable=False, index=True),
)

invoices = Table(
    "invoices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("contact_id", Integer, ForeignKey("contacts.id"), nullable=False),
    Column("invoice_no", String(50), nullable=False, unique=True),
    Column("currency", String(3), nullable=False),
    Column("invoice_date", DateTime, nullable=False),
    Column("paid_on", Date),
    Column("modified_at", DateTime, nullable=False, index=True),
)

invoice_lines = Table(
    "invoice_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("invoice_id", Integer, ForeignKey("invoices.id"), nullable=False),
    Column("article", String(50), nullable=False),
    Column("text", String(200)),
    Column("quantity", Integer, nullable=False),
    Column("unit_price", Numeric(12, 2), nullable=False),
)

# The article master with its stock: in_stock may go below zero when the ERP oversells.
articles = Table(
    "articles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("article", String(50), nullable=False, unique=True),
    Column("text", String(200)),
    Column("in_stock", Integer, nullable=False),
    Column("next_delivery", Date),
    Column("modified_at", DateTime, nullable=False, index=True),
)
