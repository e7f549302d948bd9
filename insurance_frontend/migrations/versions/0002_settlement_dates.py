"""When an order was settled and reversed, and why it was reversed (4006, 4008, 4009).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("insurance_orders") as batch:
        batch.add_column(sa.Column("settled_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("reversed_at", sa.DateTime(timezone=True)))
        batch.add_column(
            sa.Column("reverse_reason", sa.String(255), nullable=False, server_default="")
        )
        batch.create_index("ix_insurance_orders_settled_at", ["settled_at"])


def downgrade() -> None:
    with op.batch_alter_table("insurance_orders") as batch:
        batch.drop_index("ix_insurance_orders_settled_at")
        batch.drop_column("reverse_reason")
        batch.drop_column("reversed_at")
        batch.drop_column("settled_at")
