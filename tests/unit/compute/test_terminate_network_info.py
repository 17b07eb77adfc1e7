"""A guest is torn down with the network info its host last got for it;
nova-network is asked only when the host knows none."""

from nova import db


def _launch(user, compute_api, compute):
    [inst] = compute_api.create(user, 'm1.tiny', 1)
    compute.run_instance(user, inst['id'])
    return db.instance_get(user, inst['id'])


def _destroyed_with(compute, monkeypatch):
    seen = []
    destroy = compute.driver.destroy

    def spy(instance, network_info, *args, **kwargs):
        seen.append(network_info)
        return destroy(instance, network_info, *args, **kwargs)
    monkeypatch.setattr(compute.driver, 'destroy', spy)
    return seen


def test_terminate_uses_the_network_info_got_at_build(
        user, compute_api, compute, casts, network, monkeypatch):
    inst = _launch(user, compute_api, compute)
    address = network.allocated[inst['id']]
    seen = _destroyed_with(compute, monkeypatch)
    compute.terminate_instance(user, inst['id'])
    assert ('nw_info', inst['id']) not in network.calls
    [[(net, mapping)]] = seen
    assert net['bridge'] == 'br100'
    assert [ip['ip'] for ip in mapping['ips']] == [address]
    assert ('deallocate', inst['id']) in network.calls
    assert compute.network_info_cache.get(inst['id']) is None


def test_without_known_network_info_nova_network_is_asked(
        user, compute_api, compute, casts, network, monkeypatch):
    inst = _launch(user, compute_api, compute)
    compute.network_info_cache.forget(inst['id'])
    seen = _destroyed_with(compute, monkeypatch)
    compute.terminate_instance(user, inst['id'])
    assert ('nw_info', inst['id']) in network.calls
    assert seen == [[]]         # what the fake nova-network answers


def test_a_multinic_change_forgets_the_known_network_info(
        user, compute_api, compute, casts, network, monkeypatch):
    inst = _launch(user, compute_api, compute)
    assert compute.network_info_cache.get(inst['id'])
    added = []
    monkeypatch.setattr(network, 'add_fixed_ip_to_instance',
                        lambda ctxt, instance, network_id:
                        added.append(network_id), raising=False)
    compute.add_fixed_ip_to_instance(user, inst['id'], 7)
    assert added == [7]
    assert compute.network_info_cache.get(inst['id']) is None
    compute.terminate_instance(user, inst['id'])
    assert ('nw_info', inst['id']) in network.calls
