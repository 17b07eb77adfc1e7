"""The instance_faults table: why an instance is in ``error``.

Revision ID: 003_instance_faults
Revises: 002_auth_failures
Create Date: 2011-09-22

One row per failure of an instance (scheduling found no host, the build
timed out, the hypervisor refused to spawn...): an HTTP-like ``code``, a
one-line ``message`` the user sees and ``details`` for the operator.
Diablo only logged these; Essex added the table (keyed by uuid) — here it
is keyed by the integer instance id like Diablo's other instance tables.
"""

from alembic import op
import sqlalchemy as sa

revision = '003_instance_faults'
down_revision = '002_auth_failures'
branch_labels = None
depends_on = None


def upgrade():
    """Create ``instance_faults``."""
    op.create_table(
        'instance_faults',
        sa.Column('created_at', sa.DateTime),
        sa.Column('updated_at', sa.DateTime),
        sa.Column('deleted_at', sa.DateTime),
        sa.Column('deleted', sa.Boolean),
        sa.Column('id', sa.Integer, primary_key=True, nullable=False),
        sa.Column('instance_id', sa.Integer,
                  sa.ForeignKey('instances.id',
                                name='fk_instance_faults_instance_id'),
                  nullable=False),
        sa.Column('code', sa.Integer, nullable=False),
        sa.Column('message', sa.String(255)),
        sa.Column('details', sa.Text),
        mysql_engine='InnoDB', mysql_charset='utf8mb4')
    op.create_index('ix_instance_faults_instance_id', 'instance_faults',
                    ['instance_id'])


def downgrade():
    """Drop ``instance_faults`` (its index goes with it).

    Dropping the index first fails on MySQL: the foreign key needs it.
    """
    op.drop_table('instance_faults')
