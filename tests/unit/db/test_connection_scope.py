"""connection_scope and read_scope: Core statements and ORM reads without
a session transaction of their own, joining the caller's when there is
one."""

import pytest
import sqlalchemy as sa

from nova import context
from nova import db
from nova.db.sqlalchemy import models
from nova.db.sqlalchemy import session as db_session

_SERVICES = models.Service.__table__


@pytest.fixture
def service(sqlite_db):
    return db.service_create(context.get_admin_context(), {
        'host': 'h1', 'binary': 'nova-compute', 'topic': 'compute'})


def _host(service_id):
    with db_session.connection_scope(single_statement=True) as conn:
        return conn.execute(sa.select(_SERVICES.c.host).where(
            _SERVICES.c.id == service_id)).scalar()


def test_a_connection_scope_commits_its_block(service):
    with db_session.connection_scope() as conn:
        conn.execute(sa.update(_SERVICES).where(
            _SERVICES.c.id == service.id).values(host='h2'))
    assert _host(service.id) == 'h2'


def test_an_error_rolls_the_block_back(service):
    with pytest.raises(RuntimeError):
        with db_session.connection_scope() as conn:
            conn.execute(sa.update(_SERVICES).where(
                _SERVICES.c.id == service.id).values(host='h2'))
            raise RuntimeError('undo')
    assert _host(service.id) == 'h1'


def test_inside_a_session_scope_both_join_its_transaction(service):
    with pytest.raises(RuntimeError):
        with db_session.session_scope():
            with db_session.connection_scope(single_statement=True) as conn:
                conn.execute(sa.update(_SERVICES).where(
                    _SERVICES.c.id == service.id).values(host='h3'))
            with db_session.read_scope() as session:
                # the caller's uncommitted change is seen
                assert session.get(models.Service, service.id).host == 'h3'
            raise RuntimeError('undo')
    assert _host(service.id) == 'h1'


def test_objects_read_stay_usable_after_a_read_scope(service):
    with db_session.read_scope() as session:
        found = session.get(models.Service, service.id)
    assert found.host == 'h1' and found['binary'] == 'nova-compute'
