"""``os-consoles``: the ``os-getVNCConsole`` server action."""

import pytest

from nova import context
from nova import db
from nova import exception
from nova.compute import api as compute_api
from tests.unit.api.openstack.osapi_ext_helpers import call, fault_name
from tests.unit.api.openstack.osapi_ext_helpers import load_osapi


@pytest.fixture
def osapi(sqlite_db, set_flags):
    return load_osapi(set_flags)


@pytest.fixture
def consoles(monkeypatch):
    """compute.api's get_vnc_console replaced: records, answers or fails."""
    state = {'calls': [], 'error': None}

    def fake(self, ctxt, instance_id):
        state['calls'].append((ctxt.project_id, instance_id))
        if state['error'] is not None:
            raise state['error']
        return {'url': 'http://127.0.0.1:6080/vnc.html?path=x%d'
                % instance_id}
    monkeypatch.setattr(compute_api.API, 'get_vnc_console', fake)
    return state


def _server(project='proj', host='cn1'):
    return db.instance_create(context.get_admin_context(), {
        'project_id': project, 'user_id': 'alice', 'vm_state': 'active',
        'host': host, 'display_name': 'vm'})


def _action(osapi, server_id, body, project='proj'):
    return call(osapi, '/servers/%s/action' % server_id, 'POST',
                {'os-getVNCConsole': body}, project=project)


def test_novnc_console_url(osapi, consoles):
    server = _server()
    res = _action(osapi, server['id'], {'type': 'novnc'})
    assert res.status_int == 200, res.body
    assert res.json == {'console': {
        'type': 'novnc',
        'url': 'http://127.0.0.1:6080/vnc.html?path=x%d' % server['id']}}
    assert consoles['calls'] == [('proj', server['id'])]


def test_other_projects_server_is_404(osapi, consoles):
    server = _server(project='other')
    res = _action(osapi, server['id'], {'type': 'novnc'})
    assert res.status_int == 404 and consoles['calls'] == []


@pytest.mark.parametrize('body', [{'type': 'xvpvnc'}, {}, 'novnc',
                                  {'type': ['novnc']}])
def test_other_console_types_are_400(osapi, consoles, body):
    res = _action(osapi, _server()['id'], body)
    assert res.status_int == 400 and fault_name(res) == 'badRequest'
    assert consoles['calls'] == []


@pytest.mark.parametrize('error,status', [
    (exception.ConsoleNotAvailable(instance_id=1, reason='no display'), 409),
    (exception.InstanceInvalidState(instance_id=1, attr='host',
                                    state='unassigned', method='x'), 409),
    (exception.ConsoleProxyNotRunning(), 503),
])
def test_unavailable_consoles(osapi, consoles, error, status):
    consoles['error'] = error
    res = _action(osapi, _server()['id'], {'type': 'novnc'})
    assert res.status_int == status, res.body
    assert 'Traceback' not in res.text
