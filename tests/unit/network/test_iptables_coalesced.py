"""IptablesManager.apply: calls made while a write runs share the next."""

from nova.network.linux_net import iptables
from nova.utils import concurrency


class SlowKernel(object):
    """iptables-save/-restore in memory, each taking a moment (a green
    sleep, as a real command's wait does)."""

    def __init__(self):
        self.tables = {}
        self.restores = []

    def __call__(self, *cmd, **kwargs):
        concurrency.sleep(0.02)
        if cmd[0].endswith('-save'):
            return self.tables.get(cmd[2], '*%s\nCOMMIT\n' % cmd[2]), ''
        text = kwargs['process_input']
        self.tables[text.splitlines()[0][1:]] = text
        self.restores.append(text)
        return '', ''


def test_ten_callers_at_once_cost_two_writes_and_all_rules_land(tmp_path):
    kernel = SlowKernel()
    manager = iptables.IptablesManager('nova-compute', kernel, str(tmp_path))

    def guest(index):
        chain = 'inst-%d' % index
        manager.ipv4['filter'].add_chain(chain)
        manager.ipv4['filter'].add_rule(chain, '-s 10.0.0.%d -j ACCEPT'
                                        % index)
        manager.apply()
        # once apply returns, this caller's rule is in the kernel
        assert '10.0.0.%d' % index in kernel.tables['filter']

    threads = [concurrency.spawn(guest, i) for i in range(10)]
    for thread in threads:
        thread.wait()
    # filter and nat per write: the first caller's write, then one more
    assert len(kernel.restores) == 2 * 2
    for index in range(10):
        assert '-s 10.0.0.%d -j ACCEPT' % index in kernel.tables['filter']
