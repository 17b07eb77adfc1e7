"""The outbox table: RPC casts committed with the rows they concern.

Revision ID: 006_outbox
Revises: 003_instance_faults
Create Date: 2011-09-22

A launch (or any action) writes its rows and the messages it must send in
one transaction; a relay publishes the messages with publisher confirms
and deletes them.  So the API never waits for the broker, and no committed
work is ever without its message.  Not in Diablo.
"""

from alembic import op
import sqlalchemy as sa

revision = '006_outbox'
down_revision = '005_tags'
branch_labels = None
depends_on = None


def upgrade():
    """Create ``outbox``."""
    op.create_table(
        'outbox',
        sa.Column('created_at', sa.DateTime),
        sa.Column('updated_at', sa.DateTime),
        sa.Column('deleted_at', sa.DateTime),
        sa.Column('deleted', sa.Boolean),
        sa.Column('id', sa.Integer, primary_key=True, nullable=False),
        sa.Column('topic', sa.String(255), nullable=False),
        sa.Column('body', sa.Text, nullable=False),
        sa.Column('claimed_by', sa.String(64)),
        sa.Column('claimed_at', sa.DateTime),
        mysql_engine='InnoDB', mysql_charset='utf8mb4')


def downgrade():
    """Drop ``outbox``."""
    op.drop_table('outbox')
