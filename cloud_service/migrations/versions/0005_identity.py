"""who a user is: a verified phone, a WeChat openid or an Alipay user id; the relationship
of a bound record; the entry an order came in by and its in-app payment parameters

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 11:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('app_users', schema=None) as batch_op:
        batch_op.alter_column('phone', existing_type=sa.String(length=20), nullable=True)
        batch_op.add_column(sa.Column('wechat_openid', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('alipay_user_id', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint('uq_app_users_wechat_openid', ['wechat_openid'])
        batch_op.create_unique_constraint('uq_app_users_alipay_user_id', ['alipay_user_id'])
    with op.batch_alter_table('bindings', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('relation', sa.String(length=16), nullable=False, server_default='')
        )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('entry', sa.String(length=10), nullable=False, server_default='APP')
        )
        batch_op.add_column(sa.Column('pay_params', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('pay_params')
        batch_op.drop_column('entry')
    with op.batch_alter_table('bindings', schema=None) as batch_op:
        batch_op.drop_column('relation')
    with op.batch_alter_table('app_users', schema=None) as batch_op:
        batch_op.drop_constraint('uq_app_users_alipay_user_id', type_='unique')
        batch_op.drop_constraint('uq_app_users_wechat_openid', type_='unique')
        batch_op.drop_column('alipay_user_id')
        batch_op.drop_column('wechat_openid')
        batch_op.alter_column('phone', existing_type=sa.String(length=20), nullable=False)
