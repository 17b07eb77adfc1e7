"""Casts of work to nova-volume, nova-compute (volumes, security groups)
and from the scheduler go through the outbox: with the broker away the
request is answered, the message waits in the ``outbox`` table, and the
relay sends it once the broker is back.  Nothing is lost or rolled back."""

import os

import pytest

from nova import context
from nova import db
from nova import rpc
from nova import utils
from nova.compute import api as compute_api
from nova.compute import security_groups
from nova.compute import vm_states
from nova.manage import volume as manage_volume
from nova.rpc import outbox
from nova.scheduler import manager as scheduler_manager
from nova.utils import concurrency
from nova.volume import api as volume_api


class Broker(object):
    """Stands for rpc.cast: away (refuses every message) or back."""

    def __init__(self):
        self.away = True
        self.sent = []
        self.refused = 0

    def cast(self, ctxt, topic, msg):
        if self.away:
            self.refused += 1
            raise IOError('connection refused (broker away)')
        self.sent.append((topic, msg['method'], msg.get('args', {}),
                          ctxt.user_id))


@pytest.fixture
def broker(sqlite_db, monkeypatch, set_flags):
    set_flags(outbox_poll_interval=1, max_volume_size=10)
    the_broker = Broker()
    monkeypatch.setattr(rpc, 'cast', the_broker.cast)
    return the_broker


@pytest.fixture
def user(sqlite_db):
    return context.RequestContext('alice', 'proj1', roles=['sysadmin'])


@pytest.fixture
def admin(sqlite_db):
    return context.get_admin_context()


def _waiting(ctxt):
    return db.outbox_count(ctxt.elevated())


def _comes_back(broker, ctxt, count):
    """The broker returns: the relay sends all that waited, then empties
    the outbox."""
    broker.away = False
    outbox.start_relay()        # as every daemon and nova-api run it
    for _ in range(200):
        if len(broker.sent) >= count and _waiting(ctxt) == 0:
            break
        concurrency.sleep(0.05)
    assert _waiting(ctxt) == 0
    return broker.sent


def _volume(admin, **values):
    row = {'size': 1, 'status': 'available', 'attach_status': 'detached',
           'project_id': 'proj1', 'user_id': 'alice', 'host': 'vh1',
           'availability_zone': 'nova'}
    row.update(values)
    return db.volume_create(admin, row)


def _instance(admin, host='host1'):
    return db.instance_create(admin, {
        'vm_state': vm_states.ACTIVE, 'project_id': 'proj1',
        'user_id': 'alice', 'host': host, 'memory_mb': 64, 'vcpus': 1,
        'local_gb': 0, 'availability_zone': 'nova'})


# -- nova-volume -------------------------------------------------------------
def test_create_volume_waits_in_the_outbox(broker, user):
    volume = volume_api.API().create(user, size=2, name='data')
    assert broker.refused == 1 and broker.sent == []
    # Answered, not rolled back, not put in error: the work waits.
    assert db.volume_get(user, volume['id'])['status'] == 'creating'
    assert _waiting(user) == 1
    assert not outbox.relay().healthy
    assert _comes_back(broker, user, 1) == [
        ('scheduler', 'create_volume', {'topic': 'volume',
                                        'volume_id': volume['id'],
                                        'snapshot_id': None}, 'alice')]


def test_delete_volume_and_snapshots_wait_in_the_outbox(broker, user,
                                                        admin):
    volumes = volume_api.API()
    keep = _volume(admin)
    gone = _volume(admin)
    snapshot = volumes.create_snapshot(user, keep['id'], name='s')
    volumes.delete(user, gone['id'])
    assert db.snapshot_get(user, snapshot['id'])['status'] == 'creating'
    assert db.volume_get(user, gone['id'])['status'] == 'deleting'
    assert _waiting(user) == 2 and broker.sent == []
    sent = _comes_back(broker, user, 2)
    assert sent == [
        ('volume.vh1', 'create_snapshot', {'volume_id': keep['id'],
                                           'snapshot_id': snapshot['id']},
         'alice'),
        ('volume.vh1', 'delete_volume', {'volume_id': gone['id']},
         'alice')]
    db.snapshot_update(admin, snapshot['id'], {'status': 'available'})
    broker.away = True
    volumes.delete_snapshot(user, snapshot['id'])
    assert db.snapshot_get(user, snapshot['id'])['status'] == 'deleting'
    assert _waiting(user) == 1
    assert _comes_back(broker, user, 3)[2] == (
        'volume.vh1', 'delete_snapshot', {'snapshot_id': snapshot['id']},
        'alice')


def test_refused_delete_leaves_nothing_in_the_outbox(broker, user, admin):
    volume = _volume(admin, status='creating')
    with pytest.raises(Exception) as err:
        volume_api.API().delete(user, volume['id'])
    assert type(err.value).__name__ == 'InvalidVolumeState'
    assert _waiting(user) == 0
    assert db.volume_get(user, volume['id'])['status'] == 'creating'


# -- attach / detach (compute) --------------------------------------------------
def test_attach_and_detach_wait_in_the_outbox(broker, user, admin):
    api = compute_api.API(image_service=object(), network_api=object())
    instance = _instance(admin)
    volume = _volume(admin)
    api.attach_volume(user, instance['id'], volume['id'], 'vdb')
    got = db.volume_get(user, volume['id'])
    # Not put back to available: the attach waits for the broker.
    assert (got['status'], got['instance_id'], got['mountpoint']) == (
        'attaching', instance['id'], '/dev/vdb')
    assert _waiting(user) == 1
    assert _comes_back(broker, user, 1) == [
        ('compute.host1', 'attach_volume', {'instance_id': instance['id'],
                                            'volume_id': volume['id'],
                                            'mountpoint': '/dev/vdb'},
         'alice')]
    db.volume_update(admin, volume['id'], {'status': 'in-use',
                                           'attach_status': 'attached'})
    broker.away = True
    api.detach_volume(user, volume['id'])
    assert db.volume_get(user, volume['id'])['status'] == 'detaching'
    assert _waiting(user) == 1
    assert _comes_back(broker, user, 2)[1] == (
        'compute.host1', 'detach_volume', {'instance_id': instance['id'],
                                           'volume_id': volume['id'],
                                           'force': False}, 'alice')


# -- security group refreshes -------------------------------------------------------
def test_security_group_refreshes_wait_in_the_outbox(broker, admin):
    instance = _instance(admin, host='host-b')
    group = db.security_group_create(admin, {
        'name': 'db', 'description': 'db', 'user_id': 'alice',
        'project_id': 'proj1'})['id']
    web = db.security_group_create(admin, {
        'name': 'web', 'description': 'web', 'user_id': 'alice',
        'project_id': 'proj1'})['id']
    db.instance_add_security_group(admin, instance['id'], group)
    db.security_group_rule_create(admin, {
        'parent_group_id': group, 'protocol': 'tcp', 'from_port': 5432,
        'to_port': 5432, 'group_id': web})
    trigger = security_groups.TriggerMixin()
    trigger.trigger_security_group_rules_refresh(admin, group)
    trigger.trigger_security_group_members_refresh(admin, [web])
    assert _waiting(admin) == 2
    assert [s[:3] for s in _comes_back(broker, admin, 2)] == [
        ('compute.host-b', 'refresh_security_group_rules',
         {'security_group_id': group}),
        ('compute.host-b', 'refresh_security_group_members',
         {'security_group_id': web})]


# -- the scheduler's forward of create_volume -------------------------------------
def test_scheduler_forward_waits_instead_of_failing_the_volume(
        broker, admin, set_flags):
    set_flags(scheduler_driver='nova.scheduler.simple.SimpleScheduler')
    svc = db.service_create(admin, {'host': 'vh1', 'binary': 'nova-volume',
                                    'topic': 'volume', 'report_count': 1,
                                    'availability_zone': 'nova'})
    db.service_update(admin, svc['id'], {'updated_at': utils.utcnow()})
    volume = _volume(admin, status='creating', host=None)
    mgr = scheduler_manager.SchedulerManager(host='sched1')
    mgr.create_volume(admin, topic='volume', volume_id=volume['id'],
                      snapshot_id=None)
    got = db.volume_get(admin, volume['id'])
    assert (got['status'], got['host']) == ('creating', 'vh1')
    assert _waiting(admin) == 1
    assert [s[:3] for s in _comes_back(broker, admin, 1)] == [
        ('volume.vh1', 'create_volume', {'volume_id': volume['id'],
                                         'snapshot_id': None})]


# -- nova-manage volume ----------------------------------------------------------------
def test_manage_volume_delete_and_reattach_wait_in_the_outbox(broker,
                                                              admin):
    commands = manage_volume.VolumeCommands()
    volume = _volume(admin, status='error')
    commands.delete(str(volume['id']))
    assert db.volume_get(admin, volume['id'])['status'] == 'deleting'
    instance = _instance(admin, host='host7')
    attached = _volume(admin, status='in-use', attach_status='attached',
                       instance_id=instance['id'], mountpoint='/dev/vdc')
    commands.reattach(str(attached['id']))
    assert _waiting(admin) == 2
    assert [s[:3] for s in _comes_back(broker, admin, 2)] == [
        ('volume.vh1', 'delete_volume', {'volume_id': volume['id']}),
        ('compute.host7', 'attach_volume', {'instance_id': instance['id'],
                                            'volume_id': attached['id'],
                                            'mountpoint': '/dev/vdc'})]


def test_scheduler_api_run_instance_waits_in_the_outbox(broker, admin):
    from nova.scheduler import api as scheduler_api
    scheduler_api.run_instance(admin, 7, request_spec={'a': 1})
    assert _waiting(admin) == 1 and broker.sent == []
    assert [s[:3] for s in _comes_back(broker, admin, 1)] == [
        ('scheduler', 'run_instance', {'topic': 'compute', 'instance_id': 7,
                                       'request_spec': {'a': 1},
                                       'availability_zone': None})]


def test_a_process_without_relay_deletes_what_it_published(broker, admin):
    """nova-manage runs no relay thread: what it published is deleted at
    once, never left to be taken as stale and sent a second time."""
    broker.away = False
    volume = _volume(admin, status='error')
    manage_volume.VolumeCommands().delete(str(volume['id']))
    assert outbox.relay()._thread is None
    assert [s[:2] for s in broker.sent] == [('volume.vh1', 'delete_volume')]
    assert _waiting(admin) == 0


def test_dhcp_lease_news_wait_in_the_outbox(broker, admin, sqlite_db,
                                            tmp_path):
    """nova-dhcpbridge (run by dnsmasq, here as its own process) with the
    broker unreachable: the lease and the release are not lost, the relay
    sends them later."""
    import socket
    import subprocess
    import sys
    with socket.socket() as sock:          # a port nobody listens on
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    flagfile = tmp_path / 'dhcpbridge.conf'
    flagfile.write_text('\n'.join([
        '--sql_connection=sqlite:///%s' % sqlite_db,
        '--state_path=%s' % tmp_path, '--host=net1',
        '--rabbit_host=127.0.0.1', '--rabbit_port=%d' % port,
        '--rabbit_retry_interval=1', '--outbox_publish_timeout=1', '']))
    repo = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))))
    env = dict(os.environ, FLAGFILE=str(flagfile))
    for action in ('add', 'del'):
        done = subprocess.run(
            [sys.executable, os.path.join(repo, 'bin', 'nova-dhcpbridge'),
             action, '02:16:3e:00:00:01', '10.0.0.5'], env=env, cwd=repo,
            capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr[-2000:]
    assert _waiting(admin) == 2 and broker.sent == []
    assert [s[:3] for s in _comes_back(broker, admin, 2)] == [
        ('network.net1', 'lease_fixed_ip', {'address': '10.0.0.5'}),
        ('network.net1', 'release_fixed_ip', {'address': '10.0.0.5'})]
