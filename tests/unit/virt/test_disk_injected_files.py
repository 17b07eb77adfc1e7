"""Personality files written into a raw ext disk with debugfs (no mount,
no root), and refused loudly by a disk without an ext file system."""

import os
import shutil
import subprocess

import pytest

import nova.compute.manager  # noqa: F401 - instances_path
from nova.virt import disk
from nova.virt.libvirt import connection  # noqa: F401 - use_cow_images
from nova.virt.libvirt import imagebackend

pytestmark = pytest.mark.skipif(
    shutil.which('mke2fs') is None or shutil.which('debugfs') is None,
    reason='e2fsprogs (mke2fs, debugfs) is not installed')


def _ext4(path):
    with open(path, 'wb') as out:
        out.truncate(8 * 1024 * 1024)
    subprocess.run(['mke2fs', '-q', '-F', '-t', 'ext4', path], check=True)
    return path


def _debugfs(image, request):
    return subprocess.run(['debugfs', '-R', request, image],
                          capture_output=True).stdout


def test_files_go_to_their_paths(tmp_path):
    image = _ext4(str(tmp_path / 'disk'))
    written = disk.inject_data(image, files=[
        ('/etc/motd', b'hello\n'), ('/opt/a b/deep/bin', b'\x00\xffbin'),
        ('/etc/motd2', b'')])
    assert written == ['/etc/motd', '/opt/a b/deep/bin', '/etc/motd2']
    assert _debugfs(image, 'cat /etc/motd') == b'hello\n'
    assert _debugfs(image, 'cat "/opt/a b/deep/bin"') == b'\x00\xffbin'
    stat = _debugfs(image, 'stat "/opt/a b/deep/bin"').decode()
    assert 'Type: regular' in stat and 'Mode:  0644' in stat
    assert 'User:     0   Group:     0' in stat
    folder = _debugfs(image, 'stat /opt/a b'.replace('a b', '"a b"'))
    assert b'Type: directory' in folder
    # Written again (a rebuild of the same disk): replaced, not appended.
    disk.inject_data(image, files=[('/etc/motd', b'new\n')])
    assert _debugfs(image, 'cat /etc/motd') == b'new\n'


def test_a_file_under_a_file_is_refused(tmp_path):
    image = _ext4(str(tmp_path / 'disk'))
    disk.inject_data(image, files=[('/etc/motd', b'x')])
    with pytest.raises(disk.FileInjectionError) as info:
        disk.inject_data(image, files=[('/etc/motd/inner', b'y')])
    assert '/etc/motd/inner was not written' in str(info.value)


def test_a_disk_without_ext_refuses_files_but_only_warns_for_a_key(
        tmp_path, set_flags):
    blank = str(tmp_path / 'blank')
    with open(blank, 'wb') as out:
        out.truncate(1024 * 1024)
    with pytest.raises(disk.FileInjectionError):
        disk.inject_data(blank, files=[('/etc/motd', b'x')])
    with pytest.raises(disk.InjectionError) as info:
        disk.inject_data(blank, key='ssh-rsa K')
    assert not isinstance(info.value, disk.FileInjectionError)
    set_flags(use_cow_images=False)
    target = str(tmp_path / 'disk')
    # the key alone: skipped with a warning, the disk is made
    imagebackend._injected_copy('i-1', blank, target, 'ssh-rsa K', None)
    assert os.path.exists(target)
    os.unlink(target)
    # personality files: the build fails and leaves no disk behind
    with pytest.raises(disk.FileInjectionError):
        imagebackend._injected_copy('i-1', blank, target, 'ssh-rsa K', None,
                                    [('/etc/motd', b'x')])
    assert not os.path.exists(target)


def test_qcow2_copy_holds_the_files(tmp_path, set_flags):
    if shutil.which('qemu-img') is None:
        pytest.skip('qemu-img is not installed')
    set_flags(use_cow_images=True)
    base = _ext4(str(tmp_path / 'base'))
    target = str(tmp_path / 'disk')
    imagebackend._injected_copy('i-1', base, target, None, None,
                                [('/etc/motd', b'hi')])
    assert not os.path.exists(target + '.raw')
    raw = str(tmp_path / 'check.raw')
    subprocess.run(['qemu-img', 'convert', '-O', 'raw', target, raw],
                   check=True)
    assert _debugfs(raw, 'cat /etc/motd') == b'hi'
    assert _debugfs(base, 'cat /etc/motd') == b''
