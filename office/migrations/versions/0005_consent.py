"""consent records (privacy)

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('consent_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sender_id', sa.String(length=255), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('notice_hash', sa.String(length=64), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('given_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_by', sa.String(length=16), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('consent_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_record_given_at'), ['given_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_consent_record_purpose'), ['purpose'], unique=False)
        batch_op.create_index(batch_op.f('ix_consent_record_sender_id'), ['sender_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consent_record_withdrawn_at'), ['withdrawn_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('consent_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_record_withdrawn_at'))
        batch_op.drop_index(batch_op.f('ix_consent_record_sender_id'))
        batch_op.drop_index(batch_op.f('ix_consent_record_purpose'))
        batch_op.drop_index(batch_op.f('ix_consent_record_given_at'))
    op.drop_table('consent_record')
