"""tools/cloud_netns.py gives a private libvirtd a /dev/kvm the QEMU user
(group kvm) may open when the machine's is root's alone: libvirtd probed
QEMU as root (KVM found), then judged KVM unusable for the QEMU user and
took its cached capabilities as outdated at every look-up, probing QEMU
again about once a second and before each guest it started."""

import grp
import importlib.util
import os

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SCRIPT = os.path.join(REPO, 'tools', 'cloud_netns.py')


@pytest.fixture(scope='module')
def netns():
    spec = importlib.util.spec_from_file_location('cloud_netns_kvm', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Stat(object):
    def __init__(self, mode, gid):
        self.st_mode = mode
        self.st_gid = gid
        self.st_rdev = os.makedev(10, 232)


def _fake(monkeypatch, netns, mode, gid, kvm_gid=114):
    real = os.stat

    def fake_stat(path, *args, **kwargs):
        if path == '/dev/kvm':
            return _Stat(mode, gid)
        return real(path, *args, **kwargs)
    monkeypatch.setattr(netns.os, 'stat', fake_stat)
    monkeypatch.setattr(netns.grp, 'getgrnam', lambda name: grp.struct_group(
        ('kvm', 'x', kvm_gid, [])))


def test_root_only_device_gets_a_group_node(monkeypatch, netns, tmp_path):
    _fake(monkeypatch, netns, 0o20600, 0)
    script = netns.private_kvm(str(tmp_path), '/dev/kvm')
    node = os.path.join(str(tmp_path), 'dev_kvm', 'kvm')
    assert script == (
        'mount -t tmpfs -o mode=0755 tmpfs %s && mknod -m 0660 %s c 10 232 '
        '&& chgrp kvm %s && mount --bind %s /dev/kvm'
        % (os.path.dirname(node), node, node, node))
    assert os.path.isdir(os.path.dirname(node))


def test_device_open_to_the_group_is_left_alone(monkeypatch, netns,
                                                 tmp_path):
    _fake(monkeypatch, netns, 0o20660, 114)
    assert netns.private_kvm(str(tmp_path), '/dev/kvm') == ''
    assert not os.path.exists(os.path.join(str(tmp_path), 'dev_kvm'))


def test_no_device_or_no_group_nothing(monkeypatch, netns, tmp_path):
    assert netns.private_kvm(str(tmp_path), str(tmp_path / 'none')) == ''

    def no_group(name):
        raise KeyError(name)
    monkeypatch.setattr(netns.grp, 'getgrnam', no_group)
    assert netns.private_kvm(str(tmp_path), '/dev/null') == ''
