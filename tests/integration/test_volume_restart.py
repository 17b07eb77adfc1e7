"""nova-volume killed (SIGKILL) in the middle of creating a volume: after a
restart the volume ends ``available``, never ``creating`` forever.

The daemon runs as a real process (``bin/nova-volume``) on a SQLite
database shared with the test; its driver (sparse files) hangs mid-create
while a hold file exists.
"""

import os
import signal
import subprocess
import sys
import time

import pytest

from nova import context
from nova import db

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))


def _start(flagfile, hold):
    env = dict(os.environ, NOVA_TEST_HOLD=hold)
    return subprocess.Popen(
        [sys.executable, os.path.join(REPO, 'bin', 'nova-volume'),
         '--flagfile=%s' % flagfile], cwd=REPO, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait(predicate, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_killed_mid_create_ends_available(sqlite_db, tmp_path):
    admin = context.get_admin_context()
    volumes_path = tmp_path / 'volumes'
    flagfile = tmp_path / 'nova.conf'
    flagfile.write_text('\n'.join([
        '--state_path=%s' % tmp_path,
        '--sql_connection=sqlite:///%s' % sqlite_db,
        '--fake_rabbit=True',
        '--host=n12-restart',
        '--volume_driver='
        'tests.integration.volume_slow_driver.SlowFileDriver',
        '--volume_storage=file',
        '--volumes_path=%s' % volumes_path,
        '--iscsi_num_targets=3',
        '--report_interval=1',
        '--logdir=%s' % tmp_path, '']))
    volume = db.volume_create(admin, {
        'size': 1, 'status': 'creating', 'attach_status': 'detached',
        'host': 'n12-restart', 'project_id': 'p', 'user_id': 'u'})
    hold = str(tmp_path / 'hold')
    open(hold, 'w').close()

    first = _start(str(flagfile), hold)
    try:
        assert _wait(lambda: os.path.exists(hold + '.started'), 60), \
            'nova-volume never started creating'
        assert db.volume_get(admin, volume['id'])['status'] == 'creating'
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(10)
    name = volume['name']
    assert os.path.exists(volumes_path / (name + '.partial'))
    assert not os.path.exists(volumes_path / name)

    os.unlink(hold)
    second = _start(str(flagfile), hold)
    try:
        assert _wait(lambda: db.volume_get(admin, volume['id'])['status']
                     != 'creating', 60)
        volume = db.volume_get(admin, volume['id'])
        assert volume['status'] == 'available'
        assert volume['provider_location'].endswith(
            'iqn.2010-10.org.openstack:%s 1' % name)
        assert os.path.getsize(volumes_path / name) == 1024 ** 3
        assert not os.path.exists(volumes_path / (name + '.partial'))
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            second.wait(20)
        except subprocess.TimeoutExpired:
            second.kill()
            second.wait(10)
