"""``os-hosts`` and ``NMN`` (multinic): the extensions over the whole
``osapi`` app, the compute API's host calls, the compute manager's host
and multinic methods, and nova-network's multinic allocation."""

import datetime
import unittest.mock

import pytest
import webob

from nova import context
from nova import db
from nova import exception
from nova.api.openstack.extensions import hosts
from nova.compute import api_hosts
from nova.compute import manager_hosts
from nova.rpc import common as rpc_common
from nova.virt import fake
from tests.unit.api.openstack.osapi_ext_helpers import call, fault_name
from tests.unit.api.openstack.osapi_ext_helpers import load_osapi


@pytest.fixture
def osapi(sqlite_db, set_flags):
    app = load_osapi(set_flags)
    set_flags(allow_admin_api=True)
    return app


@pytest.fixture
def rpc_calls(monkeypatch):
    """Records the host calls and casts; ``answers[method]`` is returned
    (or raised when an exception)."""
    record = {'calls': [], 'casts': [], 'answers': {}}

    def fake_call(ctxt, topic, msg):
        record['calls'].append((topic, msg))
        answer = record['answers'].get(msg['method'])
        if isinstance(answer, BaseException):
            raise answer
        return answer

    monkeypatch.setattr(api_hosts.rpc, 'call', fake_call)
    monkeypatch.setattr(api_hosts.outbox, 'cast', lambda ctxt, topic, msg:
                        record['casts'].append((topic, msg)))
    return record


def _service(host, binary, topic):
    return db.service_create(context.get_admin_context(), {
        'host': host, 'binary': binary, 'topic': topic,
        'report_count': 0})


def test_listing_hosts(osapi):
    _service('c1', 'nova-compute', 'compute')
    _service('n1', 'nova-network', 'network')
    res = call(osapi, '/os-hosts')
    assert res.status_int == 200, res.body
    assert res.json == {'hosts': [{'host_name': 'c1', 'service': 'compute'},
                                  {'host_name': 'n1', 'service': 'network'}]}


def test_admin_api_off_means_no_hosts(osapi, set_flags):
    set_flags(allow_admin_api=False)
    res = call(osapi, '/os-hosts')
    assert res.status_int == 404
    assert fault_name(res) == 'itemNotFound'


def test_only_administrators(sqlite_db, set_flags):
    set_flags(allow_admin_api=True)
    req = webob.Request.blank('/')
    req.environ['nova.context'] = context.RequestContext('joe', 'p',
                                                         is_admin=False)
    with pytest.raises(webob.exc.HTTPForbidden):
        hosts.HostController().index(req)


def test_disable_then_enable(osapi, rpc_calls):
    service = _service('c1', 'nova-compute', 'compute')
    admin = context.get_admin_context()
    res = call(osapi, '/os-hosts/c1', 'PUT', {'status': 'disable'})
    assert res.status_int == 200, res.body
    assert res.json == {'host': 'c1', 'status': 'disabled'}
    assert db.service_get(admin, service['id'])['disabled'] is True
    assert rpc_calls['casts'] == [('compute.c1', {
        'method': 'set_host_enabled',
        'args': {'host': 'c1', 'enabled': False}})]
    # the schedulers see only enabled hosts
    assert db.service_get_all(admin, disabled=False) == []
    res = call(osapi, '/os-hosts/c1', 'PUT', {'status': 'Enabled '})
    assert res.json == {'host': 'c1', 'status': 'enabled'}
    assert db.service_get(admin, service['id'])['disabled'] is False


def test_bad_updates(osapi, rpc_calls):
    _service('c1', 'nova-compute', 'compute')
    _service('n1', 'nova-network', 'network')
    for body in ({'status': 'sleepy'}, {'colour': 'enable'}, {},
                 {'status': 3}):
        res = call(osapi, '/os-hosts/c1', 'PUT', body)
        assert res.status_int == 400, body
        assert fault_name(res) == 'badRequest'
    res = call(osapi, '/os-hosts/nowhere', 'PUT', {'status': 'enable'})
    assert res.status_int == 404
    res = call(osapi, '/os-hosts/n1', 'PUT', {'status': 'enable'})
    assert res.status_int == 404
    assert rpc_calls['casts'] == []


def test_power_actions(osapi, rpc_calls, monkeypatch):
    _service('c1', 'nova-compute', 'compute')
    monkeypatch.setattr(api_hosts.servicegroup, 'service_is_up',
                        lambda service: True)
    rpc_calls['answers']['host_power_action'] = 'reboot'
    res = call(osapi, '/os-hosts/c1/reboot')
    assert res.status_int == 200, res.body
    assert res.json == {'host': 'c1', 'power_action': 'reboot'}
    assert rpc_calls['calls'] == [('compute.c1', {
        'method': 'host_power_action',
        'args': {'host': 'c1', 'action': 'reboot'}})]
    # a driver that cannot: 501, never a false 200
    rpc_calls['answers']['host_power_action'] = \
        rpc_common.RemoteError('HostPowerActionNotSupported',
                              'The hypervisor of host c1 cannot shutdown '
                              'the host.', 'Traceback: secret')
    res = call(osapi, '/os-hosts/c1/shutdown')
    assert res.status_int == 501
    assert fault_name(res) == 'notImplemented'
    assert 'Traceback' not in res.text
    rpc_calls['answers']['host_power_action'] = exception.RpcTimeout(
        method='host_power_action', topic='compute.c1')
    res = call(osapi, '/os-hosts/c1/startup')
    assert res.status_int == 503
    assert call(osapi, '/os-hosts/c1/reboot', 'POST').status_int == 405
    assert call(osapi, '/os-hosts/zz/reboot').status_int == 404


def test_power_action_of_a_host_that_is_down(osapi, rpc_calls):
    service = _service('c1', 'nova-compute', 'compute')
    long_ago = datetime.datetime(2011, 9, 22)
    db.service_update(context.get_admin_context(), service['id'],
                      {'created_at': long_ago, 'updated_at': long_ago})
    res = call(osapi, '/os-hosts/c1/reboot')
    assert res.status_int == 503
    assert rpc_calls['calls'] == []


class _Manager(manager_hosts.HostAdminMixin):
    host = 'c1'

    def __init__(self, driver):
        self.driver = driver
        self.renewed = []
        self.forgotten = []

    def _forget_network_info(self, instance_id):
        self.forgotten.append(instance_id)

    def inject_network_info(self, ctxt, instance_id):
        self.renewed.append(('inject', instance_id))

    def reset_network(self, ctxt, instance_id):
        raise NotImplementedError()


class _NoHostDriver(object):
    def set_host_enabled(self, host, enabled):
        raise NotImplementedError()

    def host_power_action(self, host, action):
        raise NotImplementedError()


def test_manager_host_methods():
    ctxt = context.get_admin_context()
    driver = fake.FakeConnection()
    manager = _Manager(driver)
    assert manager.set_host_enabled(ctxt, 'c1', False) == 'disabled'
    assert driver.host_enabled is False
    assert manager.host_power_action(ctxt, 'c1', 'reboot') == 'reboot'
    plain = _Manager(_NoHostDriver())
    assert plain.set_host_enabled(ctxt, 'c1', True) == 'enabled'
    with pytest.raises(exception.HostPowerActionNotSupported) as info:
        plain.host_power_action(ctxt, 'c1', 'shutdown')
    assert info.value.code == 501


def test_libvirt_has_no_host_power_actions():
    from nova.virt import driver
    from nova.virt.libvirt import connection
    assert connection.LibvirtConnection.host_power_action is \
        driver.ComputeDriver.host_power_action


# -- NMN (multinic) -------------------------------------------------------------
@pytest.fixture
def casts(monkeypatch):
    from nova.compute import api as compute_api
    record = []
    monkeypatch.setattr(compute_api.outbox, 'cast', lambda ctxt, topic, msg:
                        record.append((topic, msg)))
    return record


def _placed_server(project='proj', host='c1', cidr='10.9.0.0/28'):
    admin = context.get_admin_context()
    instance = db.instance_create(admin, {
        'project_id': project, 'user_id': 'alice', 'vm_state': 'active',
        'host': host, 'display_name': 'vm'})
    net = db.network_create_safe(admin, {'label': 'net2', 'cidr': cidr})
    db.fixed_ip_create(admin, {'address': cidr.replace('0/28', '5'),
                               'network_id': net['id'],
                               'instance_id': instance['id']})
    return instance, net


def _action(osapi, server_id, body, project='proj'):
    return call(osapi, '/servers/%s/action' % server_id, 'POST', body,
                project=project)


def test_add_fixed_ip(osapi, casts):
    instance, net = _placed_server()
    res = _action(osapi, instance['id'],
                  {'addFixedIp': {'networkId': net['id']}})
    assert res.status_int == 202, res.body
    assert casts == [('compute.c1', {
        'method': 'add_fixed_ip_to_instance',
        'args': {'network_id': net['id'], 'instance_id': instance['id']}})]


def test_remove_fixed_ip(osapi, casts):
    instance, _net = _placed_server()
    res = _action(osapi, instance['id'],
                  {'removeFixedIp': {'address': '10.9.0.5'}})
    assert res.status_int == 202, res.body
    assert casts == [('compute.c1', {
        'method': 'remove_fixed_ip_from_instance',
        'args': {'address': '10.9.0.5', 'instance_id': instance['id']}})]


def test_multinic_refusals(osapi, casts):
    instance, net = _placed_server()
    for body, status in (
            ({'addFixedIp': {}}, 422),
            ({'addFixedIp': None}, 422),
            ({'removeFixedIp': {'network': 1}}, 422),
            ({'addFixedIp': {'networkId': 'x'}}, 400),
            ({'removeFixedIp': {'address': 'not-an-ip'}}, 400),
            ({'addFixedIp': {'networkId': 999}}, 404),
            ({'removeFixedIp': {'address': '10.9.0.6'}}, 404)):
        res = _action(osapi, instance['id'], body)
        assert res.status_int == status, (body, res.body)
        assert 'Traceback' not in res.text
    # another project's server is not found
    res = _action(osapi, instance['id'],
                  {'addFixedIp': {'networkId': net['id']}}, project='other')
    assert res.status_int == 404
    # a VLAN network of another project is not the caller's
    admin = context.get_admin_context()
    theirs = db.network_create_safe(admin, {
        'label': 'theirs', 'cidr': '10.8.0.0/28', 'project_id': 'other'})
    res = _action(osapi, instance['id'],
                  {'addFixedIp': {'networkId': theirs['id']}})
    assert res.status_int == 404
    # a server without a host yet is a conflict
    unplaced, _n = _placed_server(host=None, cidr='10.7.0.0/28')
    res = _action(osapi, unplaced['id'],
                  {'addFixedIp': {'networkId': net['id']}})
    assert res.status_int == 409
    assert casts == []


def test_manager_multinic_renews_the_guest_network():
    calls = []

    class NetworkAPI(object):
        def add_fixed_ip_to_instance(self, ctxt, instance, network_id):
            calls.append(('add', instance['id'], network_id))

        def remove_fixed_ip_from_instance(self, ctxt, instance, address):
            calls.append(('remove', instance['id'], address))

    manager = _Manager(fake.FakeConnection())
    manager.network_api = NetworkAPI()
    ctxt = context.get_admin_context()
    with unittest.mock.patch.object(manager_hosts.db, 'instance_get',
                                    lambda c, i: {'id': i}):
        manager.add_fixed_ip_to_instance(ctxt, 7, network_id=2)
        manager.remove_fixed_ip_from_instance(ctxt, 7, address='10.0.0.9')
    assert calls == [('add', 7, 2), ('remove', 7, '10.0.0.9')]
    # reset_network not implemented by this driver: skipped, not failed
    assert manager.renewed == [('inject', 7), ('inject', 7)]
    # the network info known for the instance is stale: forgotten
    assert manager.forgotten == [7, 7]
