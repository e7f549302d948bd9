"""operations audit and reconciliation reports

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 16:00:00
"""

import sqlalchemy as sa
from alembic import op

from servicekit.db import ShanghaiDateTime

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'operations_audit',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('action', sa.String(length=64), nullable=False),
        sa.Column('target', sa.String(length=64), nullable=False),
        sa.Column('detail', sa.Text(), nullable=False),
        sa.Column('at', ShanghaiDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_operations_audit_action', 'operations_audit', ['action'])
    op.create_index('ix_operations_audit_target', 'operations_audit', ['target'])
    op.create_index('ix_operations_audit_at', 'operations_audit', ['at'])
    op.create_table(
        'reconciliation_runs',
        sa.Column('day', sa.String(length=10), nullable=False),
        sa.Column('report', sa.Text(), nullable=False),
        sa.Column('ran_at', ShanghaiDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('day'),
    )


def downgrade() -> None:
    op.drop_table('reconciliation_runs')
    op.drop_index('ix_operations_audit_at', table_name='operations_audit')
    op.drop_index('ix_operations_audit_target', table_name='operations_audit')
    op.drop_index('ix_operations_audit_action', table_name='operations_audit')
    op.drop_table('operations_audit')
