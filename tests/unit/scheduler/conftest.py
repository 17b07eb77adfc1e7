"""Fixtures of the scheduler tests: a database, services, instances, casts."""

import datetime

import pytest

from nova import context
from nova import db
from nova import rpc
from nova import utils


@pytest.fixture
def ctxt(sqlite_db):
    """An admin context on a fresh database."""
    return context.get_admin_context()


@pytest.fixture
def user_ctxt(sqlite_db):
    """A normal user's context (project ``p1``)."""
    return context.RequestContext('u1', 'p1')


@pytest.fixture
def casts(monkeypatch):
    """Record rpc.cast / fanout_cast / call instead of sending them."""
    sent = []

    def cast(ctx, topic, msg):
        sent.append(('cast', topic, msg))

    def fanout_cast(ctx, topic, msg):
        sent.append(('fanout_cast', topic, msg))

    def call(ctx, topic, msg, timeout=None):
        sent.append(('call', topic, msg))
        return 'answer'

    monkeypatch.setattr(rpc, 'cast', cast)
    monkeypatch.setattr(rpc, 'fanout_cast', fanout_cast)
    monkeypatch.setattr(rpc, 'call', call)
    return sent


@pytest.fixture
def make_service(ctxt):
    """make_service(host, topic='compute', zone='nova', up=True,
    disabled=False) -> service row."""
    def make(host, topic='compute', zone='nova', up=True, disabled=False):
        svc = db.service_create(ctxt, {
            'host': host, 'binary': 'nova-%s' % topic, 'topic': topic,
            'availability_zone': zone, 'report_count': 1})
        values = {'disabled': disabled}
        if not up:
            old = utils.utcnow() - datetime.timedelta(minutes=10)
            values.update(created_at=old, updated_at=old)
        else:
            values['updated_at'] = utils.utcnow()
        return db.service_update(ctxt, svc['id'], values)
    return make


@pytest.fixture
def make_instance(ctxt):
    """make_instance(**values) -> instance row, building/scheduling."""
    def make(**values):
        row = {'project_id': 'p1', 'user_id': 'u1', 'vcpus': 1,
               'memory_mb': 512, 'local_gb': 0, 'vm_state': 'building',
               'task_state': 'scheduling', 'availability_zone': None,
               'hostname': 'server', 'launch_index': 0}
        row.update(values)
        return db.instance_create(ctxt, row)
    return make
