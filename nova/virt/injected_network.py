"""The ``/etc/network/interfaces`` a hypervisor driver injects into a guest.

With ``--flat_injected`` (networks whose ``injected`` column is true) the
guest gets static addresses instead of DHCP: the driver writes
:func:`interfaces_text` of the instance's ``network_info`` into the image
(Debian format, as Diablo's ``interfaces.template``).  ``ethN`` is the
NIC's index in ``network_info``; only injected networks get a stanza.
"""


def _stanza(index, network, info, use_ipv6):
    name = 'eth%d' % index
    ip = info['ips'][0] if info.get('ips') else None
    if ip is None:
        return []
    lines = ['auto %s' % name,
             'iface %s inet static' % name,
             '    address %s' % ip['ip'],
             '    netmask %s' % ip['netmask'],
             '    broadcast %s' % info['broadcast'],
             '    gateway %s' % info['gateway'],
             '    dns-nameservers %s' % ' '.join(info.get('dns') or [])]
    if use_ipv6 and info.get('ip6s'):
        ip6 = info['ip6s'][0]
        lines += ['iface %s inet6 static' % name,
                  '    address %s' % ip6['ip'],
                  '    netmask %s' % ip6['netmask']]
        # Diablo's template read a key that does not exist (gateway_v6)
        # and failed; the key network_info carries is gateway6.
        if info.get('gateway6'):
            lines.append('    gateway %s' % info['gateway6'])
    return lines + ['']


def interfaces_text(network_info, use_ipv6=False):
    """The interfaces file for the injected networks (None if none are)."""
    stanzas = []
    for index, (network, info) in enumerate(network_info or []):
        if network.get('injected'):
            stanzas += _stanza(index, network, info, use_ipv6)
    if not stanzas:
        return None
    header = ['# This file describes the network interfaces available on '
              'your system', '# and how to activate them. For more '
              'information, see interfaces(5).', '',
              '# The loopback network interface', 'auto lo',
              'iface lo inet loopback', '']
    return '\n'.join(header + stanzas)
