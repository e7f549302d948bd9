"""The ID card number an order's visit was registered with (2201), so its settle (2207) is
sent for that same certificate without asking the HIS for the patient again.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("insurance_orders") as batch:
        batch.add_column(
            sa.Column("mdtrt_cert_no", sa.String(32), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("insurance_orders") as batch:
        batch.drop_column("mdtrt_cert_no")
