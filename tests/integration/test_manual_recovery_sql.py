"""The admin manual's volume recovery SQL (chapter 8) on PostgreSQL and MariaDB.

``update volumes set instance_id=0`` must run on a migrated schema: Diablo's
``volumes.instance_id`` had no foreign key, and revision 004 drops ours.
Each test uses a throwaway ``nova_test_<random>`` database, dropped after.
"""

import os
import uuid

import pytest
import sqlalchemy as sa

from nova import context
from nova import db
from nova.db import migration
from nova.db.sqlalchemy import session

SERVERS = {
    'postgresql': os.environ.get('NOVA_TEST_POSTGRESQL_URL',
                                 'postgresql://postgres@127.0.0.1:5432/'
                                 'postgres'),
    'mysql': os.environ.get('NOVA_TEST_MYSQL_URL',
                            'mysql://root@127.0.0.1:3306/mysql'),
}


@pytest.fixture(params=[
    pytest.param('postgresql', marks=[pytest.mark.postgresql,
                                      pytest.mark.integration]),
    pytest.param('mysql', marks=[pytest.mark.mysql,
                                 pytest.mark.integration])])
def database(request, tmp_path, set_flags):
    """A fresh database on a real server, migrated to the newest schema."""
    kind = request.param
    admin = sa.create_engine(session.normalize_url(SERVERS[kind]),
                             isolation_level='AUTOCOMMIT',
                             connect_args={'connect_timeout': 5})
    try:
        with admin.connect():
            pass
    except sa.exc.DBAPIError as error:
        admin.dispose()
        pytest.skip('%s server unreachable: %s' % (
            kind, str(error.orig).splitlines()[0]))
    name = 'nova_test_%s' % uuid.uuid4().hex[:12]
    with admin.connect() as conn:
        conn.exec_driver_sql('CREATE DATABASE %s' % name)
    url = sa.engine.make_url(SERVERS[kind]).set(database=name)
    set_flags(state_path=str(tmp_path),
              sql_connection=url.render_as_string(hide_password=False))
    session.reset()
    try:
        migration.db_sync()
        yield kind
    finally:
        session.reset()
        with admin.connect() as conn:
            conn.exec_driver_sql('DROP DATABASE IF EXISTS %s%s' % (
                name, ' WITH (FORCE)' if kind == 'postgresql' else ''))
        admin.dispose()


def test_manual_volume_reset_runs(database):
    ctxt = context.get_admin_context()
    instance = db.instance_create(ctxt, {'project_id': 'p', 'user_id': 'u'})
    engine = session.get_engine()
    with engine.begin() as conn:
        conn.execute(sa.text(
            "insert into volumes (id, deleted, size, status, attach_status, "
            "instance_id, mountpoint) values (21, :no, 1, 'in-use', "
            "'attached', :instance, '/dev/vdb')"),
            {'no': False, 'instance': instance['id']})
        # The manual's statements, word for word (ch. 8), in each dialect's
        # quoting: MySQL takes "available", PostgreSQL wants 'available'.
        quote = '"' if database == 'mysql' else "'"
        conn.exec_driver_sql(
            'update volumes set status=%savailable%s where status '
            '<>%serror_deleting%s' % (quote, quote, quote, quote))
        conn.exec_driver_sql('update volumes set attach_status=%sdetached%s'
                             % (quote, quote))
        conn.exec_driver_sql('update volumes set instance_id=0 where id=21')
        got = conn.exec_driver_sql(
            'select status, attach_status, instance_id from volumes '
            'where id=21').one()
    assert tuple(got) == ('available', 'detached', 0)
    fks = sa.inspect(engine).get_foreign_keys('volumes')
    assert [fk for fk in fks if 'instance_id' in fk['constrained_columns']] \
        == []
