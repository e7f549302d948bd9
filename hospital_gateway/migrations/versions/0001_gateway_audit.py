"""The gateway's audit table: one row per message in and out, no personal data.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create gateway_audit with its trace_id and msg_id indexes."""
    op.create_table(
        "gateway_audit",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("trade_code", sa.String(8), nullable=False),
        sa.Column("msg_id", sa.String(64), nullable=False),
        sa.Column("reply_msg_id", sa.String(64), nullable=True),
        sa.Column("trace_id", sa.String(64), nullable=False),
        sa.Column("sender", sa.String(16), nullable=False),
        sa.Column("receiver", sa.String(16), nullable=False),
        sa.Column("result_code", sa.String(4), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
    )
    op.create_index("ix_gateway_audit_trace_id", "gateway_audit", ["trace_id"])
    op.create_index("ix_gateway_audit_msg_id", "gateway_audit", ["msg_id"])


def downgrade() -> None:
    """Drop the audit table."""
    op.drop_table("gateway_audit")
