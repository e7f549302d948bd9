"""HIS schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-26 06:24:22.482030
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bills',
    sa.Column('bill_no', sa.String(length=40), nullable=False),
    sa.Column('visit_no', sa.String(length=40), nullable=False),
    sa.Column('mrn', sa.String(length=20), nullable=False),
    sa.Column('dept_code', sa.String(length=10), nullable=False),
    sa.Column('doctor_code', sa.String(length=10), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('billed_at', sa.DateTime(), nullable=False),
    sa.Column('receipt_no', sa.String(length=40), nullable=True),
    sa.PrimaryKeyConstraint('bill_no')
    )
    with op.batch_alter_table('bills', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bills_mrn'), ['mrn'], unique=False)

    op.create_table('charges',
    sa.Column('receipt_no', sa.String(length=40), nullable=False),
    sa.Column('invoice_no', sa.String(length=40), nullable=False),
    sa.Column('order_no', sa.String(length=64), nullable=False),
    sa.Column('mrn', sa.String(length=20), nullable=False),
    sa.Column('bill_nos', sa.Text(), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('settlement', sa.Text(), nullable=False),
    sa.Column('confirm_digest', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('charged_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('receipt_no'),
    sa.UniqueConstraint('invoice_no'),
    sa.UniqueConstraint('order_no')
    )
    with op.batch_alter_table('charges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_charges_mrn'), ['mrn'], unique=False)

    op.create_table('departments',
    sa.Column('dept_code', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('parent_code', sa.String(length=10), nullable=True),
    sa.Column('intro', sa.Text(), nullable=False),
    sa.Column('location', sa.String(length=80), nullable=False),
    sa.PrimaryKeyConstraint('dept_code')
    )
    op.create_table('exam_reports',
    sa.Column('report_id', sa.String(length=40), nullable=False),
    sa.Column('mrn', sa.String(length=20), nullable=False),
    sa.Column('visit_no', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=80), nullable=False),
    sa.Column('dept_code', sa.String(length=10), nullable=False),
    sa.Column('modality', sa.String(length=10), nullable=False),
    sa.Column('body_part', sa.String(length=40), nullable=False),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.Column('conclusion', sa.Text(), nullable=False),
    sa.Column('reported_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('report_id')
    )
    with op.batch_alter_table('exam_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exam_reports_mrn'), ['mrn'], unique=False)

    op.create_table('lab_reports',
    sa.Column('report_id', sa.String(length=40), nullable=False),
    sa.Column('mrn', sa.String(length=20), nullable=False),
    sa.Column('visit_no', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=80), nullable=False),
    sa.Column('dept_code', sa.String(length=10), nullable=False),
    sa.Column('specimen', sa.String(length=40), nullable=False),
    sa.Column('reported_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('report_id')
    )
    with op.batch_alter_table('lab_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lab_reports_mrn'), ['mrn'], unique=False)

    op.create_table('patients',
    sa.Column('patient_id', sa.String(length=20), nullable=False),
    sa.Column('mrn', sa.String(length=20), nullable=False),
    sa.Column('id_card_no', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('gender', sa.String(length=1), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('patient_type', sa.String(length=10), nullable=False),
    sa.Column('insured', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('patient_id'),
    sa.UniqueConstraint('id_card_no'),
    sa.UniqueConstraint('mrn')
    )
    op.create_table('bill_items',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('bill_no', sa.String(length=40), nullable=False),
    sa.Column('seq_no', sa.Integer(), nullable=False),
    sa.Column('item_code', sa.String(length=30), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('spec', sa.String(length=40), nullable=False),
    sa.Column('qty', sa.Integer(), nullable=False),
    sa.Column('unit_price_fen', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('insurance_class', sa.String(length=1), nullable=False),
    sa.Column('list_code', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['bill_no'], ['bills.bill_no'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('bill_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bill_items_bill_no'), ['bill_no'], unique=False)

    op.create_table('doctors',
    sa.Column('doctor_code', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=20), nullable=False),
    sa.Column('dept_code', sa.String(length=10), nullable=False),
    sa.Column('specialty', sa.Text(), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['dept_code'], ['departments.dept_code'], ),
    sa.PrimaryKeyConstraint('doctor_code')
    )
    op.create_table('lab_report_items',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('report_id', sa.String(length=40), nullable=False),
    sa.Column('seq_no', sa.Integer(), nullable=False),
    sa.Column('item_code', sa.String(length=30), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('value', sa.String(length=40), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.Column('reference_range', sa.String(length=40), nullable=False),
    sa.Column('abnormal_flag', sa.String(length=1), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['lab_reports.report_id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('lab_report_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lab_report_items_report_id'), ['report_id'], unique=False)

    op.create_table('schedules',
    sa.Column('schedule_id', sa.String(length=40), nullable=False),
    sa.Column('dept_code', sa.String(length=10), nullable=False),
    sa.Column('doctor_code', sa.String(length=10), nullable=False),
    sa.Column('visit_date', sa.Date(), nullable=False),
    sa.Column('period', sa.String(length=2), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('reg_fee_fen', sa.Integer(), nullable=False),
    sa.Column('diag_fee_fen', sa.Integer(), nullable=False),
    sa.Column('total_fen', sa.Integer(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['dept_code'], ['departments.dept_code'], ),
    sa.ForeignKeyConstraint(['doctor_code'], ['doctors.doctor_code'], ),
    sa.PrimaryKeyConstraint('schedule_id')
    )
    with op.batch_alter_table('schedules', schema=None) as batch_op:
        batch_op.create_index('ix_schedules_date_dept', ['visit_date', 'dept_code'], unique=False)

    op.create_table('slots',
    sa.Column('slot_id', sa.String(length=48), nullable=False),
    sa.Column('schedule_id', sa.String(length=40), nullable=False),
    sa.Column('seq_no', sa.Integer(), nullable=False),
    sa.Column('start_time', sa.String(length=5), nullable=False),
    sa.Column('end_time', sa.String(length=5), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['schedule_id'], ['schedules.schedule_id'], ),
    sa.PrimaryKeyConstraint('slot_id')
    )
    with op.batch_alter_table('slots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_slots_schedule_id'), ['schedule_id'], unique=False)

    op.create_table('registrations',
    sa.Column('lock_id', sa.String(length=40), nullable=False),
    sa.Column('order_no', sa.String(length=64), nullable=False),
    sa.Column('mrn', sa.String(length=20), nullable=False),
    sa.Column('schedule_id', sa.String(length=40), nullable=False),
    sa.Column('slot_id', sa.String(length=48), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('reg_fee_fen', sa.Integer(), nullable=False),
    sa.Column('diag_fee_fen', sa.Integer(), nullable=False),
    sa.Column('total_fen', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('reg_no', sa.String(length=40), nullable=True),
    sa.Column('visit_no', sa.String(length=40), nullable=True),
    sa.Column('queue_no', sa.Integer(), nullable=True),
    sa.Column('location', sa.String(length=80), nullable=True),
    sa.Column('settlement', sa.Text(), nullable=True),
    sa.Column('confirm_digest', sa.String(length=64), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['schedule_id'], ['schedules.schedule_id'], ),
    sa.ForeignKeyConstraint(['slot_id'], ['slots.slot_id'], ),
    sa.PrimaryKeyConstraint('lock_id'),
    sa.UniqueConstraint('order_no'),
    sa.UniqueConstraint('reg_no')
    )
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registrations_mrn'), ['mrn'], unique=False)
        batch_op.create_index('ix_registrations_status_expires', ['status', 'expires_at'], unique=False)
        batch_op.create_index('uq_registrations_active_hold', ['mrn', 'schedule_id'], unique=True, sqlite_where=sa.text("status IN ('LOCKED', 'BOOKED', 'CONFIRMED')"), postgresql_where=sa.text("status IN ('LOCKED', 'BOOKED', 'CONFIRMED')"))



def downgrade() -> None:
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_index('uq_registrations_active_hold', sqlite_where=sa.text("status IN ('LOCKED', 'BOOKED', 'CONFIRMED')"), postgresql_where=sa.text("status IN ('LOCKED', 'BOOKED', 'CONFIRMED')"))
        batch_op.drop_index('ix_registrations_status_expires')
        batch_op.drop_index(batch_op.f('ix_registrations_mrn'))

    op.drop_table('registrations')
    with op.batch_alter_table('slots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_slots_schedule_id'))

    op.drop_table('slots')
    with op.batch_alter_table('schedules', schema=None) as batch_op:
        batch_op.drop_index('ix_schedules_date_dept')

    op.drop_table('schedules')
    with op.batch_alter_table('lab_report_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lab_report_items_report_id'))

    op.drop_table('lab_report_items')
    op.drop_table('doctors')
    with op.batch_alter_table('bill_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bill_items_bill_no'))

    op.drop_table('bill_items')
    op.drop_table('patients')
    with op.batch_alter_table('lab_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lab_reports_mrn'))

    op.drop_table('lab_reports')
    with op.batch_alter_table('exam_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exam_reports_mrn'))

    op.drop_table('exam_reports')
    op.drop_table('departments')
    with op.batch_alter_table('charges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_charges_mrn'))

    op.drop_table('charges')
    with op.batch_alter_table('bills', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bills_mrn'))

    op.drop_table('bills')
