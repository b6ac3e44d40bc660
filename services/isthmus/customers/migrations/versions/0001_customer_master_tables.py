"""customer master tables

Revision ID: 0001
Revises:
Create Date: 2026-11-23 00:58:23.604059
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "blocking_keys",
        sa.Column("key", sa.String(length=240), nullable=False),
        sa.Column("source_system", sa.String(length=40), nullable=False),
        sa.Column("source_id", sa.String(length=128), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("key", "source_system", "source_id"),
    )
    op.create_index("ix_blocking_keys_record", "blocking_keys", ["source_system", "source_id"], unique=False)
    op.create_table(
        "consents",
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("channel", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", "channel"),
    )
    op.create_table(
        "customers",
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.SmallInteger(), nullable=False),
        sa.Column("merged_into_id", sa.String(length=36), nullable=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("golden", sa.JSON(), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("family_key", sa.String(length=200), nullable=True),
        sa.Column("dob", sa.String(length=10), nullable=True),
        sa.Column("postal_code", sa.String(length=20), nullable=True),
        sa.Column("search_text", sa.Text(), server_default="", nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    op.create_index(op.f("ix_customers_dob"), "customers", ["dob"], unique=False)
    op.create_index(op.f("ix_customers_family_key"), "customers", ["family_key"], unique=False)
    op.create_index(op.f("ix_customers_postal_code"), "customers", ["postal_code"], unique=False)
    op.create_table(
        "erasures",
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("erasure_id", sa.String(length=36), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("request_reference", sa.String(length=200), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tombstones", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    op.create_table(
        "history",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("entry_id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.SmallInteger(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.JSON(), nullable=False),
        sa.Column("source_record", sa.JSON(), nullable=True),
        sa.Column("steward_action_id", sa.String(length=36), server_default="", nullable=False),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("related", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("entry_id"),
    )
    op.create_index("ix_history_customer", "history", ["customer_id", "seq"], unique=False)
    op.create_table(
        "idempotency",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("result_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "match_reviews",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("review_id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.SmallInteger(), nullable=False),
        sa.Column("candidate_system", sa.String(length=40), nullable=False),
        sa.Column("candidate_id", sa.String(length=128), nullable=False),
        sa.Column("candidate_customer_id", sa.String(length=36), nullable=False),
        sa.Column("existing_customer_id", sa.String(length=36), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("lower_threshold", sa.Float(), nullable=False),
        sa.Column("upper_threshold", sa.Float(), nullable=False),
        sa.Column("comparisons", sa.JSON(), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolve_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.JSON(), nullable=True),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("review_id"),
    )
    op.create_index(
        op.f("ix_match_reviews_candidate_customer_id"),
        "match_reviews",
        ["candidate_customer_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_match_reviews_existing_customer_id"), "match_reviews", ["existing_customer_id"], unique=False
    )
    op.create_index(op.f("ix_match_reviews_state"), "match_reviews", ["state"], unique=False)
    op.create_table(
        "merges",
        sa.Column("merge_id", sa.String(length=36), nullable=False),
        sa.Column("surviving_id", sa.String(length=36), nullable=False),
        sa.Column("merged_ids", sa.JSON(), nullable=False),
        sa.Column("moved", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.JSON(), nullable=False),
        sa.Column("merged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("undone_by", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("merge_id"),
    )
    op.create_index(op.f("ix_merges_surviving_id"), "merges", ["surviving_id"], unique=False)
    op.create_table(
        "no_match",
        sa.Column("source_system", sa.String(length=40), nullable=False),
        sa.Column("source_id", sa.String(length=128), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("source_system", "source_id", "customer_id"),
    )
    op.create_table(
        "source_records",
        sa.Column("source_system", sa.String(length=40), nullable=False),
        sa.Column("source_id", sa.String(length=128), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("link_outcome", sa.SmallInteger(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("source_system", "source_id"),
    )
    op.create_index(op.f("ix_source_records_customer_id"), "source_records", ["customer_id"], unique=False)
    op.create_table(
        "tombstones",
        sa.Column("source_system", sa.String(length=40), nullable=False),
        sa.Column("source_id", sa.String(length=128), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_reference", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("source_system", "source_id"),
    )
    op.create_table(
        "xref_history",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("source_system", sa.String(length=40), nullable=False),
        sa.Column("source_id", sa.String(length=128), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unlinked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_index("ix_xref_history_record", "xref_history", ["source_system", "source_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_xref_history_record", table_name="xref_history")
    op.drop_table("xref_history")
    op.drop_table("tombstones")
    op.drop_index(op.f("ix_source_records_customer_id"), table_name="source_records")
    op.drop_table("source_records")
    op.drop_table("no_match")
    op.drop_index(op.f("ix_merges_surviving_id"), table_name="merges")
    op.drop_table("merges")
    op.drop_index(op.f("ix_match_reviews_state"), table_name="match_reviews")
    op.drop_index(op.f("ix_match_reviews_existing_customer_id"), table_name="match_reviews")
    op.drop_index(op.f("ix_match_reviews_candidate_customer_id"), table_name="match_reviews")
    op.drop_table("match_reviews")
    op.drop_table("idempotency")
    op.drop_index("ix_history_customer", table_name="history")
    op.drop_table("history")
    op.drop_table("erasures")
    op.drop_index(op.f("ix_customers_postal_code"), table_name="customers")
    op.drop_index(op.f("ix_customers_family_key"), table_name="customers")
    op.drop_index(op.f("ix_customers_dob"), table_name="customers")
    op.drop_table("customers")
    op.drop_table("consents")
    op.drop_index("ix_blocking_keys_record", table_name="blocking_keys")
    op.drop_table("blocking_keys")
