"""A daemon that cannot start says why in one line, never a traceback."""

import os
import subprocess
import sys

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))

pytestmark = [pytest.mark.functional, pytest.mark.timeout(60)]


def _run(binary, *args):
    proc = subprocess.run(
        [sys.executable, os.path.join(REPO, 'bin', binary)] + list(args),
        capture_output=True, text=True, timeout=50, cwd=REPO)
    return proc.returncode, proc.stderr


def _assert_one_line(stderr, *needles):
    assert 'Traceback' not in stderr, stderr
    lines = [line for line in stderr.splitlines()
             if line.startswith('nova-')]
    assert len(lines) == 1, stderr
    for needle in needles:
        assert needle in lines[0], stderr


def test_missing_flagfile(tmp_path):
    code, err = _run('nova-compute', '--flagfile=%s/absent.conf' % tmp_path)
    assert code == 2
    _assert_one_line(err, 'absent.conf')


def test_bad_value_names_flag_file_and_line(tmp_path):
    conf = tmp_path / 'nova.conf'
    conf.write_text('--verbose\n--report_interval=abc\n')
    code, err = _run('nova-scheduler', '--flagfile=%s' % conf)
    assert code == 2
    _assert_one_line(err, 'report_interval', '%s:2' % conf)


def test_malformed_flagfile_line(tmp_path):
    conf = tmp_path / 'nova.conf'
    conf.write_text('--verbose\nthis is not a flag\n')
    code, err = _run('nova-network', '--flagfile=%s' % conf)
    assert code == 2
    _assert_one_line(err, '%s:2' % conf)


def test_unreachable_database(tmp_path):
    code, err = _run('nova-scheduler', '--state_path=%s' % tmp_path,
                     '--sql_connection=postgresql://nova@127.0.0.1:1/nova',
                     '--sql_max_retries=2', '--sql_retry_interval=0',
                     '--fake_rabbit')
    assert code == 1
    _assert_one_line(err, '127.0.0.1:1', '2')


def test_unreachable_broker(tmp_path):
    state = str(tmp_path)
    manage = [sys.executable, os.path.join(REPO, 'bin', 'nova-manage'),
              '--state_path=%s' % state]
    subprocess.run(manage + ['db', 'sync'], check=True, capture_output=True,
                   cwd=REPO, timeout=50)
    code, err = _run('nova-scheduler', '--state_path=%s' % state,
                     '--rabbit_host=127.0.0.1', '--rabbit_port=1',
                     '--rabbit_max_retries=2', '--rabbit_retry_interval=0')
    assert code == 1
    _assert_one_line(err, '127.0.0.1:1', '2')


def test_unknown_driver_class_is_refused(tmp_path):
    conf = tmp_path / 'nova.conf'
    conf.write_text('--verbose\n'
                    '--auth_driver=nova.auth.nosuchdriver.NoDriver\n')
    code, err = _run('nova-api', '--flagfile=%s' % conf,
                     '--state_path=%s' % tmp_path)
    assert code == 2
    _assert_one_line(err, '--auth_driver=nova.auth.nosuchdriver.NoDriver',
                     '%s:2' % conf, 'no module named nova.auth.nosuchdriver')


def test_unsupported_backend_is_refused_by_nova_manage(tmp_path):
    code, err = _run('nova-manage', '--state_path=%s' % tmp_path,
                     '--connection_type=xenapi', 'db', 'version')
    assert code == 2
    _assert_one_line(err, '--connection_type=xenapi', 'fake, libvirt')


def test_flag_of_an_absent_feature_warns_once(tmp_path):
    # The scheduler gets as far as the database (unreachable, so it stops
    # quickly); the flag of Diablo's RBD volumes is named in one warning.
    code, err = _run('nova-scheduler', '--state_path=%s' % tmp_path,
                     '--rbd_pool=fast', '--fake_rabbit',
                     '--sql_connection=postgresql://nova@127.0.0.1:1/nova',
                     '--sql_max_retries=1', '--sql_retry_interval=0')
    assert code == 1
    assert 'Traceback' not in err, err
    warnings = [line for line in err.splitlines() if 'rbd_pool' in line]
    assert len(warnings) == 1, err
    assert 'WARNING' in warnings[0], err
    assert 'ignoring 1 flag(s) of Diablo features' in warnings[0], err
    assert '--rbd_pool (RBD volumes)' in warnings[0], err
