"""charge orders: the bills an order pays and their digest

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 15:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bill_nos', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('bills_digest', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('bills_digest')
        batch_op.drop_column('bill_nos')
