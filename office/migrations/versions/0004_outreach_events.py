"""mobile service days, information sessions, registrations and visit requests (outreach)

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('outreach_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('kecamatan', sa.String(length=100), nullable=False),
    sa.Column('kabupaten', sa.String(length=100), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('start_time', sa.Time(), nullable=False),
    sa.Column('end_time', sa.Time(), nullable=False),
    sa.Column('quota', sa.Integer(), nullable=False),
    sa.Column('seats_taken', sa.Integer(), nullable=False),
    sa.Column('services', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('outreach_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outreach_events_day'), ['day'], unique=False)
        batch_op.create_index(batch_op.f('ix_outreach_events_kecamatan'), ['kecamatan'], unique=False)
        batch_op.create_index(batch_op.f('ix_outreach_events_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_outreach_events_status'), ['status'], unique=False)

    op.create_table('outreach_registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.String(length=255), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('leader_name', sa.String(length=120), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['outreach_events.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    with op.batch_alter_table('outreach_registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outreach_registrations_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outreach_registrations_sender_id'), ['sender_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outreach_registrations_status'), ['status'], unique=False)

    op.create_table('outreach_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('name_key', sa.String(length=120), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['outreach_events.id'], ),
    sa.ForeignKeyConstraint(['registration_id'], ['outreach_registrations.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id', 'name_key', 'birth_date', name='uq_outreach_member_person')
    )
    with op.batch_alter_table('outreach_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outreach_members_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outreach_members_registration_id'), ['registration_id'], unique=False)

    op.create_table('outreach_visit_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('sender_id', sa.String(length=255), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('organisation', sa.String(length=200), nullable=False),
    sa.Column('contact_name', sa.String(length=120), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('kecamatan', sa.String(length=100), nullable=False),
    sa.Column('headcount', sa.Integer(), nullable=False),
    sa.Column('preferred_dates', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.Column('decided_by', sa.String(length=100), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['outreach_events.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    with op.batch_alter_table('outreach_visit_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outreach_visit_requests_sender_id'), ['sender_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outreach_visit_requests_status'), ['status'], unique=False)


def downgrade() -> None:
    op.drop_table('outreach_visit_requests')
    op.drop_table('outreach_members')
    op.drop_table('outreach_registrations')
    op.drop_table('outreach_events')
