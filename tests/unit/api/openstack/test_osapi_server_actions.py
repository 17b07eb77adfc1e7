"""Server actions of the OpenStack API over a recording compute API:
rebuild, resize, confirmResize, revertResize, changePassword and the
``--allow_admin_api`` actions (body forms and Diablo's member routes)."""

import base64
import json

import pytest
import routes
import webob

from nova import context
from nova import exception
from nova.api.openstack import Router
from nova.api.openstack import add_resource
from nova.api.openstack import admin_actions
from nova.api.openstack import servers
from nova.compute import api_actions


class FakeComputeAPI(object):
    """Records calls; ``fail[method]`` is raised by that method."""

    def __init__(self):
        self.calls = []
        self.fail = {}
        self.instance = {
            'id': 1, 'uuid': 'u-1', 'project_id': 'p', 'user_id': 'u',
            'display_name': 'vm', 'vm_state': 'active', 'task_state': None,
            'locked': False, 'host': 'h', 'image_ref': '3',
            'instance_type': {'flavorid': 1}, 'metadata': [],
            'fixed_ips': []}

    check_unlocked = staticmethod(api_actions.ActionsApiMixin.check_unlocked)

    def get(self, ctxt, instance_id):
        if int(instance_id) != 1:
            raise exception.InstanceNotFound(instance_id=instance_id)
        return dict(self.instance)

    def __getattr__(self, name):
        def record(ctxt, *args, **kwargs):
            self.calls.append((name, args, kwargs))
            if name in self.fail:
                raise self.fail[name]
            if name == 'get_diagnostics':
                return {'cpu0_time': 5, 'memory': 524288}
        return record


@pytest.fixture
def compute():
    return FakeComputeAPI()


def _app(compute, version='1.1'):
    mapper = routes.Mapper()
    prefix = '/{project_id}' if version == '1.1' else ''
    add_resource(mapper, prefix, 'servers',
                 servers.Controller(version, compute), ('show',),
                 member_actions=[('action', 'POST')] +
                 list(admin_actions.MEMBER_ROUTES))
    return Router(mapper)


def call(compute, path, body=None, method='POST', admin=False,
         version='1.1'):
    script = '/v%s' % version
    if version == '1.1':
        path = '/p' + path
    req = webob.Request.blank(path, method=method)
    req.script_name = script
    req.environ['nova.context'] = context.RequestContext(
        'u', 'p', is_admin=admin)
    if body is not None:
        req.body = json.dumps(body).encode()
        req.content_type = 'application/json'
    return req.get_response(_app(compute, version))


def test_resize(compute):
    res = call(compute, '/servers/1/action', {'resize': {'flavorRef': 2}})
    assert res.status_int == 202
    assert compute.calls == [('resize', (1, '2'), {})]
    res = call(compute, '/servers/1/action', {'resize': {}})
    assert res.status_int == 400
    assert "require 'flavorRef'" in res.json['badRequest']['message']


@pytest.mark.parametrize('error,status,text', [
    (exception.CannotResizeToSameSize(), 400, 'change in size'),
    (exception.CannotResizeToSmallerSize(), 400, 'smaller size'),
    (exception.FlavorNotFound(flavor_id=9), 400, 'requested flavor'),
    (exception.ActionNotSupported(host='h', action='resize'), 501,
     'cannot resize'),
    (exception.InstanceIsLocked(instance_id=1, method='resize'), 409,
     'locked'),
    (exception.InstanceInvalidState(instance_id=1, attr='vm_state',
                                    state='paused', method='resize'), 409,
     'paused'),
])
def test_resize_refusals(compute, error, status, text):
    compute.fail['resize'] = error
    res = call(compute, '/servers/1/action', {'resize': {'flavorRef': 2}})
    assert res.status_int == status
    assert text in list(res.json.values())[0]['message']


def test_confirm_and_revert(compute):
    assert call(compute, '/servers/1/action',
                {'confirmResize': None}).status_int == 204
    assert call(compute, '/servers/1/action',
                {'revertResize': None}).status_int == 202
    assert [c[0] for c in compute.calls] == ['confirm_resize',
                                             'revert_resize']
    compute.fail['confirm_resize'] = exception.MigrationNotFoundByStatus(
        instance_id=1, status='finished')
    assert call(compute, '/servers/1/action',
                {'confirmResize': None}).status_int == 400


def test_rebuild(compute):
    contents = base64.b64encode(b'hello').decode()
    res = call(compute, '/servers/1/action', {'rebuild': {
        'imageRef': 'http://x/p/images/4', 'name': 'new',
        'metadata': {'a': 1}, 'adminPass': 'pw',
        'personality': [{'path': '/etc/motd', 'contents': contents}]}})
    assert res.status_int == 202
    assert res.json['server']['adminPass'] == 'pw'
    name, args, kwargs = compute.calls[0]
    assert (name, args) == ('rebuild', (1, '4', 'pw'))
    assert kwargs == {'name': 'new', 'metadata': {'a': '1'},
                      'files_to_inject': [('/etc/motd', b'hello')]}


def test_rebuild_refusals(compute):
    res = call(compute, '/servers/1/action', {'rebuild': {
        'imageRef': '4', 'personality': [{'path': '/a',
                                          'contents': '@@not-b64'}]}})
    assert res.status_int == 400
    assert call(compute, '/servers/1/action',
                {'rebuild': {}}).status_int == 400
    compute.fail['rebuild'] = exception.InstanceInvalidState(
        instance_id=1, attr='vm_state', state='paused', method='rebuild')
    res = call(compute, '/servers/1/action', {'rebuild': {'imageRef': '4'}})
    assert res.status_int == 409
    assert res.json['inProgress']['message'] == \
        'Instance 1 must be active to rebuild.'


def test_rebuild_v10_answers_202_without_body(compute):
    res = call(compute, '/servers/1/action', {'rebuild': {'imageId': 4}},
               version='1.0')
    assert res.status_int == 202
    assert compute.calls[0][1][:2] == (1, '4')


def test_change_password(compute):
    assert call(compute, '/servers/1/action',
                {'changePassword': {}}).status_int == 400
    assert call(compute, '/servers/1/action',
                {'changePassword': {'adminPass': ''}}).status_int == 400
    res = call(compute, '/servers/1/action',
               {'changePassword': {'adminPass': 'x'}})
    assert res.status_int == 202
    assert compute.calls == [('set_admin_password', (1, 'x'), {})]
    res = call(compute, '/servers/1/action',
               {'changePassword': {'adminPass': 'x'}}, version='1.0')
    assert res.status_int == 501


def test_admin_actions_need_the_flag(compute, set_flags):
    set_flags(allow_admin_api=False)
    res = call(compute, '/servers/1/action', {'pause': None})
    assert res.status_int == 400
    assert call(compute, '/servers/1/pause').status_int == 404
    assert call(compute, '/servers/1/diagnostics',
                method='GET').status_int == 404
    assert compute.calls == []


def test_admin_actions(compute, set_flags):
    set_flags(allow_admin_api=True)
    for key, method in (('pause', 'pause'), ('unpause', 'unpause'),
                        ('suspend', 'suspend'), ('resume', 'resume'),
                        ('resetNetwork', 'reset_network'),
                        ('injectNetworkInfo', 'inject_network_info')):
        compute.calls = []
        res = call(compute, '/servers/1/action', {key: None})
        assert res.status_int == 202, key
        assert compute.calls == [(method, (1,), {})]
    compute.calls = []
    assert call(compute, '/servers/1/suspend').status_int == 202
    assert call(compute, '/servers/1/action',
                {'migrate': None}).status_int == 202
    assert [c[:2] for c in compute.calls] == [('suspend', (1,)),
                                              ('resize', (1, None))]
    res = call(compute, '/servers/1/diagnostics', method='GET')
    assert res.json == {'cpu0_time': 5, 'memory': 524288}


def test_admin_action_refusals(compute, set_flags):
    set_flags(allow_admin_api=True)
    res = call(compute, '/servers/1/action', {'lock': None})
    assert res.status_int == 403
    assert call(compute, '/servers/1/action', {'lock': None},
                admin=True).status_int == 202
    compute.fail['pause'] = exception.ActionNotSupported(host='h',
                                                         action='pause')
    assert call(compute, '/servers/1/pause').status_int == 501
    assert call(compute, '/servers/2/pause').status_int == 404


def test_locked_server_refuses_users_not_admins(compute):
    compute.instance['locked'] = True
    res = call(compute, '/servers/1/action', {'reboot': {'type': 'HARD'}})
    assert res.status_int == 409
    assert 'locked' in res.json['inProgress']['message']
    assert call(compute, '/servers/1/action', {'reboot': {'type': 'HARD'}},
                admin=True).status_int == 202
