"""Insurance ledger, orders on the insurance path, sign-ins.

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
    op.create_table(
        "insurance_ledger",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("msgid", sa.String(30), unique=True),
        sa.Column("infno", sa.String(4), nullable=False, index=True),
        sa.Column("order_no", sa.String(64), index=True),
        sa.Column("sign_no", sa.String(64), nullable=False, server_default=""),
        sa.Column("trace_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("request", sa.JSON),
        sa.Column("reply", sa.Text),
        sa.Column("outcome", sa.String(8), nullable=False),
        sa.Column("note", sa.String(255), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "insurance_orders",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("order_no", sa.String(64), nullable=False, unique=True),
        sa.Column("mrn", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("lock_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("bill_nos", sa.JSON, nullable=False),
        sa.Column("psn_no", sa.String(64), nullable=False),
        sa.Column("insutype", sa.String(8), nullable=False),
        sa.Column("insuplc_admdvs", sa.String(16), nullable=False, server_default=""),
        sa.Column("mdtrt_id", sa.String(64), nullable=False),
        sa.Column("chrg_bchno", sa.String(64), nullable=False),
        sa.Column("fees_uploaded", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("acct_used", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("medfee_sumamt_fen", sa.Integer, nullable=False, server_default="0"),
        sa.Column("setl_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("split", sa.JSON),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "sign_ins",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("sign_no", sa.String(64), nullable=False, unique=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signed_out_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("sign_ins")
    op.drop_table("insurance_orders")
    op.drop_table("insurance_ledger")
