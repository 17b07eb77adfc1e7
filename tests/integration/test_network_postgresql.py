"""Fixed IP allocation under concurrency on a real PostgreSQL server.

A throwaway database (``nova_test_net_<random>``) is created, synced and
dropped, as in test_db_backends.py; the server is found at 127.0.0.1 with
the CI's credentials or through ``NOVA_TEST_POSTGRESQL_URL``.
"""

import ipaddress
import os
import threading
import uuid

import pytest
import sqlalchemy as sa

from nova import context
from nova import db
from nova.db import migration
from nova.db.sqlalchemy import models, session

pytestmark = [pytest.mark.postgresql, pytest.mark.integration]

SERVER = os.environ.get('NOVA_TEST_POSTGRESQL_URL',
                        'postgresql://postgres@127.0.0.1:5432/postgres')


@pytest.fixture
def pg_db(tmp_path, set_flags):
    """A fresh, synced PostgreSQL database for one test."""
    admin = sa.create_engine(session.normalize_url(SERVER),
                             isolation_level='AUTOCOMMIT',
                             connect_args={'connect_timeout': 5})
    try:
        with admin.connect():
            pass
    except sa.exc.DBAPIError as error:
        admin.dispose()
        pytest.skip('postgresql server unreachable at %s: %s' % (
            session.masked_url(SERVER), str(error.orig).splitlines()[0]))
    name = 'nova_test_net_%s' % uuid.uuid4().hex[:12]
    with admin.connect() as conn:
        conn.exec_driver_sql('CREATE DATABASE %s' % name)
    url = sa.engine.make_url(SERVER).set(database=name)
    set_flags(state_path=str(tmp_path), sql_max_pool_size=60,
              sql_connection=url.render_as_string(hide_password=False))
    session.reset()
    try:
        migration.db_sync()
        yield
    finally:
        session.reset()
        with admin.connect() as conn:
            conn.exec_driver_sql('DROP DATABASE IF EXISTS %s WITH (FORCE)'
                                 % name)
        admin.dispose()


@pytest.mark.parametrize('skip_locked', [True, False],
                         ids=['skip-locked', 'conditional-update-only'])
def test_fifty_concurrent_launches_get_different_addresses(
        pg_db, skip_locked, monkeypatch):
    """Without SKIP LOCKED (as on MySQL) the conditional UPDATE decides."""
    if not skip_locked:
        from nova.db.sqlalchemy import api_network
        monkeypatch.setattr(api_network, '_skip_locked',
                            lambda query, _session: query)
    ctxt = context.get_admin_context()
    net = ipaddress.ip_network('10.5.0.0/26')
    network = db.network_create_with_fixed_ips(ctxt, [(
        {'label': 'pg', 'cidr': str(net)},
        [(str(a), i < 2 or i == net.num_addresses - 1)
         for i, a in enumerate(net)])])[0]
    with session.session_scope() as sess:
        rows = [models.Instance(project_id='p', user_id='u')
                for _i in range(50)]
        sess.add_all(rows)
        sess.flush()
        instances = [row.id for row in rows]
    results, errors = {}, []
    barrier = threading.Barrier(50)

    def launch(instance_id):
        try:
            barrier.wait()
            results[instance_id] = db.fixed_ip_associate_pool(
                context.get_admin_context(), network['id'], instance_id)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=launch, args=(i,))
               for i in instances]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(results.values())) == 50
    for instance_id, address in results.items():
        assert db.fixed_ip_get_by_address(
            ctxt, address)['instance_id'] == instance_id


def test_launch_lock_serializes_quota_checks_across_connections(pg_db):
    """Two API workers launching the last allowed instance: only one wins.

    Each worker (a thread with its own connection) locks the project,
    counts the live instances and creates one only if none exists; the
    sleep between count and insert would let both pass without the lock.
    """
    import time
    ctxt = context.get_admin_context()
    created, barrier = [], threading.Barrier(2)

    def worker():
        barrier.wait()
        with session.session_scope():
            db.instance_launch_lock(ctxt, 'quota-project')
            count, _cores, _ram = db.instance_data_get_for_project(
                ctxt, 'quota-project')
            time.sleep(0.3)
            if count == 0:
                created.append(db.instance_create(ctxt, {
                    'project_id': 'quota-project', 'user_id': 'u'})['id'])

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(created) == 1
    assert db.instance_data_get_for_project(ctxt, 'quota-project')[0] == 1
