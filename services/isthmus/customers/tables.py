"""The customer master's tables (SQLAlchemy Core), and the 360 read model's beside them.

The component's engine puts its own schema first on ``search_path`` (PostgreSQL) or uses its own file
(SQLite), so tables are declared without a schema. JSON columns hold value objects whose shape is
owned by ``records``/``survivorship``; everything a query filters on is a column with an index.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    text,
)

from isthmus.customers import view360

metadata = MetaData()
_TS = DateTime(timezone=True)
_SEQ = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements only INTEGER keys

customers = Table(
    "customers",
    metadata,
    Column("customer_id", String(36), primary_key=True),
    Column("state", SmallInteger, nullable=False),
    Column("merged_into_id", String(36)),
    Column("version", BigInteger, nullable=False),
    Column("golden", JSON, nullable=False),
    Column("flags", JSON, nullable=False),
    Column("family_key", String(200), index=True),
    Column("dob", String(10), index=True),
    Column("postal_code", String(20), index=True),
    Column("search_text", Text, nullable=False, server_default=""),
    Column("create_time", _TS, nullable=False),
    Column("update_time", _TS, nullable=False),
    # The customers merged into one (the 360 and the timeline gather them). Few are ever merged, so
    # the index holds only those; without it every 360 read every customer row.
    Index(
        "ix_customers_merged_into_id",
        "merged_into_id",
        postgresql_where=text("merged_into_id IS NOT NULL"),
        sqlite_where=text("merged_into_id IS NOT NULL"),
    ),
)

source_records = Table(
    "source_records",
    metadata,
    Column("source_system", String(40), primary_key=True),
    Column("source_id", String(128), primary_key=True),
    Column("customer_id", String(36), nullable=False, index=True),
    Column("content_hash", String(64), nullable=False),
    Column("data", JSON, nullable=False),
    Column("raw", LargeBinary, nullable=False),
    Column("observed_at", _TS, nullable=False),
    Column("linked_at", _TS, nullable=False),
    Column("link_outcome", SmallInteger, nullable=False),
    Column("score", Float, nullable=False),
    Column("version", Integer, nullable=False),
    # matching.Features.profile() as JSON: what comparing against this record needs, without it.
    Column("profile", Text, nullable=True),
    # The match model that decided the link ("builtin" or a trained model's version), and the
    # comparisons that made it (batch_io.comparisons_json); none for a record that founded its customer.
    Column("match_model", String(40), nullable=True),
    Column("match_comparisons", JSON, nullable=True),
)

# The values source records carried that could not be used (records.Finding), one row each, for a
# data steward to page through. A record's rows are replaced whenever its content changes; its
# customer is found through source_records, so merges need not touch them.
data_quality_findings = Table(
    "data_quality_findings",
    metadata,
    Column("finding_id", _SEQ, primary_key=True, autoincrement=True),
    Column("source_system", String(40), nullable=False),
    Column("source_id", String(128), nullable=False),
    Column("field", String(200), nullable=False),
    Column("rule", String(40), nullable=False),
    Column("raw_value", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("receive_time", _TS, nullable=False),
    Index("ix_data_quality_findings_record", "source_system", "source_id"),
    Index("ix_data_quality_findings_rule", "rule", "finding_id"),
)


def _bytewise(length: int) -> String:
    """Text compared byte by byte on PostgreSQL (``COLLATE "C"``): for keys nobody reads in order.
    Under any other collation each comparison in an index goes through the collation library (the C
    library's ``strcoll``, or ICU): PostgreSQL 15 treats only "C" and "POSIX" as bytewise."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


blocking_keys = Table(
    "blocking_keys",
    metadata,
    # The largest index of the master (some six keys a record): every record ingested descends it
    # for each of its keys, twice (candidates, then its own rows), and at each level compares keys.
    Column("key", _bytewise(240), nullable=False),
    Column("source_system", _bytewise(40), nullable=False),
    Column("source_id", _bytewise(128), nullable=False),
    Column("customer_id", String(36), nullable=False),
    # The customer rides in the key's index (PostgreSQL): candidate lookups read the index alone.
    PrimaryKeyConstraint("key", "source_system", "source_id", postgresql_include=["customer_id"]),
    Index("ix_blocking_keys_record", "source_system", "source_id"),
)

xref_history = Table(
    "xref_history",
    metadata,
    Column("seq", _SEQ, primary_key=True, autoincrement=True),
    Column("source_system", String(40), nullable=False),
    Column("source_id", String(128), nullable=False),
    Column("customer_id", String(36), nullable=False),
    Column("linked_at", _TS, nullable=False),
    Column("unlinked_at", _TS),
    Column("action", String(80), nullable=False),
    Index("ix_xref_history_record", "source_system", "source_id"),
)

history = Table(
    "history",
    metadata,
    Column("seq", _SEQ, primary_key=True, autoincrement=True),
    Column("entry_id", String(36), nullable=False, unique=True),
    Column("customer_id", String(36), nullable=False),
    Column("kind", SmallInteger, nullable=False),
    Column("occurred_at", _TS, nullable=False),
    Column("actor", JSON, nullable=False),
    Column("source_record", JSON),
    Column("steward_action_id", String(36), nullable=False, server_default=""),
    Column("reason", Text, nullable=False, server_default=""),
    Column("changes", JSON, nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("related", JSON, nullable=False),
    # The authenticated API client that made the change ("" with authentication off).
    Column("principal", String(200), nullable=False, server_default=""),
    Index("ix_history_customer", "customer_id", "seq"),
)

match_reviews = Table(
    "match_reviews",
    metadata,
    Column("seq", _SEQ, primary_key=True, autoincrement=True),
    Column("review_id", String(36), nullable=False, unique=True),
    Column("state", SmallInteger, nullable=False, index=True),
    Column("candidate_system", String(40), nullable=False),
    Column("candidate_id", String(128), nullable=False),
    Column("candidate_customer_id", String(36), nullable=False, index=True),
    Column("existing_customer_id", String(36), nullable=False, index=True),
    Column("score", Float, nullable=False),
    Column("lower_threshold", Float, nullable=False),
    Column("upper_threshold", Float, nullable=False),
    Column("comparisons", JSON, nullable=False),
    Column("create_time", _TS, nullable=False),
    Column("resolve_time", _TS),
    Column("resolved_by", JSON),
    Column("note", Text, nullable=False, server_default=""),
    Column("version", Integer, nullable=False),
    # The model that scored the pair, and what kept the score from certainty.
    Column("match_model", String(40), nullable=False, server_default=""),
    Column("uncertain", Text, nullable=False, server_default=""),
    # The lifetime value of the worthier of the two customers, as the 360 knows it
    # (view360.review_worth): kept as their value changes, so the value-first queue reads a page of
    # its index instead of ranking every open review.
    Column("worth", Float, nullable=False, server_default="0"),
)
# The value-first queue: a state's reviews, the worthiest first, the oldest first among equals.
Index("ix_match_reviews_worth", match_reviews.c.state, match_reviews.c.worth.desc(), match_reviews.c.seq)

no_match = Table(
    "no_match",
    metadata,
    Column("source_system", String(40), primary_key=True),
    Column("source_id", String(128), primary_key=True),
    Column("customer_id", String(36), primary_key=True),
)

merges = Table(
    "merges",
    metadata,
    Column("merge_id", String(36), primary_key=True),
    Column("surviving_id", String(36), nullable=False, index=True),
    Column("merged_ids", JSON, nullable=False),
    # [[source_system, source_id, from_customer_id], ...]: what moved, so an unmerge can move it back.
    Column("moved", JSON, nullable=False),
    Column("reason", Text, nullable=False),
    Column("actor", JSON, nullable=False),
    Column("merged_at", _TS, nullable=False),
    Column("undone_by", String(36)),
)

# Two golden customers who are different people of one household (twins, a parent and a child, spouses):
# strong evidence said two people while they share a contact point. Kept as a pair (customer_a is the
# lesser id); what they share is named by comparator and level, never by value.
household_links = Table(
    "household_links",
    metadata,
    Column("customer_a", String(36), primary_key=True),
    Column("customer_b", String(36), primary_key=True, index=True),
    Column("shared", JSON, nullable=False),  # [[comparator, level], ...]
    Column("reason", Text, nullable=False),  # the evidence that they are two people
    Column("source_system", String(40), nullable=False),  # the record that showed it
    Column("source_id", String(128), nullable=False),
    Column("match_model", String(40), nullable=False),
    Column("create_time", _TS, nullable=False),
)

# Match models: every trained or imported model, each with its version; at most one is active (none:
# the built-in weights). Never deleted, so any link can be traced to the weights that made it.
match_models = Table(
    "match_models",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=True),
    Column("origin", String(20), nullable=False),  # trained | imported
    Column("model", Text, nullable=False),  # matching.MatchModel.to_json()
    Column("summary", Text, nullable=False, server_default=""),
    Column("create_time", _TS, nullable=False),
    Column("active", Integer, nullable=False, server_default="0"),
)

# Every change of the model in force, with who made it: activations and roll-backs.
match_model_log = Table(
    "match_model_log",
    metadata,
    Column("seq", _SEQ, primary_key=True, autoincrement=True),
    Column("at", _TS, nullable=False),
    Column("action", String(20), nullable=False),  # trained | imported | activated
    Column("version", String(40), nullable=False),
    Column("by", String(200), nullable=False, server_default=""),
    Column("note", Text, nullable=False, server_default=""),
)

idempotency = Table(
    "idempotency",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("result_id", String(36), nullable=False),
    Column("created_at", _TS, nullable=False),
    # The first request without its request_id (isthmus.platform.requests.fingerprint), to name the
    # field a different retry changed; empty on rows from before it was kept.
    Column("request", LargeBinary, nullable=True),
)

tombstones = Table(
    "tombstones",
    metadata,
    Column("source_system", String(40), primary_key=True),
    Column("source_id", String(128), primary_key=True),
    Column("customer_id", String(36), nullable=False),
    Column("erased_at", _TS, nullable=False),
    Column("request_reference", String(200), nullable=False),
)

consents = Table(
    "consents",
    metadata,
    Column("customer_id", String(36), primary_key=True),
    Column("channel", SmallInteger, primary_key=True),
    Column("status", SmallInteger, nullable=False),
    Column("source", String(200), nullable=False),
    Column("given_at", _TS, nullable=False),
    Column("recorded_at", _TS, nullable=False),
    Column("recorded_by", JSON, nullable=False),
)

erasures = Table(
    "erasures",
    metadata,
    Column("customer_id", String(36), primary_key=True),
    Column("erasure_id", String(36), nullable=False),
    Column("reason", Text, nullable=False),
    Column("request_reference", String(200), nullable=False),
    Column("erased_at", _TS, nullable=False),
    Column("tombstones", JSON, nullable=False),
)


# The customer 360 read model's tables live beside the master's (see view360).
view360_tables = view360.tables(metadata)
