"""The host-wide iptables lock between green threads of one daemon.

Daemons are monkey-patched: their green threads share one OS thread, so a
green thread waiting for ``nova-iptables.lock`` must yield, not block the
process (two concurrent terminations used to hang nova-compute for good).
"""

import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

SCRIPT = '''
import eventlet
eventlet.monkey_patch()
import os, sys, tempfile, time
sys.path.insert(0, %r)
from nova.network.linux_net.iptables import FileLock
path = os.path.join(tempfile.mkdtemp(), 'nova-iptables.lock')
order = []
def worker(i):
    with FileLock(path):
        order.append(('in', i))
        time.sleep(0.1)
        order.append(('out', i))
threads = [eventlet.spawn(worker, i) for i in range(3)]
with eventlet.Timeout(10):
    for thread in threads:
        thread.wait()
print(order)
'''


def test_green_threads_take_the_lock_in_turn(tmp_path):
    proc = subprocess.run([sys.executable, '-W', 'ignore', '-c',
                           SCRIPT % REPO], capture_output=True, text=True,
                          timeout=30)
    assert proc.returncode == 0, proc.stderr
    order = eval(proc.stdout.strip())  # noqa: S307 - our own list repr
    assert len(order) == 6
    for index in range(0, 6, 2):
        assert order[index][0] == 'in' and order[index + 1] == (
            'out', order[index][1])
