"""Tables of the loyalty schema.

``loyalty_ledger`` is append-only: rows are inserted, never updated or deleted (an erasure scrubs
free text inside the stored entry, the numbers stay). The account row caches the ledger's sum and
is updated with its version, so concurrent writers to one account cannot both win.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
)

from isthmus.platform.sql import UtcDateTime

metadata = MetaData()

_SEQ = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements INTEGER PRIMARY KEY only


_TS = UtcDateTime()

accounts = Table(
    "loyalty_accounts",
    metadata,
    Column("account_id", String(36), primary_key=True),
    Column("customer_id", String(64), nullable=False, unique=True),
    Column("programme_id", String(64), nullable=False),
    Column("balance", BigInteger, nullable=False),
    Column("debt", BigInteger, nullable=False),
    Column("lifetime_earned", BigInteger, nullable=False),
    Column("tier_id", String(64), nullable=False),
    Column("tier_since", _TS, nullable=False),
    Column("tier_review_at", _TS, nullable=False, index=True),
    Column("merged_into", String(36), nullable=True, index=True),
    Column("erased", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("create_time", _TS, nullable=False),
    Column("update_time", _TS, nullable=False),
)

ledger = Table(
    "loyalty_ledger",
    metadata,
    Column("seq", _SEQ, primary_key=True, autoincrement=True),
    Column("entry_id", String(36), nullable=False, unique=True),
    Column("account_id", String(36), nullable=False),
    Column("kind", SmallInteger, nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("occurred_at", _TS, nullable=False),
    # "redeem:<key>" / "adjust:<key>": a retried write finds its first entry here.
    Column("idempotency_key", String(200), nullable=True, unique=True),
    Column("fingerprint", Text, nullable=False),
    Column("doc", LargeBinary, nullable=False),
    Index("ix_loyalty_ledger_account", "account_id", "seq"),
)

lots = Table(
    "loyalty_lots",
    metadata,
    Column("lot_id", String(36), primary_key=True),
    Column("account_id", String(36), nullable=False, index=True),
    Column("origin_account_id", String(36), nullable=False),
    Column("earned_at", _TS, nullable=False),
    Column("expires_at", _TS, nullable=True, index=True),
    Column("remaining", BigInteger, nullable=False),
)

# Per paid order: what it earned and what was taken back, so awards happen once and claw-backs
# stay proportional however many returns there are.
order_points = Table(
    "loyalty_orders",
    metadata,
    Column("order_id", String(36), primary_key=True),
    Column("account_id", String(36), nullable=False, index=True),
    Column("origin_account_id", String(36), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("paid", Boolean, nullable=False),
    Column("cancelled", Boolean, nullable=False),
    Column("awarded", BigInteger, nullable=False),
    Column("clawed", BigInteger, nullable=False),
    Column("refundable_minor", BigInteger, nullable=False),
    Column("refunded_minor", BigInteger, nullable=False),
    Column("spend_minor", BigInteger, nullable=False),
    Column("spend_clawed_minor", BigInteger, nullable=False),
    # Return ids already counted (JSON list): a return repeated under a new event id counts once.
    Column("returns_seen", Text, nullable=False),
)

# Qualifying activity for tiers over the rolling window (earned points and spend, and their reversals).
qualifying = Table(
    "loyalty_qualifying",
    metadata,
    Column("seq", _SEQ, primary_key=True, autoincrement=True),
    Column("account_id", String(36), nullable=False),
    Column("origin_account_id", String(36), nullable=False),
    Column("occurred_at", _TS, nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("spend_minor", BigInteger, nullable=False),
    Index("ix_loyalty_qualifying_account", "account_id", "occurred_at"),
)
