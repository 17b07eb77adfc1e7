"""nova.compute.api.API.delete_many: several terminations in one go."""

import pytest

from nova import context
from nova import db
from nova import exception


def _live(ctxt):
    return db.instance_get_all_by_filters(ctxt.elevated(), {})


def _on_host(admin, compute_api, user, count, host):
    instances = compute_api.create(user, 'm1.tiny', 1, min_count=count,
                                   max_count=count)
    for inst in instances:
        db.instance_update(admin, inst['id'], {'vm_state': 'active',
                                               'task_state': None,
                                               'host': host})
    return [compute_api.get(user, i['id']) for i in instances]


def test_delete_many_casts_to_live_hosts_and_deletes_the_rest_here(
        user, admin, compute_api, casts, network, monkeypatch):
    for host in ('host1', 'host2'):
        db.service_create(admin, {'host': host, 'binary': 'nova-compute',
                                  'topic': 'compute'})
    mine = _on_host(admin, compute_api, user, 3, 'host1')
    mine += _on_host(admin, compute_api, user, 2, 'host2')
    orphan = _on_host(admin, compute_api, user, 1, 'gone-host')
    [unscheduled] = compute_api.create(user, 'm1.tiny', 1)
    looked_up = []
    real = compute_api._host_is_registered
    monkeypatch.setattr(compute_api, '_host_is_registered',
                        lambda ctxt, host: looked_up.append(host) or
                        real(ctxt, host))
    del casts.sent[:]
    compute_api.delete_many(user, mine + orphan + [unscheduled])
    # Each host looked up once, not once per instance.
    assert sorted(looked_up) == ['gone-host', 'host1', 'host2']
    terminations = [(topic, args['instance_id'])
                    for topic, method, args in casts.sent
                    if method == 'terminate_instance']
    assert terminations == [('compute.%s' % i['host'], i['id'])
                            for i in mine]
    for inst in mine:
        assert compute_api.get(user, inst['id'])['task_state'] == 'deleting'
    # The orphan and the never-scheduled one are gone at once.
    assert sorted(i['id'] for i in _live(user)) == sorted(
        i['id'] for i in mine)
    gone = context.get_admin_context(read_deleted='yes')
    assert db.instance_get(gone, unscheduled['id'])['vm_state'] == 'deleted'
    assert db.instance_get(gone, orphan[0]['id'])['vm_state'] == 'deleted'


def test_delete_many_refuses_all_when_one_is_locked(user, admin,
                                                    compute_api, casts):
    db.service_create(admin, {'host': 'host1', 'binary': 'nova-compute',
                              'topic': 'compute'})
    instances = _on_host(admin, compute_api, user, 2, 'host1')
    db.instance_update(admin, instances[1]['id'], {'locked': True})
    instances = [compute_api.get(user, i['id']) for i in instances]
    del casts.sent[:]
    with pytest.raises(exception.InstanceIsLocked):
        compute_api.delete_many(user, instances)
    assert casts.sent == []
    assert [compute_api.get(user, i['id'])['task_state']
            for i in instances] == [None, None]


def test_delete_many_skips_the_already_deleted(user, admin, compute_api,
                                               casts):
    db.service_create(admin, {'host': 'host1', 'binary': 'nova-compute',
                              'topic': 'compute'})
    [inst] = _on_host(admin, compute_api, user, 1, 'host1')
    db.instance_update(admin, inst['id'], {'vm_state': 'deleted'})
    inst = compute_api.get(user, inst['id'])
    del casts.sent[:]
    compute_api.delete_many(user, [inst])
    assert casts.sent == []
