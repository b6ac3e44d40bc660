"""Tables of the service_requests schema (declared without a schema: the engine's search_path picks it)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

metadata = MetaData()


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on PostgreSQL (timestamptz) and SQLite (naive UTC text) alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: every instant in this schema is timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


ID = String(64)
NAME = String(200)

service_requests = Table(
    "service_requests",
    metadata,
    Column("id", ID, primary_key=True),
    Column("customer_id", ID, nullable=False),
    Column("order_id", ID, nullable=False, default=""),
    Column("order_line_id", ID, nullable=False, default=""),
    Column("channel", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("category", NAME, nullable=False, default=""),
    Column("sub_category", NAME, nullable=False, default=""),
    Column("priority", String(16), nullable=False),
    Column("subject", Text, nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("reason_codes", JSON, nullable=False),
    Column("state", String(24), nullable=False),
    Column("assignee_agent_id", NAME, nullable=True),
    Column("assignee_queue", NAME, nullable=True),
    Column("response_due", UtcDateTime, nullable=False),
    Column("resolution_due", UtcDateTime, nullable=False),
    Column("first_response_at", UtcDateTime),
    Column("paused_since", UtcDateTime),
    Column("paused_total_ms", BigInteger, nullable=False, default=0),
    Column("response_breached", Boolean, nullable=False, default=False),
    Column("resolution_breached", Boolean, nullable=False, default=False),
    Column("breached_at", UtcDateTime),
    # Derived from the above on every write, so overdue listings and the breach scan use an index.
    Column("next_due_at", UtcDateTime),
    Column("breach_check_at", UtcDateTime),
    Column("resolution_code", NAME, nullable=False, default=""),
    Column("resolution_note", Text, nullable=False, default=""),
    # NULL rather than "" when absent, so the unique constraint only binds cases that have them.
    Column("source_system", NAME),
    Column("external_id", NAME),
    Column("opened_by", JSON, nullable=False),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("resolved_at", UtcDateTime),
    Column("closed_at", UtcDateTime),
    Column("reopen_count", Integer, nullable=False, default=0),
    Column("update_time", UtcDateTime, nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("erased", Boolean, nullable=False, default=False),
    # A tracer's shipment (domain.Shipment as JSON), as the order events told it; NULL otherwise.
    Column("shipment", JSON, nullable=True),
    UniqueConstraint("source_system", "external_id", name="uq_service_requests_source"),
)
# Every listing is newest first (opened_at, id descending) within its filter.
Index(
    "ix_service_requests_customer",
    service_requests.c.customer_id,
    service_requests.c.opened_at,
    service_requests.c.id,
)
Index(
    "ix_service_requests_agent",
    service_requests.c.assignee_agent_id,
    service_requests.c.opened_at,
    service_requests.c.id,
)
Index(
    "ix_service_requests_queue",
    service_requests.c.assignee_queue,
    service_requests.c.opened_at,
    service_requests.c.id,
)
Index(
    "ix_service_requests_state", service_requests.c.state, service_requests.c.opened_at, service_requests.c.id
)
Index("ix_service_requests_opened", service_requests.c.opened_at, service_requests.c.id)
Index("ix_service_requests_next_due", service_requests.c.next_due_at, service_requests.c.id)
Index("ix_service_requests_breach_check", service_requests.c.breach_check_at)

interactions = Table(
    "interactions",
    metadata,
    Column("id", ID, primary_key=True),
    Column("service_request_id", ID),
    Column("customer_id", ID),
    Column("direction", String(16), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("author", JSON, nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("subject", Text, nullable=False, default=""),
    Column("body", Text, nullable=False, default=""),
    Column("in_reply_to_id", ID),
    Column("corrects_id", ID),
    Column("duration_ms", BigInteger),
    Column("source_system", NAME),
    Column("external_id", NAME),
    Column("orphaned", Boolean, nullable=False, default=False),
    Column("claimed_service_request_id", ID),
    Column("create_time", UtcDateTime, nullable=False),
    UniqueConstraint("source_system", "external_id", name="uq_interactions_source"),
)
# Threads and customer histories read oldest first.
Index(
    "ix_interactions_case", interactions.c.service_request_id, interactions.c.occurred_at, interactions.c.id
)
Index("ix_interactions_customer", interactions.c.customer_id, interactions.c.occurred_at, interactions.c.id)
Index("ix_interactions_orphaned", interactions.c.orphaned, interactions.c.occurred_at, interactions.c.id)

contact_suppressions = Table(
    "contact_suppressions",
    metadata,
    Column("customer_id", ID, primary_key=True),
    Column("suppressed", Boolean, nullable=False),
    Column("reason", Text, nullable=False, default=""),
    Column("service_request_ids", JSON, nullable=False),
    Column("since", UtcDateTime),
    Column("changed_at", UtcDateTime, nullable=False),
)

# Each customer's share-of-value tier as the value service last told it (value.CustomerTierChanged):
# it picks the SLA targets of the customer's new cases. Never read from the value service's tables.
customer_tiers = Table(
    "customer_value_tiers",
    metadata,
    Column("customer_id", ID, primary_key=True),
    Column("tier", String(8), nullable=False),
    # When the tier event happened: an older event never overwrites a newer tier.
    Column("as_of", UtcDateTime, nullable=False),
)

# Which cases and interactions a merge moved, so that undoing the merge moves exactly those back.
customer_moves = Table(
    "customer_moves",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("merge_id", ID, nullable=False),
    Column("item", String(16), nullable=False),  # "case", "interaction", "run" (a script's) or "call"
    Column("item_id", ID, nullable=False),
    Column("from_customer_id", ID, nullable=False),
    Column("to_customer_id", ID, nullable=False),
    Column("moved_at", UtcDateTime, nullable=False),
)
Index("ix_customer_moves_merge", customer_moves.c.merge_id, customer_moves.c.from_customer_id)


# Which customer each order belongs to, learnt from the order service's OrderPlaced events (never
# from its tables) and moved along the customer master's merges: a case may name only an order of
# its own customer.
order_customers = Table(
    "order_customers",
    metadata,
    Column("order_id", ID, primary_key=True),
    Column("customer_id", ID, nullable=False, index=True),
    Column("placed_for", ID, nullable=False),  # the customer the order was placed for (unmerges)
    # How it left, once the order service reported it shipped (OrderShipped): what a tracer needs.
    Column("shipment", JSON, nullable=True),
)


# Agent scripts (scripts.py): each version kept as it was made, so a run shows what its version said.
scripts = Table(
    "scripts",
    metadata,
    Column("script_id", ID, primary_key=True),
    Column("name", NAME, nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("published_version", Integer, nullable=False, default=0),
    Column("latest_version", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("published_at", UtcDateTime),
    Column("published_by", JSON),
)
Index("ix_scripts_name", scripts.c.name, scripts.c.script_id)

script_versions = Table(
    "script_versions",
    metadata,
    Column("script_id", ID, primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("steps", JSON, nullable=False),
    Column("actor", JSON, nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("created_at", UtcDateTime, nullable=False),
)

script_runs = Table(
    "script_runs",
    metadata,
    Column("run_id", ID, primary_key=True),
    Column("script_id", ID, nullable=False),
    Column("version", Integer, nullable=False),
    Column("script_name", NAME, nullable=False),  # as it was when the run started
    Column("customer_id", ID, nullable=False, index=True),
    Column("service_request_id", ID, nullable=False, default=""),
    Column("state", String(16), nullable=False),
    Column("current_step", String(64), nullable=False, default=""),
    Column("entries", JSON, nullable=False),
    Column("facts", JSON, nullable=False),
    Column("agent", JSON, nullable=False),
    Column("channel", String(16), nullable=False),
    Column("direction", String(16), nullable=False),
    Column("rehearsal", Boolean, nullable=False, default=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime),
    Column("abandon_reason", Text, nullable=False, default=""),
    Column("interaction_id", ID, nullable=False, default=""),
    Column("revision", Integer, nullable=False, default=0),
    Column("call_id", ID, nullable=False, default=""),  # the campaign's call it makes
)

# A script's figures, counted as each run ends (started as it starts): the report reads these, not
# the runs. ``what``: started, completed, abandoned (step_id ""), shown, skipped, answered (with the
# answer's value; "" for free text), abandoned_at.
script_tallies = Table(
    "script_tallies",
    metadata,
    Column("script_id", ID, primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("step_id", String(64), primary_key=True),
    Column("what", String(16), primary_key=True),
    Column("answer", String(64), primary_key=True),
    Column("count", BigInteger, nullable=False),
)

# The calls campaigns asked for (value.CampaignMessageRequested on the PHONE channel): the call
# center's outbound list.
campaign_calls = Table(
    "campaign_calls",
    metadata,
    Column("call_id", ID, primary_key=True),
    Column("campaign_id", ID, nullable=False),
    Column("customer_id", ID, nullable=False, index=True),
    Column("script_id", NAME, nullable=False),
    Column("reference", Text, nullable=False, default=""),
    Column("state", String(16), nullable=False),
    Column("due_at", UtcDateTime, nullable=False),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("run_id", ID, nullable=False, default=""),
    Column("note", Text, nullable=False, default=""),
    Column("agent_id", NAME, nullable=False, default=""),  # the agent it is assigned to; "" for any
)
# The list: by state, soonest due first.
Index("ix_campaign_calls_due", campaign_calls.c.state, campaign_calls.c.due_at, campaign_calls.c.call_id)
