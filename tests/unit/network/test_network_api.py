"""The network API: rpc.call to the network topic with Diablo's arguments."""

from nova import context
from nova import rpc
from nova.network import api


def test_api_calls_network_topic(monkeypatch, set_flags):
    set_flags(network_topic='network')
    calls = []

    def fake_call(ctxt, topic, msg, timeout=None):
        calls.append((topic, msg))
        return [['net', {'ips': []}]]

    monkeypatch.setattr(rpc, 'call', fake_call)
    ctxt = context.RequestContext('u', 'p')
    instance = {'id': 7, 'project_id': 'p', 'host': 'c1',
                'instance_type_id': 2}
    network = api.API()
    assert network.allocate_for_instance(ctxt, instance, vpn=False) == \
        [['net', {'ips': []}]]
    network.deallocate_for_instance(ctxt, instance)
    network.get_instance_nw_info(ctxt, instance)
    assert calls == [
        ('network', {'method': 'allocate_for_instance',
                     'args': {'instance_id': 7, 'project_id': 'p',
                              'host': 'c1', 'instance_type_id': 2,
                              'vpn': False}}),
        ('network', {'method': 'deallocate_for_instance',
                     'args': {'instance_id': 7, 'project_id': 'p'}}),
        ('network', {'method': 'get_instance_nw_info',
                     'args': {'instance_id': 7, 'instance_type_id': 2,
                              'host': 'c1'}})]


def test_api_over_memory_rpc_to_a_real_manager(sqlite_db, set_flags):
    """The whole path: API -> in-memory kombu -> FlatManager -> SQLite."""
    import pytest
    pytest.importorskip('kombu')
    from nova import service
    from nova.db.sqlalchemy import models
    from nova.db.sqlalchemy.session import session_scope
    from nova.network import manager
    set_flags(network_manager='nova.network.manager.FlatManager',
              flat_network_bridge='br100', host='nethost')
    ctxt = context.get_admin_context()
    manager.FlatManager().create_networks(ctxt, 'n', '10.0.0.0/28')
    with session_scope() as session:
        inst = models.Instance(project_id='p', user_id='u', host='c1')
        session.add(inst)
        session.flush()
        instance = {'id': inst.id, 'project_id': 'p', 'host': 'c1',
                    'instance_type_id': None}
    try:
        svc = service.Service.create(binary='nova-network', topic='network',
                                     host='nethost')
    except Exception as exc:  # noqa: BLE001 - the harness may differ
        pytest.skip('service harness unavailable: %s' % exc)
    svc.start()
    try:
        info = api.API().allocate_for_instance(ctxt, instance)
        assert info[0][1]['ips'][0]['ip'] == '10.0.0.2'
        api.API().deallocate_for_instance(ctxt, instance)
        assert api.API().get_instance_nw_info(ctxt, instance) == []
    finally:
        svc.kill()
