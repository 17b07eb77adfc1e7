"""volumes.instance_id without a foreign key, as in Diablo's schema.

Revision ID: 004_volumes_fk
Revises: 003_instance_faults
Create Date: 2011-09-22

The admin manual's recovery steps (chapter 8) reset stuck volumes by hand::

    mysql> update volumes set instance_id=0 where id=21;

Diablo's ``volumes.instance_id`` had no foreign key, so this ran; with one,
MySQL and PostgreSQL reject it (there is no instance 0).  Drop it.
"""

from alembic import op
import sqlalchemy as sa

revision = '004_volumes_fk'
down_revision = '003_instance_faults'
branch_labels = None
depends_on = None

FK_NAME = 'fk_volumes_instance_id'


def upgrade():
    """Drop the foreign key of ``volumes.instance_id`` (the index stays)."""
    bind = op.get_bind()
    names = [fk['name'] for fk in
             sa.inspect(bind).get_foreign_keys('volumes')]
    if FK_NAME not in names:
        return
    with op.batch_alter_table('volumes') as batch:
        batch.drop_constraint(FK_NAME, type_='foreignkey')


def downgrade():
    """Put the foreign key back (fails if rows point nowhere)."""
    with op.batch_alter_table('volumes') as batch:
        batch.create_foreign_key(FK_NAME, 'instances', ['instance_id'],
                                 ['id'])
