"""EC2 tags, RunInstances client tokens and instance attributes.

Revision ID: 005_tags
Revises: 003_instance_faults
Create Date: 2011-10-01

* ``tags``: one row per (resource, key) of the EC2 tags of a project's
  instances, images, volumes, snapshots, security groups and key pairs; the
  resource is named by its EC2 id (``i-0000000a``, ``ami-...``) and type
  (``instance``, ``image``, ``volume``, ``snapshot``, ``security-group``,
  ``key-pair``).  Rows are removed (not soft-deleted) with their resource.
* ``instances.client_token``: the ``ClientToken`` of the RunInstances call
  that made the instance (idempotent launches), indexed with the project.
* ``instances.disable_terminate`` / ``instances.shutdown_terminate``: the
  EC2 attributes ``disableApiTermination`` and
  ``instanceInitiatedShutdownBehavior`` (Essex's column names).
"""

from alembic import op
import sqlalchemy as sa

revision = '005_tags'
down_revision = '004_volumes_fk'
branch_labels = None
depends_on = None


def upgrade():
    """Create ``tags``; add the instance columns."""
    op.create_table(
        'tags',
        sa.Column('created_at', sa.DateTime),
        sa.Column('updated_at', sa.DateTime),
        sa.Column('deleted_at', sa.DateTime),
        sa.Column('deleted', sa.Boolean),
        sa.Column('id', sa.Integer, primary_key=True, nullable=False),
        sa.Column('project_id', sa.String(255), nullable=False),
        sa.Column('resource_type', sa.String(32), nullable=False),
        sa.Column('resource_id', sa.String(64), nullable=False),
        sa.Column('key', sa.String(128), nullable=False),
        sa.Column('value', sa.String(256), nullable=False),
        sa.UniqueConstraint('resource_id', 'project_id', 'key',
                            name='uniq_tags_resource_id'),
        mysql_engine='InnoDB', mysql_charset='utf8mb4')
    op.create_index('ix_tags_project_id', 'tags', ['project_id', 'id'])
    op.create_index('ix_tags_key', 'tags', ['key'])
    with op.batch_alter_table('instances') as batch:
        batch.add_column(sa.Column('client_token', sa.String(64)))
        batch.add_column(sa.Column('disable_terminate', sa.Boolean,
                                   server_default=sa.false()))
        batch.add_column(sa.Column('shutdown_terminate', sa.Boolean,
                                   server_default=sa.true()))
    op.create_index('ix_instances_client_token', 'instances',
                    ['project_id', 'client_token'])


def downgrade():
    """Drop ``tags`` and the instance columns."""
    op.drop_index('ix_instances_client_token', table_name='instances')
    with op.batch_alter_table('instances') as batch:
        batch.drop_column('shutdown_terminate')
        batch.drop_column('disable_terminate')
        batch.drop_column('client_token')
    op.drop_table('tags')
