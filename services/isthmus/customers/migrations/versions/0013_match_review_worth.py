"""match reviews keep their worth, so the value-first queue reads a page of an index

Revision ID: 0013
Revises: 0012

Each review holds the lifetime value of the worthier of its two customers, as the 360's value rows
give it (``view360.review_worth``); the queue ordered by value reads the index on (state, worth
descending, seq) instead of ranking every open review. The open reviews present are given their worth
here; the 360's projection keeps it from then on.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = 1  # MATCH_REVIEW_STATE_OPEN


def upgrade() -> None:
    op.add_column("match_reviews", sa.Column("worth", sa.Float(), server_default="0", nullable=False))
    reviews = sa.table(
        "match_reviews",
        sa.column("state", sa.SmallInteger()),
        sa.column("candidate_customer_id", sa.String()),
        sa.column("existing_customer_id", sa.String()),
        sa.column("worth", sa.Float()),
    )
    value = sa.table(
        "c360_value", sa.column("customer_id", sa.String()), sa.column("lifetime_amount", sa.Float())
    )

    def of(customer_id: sa.ColumnElement[str]) -> sa.ColumnElement[float]:
        amount = sa.select(value.c.lifetime_amount).where(value.c.customer_id == customer_id)
        return sa.func.coalesce(amount.scalar_subquery(), 0.0)

    a, b = of(reviews.c.candidate_customer_id), of(reviews.c.existing_customer_id)
    op.execute(sa.update(reviews).where(reviews.c.state == _OPEN).values(worth=sa.case((a >= b, a), else_=b)))
    op.create_index("ix_match_reviews_worth", "match_reviews", ["state", sa.text("worth DESC"), "seq"])


def downgrade() -> None:
    op.drop_index("ix_match_reviews_worth", table_name="match_reviews")
    op.drop_column("match_reviews", "worth")
