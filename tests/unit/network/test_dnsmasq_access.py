"""The start-up check that dnsmasq's user can reach --networks_path."""

import os
import shutil
import tempfile

import pytest

from nova.network.linux_net import dnsmasq_access


@pytest.fixture
def open_dir():
    """A directory under /tmp that anyone may enter (0755)."""
    path = tempfile.mkdtemp(prefix='nova-dnsmasq-access-')
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path)


def _config(directory, text):
    path = os.path.join(directory, 'dnsmasq.conf')
    with open(path, 'w') as f:
        f.write(text)
    return path


def test_readable_state_dir_passes_and_networks_dir_is_made_0755(open_dir):
    networks = os.path.join(open_dir, 'state', 'networks')
    os.makedirs(os.path.dirname(networks), mode=0o755)
    os.chmod(os.path.dirname(networks), 0o755)
    config = _config(open_dir, 'user=nobody\n')
    dnsmasq_access.check_networks_path(networks, config)
    assert os.stat(networks).st_mode & 0o777 == 0o755


def test_private_state_dir_is_refused_naming_directory_and_fix(open_dir):
    state = os.path.join(open_dir, 'state')
    os.mkdir(state)
    os.chmod(state, 0o700)
    networks = os.path.join(state, 'networks')
    config = _config(open_dir, '# no user line\n')
    with pytest.raises(dnsmasq_access.DnsmasqCannotRead) as info:
        dnsmasq_access.check_networks_path(networks, config)
    text = str(info.value)
    assert '\n' not in text
    assert 'user nobody' in text
    assert 'cannot enter %s (mode 0700' % state in text
    assert 'chmod o+x %s' % state in text
    assert '--state_path' in text


def test_owner_of_the_directory_may_enter_it(open_dir):
    state = os.path.join(open_dir, 'state')
    os.mkdir(state)
    os.chmod(state, 0o700)
    nobody = dnsmasq_access.pwd.getpwnam('nobody')
    os.chown(state, nobody.pw_uid, nobody.pw_gid)
    assert dnsmasq_access.blocking_directory(
        state, nobody.pw_uid, nobody.pw_gid + 1) is None
    # another unprivileged user is kept out
    blocked, info = dnsmasq_access.blocking_directory(
        state, nobody.pw_uid - 1, nobody.pw_gid + 1)
    assert blocked == state


def test_group_bits_count_for_the_group(open_dir):
    state = os.path.join(open_dir, 'state')
    os.mkdir(state)
    os.chmod(state, 0o710)
    assert dnsmasq_access.blocking_directory(
        state, 12345, os.stat(state).st_gid) is None
    assert dnsmasq_access.blocking_directory(state, 12345, 54321)[0] == state


def test_user_line_of_the_config_names_the_user(open_dir):
    config = _config(open_dir, 'bind-interfaces\nuser = root # yes\n')
    user, uid, _gid = dnsmasq_access.dnsmasq_identity(config)
    assert (user, uid) == ('root', 0)


def test_unknown_user_is_refused(open_dir):
    config = _config(open_dir, 'user=no-such-user-here\n')
    with pytest.raises(dnsmasq_access.DnsmasqUserMissing) as info:
        dnsmasq_access.dnsmasq_identity(config)
    assert 'no-such-user-here' in str(info.value)
    assert config in str(info.value)
