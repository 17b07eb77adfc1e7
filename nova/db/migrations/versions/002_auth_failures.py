"""The auth_failures table: lockout counts shared by all API workers.

Revision ID: 002_auth_failures
Revises: 001_diablo
Create Date: 2011-09-22

One row per locked-out-candidate access key (``authfailures-<key>``): the
number of failed authentications and when the window or lockout ends.
Diablo kept these in memcached only; a database row lets API workers share
them without memcached (``--memcached_servers`` still takes precedence).
"""

from alembic import op
import sqlalchemy as sa

revision = '002_auth_failures'
down_revision = '001_diablo'
branch_labels = None
depends_on = None


def upgrade():
    """Create ``auth_failures``."""
    op.create_table(
        'auth_failures',
        sa.Column('created_at', sa.DateTime),
        sa.Column('updated_at', sa.DateTime),
        sa.Column('deleted_at', sa.DateTime),
        sa.Column('deleted', sa.Boolean),
        sa.Column('name', sa.String(255), primary_key=True, nullable=False),
        sa.Column('count', sa.Integer, nullable=False),
        sa.Column('expires_at', sa.DateTime, nullable=False),
        mysql_engine='InnoDB', mysql_charset='utf8mb4')


def downgrade():
    """Drop ``auth_failures``."""
    op.drop_table('auth_failures')
