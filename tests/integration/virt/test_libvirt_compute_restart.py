"""nova-compute (a real daemon on libvirt) killed with SIGKILL mid-spawn.

Instance A runs; instance B is killed while spawning; A's row is deleted
while nova-compute is down.  After a restart with
``--running_deleted_instance_action=reap`` nothing is left in ``building``,
and the database and the domains agree: B's build is taken up again and
runs (or ends in error with its domain and files removed), A's orphan
domain is reaped.  Messages go over the real
RabbitMQ (a private exchange); the database is SQLite shared by the test
and the daemon.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid

import pytest

from tests.integration.virt.conftest import REPO, register_guest

pytestmark = [pytest.mark.integration, pytest.mark.libvirt,
              pytest.mark.rabbitmq, pytest.mark.timeout(240)]


def _rabbit_up():
    try:
        socket.create_connection(('127.0.0.1', 5672), timeout=2).close()
        return True
    except OSError:
        return False


def _domains(prefix):
    import libvirt
    conn = libvirt.open('qemu:///system')
    try:
        return sorted(d.name() for d in conn.listAllDomains(0)
                      if d.name().startswith(prefix))
    finally:
        conn.close()


def _wait(predicate, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError('timed out waiting for %s' % what)


@pytest.fixture
def compute_env(libvirt_host, test_guest, set_flags, tmp_path):
    if not _rabbit_up():
        pytest.skip('RabbitMQ is not reachable on 127.0.0.1:5672')
    import nova.db.api  # noqa: F401 - flags
    import nova.image.local  # noqa: F401 - flags
    from nova import rpc
    from nova.db import migration
    from nova.db.sqlalchemy import session
    import pathlib
    import shutil
    import tempfile
    # QEMU runs as libvirt-qemu: the instances must be reachable by it.
    top = tempfile.mkdtemp(prefix='n11-restart-')
    os.chmod(top, 0o755)
    state = pathlib.Path(top) / 'state'
    state.mkdir()
    os.chmod(str(state), 0o755)
    template = 'instance-%s-%%08x' % libvirt_host.prefix
    values = {
        'state_path': str(state),
        'sql_connection': 'sqlite:///%s/nova.sqlite' % state,
        'fake_rabbit': False, 'rabbit_host': '127.0.0.1',
        'control_exchange': 'nova_test_%s' % uuid.uuid4().hex[:8],
        'images_path': str(state / 'images'),
        'instance_name_template': template,
    }
    set_flags(**values)
    session.reset()
    migration.db_sync()
    ids = register_guest(test_guest)
    flagfile = tmp_path / 'nova.conf'
    lines = ['--%s=%s' % (k, v) for k, v in values.items()
             if k != 'fake_rabbit']
    lines += ['--nofake_rabbit', '--connection_type=libvirt',
              '--libvirt_type=qemu', '--stub_network',
              '--firewall_driver=nova.virt.firewall.NoopFirewallDriver',
              '--instances_path=%s' % (state / 'instances'),
              '--vncserver_host=127.0.0.1', '--report_interval=1',
              '--periodic_interval=1', '--logdir=%s' % tmp_path,
              '--running_deleted_instance_action=reap', '']
    flagfile.write_text('\n'.join(lines))
    env = {'flagfile': str(flagfile), 'ids': ids, 'state': state,
           'template': template, 'procs': [], 'logdir': tmp_path}
    yield env
    for proc in env['procs']:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    rpc.cleanup()
    session.reset()
    libvirt_host.destroy_domains()
    shutil.rmtree(top, ignore_errors=True)


def _start_compute(env, host):
    proc = subprocess.Popen(
        [sys.executable, os.path.join(REPO, 'bin', 'nova-compute'),
         '--flagfile=%s' % env['flagfile'], '--host=%s' % host],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    env['procs'].append(proc)
    return proc


def _new_instance(env, host):
    from nova import context
    from nova import db
    ctxt = context.get_admin_context()
    ids = env['ids']
    instance = db.instance_create(ctxt, {
        'image_ref': str(ids['ami']), 'kernel_id': str(ids['aki']),
        'ramdisk_id': str(ids['ari']), 'vm_state': 'building',
        'task_state': 'scheduling', 'power_state': 0, 'memory_mb': 256,
        'vcpus': 1, 'local_gb': 0, 'user_id': 'u', 'project_id': 'p',
        'host': host})
    return instance['id']


def _run(host, instance_id):
    from nova import context
    from nova import rpc
    rpc.cast(context.get_admin_context(), 'compute.%s' % host,
             {'method': 'run_instance',
              'args': {'instance_id': instance_id}})


def _states(instance_id):
    from nova import context
    from nova import db
    return db.instance_get_states(context.get_admin_context(), instance_id)


def _service_up(host):
    from nova import context
    from nova import db
    try:
        db.service_get_by_args(context.get_admin_context(), host,
                               'nova-compute')
        return True
    except Exception:  # noqa: BLE001 - not registered yet
        return False


def test_kill_compute_mid_spawn_then_restart(compute_env, libvirt_host):
    from nova import context
    from nova import db
    env = compute_env
    host = 'n11c-%s' % uuid.uuid4().hex[:6]
    prefix = env['template'].split('%')[0]
    name = lambda iid: env['template'] % iid  # noqa: E731
    directory = lambda iid: os.path.join(  # noqa: E731
        str(env['state']), 'instances', name(iid))
    proc = _start_compute(env, host)
    _wait(lambda: _service_up(host), 60, 'nova-compute to register')
    time.sleep(1)

    running = _new_instance(env, host)
    _run(host, running)
    _wait(lambda: _states(running)[0] in ('active', 'error'), 90,
          'instance A to run')
    assert _states(running) == ('active', None)
    assert name(running) in _domains(prefix)

    killed = _new_instance(env, host)
    _run(host, killed)
    _wait(lambda: _states(killed)[1] == 'spawning' and
          os.path.exists(directory(killed)), 60, 'instance B to spawn')
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    # The row of A goes away while nova-compute is down.
    db.instance_destroy(context.get_admin_context(), running)

    _start_compute(env, host)
    # The interrupted build is taken up again (its message is delivered
    # again too): it ends running, or in error with a fault -- never stuck.
    _wait(lambda: _states(killed)[0] in ('active', 'error'), 120,
          'the interrupted build to end')
    vm_state = _states(killed)[0]
    expected = [name(killed)] if vm_state == 'active' else []
    # The database and the domains agree; A's orphan domain is reaped.
    _wait(lambda: _domains(prefix) == expected, 60,
          'the domains to match the database')
    _wait(lambda: not os.path.exists(directory(running)), 30,
          "the orphan's directory to be removed")
    if vm_state == 'error':
        assert not os.path.exists(directory(killed))
        fault = db.instance_fault_get_latest(context.get_admin_context(),
                                             killed)
        assert fault and fault['message']
    building = db.instance_get_all_by_filters(
        context.get_admin_context(), {'vm_state': 'building'})
    assert list(building) == []
    with open(os.path.join(str(env['logdir']), 'nova-compute.log')) as log:
        text = log.read()
    assert 'Destroying guest %s' % name(running) in text
