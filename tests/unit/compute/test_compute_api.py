"""nova.compute.api: validation, rows, quotas, state checks, casts."""

import base64

import pytest

from nova import context
from nova import db
from nova import exception
from nova import quota
from nova.compute import api as compute_api_module
from nova.compute import instance_types
from nova.utils import concurrency


def _live(ctxt):
    return db.instance_get_all_by_filters(ctxt.elevated(), {})


def test_create_writes_rows_and_casts(user, compute_api, casts):
    db.key_pair_create(user, {'user_id': 'alice', 'name': 'k1',
                              'public_key': 'ssh-rsa KEY'})
    data = base64.b64encode(b'#!/bin/sh\necho hi\n').decode()
    created = compute_api.create(
        user, 'm1.tiny', 1, min_count=2, max_count=2, key_name='k1',
        display_name='My Web_Server', user_data=data, metadata={'a': 'b'})
    assert len(created) == 2
    first, second = created
    assert first['reservation_id'] == second['reservation_id']
    assert first['reservation_id'].startswith('r-')
    assert len(first['reservation_id']) == 10
    assert [i['launch_index'] for i in created] == [0, 1]
    assert first['vm_state'] == 'building'
    assert first['task_state'] == 'scheduling'
    assert first['kernel_id'] == '2' and first['ramdisk_id'] == '3'
    assert first['key_data'] == 'ssh-rsa KEY'
    assert first['memory_mb'] == 512 and first['vcpus'] == 1
    assert first['instance_type']['name'] == 'm1.tiny'
    assert first['hostname'] == 'my-web-server'
    assert first['user_data'] == data
    assert first['host'] is None and first['launched_on'] is None
    assert [g['name'] for g in first['security_groups']] == ['default']
    assert db.instance_metadata_get(user, first['id']) == {'a': 'b'}
    assert casts.methods() == ['run_instance', 'run_instance']
    topic, _method, args = casts.sent[0]
    assert topic == 'scheduler'
    assert args['instance_id'] == first['id']
    assert args['topic'] == 'compute'
    assert args['request_spec']['instance_type']['name'] == 'm1.tiny'


def test_create_defaults(user, compute_api, casts, set_flags):
    set_flags(default_instance_type='m1.tiny')
    [inst] = compute_api.create(user, None, 4, kernel_id='2')
    assert inst['instance_type']['name'] == 'm1.tiny'
    assert inst['kernel_id'] == '2' and inst['ramdisk_id'] is None
    assert inst['hostname'] == 'server-%d' % inst['id']
    flavor = instance_types.get_instance_type_by_name('m1.small')
    [inst] = compute_api.create(user, flavor, 4)
    assert inst['vcpus'] == 1 and inst['memory_mb'] == 2048


@pytest.mark.parametrize('kwargs,error', [
    ({'instance_type': 'm1.huge'}, exception.InstanceTypeNotFoundByName),
    ({'image_href': 99}, exception.NotFound),
    ({'kernel_id': '98'}, exception.NotFound),
    ({'min_count': 3, 'max_count': 2}, exception.InvalidParameterValue),
    ({'max_count': 0}, exception.InvalidParameterValue),
    ({'min_count': 'x'}, exception.InvalidParameterValue),
    ({'key_name': 'nope'}, exception.KeypairNotFound),
    ({'user_data': '!!not base64!!'}, exception.InvalidParameterValue),
    ({'security_group': ['default', 'nope']},
     exception.SecurityGroupNotFoundForProject),
    ({'metadata': dict(('k%d' % i, 'v') for i in range(200))},
     quota.QuotaError),
])
def test_bad_requests_leave_nothing(user, compute_api, casts, kwargs, error):
    args = {'instance_type': 'm1.tiny', 'image_href': 1}
    args.update(kwargs)
    with pytest.raises(error):
        compute_api.create(user, **args)
    assert _live(user) == []
    assert casts.sent == []
    assert db.instance_data_get_for_project(user, 'proj1') == (0, 0, 0)


def test_quota_partial_and_refused(user, compute_api, casts, set_flags):
    set_flags(quota_instances=3)
    created = compute_api.create(user, 'm1.tiny', 1, min_count=1,
                                 max_count=5)
    assert len(created) == 3
    with pytest.raises(compute_api_module.InstanceQuotaError) as info:
        compute_api.create(user, 'm1.tiny', 1)
    assert info.value.ec2_code == 'InstanceLimitExceeded'
    assert isinstance(info.value, exception.QuotaError)
    assert 'cannot run any more' in str(info.value)
    assert len(_live(user)) == 3
    compute_api.delete(user, created[0]['id'])
    with pytest.raises(quota.QuotaError) as info:
        compute_api.create(user, 'm1.tiny', 1, min_count=2, max_count=2)
    assert 'only run 1 more' in str(info.value)
    assert len(_live(user)) == 2


def test_quota_by_cores(user, compute_api, casts, set_flags):
    set_flags(quota_cores=4)
    assert len(compute_api.create(user, 'm1.medium', 1, min_count=1,
                                  max_count=10)) == 2


def test_get_and_get_all_are_project_scoped(user, compute_api, casts):
    [mine] = compute_api.create(user, 'm1.tiny', 1)
    other = context.RequestContext('bob', 'proj2')
    [theirs] = compute_api.create(other, 'm1.tiny', 1)
    assert compute_api.get(user, mine['id'])['id'] == mine['id']
    with pytest.raises(exception.InstanceNotFound):
        compute_api.get(user, theirs['id'])
    assert [i['id'] for i in compute_api.get_all(user)] == [mine['id']]
    assert [i['id'] for i in compute_api.get_all(
        user, {'project_id': 'proj2'})] == [mine['id']]
    admin = context.get_admin_context()
    assert len(compute_api.get_all(admin)) == 2
    assert [i['id'] for i in compute_api.get_all(
        admin, {'project_id': 'proj2'})] == [theirs['id']]
    with pytest.raises(exception.InvalidParameterValue):
        compute_api.get_all(user, {'bogus-filter': 1})
    with pytest.raises(exception.InstanceNotFound):
        compute_api.delete(user, theirs['id'])


def test_delete_unscheduled_instance_removes_row(user, compute_api, casts,
                                                 network):
    [inst] = compute_api.create(user, 'm1.tiny', 1)
    compute_api.delete(user, inst['id'])
    assert _live(user) == []
    gone = db.instance_get(context.get_admin_context(read_deleted='yes'),
                           inst['id'])
    assert gone['vm_state'] == 'deleted' and gone['terminated_at']
    assert casts.methods() == ['run_instance']
    assert network.calls == []   # no fixed IP to give back


def test_actions_check_state_and_cast(user, admin, compute_api, casts):
    [inst] = compute_api.create(user, 'm1.tiny', 1)
    with pytest.raises(exception.InstanceInvalidState):
        compute_api.reboot(user, inst['id'])          # still building
    db.instance_update(admin, inst['id'], {'vm_state': 'active',
                                           'task_state': None,
                                           'host': 'host1'})
    compute_api.reboot(user, inst['id'])
    assert casts.sent[-1][:2] == ('compute.host1', 'reboot_instance')
    assert compute_api.get(user, inst['id'])['task_state'] == 'rebooting'
    compute_api.reboot(user, inst['id'])              # again: harmless
    with pytest.raises(exception.InstanceInvalidState):
        compute_api.stop(user, inst['id'])            # busy rebooting
    with pytest.raises(exception.InstanceInvalidState):
        compute_api.start(user, inst['id'])           # active, not stopped
    db.instance_update(admin, inst['id'], {'task_state': None})
    compute_api.stop(user, inst['id'])
    assert casts.sent[-1][1] == 'stop_instance'
    db.instance_update(admin, inst['id'], {'vm_state': 'stopped',
                                           'task_state': None})
    compute_api.start(user, inst['id'])
    db.instance_update(admin, inst['id'], {'task_state': None})
    compute_api.rescue(user, inst['id'])
    with pytest.raises(exception.InstanceInvalidState):
        compute_api.unrescue(user, inst['id'])
    casts.replies['get_console_output'] = 'boot log'
    assert compute_api.get_console_output(user, inst['id']) == 'boot log'
    updated = compute_api.update(user, inst['id'], display_name='renamed')
    assert updated['display_name'] == 'renamed'
    with pytest.raises(exception.InvalidParameterValue):
        compute_api.update(user, inst['id'], host='elsewhere')


def test_delete_on_live_host_casts(user, admin, compute_api, casts):
    [inst] = compute_api.create(user, 'm1.tiny', 1)
    db.service_create(admin, {'host': 'host1', 'binary': 'nova-compute',
                              'topic': 'compute'})
    db.instance_update(admin, inst['id'], {'vm_state': 'active',
                                           'task_state': None,
                                           'host': 'host1'})
    compute_api.delete(user, inst['id'])
    assert casts.sent[-1][:2] == ('compute.host1', 'terminate_instance')
    assert compute_api.get(user, inst['id'])['task_state'] == 'deleting'
    db.instance_update(admin, inst['id'], {'vm_state': 'deleted'})
    with pytest.raises(exception.InstanceInvalidState):
        compute_api.reboot(user, inst['id'])


def test_delete_on_dead_host_is_local(user, admin, compute_api, casts,
                                      network):
    [inst] = compute_api.create(user, 'm1.tiny', 1)
    db.instance_update(admin, inst['id'], {'vm_state': 'error',
                                           'task_state': None,
                                           'host': 'gone-host'})
    compute_api.delete(user, inst['id'])
    assert _live(user) == []
    assert casts.methods() == ['run_instance']


def test_broker_away_keeps_the_launch_in_the_outbox(user, compute_api,
                                                    monkeypatch, set_flags):
    """The launch is answered at once; the request to build waits in the
    outbox (committed with the instance) until the broker takes it."""
    from nova import rpc
    from nova.rpc import outbox
    set_flags(outbox_poll_interval=1)
    sent = []

    def broken(*_args, **_kwargs):
        raise IOError('broker away')

    monkeypatch.setattr(rpc, 'cast', broken)
    [inst] = compute_api.create(user, 'm1.tiny', 1)
    got = compute_api.get(user, inst['id'])
    assert got['vm_state'] == 'building'
    assert compute_api.get_fault(user, inst['id']) is None
    assert db.outbox_count(user) == 1
    assert not outbox.relay().healthy
    monkeypatch.setattr(rpc, 'cast', lambda ctxt, topic, msg: sent.append(
        (topic, msg['method'], msg['args']['instance_id'], ctxt.user_id)))
    for _ in range(100):
        if sent:
            break
        concurrency.sleep(0.05)
    assert sent == [('scheduler', 'run_instance', inst['id'], 'alice')]
    assert db.outbox_count(user) == 0


def test_instance_types_helpers(db_ready, set_flags):
    set_flags(default_instance_type='m1.large')
    assert instance_types.get_default_instance_type()['vcpus'] == 4
    assert instance_types.get_instance_type_by_flavor_id(1)['name'] == \
        'm1.tiny'
    flavor = instance_types.get_instance_type_by_name('m1.tiny')
    assert instance_types.get_instance_type(flavor['id'])['name'] == 'm1.tiny'
    made = instance_types.create('m1.test', 256, 1, 0, 42)
    assert made['flavorid'] == 42
    with pytest.raises(exception.InvalidInput):
        instance_types.create('bad', 'lots', 1, 0, 43)
    with pytest.raises(exception.InvalidInput):
        instance_types.create('bad', 256, 0, 0, 43)
    instance_types.destroy('m1.test')
    assert 'm1.test' not in instance_types.get_all_types()
    assert 'm1.test' in instance_types.get_all_types(inactive=True)


def test_delete_on_host_with_late_heartbeat_waits_in_its_queue(
        user, admin, compute_api, casts):
    """A host that is only down may still run the guest: the instance is
    not deleted behind its back (its quota stays counted); the terminate
    message waits in the host's queue."""
    import datetime
    [inst] = compute_api.create(user, 'm1.tiny', 1)
    svc = db.service_create(admin, {'host': 'host1',
                                    'binary': 'nova-compute',
                                    'topic': 'compute'})
    long_ago = datetime.datetime(2011, 9, 22)
    db.service_update(admin, svc['id'], {'updated_at': long_ago,
                                         'created_at': long_ago})
    db.instance_update(admin, inst['id'], {'vm_state': 'active',
                                           'task_state': None,
                                           'host': 'host1'})
    compute_api.delete(user, inst['id'])
    assert casts.sent[-1][:2] == ('compute.host1', 'terminate_instance')
    assert compute_api.get(user, inst['id'])['task_state'] == 'deleting'
    assert db.instance_data_get_for_project(admin, 'proj1')[0] == 1
