"""The interfaces file injected for --flat_injected networks."""

from nova.virt import injected_network


def _nw(injected, ip, **extra):
    info = {'ips': [{'ip': ip, 'netmask': '255.255.255.0',
                     'enabled': '1'}],
            'broadcast': '10.0.0.255', 'gateway': '10.0.0.1',
            'dns': ['8.8.4.4', '8.8.8.8']}
    info.update(extra)
    return ({'id': 1, 'injected': injected}, info)


def test_static_stanza_per_injected_nic():
    text = injected_network.interfaces_text(
        [_nw(False, '10.1.0.3'), _nw(True, '10.0.0.5')])
    assert 'auto lo\niface lo inet loopback' in text
    assert 'eth0' not in text
    assert ('auto eth1\niface eth1 inet static\n    address 10.0.0.5\n'
            '    netmask 255.255.255.0\n    broadcast 10.0.0.255\n'
            '    gateway 10.0.0.1\n    dns-nameservers 8.8.4.4 8.8.8.8'
            ) in text


def test_ipv6_and_nothing_injected():
    text = injected_network.interfaces_text(
        [_nw(True, '10.0.0.5', ip6s=[{'ip': 'fd00::1', 'netmask': '64'}],
             gateway6='fe80::1')], use_ipv6=True)
    assert 'iface eth0 inet6 static\n    address fd00::1\n    netmask 64\n' \
        '    gateway fe80::1' in text
    assert injected_network.interfaces_text([_nw(False, '10.0.0.5')]) is None
