"""Tables of the value schema.

``value_orders`` and ``value_cases`` keep what the value of a customer is computed from (facts from
other services' events, converted to the reporting currency); ``value_customers`` holds each
customer's scores, recomputed from those facts whenever one changes. ``value_models`` keeps every
fit, newest in force.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
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


_TS = UtcDateTime()

# One row per order: its net revenue and cost once paid, and what returns and a cancellation took
# back; and where its payment stands (credit ranking: an order is placed unpaid, then paid, or
# cancelled, its payment failed or not).
orders = Table(
    "value_orders",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("customer_id", String(64), nullable=False, index=True),
    # The customer the order came with, so that an unmerge gives it back.
    Column("origin_customer_id", String(64), nullable=False),
    Column("placed_at", _TS, nullable=False),
    Column("revenue_minor", BigInteger, nullable=False),
    Column("cost_minor", BigInteger, nullable=False),
    Column("refunded_minor", BigInteger, nullable=False),
    Column("cost_returned_minor", BigInteger, nullable=False),
    Column("cancelled", Boolean, nullable=False),
    # Return ids already counted (JSON list): a return repeated under a new event id counts once.
    Column("returns_seen", Text, nullable=False),
    # isthmus.value.domain.Payment; the orders counted before credit ranking were all paid.
    Column("payment", SmallInteger, nullable=False, server_default="1"),
    # What the customer still owes on it, tax included: the total until it is paid, then the unpaid
    # flex-pay instalments; 0 on orders counted before credit ranking.
    Column("owed_minor", BigInteger, nullable=False, server_default="0"),
    # When what is owed is due: ISTHMUS_VALUE_PAYMENT_DUE_DAYS after placing, or the next instalment's
    # day; never before that many days after the hub learned of the order (known_at). NULL: not known.
    Column("due_at", _TS, nullable=True),
    # When it was paid at checkout, or when its payment failed.
    Column("settled_at", _TS, nullable=True),
    # The last payment made after its due date, if any.
    Column("late_at", _TS, nullable=True),
    # When this context learned of the order.
    Column("known_at", _TS, nullable=True),
)


# One row per service request opened: its cost to serve.
cases = Table(
    "value_cases",
    metadata,
    Column("service_request_id", String(64), primary_key=True),
    Column("customer_id", String(64), nullable=False, index=True),
    Column("origin_customer_id", String(64), nullable=False),
    Column("opened_at", _TS, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("cost_minor", BigInteger, nullable=False),
    # The customer's tier (isthmus.value.v1.ValueTier) when the case came in, before its cost counted:
    # what a complaint escalates on, whichever of the two consumers of the case event runs first.
    Column("tier_at_open", SmallInteger, nullable=True),
)

customers = Table(
    "value_customers",
    metadata,
    Column("customer_id", String(64), primary_key=True),
    Column("merged_into", String(64), nullable=True, index=True),
    Column("erased", Boolean, nullable=False),
    Column("revenue_minor", BigInteger, nullable=False),
    Column("cost_minor", BigInteger, nullable=False),
    Column("service_minor", BigInteger, nullable=False),
    Column("margin_minor", BigInteger, nullable=False),
    Column("historical_minor", BigInteger, nullable=False),
    Column("predicted_minor", BigInteger, nullable=False),
    Column("lifetime_minor", BigInteger, nullable=False),
    Column("expected_spend_minor", BigInteger, nullable=False),
    Column("expected_purchases", Float, nullable=False),
    Column("alive_probability", Float, nullable=False),
    Column("orders", Integer, nullable=False),
    Column("repeat_purchases", Integer, nullable=False),
    # Mean net spend of the repeat purchase days (the Gamma-Gamma input), 0 without repeats.
    Column("mean_repeat_minor", BigInteger, nullable=False),
    Column("first_purchase_at", _TS, nullable=True),
    Column("last_purchase_at", _TS, nullable=True),
    Column("rfm_recency", SmallInteger, nullable=False),
    Column("rfm_frequency", SmallInteger, nullable=False),
    Column("rfm_monetary", SmallInteger, nullable=False),
    Column("tier", SmallInteger, nullable=False),
    Column("churn_risk", Boolean, nullable=False),
    Column("churn_reason", SmallInteger, nullable=False),
    Column("model_id", String(36), nullable=False),
    Column("version", Integer, nullable=False),
    Column("update_time", _TS, nullable=False),
    # isthmus.value.domain.CreditRank, what it rests on (JSON: the counts and amounts of
    # domain.Credit), and when time alone changes it (the sweep works those out again).
    Column("credit_rank", SmallInteger, nullable=False, server_default="0"),
    Column("credit", Text, nullable=False, server_default="{}"),
    Column("credit_review_at", _TS, nullable=True, index=True),
    # The rankings ListCustomerValues pages through (ties broken by customer id).
    Index("ix_value_customers_lifetime", "lifetime_minor", "customer_id"),
    Index("ix_value_customers_historical", "historical_minor", "customer_id"),
    Index("ix_value_customers_predicted", "predicted_minor", "customer_id"),
)

models = Table(
    "value_models",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("model_id", String(36), nullable=False, unique=True),
    Column("fitted_at", _TS, nullable=False),
    # The serialized isthmus.value.v1.ValueModel.
    Column("doc", LargeBinary, nullable=False),
)
