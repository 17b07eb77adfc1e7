"""The facade: services, compute nodes, flavors, quotas, certificates."""

import pytest

from nova import context
from nova import db
from nova import exception


@pytest.fixture
def ctxt(sqlite_db):
    return context.get_admin_context()


def _service(ctxt, host='host1', binary='nova-compute', topic='compute'):
    return db.service_create(ctxt, {'host': host, 'binary': binary,
                                    'topic': topic})


# -- facade --------------------------------------------------------------------
def test_facade_names():
    assert db.service_get is db.api.service_get
    assert callable(db.user_get)            # from an entity module
    assert not hasattr(db, 'no_such_function')
    assert not hasattr(db.api, 'no_such_function')
    from nova.db import migration           # submodules still import
    assert migration.db_sync


def test_non_admin_is_refused(sqlite_db):
    user = context.RequestContext('u', 'p')
    with pytest.raises(exception.AdminRequired):
        db.service_get_all(user)
    with pytest.raises(exception.NotAuthorized):
        db.quota_get_all_by_project(user, 'other')
    assert db.quota_get_all_by_project(user, 'p') == {'project_id': 'p'}


# -- services --------------------------------------------------------------------
def test_service_crud_and_soft_delete(ctxt):
    svc = _service(ctxt)
    assert svc['id'] and svc.report_count == 0 and svc.disabled is False
    assert svc['availability_zone'] == 'nova' and svc.compute_node == []
    assert db.service_get(ctxt, svc.id).host == 'host1'
    assert db.service_get_by_args(ctxt, 'host1', 'nova-compute').id == svc.id
    assert db.service_get_by_host_and_topic(ctxt, 'host1', 'compute').id == \
        svc.id
    assert db.service_get_by_host_and_topic(ctxt, 'host1', 'volume') is None
    db.service_update(ctxt, svc.id, {'disabled': True})
    assert db.service_get_all_by_topic(ctxt, 'compute') == []
    assert [s.id for s in db.service_get_all(ctxt, disabled=True)] == [svc.id]
    assert db.service_get_all(ctxt, disabled=False) == []
    db.service_destroy(ctxt, svc.id)
    with pytest.raises(exception.ServiceNotFound):
        db.service_get(ctxt, svc.id)
    with pytest.raises(exception.HostBinaryNotFound):
        db.service_get_by_args(ctxt, 'host1', 'nova-compute')
    deleted = db.service_get(context.get_admin_context(read_deleted=True),
                             svc.id)
    assert deleted.deleted is True and deleted.deleted_at is not None
    only = context.get_admin_context(read_deleted='only')
    assert [s.id for s in db.service_get_all(only)] == [svc.id]


def test_service_queries(ctxt):
    a = _service(ctxt, 'h1')
    _service(ctxt, 'h1', 'nova-network', 'network')
    _service(ctxt, 'h2')
    assert len(db.service_get_all(ctxt)) == 3
    assert [s.host for s in db.service_get_all_by_topic(ctxt, 'compute')] \
        == ['h1', 'h2']
    assert {s.topic for s in db.service_get_all_by_host(ctxt, 'h1')} == \
        {'compute', 'network'}
    assert [s.id for s in db.service_get_all_compute_by_host(ctxt, 'h1')] \
        == [a.id]
    with pytest.raises(exception.ComputeHostNotFound):
        db.service_get_all_compute_by_host(ctxt, 'h9')


def test_new_services_disabled_by_flag(ctxt, set_flags):
    set_flags(enable_new_services=False)
    assert _service(ctxt).disabled is True


def test_heartbeat(ctxt):
    svc = _service(ctxt)
    for _ in range(3):
        db.service_heartbeat(ctxt, svc.id)
    fresh = db.service_get(ctxt, svc.id)
    assert fresh.report_count == 3 and fresh.updated_at is not None
    db.service_destroy(ctxt, svc.id)
    with pytest.raises(exception.ServiceNotFound):
        db.service_heartbeat(ctxt, svc.id)


# -- compute nodes ----------------------------------------------------------------
def test_compute_nodes(ctxt):
    svc = _service(ctxt)
    node = db.compute_node_create(ctxt, {
        'service_id': svc.id, 'vcpus': 4, 'memory_mb': 2048, 'local_gb': 20,
        'vcpus_used': 0, 'memory_mb_used': 0, 'local_gb_used': 0,
        'hypervisor_type': 'QEMU', 'hypervisor_version': 12000,
        'cpu_info': '{}'})
    assert node.service.host == 'host1'
    db.compute_node_update(ctxt, node.id, {'vcpus_used': 2})
    assert db.compute_node_get(ctxt, node.id).vcpus_used == 2
    assert db.compute_node_get_by_service(ctxt, svc.id).id == node.id
    nodes = db.compute_node_get_all(ctxt)
    assert [n.service['topic'] for n in nodes] == ['compute']
    assert [n.id for n in db.service_get(ctxt, svc.id).compute_node] == \
        [node.id]
    db.service_destroy(ctxt, svc.id)
    with pytest.raises(exception.ComputeNodeNotFound):
        db.compute_node_get(ctxt, node.id)
    with pytest.raises(exception.ComputeHostNotFound):
        db.compute_node_get_by_service(ctxt, svc.id)


# -- instance types ------------------------------------------------------------------
def _flavor(name='m1.test', flavorid=42, **extra):
    values = {'name': name, 'memory_mb': 256, 'vcpus': 1, 'local_gb': 1,
              'flavorid': flavorid}
    values.update(extra)
    return values


def test_instance_types(ctxt):
    assert sorted(db.instance_type_get_all(ctxt)) == [
        'm1.large', 'm1.medium', 'm1.small', 'm1.tiny', 'm1.xlarge']
    created = db.instance_type_create(ctxt, _flavor(extra_specs={'a': 'b'}))
    assert created['swap'] == 0 and created['extra_specs'] == {'a': 'b'}
    assert db.instance_type_get(ctxt, created['id'])['name'] == 'm1.test'
    assert db.instance_type_get_by_name(ctxt, 'm1.tiny')['memory_mb'] == 512
    assert db.instance_type_get_by_flavor_id(ctxt, '3')['name'] == \
        'm1.medium'
    with pytest.raises(exception.InstanceTypeExists):
        db.instance_type_create(ctxt, _flavor(flavorid=43))
    with pytest.raises(exception.InstanceTypeIdExists):
        db.instance_type_create(ctxt, _flavor(name='other'))
    with pytest.raises(exception.FlavorNotFound):
        db.instance_type_get_by_flavor_id(ctxt, 'abc')
    with pytest.raises(exception.InstanceTypeNotFoundByName):
        db.instance_type_get_by_name(ctxt, 'nope')
    with pytest.raises(exception.InstanceTypeNotFound):
        db.instance_type_get(ctxt, 999)
    assert db.instance_type_get_rxtx_cap(ctxt, created['id']) == \
        created['rxtx_cap']
    capped = db.instance_type_create(ctxt, _flavor(
        name='m1.capped', flavorid=77, rxtx_cap=30))
    assert db.instance_type_get_rxtx_cap(ctxt, capped['id']) == 30
    with pytest.raises(exception.InstanceTypeNotFound):
        db.instance_type_get_rxtx_cap(ctxt, 999)


def test_instance_type_destroy_and_purge(ctxt):
    db.instance_type_destroy(ctxt, 'm1.tiny')
    assert 'm1.tiny' not in db.instance_type_get_all(ctxt)
    everything = db.instance_type_get_all(ctxt, inactive=True)
    assert everything['m1.tiny']['deleted'] is True
    # Deleted flavors stay readable for the instances built from them.
    assert db.instance_type_get_by_name(ctxt, 'm1.tiny')['deleted']
    with pytest.raises(exception.InstanceTypeNotFoundByName):
        db.instance_type_destroy(ctxt, 'm1.tiny')
    with pytest.raises(exception.InstanceTypeExists) as info:
        db.instance_type_create(ctxt, _flavor(name='m1.tiny'))
    assert 'purge' in str(info.value)
    db.instance_type_purge(ctxt, 'm1.tiny')
    assert 'm1.tiny' not in db.instance_type_get_all(ctxt, inactive=True)
    db.instance_type_create(ctxt, _flavor(name='m1.tiny', flavorid=1))
    with pytest.raises(exception.InstanceTypeNotFoundByName):
        db.instance_type_purge(ctxt, 'nope')


def test_instance_type_extra_specs(ctxt):
    flavor = db.instance_type_get_by_name(ctxt, 'm1.small')
    db.instance_type_extra_specs_update_or_create(ctxt, flavor['id'],
                                                  {'k1': 'v1', 'k2': 'v2'})
    db.instance_type_extra_specs_delete(ctxt, flavor['id'], 'k1')
    assert db.instance_type_extra_specs_get(ctxt, flavor['id']) == \
        {'k2': 'v2'}
    db.instance_type_extra_specs_update_or_create(ctxt, flavor['id'],
                                                  {'k1': 'again'})
    assert db.instance_type_get(ctxt, flavor['id'])['extra_specs'] == \
        {'k1': 'again', 'k2': 'v2'}


# -- quotas ------------------------------------------------------------------------
def test_quotas(ctxt):
    db.quota_create(ctxt, 'proj', 'instances', 10)
    db.quota_create(ctxt, 'proj', 'cores', None)
    assert db.quota_get(ctxt, 'proj', 'instances').hard_limit == 10
    assert db.quota_get_all_by_project(ctxt, 'proj') == {
        'project_id': 'proj', 'instances': 10, 'cores': None}
    db.quota_update(ctxt, 'proj', 'instances', 20)
    assert db.quota_get(ctxt, 'proj', 'instances')['hard_limit'] == 20
    db.quota_destroy(ctxt, 'proj', 'instances')
    with pytest.raises(exception.ProjectQuotaNotFound):
        db.quota_get(ctxt, 'proj', 'instances')
    with pytest.raises(exception.ProjectQuotaNotFound):
        db.quota_update(ctxt, 'proj', 'instances', 1)
    db.quota_destroy_all_by_project(ctxt, 'proj')
    assert db.quota_get_all_by_project(ctxt, 'proj') == {'project_id': 'proj'}


# -- certificates ----------------------------------------------------------------------
def test_certificates(ctxt):
    a = db.certificate_create(ctxt, {'user_id': 'u1', 'project_id': 'p1',
                                     'file_name': 'a.pem'})
    db.certificate_create(ctxt, {'user_id': 'u1', 'project_id': 'p2',
                                 'file_name': 'b.pem'})
    db.certificate_create(ctxt, {'user_id': 'u2', 'project_id': 'p1',
                                 'file_name': 'c.pem'})
    names = lambda certs: sorted(c['file_name'] for c in certs)  # noqa: E731
    assert names(db.certificate_get_all_by_user(ctxt, 'u1')) == \
        ['a.pem', 'b.pem']
    assert names(db.certificate_get_all_by_project(ctxt, 'p1')) == \
        ['a.pem', 'c.pem']
    assert names(db.certificate_get_all_by_user_and_project(
        ctxt, 'u1', 'p1')) == ['a.pem']
    db.certificate_destroy(ctxt, a.id)
    assert names(db.certificate_get_all_by_user(ctxt, 'u1')) == ['b.pem']
    with pytest.raises(exception.CertificateNotFound):
        db.certificate_destroy(ctxt, a.id)
