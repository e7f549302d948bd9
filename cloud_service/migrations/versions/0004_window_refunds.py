"""window refunds recorded once each, the amount refunded so far, repair claims

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 10:00:00
"""

import sqlalchemy as sa
from alembic import op

from servicekit.db import ShanghaiDateTime

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('refunded_fen', sa.BigInteger(), nullable=False, server_default='0')
        )
    op.create_table(
        'window_refunds',
        sa.Column('order_no', sa.String(length=32), nullable=False),
        sa.Column('refund_no', sa.String(length=40), nullable=False),
        sa.Column('amount_fen', sa.BigInteger(), nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('recorded_by', sa.String(length=64), nullable=False),
        sa.Column('at', ShanghaiDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['order_no'], ['orders.order_no']),
        sa.PrimaryKeyConstraint('order_no', 'refund_no'),
    )
    op.create_table(
        'repair_claims',
        sa.Column('day', sa.String(length=10), nullable=False),
        sa.Column('order_no', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('at', ShanghaiDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('day', 'order_no', 'kind'),
    )


def downgrade() -> None:
    op.drop_table('repair_claims')
    op.drop_table('window_refunds')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('refunded_fen')
