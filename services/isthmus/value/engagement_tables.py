"""Tables of segments, campaigns and co-purchase affinity, in the value schema.

Everything here is learnt from events (orders, customer master, service requests, loyalty): the
contact facts a campaign must respect (consent per channel, suppression, open complaints) are kept
as the events state them, never read from the other contexts' tables.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
)

from isthmus.platform.sql import UtcDateTime
from isthmus.value.tables import metadata  # one schema, one migration chain

_TS = UtcDateTime()
_SEQ = BigInteger().with_variant(Integer, "sqlite")

# What segments and campaigns know of a customer beyond value: learnt from events.
engagement_profiles = Table(
    "engagement_profiles",
    metadata,
    Column("customer_id", String(64), primary_key=True),
    Column("consents", Text, nullable=False),  # JSON list of channels with marketing consent GRANTED
    Column("suppressed", Boolean, nullable=False),
    Column("open_complaints", Text, nullable=False),  # JSON list of open complaint case ids
    Column("channels", Text, nullable=False),  # JSON list: where they bought
    Column("categories", Text, nullable=False),  # JSON list: product categories bought
    Column("order_dates", Text, nullable=False),  # JSON list of ISO dates, for the purchase rhythm
    Column("orders", Integer, nullable=False),
    Column("country", String(8), nullable=False),
    Column("region", String(100), nullable=False),
    Column("city", String(200), nullable=False),
    Column("postal_code", String(32), nullable=False),
    Column("birth_date", Date, nullable=True),
    Column("loyalty_tier", String(64), nullable=False),
    Column("value_tier", String(8), nullable=False),
    Column("traits", Text, nullable=False),  # JSON object: trait name -> the answer captured
    Column("merged_into", String(64), nullable=True, index=True),
    Column("erased", Boolean, nullable=False),
    Column("update_time", _TS, nullable=False),
)

segment_versions = Table(
    "segment_versions",
    metadata,
    Column("segment_id", String(64), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("rule", Text, nullable=False),  # JSON
    Column(
        "state", SmallInteger, nullable=False
    ),  # segments.SegmentState; superseded versions stay PUBLISHED
    Column("current", Boolean, nullable=False),  # the published version in force
    Column("create_time", _TS, nullable=False),
    Column("publish_time", _TS, nullable=True),
    Index("ix_segment_versions_current", "current"),
)

segment_members = Table(
    "segment_members",
    metadata,
    Column("segment_id", String(64), primary_key=True),
    Column("customer_id", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("enter_time", _TS, nullable=False),
    Index("ix_segment_members_customer", "customer_id"),
)

campaigns = Table(
    "campaigns",
    metadata,
    Column("campaign_id", String(64), primary_key=True),
    Column("doc", Text, nullable=False),  # the definition, state and last test as JSON
    Column("trigger", SmallInteger, nullable=False),
    Column("segment_id", String(64), nullable=False),
    Column("state", SmallInteger, nullable=False),
    Column("create_time", _TS, nullable=False),
    Index("ix_campaigns_trigger_state", "trigger", "state"),
)

campaign_audit = Table(
    "campaign_audit",
    metadata,
    Column("seq", _SEQ, primary_key=True, autoincrement=True),
    Column("campaign_id", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("from_state", SmallInteger, nullable=True),
    Column("to_state", SmallInteger, nullable=False),
    Column("actor_kind", SmallInteger, nullable=False),
    Column("actor_id", String(200), nullable=False),
    Column("occur_time", _TS, nullable=False),
    Column("note", Text, nullable=False),
    Index("ix_campaign_audit_campaign", "campaign_id", "seq"),
)

# One row per campaign and customer and reference: what was decided, so a redelivered trigger decides
# once, the frequency cap sees the last contact, and the report counts sends, control and refusals.
campaign_decisions = Table(
    "campaign_decisions",
    metadata,
    Column("campaign_id", String(64), primary_key=True),
    Column("customer_id", String(64), primary_key=True),
    Column("reference", String(200), primary_key=True),
    Column("outcome", SmallInteger, nullable=False),
    Column("reason", Text, nullable=False),
    Column("message_id", String(36), nullable=True, unique=True),
    # A marketing message requested for later: when it is due. Until then a complaint or suppression
    # of the customer withdraws it (outcome WITHDRAWN, value.CampaignMessageWithdrawn).
    Column("send_after", _TS, nullable=True),
    Column("decide_time", _TS, nullable=False),
    Column("opened", Boolean, nullable=False),
    Column("bought", Boolean, nullable=False),
    Index("ix_campaign_decisions_customer", "customer_id", "decide_time"),
)

# Triggers that happened (carts, first purchases, complaints, ...): candidates for a campaign's test.
trigger_occurrences = Table(
    "trigger_occurrences",
    metadata,
    Column("seq", _SEQ, primary_key=True, autoincrement=True),
    Column("trigger", SmallInteger, nullable=False),
    Column("customer_id", String(64), nullable=False),
    Column("reference", String(200), nullable=False),
    Column("occur_time", _TS, nullable=False),
    Column("segment_id", String(64), nullable=False),
    Column("value_tier", String(8), nullable=False),
    Column("variables", Text, nullable=False),  # JSON object
    Index("ix_trigger_occurrences_trigger_time", "trigger", "occur_time"),
)

abandoned_carts = Table(
    "abandoned_carts",
    metadata,
    Column("source_system", String(100), primary_key=True),
    Column("external_cart_id", String(200), primary_key=True),
    Column("customer_id", String(64), nullable=False, index=True),
    Column("abandon_time", _TS, nullable=False),
    Column("doc", Text, nullable=False),
)

# Co-purchase counts over customers (affinity.py): what each customer holds, per article and per pair.
affinity_holdings = Table(
    "affinity_holdings",
    metadata,
    Column("customer_id", String(64), primary_key=True),
    Column("sku", String(200), primary_key=True),
    Column("unit_price", String(40), nullable=True),
    Column("units", BigInteger, nullable=False),  # bought less returned: at 0 the article is released
)

affinity_articles = Table(
    "affinity_articles",
    metadata,
    Column("sku", String(200), primary_key=True),
    Column("customers", BigInteger, nullable=False),
    Column("category", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("unit_price", String(40), nullable=True),
    Column("currency", String(3), nullable=False),
)

affinity_pairs = Table(
    "affinity_pairs",
    metadata,
    Column("sku_a", String(200), primary_key=True),
    Column("sku_b", String(200), primary_key=True),
    Column("customers", BigInteger, nullable=False),
    Index("ix_affinity_pairs_b", "sku_b"),
)

affinity_totals = Table(
    "affinity_totals",
    metadata,
    Column("key", String(16), primary_key=True),
    Column("customers", BigInteger, nullable=False),
)
