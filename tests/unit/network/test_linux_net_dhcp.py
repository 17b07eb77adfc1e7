"""dnsmasq arguments and hosts file of a network."""

from nova.network.linux_net import dhcp


def test_hosts_file_and_command(tmp_path, set_flags):
    set_flags(networks_path=str(tmp_path), dhcp_domain='novalocal',
              dhcpbridge='/usr/bin/nova-dhcpbridge', dns_server=None,
              dnsmasq_config_file='')
    text = dhcp.get_dhcp_hosts_text([
        {'mac': '02:16:3e:12:34:56', 'hostname': 'server-1',
         'address': '10.0.0.3'},
        {'mac': '02:16:3e:12:34:57', 'hostname': 'server-2',
         'address': '10.0.0.4'}])
    assert text == ('02:16:3e:12:34:56,server-1.novalocal,10.0.0.3\n'
                    '02:16:3e:12:34:57,server-2.novalocal,10.0.0.4')
    cmd = dhcp.dnsmasq_cmd('br100', {'id': 1, 'cidr': '10.0.0.0/24',
                                     'dhcp_server': '10.0.0.1',
                                     'dhcp_start': '10.0.0.2'})
    assert cmd == [
        'dnsmasq', '--strict-order', '--bind-interfaces', '--conf-file=',
        '--domain=novalocal',
        '--pid-file=%s/nova-br100.pid' % tmp_path,
        '--listen-address=10.0.0.1', '--except-interface=lo',
        '--dhcp-range=10.0.0.2,static,120s', '--dhcp-lease-max=256',
        '--dhcp-hostsfile=%s/nova-br100.conf' % tmp_path,
        '--dhcp-script=/usr/bin/nova-dhcpbridge', '--leasefile-ro']


def test_update_starts_then_reloads(tmp_path, set_flags):
    set_flags(networks_path=str(tmp_path), dhcpbridge_flagfile='/etc/f')
    calls = []
    ref = {'id': 3, 'cidr': '10.0.0.0/28', 'dhcp_server': '10.0.0.1',
           'dhcp_start': '10.0.0.2'}
    assert dhcp.update_dhcp('br9', ref, [], lambda *c, **k: calls.append(
        c)) == 'started'
    assert calls[0][:3] == ('env', 'FLAGFILE=/etc/f', 'NETWORK_ID=3')
    assert '--dhcp-lease-max=16' in calls[0]
    # a pid file naming a process that is not our dnsmasq is stale
    (tmp_path / 'nova-br9.pid').write_text('1')
    assert dhcp.update_dhcp('br9', ref, [], lambda *c, **k: calls.append(
        c)) == 'started'


def test_concurrent_updates_start_one_dnsmasq_at_a_time(tmp_path,
                                                        set_flags):
    """Two allocations for one multi_host host arrive together: the second
    waits until the first dnsmasq start has returned (so it finds the pid
    file instead of a port already taken)."""
    import eventlet
    set_flags(networks_path=str(tmp_path), dhcpbridge_flagfile='/etc/f')
    ref = {'id': 3, 'cidr': '10.0.0.0/28', 'dhcp_server': '10.0.0.1',
           'dhcp_start': '10.0.0.2'}
    events = []

    def execute(*cmd, **_kwargs):
        if cmd[0] == 'env':
            events.append('start')
            eventlet.sleep(0.1)  # the other green thread runs meanwhile
            events.append('started')

    pool = [eventlet.spawn(dhcp.update_dhcp, 'br9', ref, [], execute)
            for _ in range(2)]
    assert [thread.wait() for thread in pool] == ['started', 'started']
    assert events == ['start', 'started', 'start', 'started']
