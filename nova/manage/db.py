"""``nova-manage db``: schema version and migrations."""

from nova.db import migration
from nova.manage.base import args


class DbCommands(object):
    """Class for managing the database."""

    @args('--version', dest='version', metavar='<version>',
          help='Database version (default: the newest)')
    def sync(self, version=None):
        """Sync the database up (or down) to the most recent version."""
        migration.db_sync(version)

    def version(self):
        """Print the current database version."""
        print(migration.db_version())
