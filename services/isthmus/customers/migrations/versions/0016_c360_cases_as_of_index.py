"""index the 360's cases by customer and time, so the summary's as-of time is not read from every case

Revision ID: 0016
Revises: 0015

The cases summary says when the latest event about the customer's cases happened: the greatest
``as_of`` of all its cases, closed long ago or not. No index held it, so every GetCustomer360 read
every case of the customer, twice (once for the open cases, once for the recent closed ones): for
an account with 20,000 cases, most of the view's database time. Indexed with the customer, the
database reads it from the index's end. Plain CREATE INDEX: the 360's consumers wait for it, which
is the migration's window anyway.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_c360_cases_customer_as_of", "c360_cases", ["customer_id", "as_of"])


def downgrade() -> None:
    op.drop_index("ix_c360_cases_customer_as_of", table_name="c360_cases")
