"""segments, campaigns and co-purchase affinity

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "abandoned_carts",
        sa.Column("source_system", sa.String(length=100), nullable=False),
        sa.Column("external_cart_id", sa.String(length=200), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("abandon_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("source_system", "external_cart_id"),
    )
    op.create_index(op.f("ix_abandoned_carts_customer_id"), "abandoned_carts", ["customer_id"], unique=False)
    op.create_table(
        "affinity_articles",
        sa.Column("sku", sa.String(length=200), nullable=False),
        sa.Column("customers", sa.BigInteger(), nullable=False),
        sa.Column("category", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("unit_price", sa.String(length=40), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.PrimaryKeyConstraint("sku"),
    )
    op.create_table(
        "affinity_holdings",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=200), nullable=False),
        sa.Column("unit_price", sa.String(length=40), nullable=True),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", "sku"),
    )
    op.create_table(
        "affinity_pairs",
        sa.Column("sku_a", sa.String(length=200), nullable=False),
        sa.Column("sku_b", sa.String(length=200), nullable=False),
        sa.Column("customers", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("sku_a", "sku_b"),
    )
    op.create_index("ix_affinity_pairs_b", "affinity_pairs", ["sku_b"], unique=False)
    op.create_table(
        "affinity_totals",
        sa.Column("key", sa.String(length=16), nullable=False),
        sa.Column("customers", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "campaign_audit",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("from_state", sa.SmallInteger(), nullable=True),
        sa.Column("to_state", sa.SmallInteger(), nullable=False),
        sa.Column("actor_kind", sa.SmallInteger(), nullable=False),
        sa.Column("actor_id", sa.String(length=200), nullable=False),
        sa.Column("occur_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_index("ix_campaign_audit_campaign", "campaign_audit", ["campaign_id", "seq"], unique=False)
    op.create_table(
        "campaign_decisions",
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("outcome", sa.SmallInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=True),
        sa.Column("decide_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened", sa.Boolean(), nullable=False),
        sa.Column("bought", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", "customer_id", "reference"),
        sa.UniqueConstraint("message_id"),
    )
    op.create_index(
        "ix_campaign_decisions_customer", "campaign_decisions", ["customer_id", "decide_time"], unique=False
    )
    op.create_table(
        "campaigns",
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.Column("trigger", sa.SmallInteger(), nullable=False),
        sa.Column("segment_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.SmallInteger(), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id"),
    )
    op.create_index("ix_campaigns_trigger_state", "campaigns", ["trigger", "state"], unique=False)
    op.create_table(
        "engagement_profiles",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("consents", sa.Text(), nullable=False),
        sa.Column("suppressed", sa.Boolean(), nullable=False),
        sa.Column("open_complaints", sa.Text(), nullable=False),
        sa.Column("channels", sa.Text(), nullable=False),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.Column("order_dates", sa.Text(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=8), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=False),
        sa.Column("city", sa.String(length=200), nullable=False),
        sa.Column("postal_code", sa.String(length=32), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("loyalty_tier", sa.String(length=64), nullable=False),
        sa.Column("value_tier", sa.String(length=8), nullable=False),
        sa.Column("merged_into", sa.String(length=64), nullable=True),
        sa.Column("erased", sa.Boolean(), nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    op.create_index(
        op.f("ix_engagement_profiles_merged_into"), "engagement_profiles", ["merged_into"], unique=False
    )
    op.create_table(
        "segment_members",
        sa.Column("segment_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("enter_time", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("segment_id", "customer_id"),
    )
    op.create_index("ix_segment_members_customer", "segment_members", ["customer_id"], unique=False)
    op.create_table(
        "segment_versions",
        sa.Column("segment_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("state", sa.SmallInteger(), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("publish_time", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("segment_id", "version"),
    )
    op.create_index("ix_segment_versions_current", "segment_versions", ["current"], unique=False)
    op.create_table(
        "trigger_occurrences",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("trigger", sa.SmallInteger(), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("occur_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("segment_id", sa.String(length=64), nullable=False),
        sa.Column("value_tier", sa.String(length=8), nullable=False),
        sa.Column("variables", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_index(
        "ix_trigger_occurrences_trigger_time", "trigger_occurrences", ["trigger", "occur_time"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_trigger_occurrences_trigger_time", table_name="trigger_occurrences")
    op.drop_table("trigger_occurrences")
    op.drop_index("ix_segment_versions_current", table_name="segment_versions")
    op.drop_table("segment_versions")
    op.drop_index("ix_segment_members_customer", table_name="segment_members")
    op.drop_table("segment_members")
    op.drop_index(op.f("ix_engagement_profiles_merged_into"), table_name="engagement_profiles")
    op.drop_table("engagement_profiles")
    op.drop_index("ix_campaigns_trigger_state", table_name="campaigns")
    op.drop_table("campaigns")
    op.drop_index("ix_campaign_decisions_customer", table_name="campaign_decisions")
    op.drop_table("campaign_decisions")
    op.drop_index("ix_campaign_audit_campaign", table_name="campaign_audit")
    op.drop_table("campaign_audit")
    op.drop_table("affinity_totals")
    op.drop_index("ix_affinity_pairs_b", table_name="affinity_pairs")
    op.drop_table("affinity_pairs")
    op.drop_table("affinity_holdings")
    op.drop_table("affinity_articles")
    op.drop_index(op.f("ix_abandoned_carts_customer_id"), table_name="abandoned_carts")
    op.drop_table("abandoned_carts")
