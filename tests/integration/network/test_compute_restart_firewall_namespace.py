"""Security groups survive a restart of nova-compute.

The real ``bin/nova-network`` (FlatDHCP) runs in the host namespace; a
compute manager (agent ``rpc_compute``: fake hypervisor holding the guest,
iptables firewall with its own ``nova-compute`` chains) starts with
``init_host`` as nova-compute does.  A guest namespace serves TCP on three
ports; its group allows the first.  The compute process is killed
(SIGKILL) and a new one started, three times, while a sampler in the test
reads ``iptables-save`` and probes the guest: in every sample the jump to
the guest's chain and its rule are there, the allowed port is open and the
denied one closed.

1. nova-network up: the new process rebuilds the chain from nova-network's
   answer and the database (a rule added while compute was away applies).
2. nova-network down: it rebuilds it from the on-disk network info cache
   (a rule removed while compute was away is gone).
3. nova-network down and no cache: it keeps the chain exactly as the
   kernel has it, and says so in its log.
"""

import os

import pytest

import netns
from nova import context
from nova import db
from test_sg_network_outage_namespace import (ADDED, ALLOWED, DENIED,
                                              Sampler, allow, compute_agent,
                                              guarded_web_guest, logs,
                                              open_ports,
                                              refresh_once_network_answers)

pytestmark = [pytest.mark.netns, pytest.mark.integration,
              pytest.mark.timeout(240)]


def start_compute(lab, host, cache):
    """A new compute process, started as nova-compute starts."""
    compute = compute_agent(lab, host, cache)
    compute.call('rpc_compute', 'init_host', context=False)
    return compute


def kill(compute):
    """SIGKILL: the process leaves its rules in the kernel."""
    compute.proc.kill()
    compute.proc.wait()
    compute.stop()


def restart_sampled(lab, host, outside, web, compute, cache):
    """Kill ``compute`` and start a new one, sampling all through;
    returns the new compute and the samples."""
    sampler = Sampler(lab, host, outside, web)
    sampler.start()
    netns.wait_for(lambda: len(sampler.samples) >= 2, timeout=20,
                   what='samples before the restart')
    kill(compute)
    compute = start_compute(lab, host, cache)
    before = len(sampler.samples)
    netns.wait_for(lambda: len(sampler.samples) >= before + 2, timeout=20,
                   what='samples after the restart')
    samples = sampler.stop()
    print('%d samples across the restart' % len(samples))
    assert samples and all(s == (True, True, True, False) for s in samples), \
        samples
    return compute


def own_rules(host):
    """The filter table's rules of nova-compute (counters dropped)."""
    return [line for line in host.iptables('filter').splitlines()
            if line.startswith('-A ') and 'nova-compute-' in line]


def test_restart_keeps_guests_filtered(lab, cloud_host):
    host = cloud_host('FlatDHCPManager')
    outside, web, web_group, daemon = guarded_web_guest(lab, host)
    ctxt = context.get_admin_context()
    cache = os.path.join(lab.dir, 'compute-cache')
    # the first nova-compute: its hypervisor holds the guest, its start-up
    # builds the guest's chain once nova-network (just started) answers
    compute = compute_agent(lab, host, cache)
    compute.call('hypervisor', 'spawn_instance', web['id'])
    compute.call('rpc_compute', 'init_host', context=False)
    refresh_once_network_answers(compute, host, web, web_group)
    assert open_ports(lab, outside, web['address'], ALLOWED, DENIED,
                      ADDED) == {ALLOWED: True, DENIED: False, ADDED: False}

    # 1. restart with nova-network up; a rule was added meanwhile
    allow(ctxt, web_group, ADDED)
    compute = restart_sampled(lab, host, outside, web, compute, cache)
    assert open_ports(lab, outside, web['address'], ALLOWED, DENIED,
                      ADDED) == {ALLOWED: True, DENIED: False, ADDED: True}
    assert db.instance_get(ctxt, web['id'])['vm_state'] == 'active'

    # 2. restart with nova-network down; the added rule was removed
    daemon.kill()
    daemon.wait()
    db.security_group_rule_destroy(ctxt, [
        r for r in db.security_group_get(ctxt, web_group)['rules']
        if r['from_port'] == ADDED][0]['id'])
    compute = restart_sampled(lab, host, outside, web, compute, cache)
    assert open_ports(lab, outside, web['address'], ALLOWED, DENIED,
                      ADDED) == {ALLOWED: True, DENIED: False, ADDED: False}
    assert 'rebuilt from their last known network info' in logs(lab)

    # 3. nova-network down and nothing cached: the chain stays as it is
    rules_before = own_rules(host)
    allow(ctxt, web_group, ADDED)          # cannot be applied: no info
    compute = restart_sampled(lab, host, outside, web, compute,
                              os.path.join(lab.dir, 'fresh-cache'))
    assert 'keeps the rules it has until the next refresh' in logs(lab)
    assert own_rules(host) == rules_before
    assert open_ports(lab, outside, web['address'], ALLOWED, DENIED,
                      ADDED) == {ALLOWED: True, DENIED: False, ADDED: False}
    compute.stop()
