"""the 360's cases keep whether they are closed and when they were opened, so the summary is read
from an index

Revision ID: 0015
Revises: 0014

GetCustomer360 lists a customer's open cases and its ten most recent closed ones; it read every case
of the customer to choose them. Each case row now holds, from its snapshot, whether it is resolved
or closed and when it was opened, indexed with the customer. The rows present are filled from their
snapshots.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from isthmus.platform.migrations import fill_from_json

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CLOSED = ("RESOLVED", "CLOSED")


def upgrade() -> None:
    op.add_column("c360_cases", sa.Column("closed", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("c360_cases", sa.Column("opened_at", sa.String(40), server_default="", nullable=False))
    fill_from_json(
        "c360_cases",
        "service_request_id",
        "snapshot",
        ("closed", "opened_at"),
        lambda s: {"closed": s["state"] in _CLOSED, "opened_at": s["opened_at"]},
    )
    op.create_index("ix_c360_cases_customer_closed", "c360_cases", ["customer_id", "closed", "opened_at"])
    op.drop_index("ix_c360_cases_customer_id", table_name="c360_cases")


def downgrade() -> None:
    op.create_index("ix_c360_cases_customer_id", "c360_cases", ["customer_id"])
    op.drop_index("ix_c360_cases_customer_closed", table_name="c360_cases")
    op.drop_column("c360_cases", "opened_at")
    op.drop_column("c360_cases", "closed")
