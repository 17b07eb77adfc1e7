"""The libvirt driver starts a domain without stopping the green hub.

libvirtd may take many seconds to start QEMU on a busy host; in the
monkey-patched daemon ``defineXML``/``create`` (and ``destroy``) run in a
native thread, so the daemon's other green threads (other builds, RPC,
heartbeats) go on meanwhile.  The fakes below block their native thread
until a green thread has run: were the hub blocked, it never would.  The
start and the destroy hold the host's iptables lock (libvirt writes the
NIC's filter rules then; concurrent nf_tables changes made them fail).
"""

import os
import threading

import eventlet
import pytest

import nova.compute.manager  # noqa: F401 - instances_path
from nova.network.linux_net import iptables
from nova.utils import concurrency
from nova.virt.libvirt import connection


@pytest.fixture(autouse=True)
def _lock_path(set_flags, tmp_path):
    set_flags(lock_path=str(tmp_path))


class _Domain(object):
    def __init__(self, green_ran, seen):
        self._green_ran = green_ran
        self._seen = seen

    def name(self):
        return 'instance-00000001'

    def create(self):
        # a busy libvirtd: returns once a green thread has had its turn
        self._seen.append(('create', self._green_ran.wait(10)))
        return 0

    def isActive(self):
        return True

    def destroy(self):
        self._seen.append(('destroy', self._green_ran.wait(10)))
        return 0

    def undefineFlags(self, _flags):
        return 0


class _Conn(object):
    def __init__(self, domain):
        self.domain = domain

    def isAlive(self):
        return True

    def defineXML(self, _xml):
        return self.domain

    def lookupByName(self, _name):
        return self.domain


def _driver(seen, green_ran):
    driver = connection.LibvirtConnection()
    driver._conn = _Conn(_Domain(green_ran, seen))
    return driver


def _while_other_green_thread(func):
    """Run ``func`` in a green thread beside one that sets the event the
    fakes wait for; returns whether that green thread got to run."""
    green_ran = threading.Event()
    holder = {}

    def other():
        eventlet.sleep(0)
        green_ran.set()
    try:
        first = eventlet.spawn(func, green_ran, holder)
        second = eventlet.spawn(other)
        first.wait()
        second.wait()
    finally:
        concurrency.release_os_threads()
    return holder


def test_create_runs_in_a_native_thread_when_green(monkeypatch):
    monkeypatch.setattr(concurrency, 'is_monkey_patched', lambda: True)

    def boot(green_ran, holder):
        holder['seen'] = []
        driver = _driver(holder['seen'], green_ran)
        holder['dom'] = driver._create_domain('<domain/>')
    holder = _while_other_green_thread(boot)
    assert holder['seen'] == [('create', True)]
    assert holder['dom'].name() == 'instance-00000001'


def test_destroy_runs_in_a_native_thread_when_green(monkeypatch, tmp_path,
                                                     set_flags):
    set_flags(instances_path=str(tmp_path), lock_path=str(tmp_path))
    monkeypatch.setattr(concurrency, 'is_monkey_patched', lambda: True)

    class _Firewall(object):
        def unfilter_instance(self, _instance, _network_info):
            pass

    def stop(green_ran, holder):
        holder['seen'] = []
        driver = _driver(holder['seen'], green_ran)
        driver._firewall = _Firewall()
        driver.destroy({'id': 1, 'name': 'instance-00000001'}, [])
    holder = _while_other_green_thread(stop)
    assert holder['seen'] == [('destroy', True)]


def test_create_is_a_plain_call_without_green_threads(monkeypatch):
    monkeypatch.setattr(concurrency, 'is_monkey_patched', lambda: False)
    calls = []
    monkeypatch.setattr(concurrency, 'run_in_os_thread',
                        lambda *args: calls.append(args))
    ready = threading.Event()
    ready.set()
    seen = []
    dom = _driver(seen, ready)._create_domain('<domain/>')
    assert calls == [] and seen == [('create', True)]
    assert dom.name() == 'instance-00000001'


def test_start_waits_for_the_hosts_iptables_lock(monkeypatch, tmp_path):
    monkeypatch.setattr(concurrency, 'is_monkey_patched', lambda: False)
    ready = threading.Event()
    ready.set()
    seen = []
    driver = _driver(seen, ready)
    lock = iptables.FileLock(os.path.join(str(tmp_path),
                                          'nova-iptables.lock'))
    monkeypatch.setattr(iptables.time, 'sleep', eventlet.sleep)
    with lock:
        boot = eventlet.spawn(driver._create_domain, '<domain/>')
        for _ in range(20):
            eventlet.sleep(0.01)
        held = list(seen)
    boot.wait()
    assert held == [] and seen == [('create', True)]
