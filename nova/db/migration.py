"""Schema versions: ``db_sync`` and ``db_version`` (alembic underneath).

Alembic is configured in code, from the package's own files, so this works
from an installed package whatever the current directory.  Revision ids
read like ``001_diablo``; a version may be given as the id, its number
(``1``), ``head`` or ``base``.
"""

import logging
import os
import re

from nova import flags

# Alembic narrates every step (and its own start-up) at INFO; Diablo's
# ``db sync`` was silent.  --verbose brings the narration back.
if not flags.FLAGS.get('verbose'):
    logging.getLogger('alembic').setLevel(logging.WARNING)

from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from alembic.runtime.migration import MigrationContext  # noqa: E402
from alembic.script import ScriptDirectory  # noqa: E402
from alembic.util import CommandError as AlembicError  # noqa: E402
from sqlalchemy import exc as sa_exc  # noqa: E402

from nova import exception  # noqa: E402
from nova.db.sqlalchemy import session as db_session  # noqa: E402

FLAGS = flags.FLAGS

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                              'migrations')


def _config(connection=None):
    config = Config()
    config.set_main_option('script_location', MIGRATIONS_DIR)
    config.attributes['connection'] = connection
    return config


def _script():
    return ScriptDirectory.from_config(_config())


def _current(connection):
    return MigrationContext.configure(connection).get_current_revision()


def _resolve(script, version):
    """Turn a user's version into a revision id (or 'head'/'base')."""
    if version is None:
        return 'head'
    text = str(version).strip()
    if text in ('head', 'base'):
        return text
    ids = [rev.revision for rev in script.walk_revisions()]
    if text in ids:
        return text
    if re.match(r'^\d+$', text):
        number = int(text)
        if number == 0:
            return 'base'
        for rev_id in ids:
            match = re.match(r'^(\d+)_', rev_id)
            if match and int(match.group(1)) == number:
                return rev_id
    raise exception.DBMigrationError(
        reason='unknown version %s (known: %s)'
        % (text, ', '.join(sorted(ids))))


def _is_ancestor(script, ancestor, revision):
    """Whether ``ancestor`` lies at or below ``revision``."""
    if ancestor == 'base':
        return True
    return any(rev.revision == ancestor
               for rev in script.iterate_revisions(revision, 'base'))


def db_sync(version=None):
    """Bring the schema to ``version`` (default: the newest), up or down."""
    script = _script()
    target = _resolve(script, version)
    engine = db_session.get_engine()
    try:
        with engine.begin() as connection:
            config = _config(connection)
            current = _current(connection)
            if target == 'head' or current is None or \
                    _is_ancestor(script, current, target):
                command.upgrade(config, target)
            else:
                command.downgrade(config, target)
    except (sa_exc.SQLAlchemyError, AlembicError) as error:
        orig = getattr(error, 'orig', None) or error
        raise exception.DBMigrationError(
            reason=' '.join(str(orig).split())) from None
    return db_version()


def diablo_table_names():
    """The 38 tables the first revision (``001_diablo``) creates."""
    script = _script()
    module = script.get_revision('001_diablo').module
    return list(module.TABLE_NAMES)


def db_version():
    """The current revision id of the database, or None if never synced."""
    engine = db_session.get_engine()
    with engine.connect() as connection:
        return _current(connection)
