"""IptablesManager.deferred_apply: one write at the end of the block."""

from nova.network.linux_net import iptables
from nova.utils import concurrency

from test_iptables_coalesced import SlowKernel


def _manager(tmp_path):
    kernel = SlowKernel()
    return kernel, iptables.IptablesManager('nova-network', kernel,
                                            str(tmp_path))


def test_applies_inside_the_block_are_written_once_at_its_end(tmp_path):
    kernel, manager = _manager(tmp_path)
    with manager.deferred_apply():
        manager.ipv4['nat'].add_rule('snat', '-s 10.0.0.0/24 -j SNAT '
                                     '--to-source 192.0.2.1')
        manager.apply()
        assert kernel.restores == []
        manager.ipv4['filter'].add_rule('FORWARD', '-i br100 -j ACCEPT')
        manager.apply()
        assert kernel.restores == []
    # filter and nat, once, holding both rules
    assert len(kernel.restores) == 2
    assert '-i br100 -j ACCEPT' in kernel.tables['filter']
    assert '--to-source 192.0.2.1' in kernel.tables['nat']


def test_a_block_without_applies_writes_nothing(tmp_path):
    kernel, manager = _manager(tmp_path)
    with manager.deferred_apply():
        manager.ipv4['filter'].add_rule('FORWARD', '-i br100 -j ACCEPT')
    assert kernel.restores == []


def test_nested_blocks_write_once_at_the_outer_end(tmp_path):
    kernel, manager = _manager(tmp_path)
    with manager.deferred_apply():
        with manager.deferred_apply():
            manager.apply()
        assert kernel.restores == []
        manager.apply()
    assert len(kernel.restores) == 2


def test_other_green_threads_still_apply_at_once(tmp_path):
    kernel, manager = _manager(tmp_path)
    seen = []

    def other():
        manager.ipv4['filter'].add_rule('FORWARD', '-s 10.0.0.9 -j DROP')
        manager.apply()
        seen.append('10.0.0.9' in kernel.tables['filter'])

    with manager.deferred_apply():
        manager.apply()
        concurrency.spawn(other).wait()
        assert seen == [True]
        writes = len(kernel.restores)
    assert len(kernel.restores) == writes + 2


def test_an_error_in_the_block_still_writes_what_was_asked(tmp_path):
    kernel, manager = _manager(tmp_path)
    try:
        with manager.deferred_apply():
            manager.ipv4['filter'].add_rule('FORWARD', '-i br100 -j ACCEPT')
            manager.apply()
            raise RuntimeError('a network failed to set up')
    except RuntimeError:
        pass
    assert '-i br100 -j ACCEPT' in kernel.tables['filter']
