"""tracers: how each order left, and the shipment a tracer traces

Revision ID: 0005
Revises: 0004

Orders shipped before this learn their shipment with their next OrderShipped: none comes, so a
tracer for one is refused as not shipped (FAILED_PRECONDITION) and another kind of case is opened.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("order_customers") as batch:
        batch.add_column(sa.Column("shipment", sa.JSON(), nullable=True))
    with op.batch_alter_table("service_requests") as batch:
        batch.add_column(sa.Column("shipment", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("service_requests") as batch:
        batch.drop_column("shipment")
    with op.batch_alter_table("order_customers") as batch:
        batch.drop_column("shipment")
