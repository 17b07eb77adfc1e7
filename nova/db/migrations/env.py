"""Alembic environment: runs Nova's migrations on the configured database.

:mod:`nova.db.migration` passes an open connection in
``config.attributes['connection']``; without one (the ``alembic`` command
line) the engine of ``--sql_connection`` is used.
"""

from alembic import context

from nova.db.sqlalchemy import models

config = context.config
target_metadata = models.BASE.metadata


def _configure(connection):
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == 'sqlite',
                      compare_type=True)


def run_migrations_offline():
    """Emit the SQL instead of running it (``alembic upgrade --sql``)."""
    from nova.db.sqlalchemy import session
    from nova import flags
    url = config.get_main_option('sqlalchemy.url') or \
        session.normalize_url(flags.FLAGS.sql_connection)
    context.configure(url=url, target_metadata=target_metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run the migrations on a live connection."""
    connection = config.attributes.get('connection')
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    from nova.db.sqlalchemy import session
    with session.get_engine().begin() as connection:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
