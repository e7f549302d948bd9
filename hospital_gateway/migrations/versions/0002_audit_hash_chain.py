"""Hash-chain the audit trail: prev_hash and row_hash on every row, and the chain's head.

Rows written before this revision are chained in id order, so the whole trail verifies.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hospital_gateway.chain import GENESIS, entry_hash

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the hash columns, chain the existing rows, create and fill the head table."""
    with op.batch_alter_table("gateway_audit") as batch:
        batch.add_column(sa.Column("prev_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("row_hash", sa.String(64), nullable=True))
    head = op.create_table(
        "gateway_audit_head",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("last_id", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
    )
    conn = op.get_bind()
    audit = sa.table(
        "gateway_audit",
        *(sa.column(name) for name in ("id", "at", "direction", "trade_code", "msg_id")),
        *(sa.column(name) for name in ("reply_msg_id", "trace_id", "sender", "receiver")),
        *(sa.column(name) for name in ("result_code", "latency_ms", "prev_hash", "row_hash")),
    )
    last_id, last_hash = 0, GENESIS
    for row in conn.execute(sa.select(audit).order_by(audit.c.id)).mappings().all():
        values = {**row, "prev_hash": last_hash}
        last_id, last_hash = int(row["id"]), entry_hash(values)
        conn.execute(
            audit.update()
            .where(audit.c.id == last_id)
            .values(prev_hash=values["prev_hash"], row_hash=last_hash)
        )
    op.bulk_insert(head, [{"id": 1, "last_id": last_id, "last_hash": last_hash}])
    with op.batch_alter_table("gateway_audit") as batch:
        batch.alter_column("prev_hash", existing_type=sa.String(64), nullable=False)
        batch.alter_column("row_hash", existing_type=sa.String(64), nullable=False)


def downgrade() -> None:
    """Drop the head table and the hash columns."""
    op.drop_table("gateway_audit_head")
    with op.batch_alter_table("gateway_audit") as batch:
        batch.drop_column("row_hash")
        batch.drop_column("prev_hash")
